"""Print the offline families' pass rates: every family x 20 seeds x scales {0.5, 1.0, 2.0}, <= 2 repairs.

Usage: .venv/bin/python bench/family_pass_rates.py [--seeds N] [--family KEY ...] [--workers N]
"""

import argparse
import time

from benchgen.offline.sweep import SWEEP_MAX_REPAIRS, SWEEP_SCALES, FamilyPassRate, pass_rates

TARGET_RATE = 0.95  # the bar: at least this share of cases pass after at most two repair moves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds 0..N-1 per family")
    parser.add_argument("--family", action="append", help="only these family keys (repeatable)")
    parser.add_argument("--workers", type=int, default=1, help="processes, one sandbox each")
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"{'family':<20} {'passed':>8} {'rate':>7} {'repairs':>8}  failures")

    def show(result: FamilyPassRate) -> None:
        mark = "" if result.rate >= TARGET_RATE else "  BELOW TARGET"
        failed = "; ".join(result.failures[:4])
        print(f"{result.family:<20} {result.passed:>3}/{result.cases:<4} {result.rate:>7.1%} {result.repairs:>8}  {failed}{mark}", flush=True)

    results = pass_rates(args.family, progress=show, workers=args.workers, seeds=tuple(range(args.seeds)),
                         scales=SWEEP_SCALES, max_repairs=SWEEP_MAX_REPAIRS)
    cases = sum(r.cases for r in results)
    passed = sum(r.passed for r in results)
    print(f"{'all':<20} {passed:>3}/{cases:<4} {passed / cases:>7.1%}   ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
