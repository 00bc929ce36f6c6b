"""Validation throughput: per-variant overhead of the sandbox, variants per minute, and worker memory.

1. Overhead: each example variant validated (build, static checks, MJCF, 3 s settle) through the warm
   sandbox and, back to back, the same work in-process (`build_in_process`); the fixture-mesh cache is
   cleared before each so neither path meshes for free. Prints the median ratio (budget <= 1.25x).
2. Throughput: `validate_script` over every example (seeds 0-4, so 5 variants plus one determinism
   rebuild per script), serially with one runner, then in a pool of 2 processes with a runner each.
   Prints variants per minute for each (budget >= 100/min on 2 cores).
3. Memory: the sandbox worker's peak RSS after warm-up and after every variant above (must not grow).

    .venv/bin/python bench/bench_validate.py [--variants 30] [--skip-pool]
"""

import argparse
import multiprocessing
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from benchgen.physics.meshing import clear_cache
from benchgen.sandbox import BuildOutcome, SandboxRunner, build_in_process
from benchgen.validation.validator import ValidationSettings, validate_script, validate_variant

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").glob("*.py"))
DEFAULT_VARIANTS = 30  # timed variants per path for the overhead ratio
WARMUP_VARIANTS = 3  # per path before timing (imports, first fork, caches)
THROUGHPUT_SEEDS = (0, 1, 2, 3, 4)
POOL_PROCESSES = 2  # the machine's cores
OVERHEAD_BUDGET = 1.25  # sandbox / in-process wall time per variant
THROUGHPUT_BUDGET_PER_MIN = 100.0  # validated variants per minute on 2 cores


class InProcessBuilder:
    """The trusted baseline: the same build code path as the sandbox's child, in this process."""

    def build(self, source: str, seed: int, scale: float) -> BuildOutcome:
        return build_in_process(source, seed, scale)


def variant_plan(count: int) -> list[tuple[str, int]]:
    """(source, seed) pairs cycling through the examples so every shape of puzzle is in the mix."""
    sources = [path.read_text() for path in EXAMPLES]
    return [(sources[i % len(sources)], i // len(sources)) for i in range(count)]


def timed_variant(source: str, seed: int, builder, settings: ValidationSettings) -> float:
    clear_cache()
    started = time.perf_counter()
    report = validate_variant(source, seed, 1.0, builder, settings)
    elapsed = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"an example failed at seed {seed}: {[f.message for f in report.failures]}")
    return elapsed


def overhead(runner: SandboxRunner, count: int, settings: ValidationSettings) -> None:
    in_process = InProcessBuilder()
    for source, seed in variant_plan(WARMUP_VARIANTS):
        timed_variant(source, seed, runner, settings)
        timed_variant(source, seed, in_process, settings)
    sandboxed, local, ratios = [], [], []
    for index, (source, seed) in enumerate(variant_plan(count)):
        if index % 2:  # alternate which path goes first, so neither always runs on a warmer machine
            b = timed_variant(source, seed, in_process, settings)
            a = timed_variant(source, seed, runner, settings)
        else:
            a = timed_variant(source, seed, runner, settings)
            b = timed_variant(source, seed, in_process, settings)
        sandboxed.append(a)
        local.append(b)
        ratios.append(a / b)
    print(f"per variant (build + checks + MJCF + {settings.settle.duration_s:g} s settle), {count} variants:")
    print(f"  in-process  median {statistics.median(local) * 1000:7.1f} ms")
    print(f"  sandboxed   median {statistics.median(sandboxed) * 1000:7.1f} ms")
    print(
        f"  ratio sandbox/in-process: median {statistics.median(ratios):.3f}x, "
        f"total {sum(sandboxed) / sum(local):.3f}x (budget <= {OVERHEAD_BUDGET}x)"
    )


def validate_examples(paths: list[Path]) -> int:
    """Validate scripts with one runner; returns the number of variants validated (builds included)."""
    variants = 0
    with SandboxRunner() as runner:
        for path in paths:
            report = validate_script(path, THROUGHPUT_SEEDS, runner=runner)
            if not report.ok:
                raise SystemExit(f"{path.name} is not valid: {[f.message for f in report.failures]}")
            variants += len(report.variants)
    return variants


_pool_runner: SandboxRunner | None = None  # one warm runner per pool process, started by its initializer


def _start_pool_process() -> None:
    global _pool_runner
    _pool_runner = SandboxRunner().__enter__()  # closed when the process exits (the worker dies with it)
    validate_variant(EXAMPLES[0].read_text(), 0, 1.0, _pool_runner)  # warm: imports, worker, first fork


def _wait_warm(seconds: float) -> None:
    time.sleep(seconds)


def _validate_in_pool(path: Path) -> int:
    report = validate_script(path, THROUGHPUT_SEEDS, runner=_pool_runner)
    if not report.ok:
        raise SystemExit(f"{path.name} is not valid: {[f.message for f in report.failures]}")
    return len(report.variants)


def throughput(skip_pool: bool) -> None:
    started = time.perf_counter()
    variants = validate_examples(EXAMPLES)
    elapsed = time.perf_counter() - started
    print(
        f"serial, one runner: {variants} variants in {elapsed:.1f} s = {variants / elapsed * 60:.0f}/min "
        f"(includes worker start-up; budget >= {THROUGHPUT_BUDGET_PER_MIN:g}/min on 2 cores)"
    )
    if skip_pool:
        return
    # spawn, not fork: forking a process that already runs OCCT and MuJoCo threads can deadlock.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(POOL_PROCESSES, mp_context=context, initializer=_start_pool_process) as pool:
        list(pool.map(_wait_warm, [1.0] * POOL_PROCESSES))  # both processes started and warm
        started = time.perf_counter()
        variants = sum(pool.map(_validate_in_pool, EXAMPLES))
        elapsed = time.perf_counter() - started
    print(
        f"pool of {POOL_PROCESSES} warm processes, a runner each: {variants} variants in {elapsed:.1f} s = "
        f"{variants / elapsed * 60:.0f}/min"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=DEFAULT_VARIANTS, help="timed variants per path")
    parser.add_argument("--skip-pool", action="store_true", help="measure the serial throughput only")
    args = parser.parse_args()
    settings = ValidationSettings()
    with SandboxRunner() as runner:
        overhead(runner, args.variants, settings)
        rss_warm = runner.worker_stats.peak_rss_kb
        builds_warm = runner.worker_stats.builds
        for source, seed in variant_plan(args.variants):
            validate_variant(source, seed + 100, 1.0, runner, settings)
        stats = runner.worker_stats
        print(
            f"worker peak RSS: {rss_warm / 1024:.0f} MiB after {builds_warm} builds, "
            f"{stats.peak_rss_kb / 1024:.0f} MiB after {stats.builds} builds (pid {stats.pid}; must not grow)"
        )
    throughput(args.skip_pool)


if __name__ == "__main__":
    main()
