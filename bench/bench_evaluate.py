"""Evaluation throughput: per-variant overhead of the sandbox, and variants evaluated per minute.

Each example that has a solution (examples/solutions/<name>.py) is evaluated variant by variant
(build + solve in one sandboxed child, host re-checks and exact B-rep checks, solution MJCF, the MuJoCo
run from the nominal start and every jitter corner over the solution's horizon; a start ends early once
the payload rests in the goal and every mover has stopped) through the warm sandbox and, back to back,
the same work in-process (`build_and_solve_in_process`). The mesh cache is cleared before each so
neither path meshes for free. Prints the median ratio (budget <= 1.25x) and variants per minute of the
sandboxed path on this machine (one process; the machine has 2 cores).

    .venv/bin/python bench/bench_evaluate.py [--variants 24]
"""

import argparse
import statistics
import time
from pathlib import Path

from benchgen.evaluation.evaluator import evaluate_variant
from benchgen.physics.meshing import clear_cache
from benchgen.sandbox import BuildOutcome, SandboxRunner, build_in_process
from benchgen.sandbox.outcome import SolveOutcome
from benchgen.sandbox.runner import build_and_solve_in_process

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((REPO / "examples" / "solutions").glob("*.py"))
DEFAULT_VARIANTS = 24  # timed variants per path for the ratio
WARMUP_VARIANTS = 2  # per path before timing (imports, first fork, caches)
SEEDS = (0, 1, 2, 3, 4)
OVERHEAD_BUDGET = 1.25  # sandbox / in-process wall time per variant


class InProcessPair:
    """The trusted baseline: the same build and solve code path as the sandbox's child, in this process."""

    def build(self, source: str, seed: int, scale: float) -> BuildOutcome:
        return build_in_process(source, seed, scale)

    def build_and_solve(
        self, source: str, seed: int, scale: float, solution_source: str
    ) -> tuple[BuildOutcome, SolveOutcome | None]:
        return build_and_solve_in_process(source, seed, scale, solution_source)


def variant_plan(count: int) -> list[tuple[str, str, int]]:
    """(script, solution, seed) cycling through the solved examples."""
    pairs = [((REPO / "examples" / path.name).read_text(), path.read_text()) for path in SOLUTIONS]
    return [(*pairs[i % len(pairs)], SEEDS[(i // len(pairs)) % len(SEEDS)]) for i in range(count)]


def timed_variant(source: str, solution: str, seed: int, runner) -> float:
    clear_cache()
    started = time.perf_counter()
    evaluated = evaluate_variant(source, solution, seed, 1.0, runner)
    elapsed = time.perf_counter() - started
    if not evaluated.report.solved:
        raise SystemExit(
            f"an example was not solved at seed {seed}: {[f.message for f in evaluated.report.failures]}"
        )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=DEFAULT_VARIANTS)
    args = parser.parse_args()
    in_process = InProcessPair()
    with SandboxRunner() as runner:
        for source, solution, seed in variant_plan(WARMUP_VARIANTS):
            timed_variant(source, solution, seed, runner)
            timed_variant(source, solution, seed, in_process)
        sandboxed, local, ratios = [], [], []
        for index, (source, solution, seed) in enumerate(variant_plan(args.variants)):
            if index % 2:  # alternate which path goes first, so neither always runs on a warmer machine
                b = timed_variant(source, solution, seed, in_process)
                a = timed_variant(source, solution, seed, runner)
            else:
                a = timed_variant(source, solution, seed, runner)
                b = timed_variant(source, solution, seed, in_process)
            sandboxed.append(a)
            local.append(b)
            ratios.append(a / b)
    print(
        f"per variant (build + solve + checks + MJCF + run from every start), {args.variants} variants "
        f"of {len(SOLUTIONS)} solved examples:"
    )
    print(f"  in-process  median {statistics.median(local) * 1000:7.1f} ms")
    print(f"  sandboxed   median {statistics.median(sandboxed) * 1000:7.1f} ms")
    print(
        f"  ratio sandbox/in-process: median {statistics.median(ratios):.3f}x, "
        f"total {sum(sandboxed) / sum(local):.3f}x (budget <= {OVERHEAD_BUDGET}x)"
    )
    print(f"  sandboxed throughput, one process: {len(sandboxed) / sum(sandboxed) * 60:.0f} variants/min")


if __name__ == "__main__":
    main()
