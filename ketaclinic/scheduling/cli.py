"""`ketaclinic schedule <command>`: solve, check, generate, bench.

Exit codes: 0 success, 1 `check` found violations, 2 malformed input or usage, with a JSON
`{"error": "..."}` on stdout naming the offending field.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, NoReturn, TextIO

from ketaclinic.scheduling.model import Instance, ScheduleInputError, parse_instance, parse_plan, plan_to_json


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ketaclinic schedule", description="Chair and nurse scheduler for infusion courses.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    solve = sub.add_parser("solve", help="write a plan for an instance to stdout")
    solve.add_argument("--instance", required=True)
    solve.add_argument("--method", choices=["cpsat", "greedy"], default="cpsat")
    solve.add_argument("--time-limit", type=float, default=30.0)
    solve.add_argument("--workers", type=int, default=2)
    solve.add_argument("--seed", type=int, default=0)
    check = sub.add_parser("check", help="validate a plan against an instance")
    check.add_argument("--instance", required=True)
    check.add_argument("--plan", required=True)
    gen = sub.add_parser("generate", help="write a realistic random instance to stdout")
    gen.add_argument("--chairs", type=int, default=6)
    gen.add_argument("--nurses", type=int, default=3)
    gen.add_argument("--courses", type=int, default=90)
    gen.add_argument("--days", type=int, default=20)
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--booster-share", type=float, default=0.3)
    bench = sub.add_parser("bench", help="greedy against CP-SAT on generated instances")
    bench.add_argument("--quick", action="store_true", help="a few small instances, short time limit")
    bench.add_argument("--time-limit", type=float, default=None)
    bench.add_argument("--workers", type=int, default=2)
    bench.add_argument("--out", default="bench/results/schedule_bench", help="path prefix for .json and .txt")
    return p


def _read_json(path: str, what: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScheduleInputError(what, f"cannot read {path}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScheduleInputError(what, f"not valid JSON: {exc.msg} at line {exc.lineno}") from None


def load_instance(path: str) -> Instance:
    return parse_instance(_read_json(path, "instance"))


def run(argv: list[str], stdout: TextIO | None = None) -> int:
    out = sys.stdout if stdout is None else stdout
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        print(json.dumps({"error": f"usage: {exc}"}), file=out)
        return 2
    try:
        return _dispatch(args, out)
    except ScheduleInputError as exc:
        print(json.dumps({"error": str(exc)}), file=out)
        return 2


def _dispatch(args: argparse.Namespace, out: TextIO) -> int:
    if args.command == "solve":
        instance = load_instance(args.instance)
        if args.time_limit <= 0:
            raise ScheduleInputError("--time-limit", "must be positive")
        if args.workers < 1:
            raise ScheduleInputError("--workers", "must be at least 1")
        if args.method == "greedy":
            from ketaclinic.scheduling.greedy import solve_greedy

            plan = solve_greedy(instance)
        else:
            from ketaclinic.scheduling.cpsat import Options, solve_cpsat

            plan = solve_cpsat(instance, Options(time_limit=args.time_limit, workers=args.workers, seed=args.seed))
        print(json.dumps(plan_to_json(plan, instance.epoch), indent=1), file=out)
        return 0
    if args.command == "check":
        from ketaclinic.scheduling.validate import validate

        instance = load_instance(args.instance)
        plan = parse_plan(_read_json(args.plan, "plan"), instance.epoch)
        violations = validate(instance, plan)
        report = {"valid": not violations, "violations": [{"rule": v.rule, "detail": v.detail} for v in violations]}
        print(json.dumps(report, indent=1), file=out)
        return 0 if not violations else 1
    if args.command == "generate":
        from ketaclinic.scheduling.generate import generate

        for name in ("chairs", "nurses", "courses", "days"):
            if getattr(args, name) < (0 if name in ("nurses", "courses") else 1):
                raise ScheduleInputError(f"--{name}", "out of range")
        if not 0 <= args.booster_share <= 1:
            raise ScheduleInputError("--booster-share", "must be between 0 and 1")
        data = generate(
            chairs=args.chairs,
            nurses=args.nurses,
            courses=args.courses,
            days=args.days,
            seed=args.seed,
            booster_share=args.booster_share,
        )
        print(json.dumps(data, indent=1), file=out)
        return 0
    from ketaclinic.scheduling.bench import run_bench

    return run_bench(quick=args.quick, time_limit=args.time_limit, workers=args.workers, out=args.out, stdout=out)
