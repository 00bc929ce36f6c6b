"""The unsolvability proofs' share of a variant's validation time on the examples (budget <= 10%).

Each example variant (seeds 0..N-1 at scale 1.0) is validated through a warm sandbox exactly as
`benchgen validate` does (build, static checks, proofs, MJCF, settle), with the fixture-mesh cache
cleared first so nothing is meshed for free. The validator times the proofs (`metrics.solvability_s`);
their share is that time over the variant's whole validation time, in the same run. The proofs read the
fixtures' convex pieces, which the MJCF step needs next anyway (cached): a second line prints the share
with that meshing charged to the proofs as well, measured on the same built variants.

    .venv/bin/python bench/bench_solvability.py [--seeds 5]
"""

import argparse
import statistics
import time
from pathlib import Path

from benchgen.physics.meshing import clear_cache
from benchgen.sandbox import BuildResult, SandboxRunner
from benchgen.validation import solvability
from benchgen.validation.validator import ValidationSettings, validate_variant

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").glob("*.py"))
DEFAULT_SEEDS = 5  # variants per example
SHARE_BUDGET = 0.10  # proofs' time / the variant's validation time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help="variants per example")
    args = parser.parse_args()
    settings = ValidationSettings()
    proofs_s, cold_proofs_s, total_s = [], [], []
    with SandboxRunner() as runner:
        validate_variant(EXAMPLES[0].read_text(), 0, 1.0, runner, settings)  # warm: imports, worker
        for path in EXAMPLES:
            source = path.read_text()
            shares = []
            for seed in range(args.seeds):
                clear_cache()
                started = time.perf_counter()
                report = validate_variant(source, seed, 1.0, runner, settings)
                total = time.perf_counter() - started
                if not report.ok:
                    messages = [f.message for f in report.failures]
                    raise SystemExit(f"{path.name} seed {seed} failed: {messages}")
                # The same variant's proofs once more, with the meshing they trigger first charged to them.
                built = runner.build(source, seed, 1.0)
                assert isinstance(built, BuildResult)
                clear_cache()
                started = time.perf_counter()
                solvability.check_solvability(built.spec, built.breps, [])
                cold = time.perf_counter() - started
                proofs_s.append(report.metrics.solvability_s)
                cold_proofs_s.append(cold)
                total_s.append(total)
                shares.append(report.metrics.solvability_s / total)
            print(
                f"{path.stem:14s} proofs median {statistics.median(proofs_s[-args.seeds :]) * 1000:6.1f} ms "
                f"of {statistics.median(total_s[-args.seeds :]) * 1000:6.1f} ms per variant "
                f"= {statistics.median(shares):6.1%}"
            )
    print(
        f"proofs alone: {sum(proofs_s) / sum(total_s):.1%} of validation time over {len(total_s)} variants "
        f"(budget <= {SHARE_BUDGET:.0%})"
    )
    print(
        f"proofs plus the fixture meshing they trigger (reused by the MJCF step): "
        f"{sum(cold_proofs_s) / sum(total_s):.1%}"
    )


if __name__ == "__main__":
    main()
