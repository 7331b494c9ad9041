"""The `ketaclinic` console script.

    ketaclinic protocol <rule>      pure clinical rules, JSON in and out
    ketaclinic schedule <command>   scheduler: solve, check, generate, bench
    ketaclinic <django command>     anything else goes to Django's manage.py
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "protocol":
        from ketaclinic.protocol.cli import run

        return int(run(args[1:]))
    if args and args[0] == "schedule":
        from ketaclinic.scheduling.cli import run as run_schedule

        return int(run_schedule(args[1:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ketaclinic", *args])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
