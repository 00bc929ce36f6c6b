"""Validation with a witness against the same validation without one, per variant, on the examples.

Each example with its example solution (examples/solutions/<name>.py) is validated on seeds
0..N-1 at scale 1.0 through one warm sandbox exactly as `benchgen validate` does, then its witness is
evaluated on the same grid as `benchgen validate --witness` does (`check_witness`); the ratio is the
whole witnessed validation over validation alone, in the same run. The pipeline pays this for every
benchmark when witnesses are required.

    .venv/bin/python bench/bench_witness.py [--seeds 3]
"""

import argparse
import statistics
import time
from pathlib import Path

from benchgen.sandbox import SandboxRunner
from benchgen.validation.validator import validate_source
from benchgen.validation.witness import Witness, check_witness

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((REPO / "examples" / "solutions").glob("*.py"))
DEFAULT_SEEDS = 3  # variants per example


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help="variants per example")
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    alone_s, witnessed_s = [], []
    with SandboxRunner() as runner:
        validate_source(
            (REPO / "examples" / SOLUTIONS[0].name).read_text(), "warm", [0], [1.0], runner=runner
        )
        for solution in SOLUTIONS:
            script = REPO / "examples" / solution.name
            source = script.read_text()
            started = time.perf_counter()
            report = validate_source(source, script.name, seeds, [1.0], runner=runner)
            alone = time.perf_counter() - started
            witness = Witness(name=str(solution), source=solution.read_text())
            checked = check_witness(report, source, witness, required=True, runner=runner)
            witnessed = time.perf_counter() - started
            if not checked.ok:
                raise SystemExit(f"{script.name}: {[f.message for f in checked.failures][:2]}")
            alone_s.append(alone / len(seeds))
            witnessed_s.append(witnessed / len(seeds))
            print(
                f"{script.stem:14s} per variant: validation {alone_s[-1]:5.2f} s, with witness "
                f"{witnessed_s[-1]:5.2f} s ({witnessed_s[-1] / alone_s[-1]:.1f}x)",
                flush=True,
            )
    ratio = statistics.median(w / a for w, a in zip(witnessed_s, alone_s, strict=True))
    print(
        f"median per variant: validation {statistics.median(alone_s):.2f} s, with witness "
        f"{statistics.median(witnessed_s):.2f} s: {ratio:.1f}x validation alone"
    )


if __name__ == "__main__":
    main()
