"""Run the scheduler benchmark: `python bench/schedule_bench.py [--quick] [--time-limit S]`.

Same as `ketaclinic schedule bench`; results go to bench/results/schedule_bench.{json,txt}.
"""

from __future__ import annotations

import sys

from ketaclinic.scheduling.cli import run

if __name__ == "__main__":
    raise SystemExit(run(["bench", *sys.argv[1:]]))
