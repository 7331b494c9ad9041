"""`ketaclinic protocol <rule>`: JSON on stdin, JSON on stdout.

Exit 0 with the rule's result; exit 2 with {"error": "..."} naming the field on bad input.
Each rule module exposes a function `(payload: dict, protocol: Protocol) -> dict`; the
registry below names it so that importing one rule never imports the others.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from ketaclinic.protocol.config import Protocol, ProtocolConfigError, default_protocol
from ketaclinic.protocol.errors import InputError

RULES: dict[str, str] = {
    "eligibility": "ketaclinic.protocol.eligibility:cli",
    "interactions": "ketaclinic.protocol.interactions:cli",
    "preparation": "ketaclinic.protocol.preparation:cli",
    "earliest-start": "ketaclinic.protocol.preparation:cli_earliest_start",
    "dose": "ketaclinic.protocol.dose:cli",
    "vitals": "ketaclinic.protocol.vitals:cli",
    "discharge": "ketaclinic.protocol.discharge:cli",
    "score": "ketaclinic.protocol.scoring:cli",
    "sleep-diary": "ketaclinic.protocol.sleep:cli",
    "course-response": "ketaclinic.protocol.response:cli",
}

RuleFunction = Callable[[dict[str, Any], Protocol], dict[str, Any]]


def load_rule(name: str) -> RuleFunction:
    module_name, _, attr = RULES[name].partition(":")
    func: RuleFunction = getattr(importlib.import_module(module_name), attr)
    return func


def run(argv: list[str], stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    if len(argv) != 1 or argv[0] not in RULES:
        print(json.dumps({"error": f"usage: ketaclinic protocol <{'|'.join(RULES)}> < input.json"}), file=stdout)
        return 2
    try:
        payload = json.loads(stdin.read())
    except json.JSONDecodeError as exc:
        print(json.dumps({"error": f"input is not valid JSON: {exc.msg} at line {exc.lineno}"}), file=stdout)
        return 2
    if not isinstance(payload, dict):
        print(json.dumps({"error": "input must be a JSON object"}), file=stdout)
        return 2
    try:
        result = load_rule(argv[0])(payload, default_protocol())
    except (InputError, ProtocolConfigError) as exc:
        print(json.dumps({"error": str(exc)}), file=stdout)
        return 2
    print(json.dumps(result, indent=2, ensure_ascii=False), file=stdout)
    return 0
