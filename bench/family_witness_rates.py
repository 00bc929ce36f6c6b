"""Print the share of each offline family's cases its witness solves: family x 20 seeds x scales
{0.5, 1.0, 2.0}, each case evaluated from every start.

Usage: .venv/bin/python bench/family_witness_rates.py [--seeds N] [--family KEY ...] [--verbose]
"""

import argparse
import time

from benchgen.offline.families import FAMILIES
from benchgen.offline.planner import OfflinePlanner
from benchgen.offline.sweep import SWEEP_SCALES
from benchgen.offline.witness_sweep import family_witness_rate
from benchgen.sandbox import SandboxRunner

TARGET_RATE = 0.95  # issue 15: at least this share of each family's cases solved by its witness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds 0..N-1 per family")
    parser.add_argument("--family", action="append", help="only these family keys (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="print each unsolved case's first failures")
    args = parser.parse_args()
    started = time.perf_counter()
    planner = OfflinePlanner()
    print(f"{'family':<20} {'solved':>8} {'rate':>7}  failures")
    total_cases = total_solved = 0
    with SandboxRunner() as runner:
        for key in args.family or list(FAMILIES):
            result = family_witness_rate(
                key,
                runner,
                seeds=tuple(range(args.seeds)),
                scales=SWEEP_SCALES,
                planner=planner,
                progress=print if args.verbose else None,
            )
            total_cases, total_solved = total_cases + result.cases, total_solved + result.solved
            mark = "" if result.rate >= TARGET_RATE else "  BELOW TARGET"
            print(
                f"{key:<20} {result.solved:>3}/{result.cases:<4} {result.rate:>7.1%}  {'; '.join(result.failures[:4])}{mark}",
                flush=True,
            )
    print(
        f"{'all':<20} {total_solved:>3}/{total_cases:<4} {total_solved / max(total_cases, 1):>7.1%}   ({time.perf_counter() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
