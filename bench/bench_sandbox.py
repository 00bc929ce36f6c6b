"""Sandbox overhead: build one example N times in-process and N times through the warm sandbox.

Prints the overhead ratio (sandbox / in-process wall time per build) back to back and paced, sandboxed
builds per minute, and the worker's peak RSS before and after (it must not grow: every build runs in a
child). "Paced" leaves the host busy for --pause-ms between builds, as the validator is (static checks,
MJCF, settle simulation): the worker then forks and warms the next child off the build's path.

    .venv/bin/python bench/bench_sandbox.py [--builds 100] [--pause-ms 200] [--script examples/gap_crossing.py]
"""

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from benchgen.sandbox import BuildOutcome, BuildResult, SandboxRunner, build_in_process

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCRIPT = REPO / "examples" / "gap_crossing.py"
DEFAULT_BUILDS = 100
DEFAULT_PAUSE_MS = 200  # ms of host work between paced builds; the validator spends more per variant
WARMUP_BUILDS = 3  # builds per path before timing starts (imports, caches)


def time_builds(build: Callable[[int], BuildOutcome], seeds: range, pause_s: float = 0.0) -> list[float]:
    """Wall seconds per build, with `pause_s` of idle host time before each; a failed build aborts."""
    times = []
    for seed in seeds:
        time.sleep(pause_s)
        started = time.perf_counter()
        outcome = build(seed)
        times.append(time.perf_counter() - started)
        if not isinstance(outcome, BuildResult):
            raise SystemExit(f"seed {seed} failed: {outcome}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", type=int, default=DEFAULT_BUILDS)
    parser.add_argument("--pause-ms", type=float, default=DEFAULT_PAUSE_MS)
    parser.add_argument("--script", type=Path, default=DEFAULT_SCRIPT)
    args = parser.parse_args()
    source = args.script.read_text()
    seeds = range(WARMUP_BUILDS, WARMUP_BUILDS + args.builds)

    def in_process(seed: int) -> BuildOutcome:
        return build_in_process(source, seed, 1.0)

    pause_s = args.pause_ms / 1000
    time_builds(in_process, range(WARMUP_BUILDS))
    local = time_builds(in_process, seeds)
    local_paced = time_builds(in_process, seeds, pause_s)

    started = time.perf_counter()
    with SandboxRunner() as runner:
        start_s = time.perf_counter() - started

        def sandboxed(seed: int) -> BuildOutcome:
            return runner.build(source, seed, 1.0)

        time_builds(sandboxed, range(WARMUP_BUILDS))
        before = runner.worker_stats
        sandbox = time_builds(sandboxed, seeds)
        sandbox_paced = time_builds(sandboxed, seeds, pause_s)
        after = runner.worker_stats
        starts = runner.worker_starts
    assert before is not None and after is not None

    local_mean, sandbox_mean = statistics.mean(local), statistics.mean(sandbox)
    print(
        f"script                      {args.script.relative_to(REPO) if args.script.is_relative_to(REPO) else args.script}"
    )
    print(f"builds timed per path       {args.builds} (after {WARMUP_BUILDS} warm-up builds)")
    print(f"worker start (one import)   {start_s:.2f} s; workers started: {starts}")
    print(
        f"in-process per build        mean {local_mean * 1000:.1f} ms, median {statistics.median(local) * 1000:.1f} ms"
    )
    print(
        f"sandboxed per build         mean {sandbox_mean * 1000:.1f} ms, median {statistics.median(sandbox) * 1000:.1f} ms"
    )
    print(
        f"overhead ratio              {sandbox_mean / local_mean:.2f}x (sandboxed / in-process, back to back)"
    )
    paced_ratio = statistics.mean(sandbox_paced) / statistics.mean(local_paced)
    print(
        f"paced per build             in-process {statistics.mean(local_paced) * 1000:.1f} ms, sandboxed "
        f"{statistics.mean(sandbox_paced) * 1000:.1f} ms, ratio {paced_ratio:.2f}x ({args.pause_ms:g} ms host work between)"
    )
    print(f"sandboxed builds per minute {60.0 / sandbox_mean:.0f} (one worker)")
    print(f"worker peak RSS             before {before.peak_rss_kb / 1024:.1f} MiB, after {after.peak_rss_kb / 1024:.1f} MiB "
          f"({after.builds - before.builds} builds; growth {(after.peak_rss_kb - before.peak_rss_kb) / 1024:+.1f} MiB)")  # fmt: skip


if __name__ == "__main__":
    main()
