"""The main job's build end to end: accepted benchmarks per minute, sandbox builds, overhead, re-run.

The workload is the main job's with clips: THEMES x seeds, each benchmark validated on the main job's
default variant grid (the flow's defaults, `pipeline.BuildParameters`' defaults) and the version's
gallery published with settle clips, as `benchgen build` publishes it.

In one process: (1) the whole build through `benchgen.pipeline.build_dataset_directly` (no Prefect),
(2) a trivial flow that starts the ephemeral Prefect server (reported separately, excluded),
(3) the same build through the flow, cold (empty store and database), (4) the flow again, warm, a few
times, the median counting. Re-runs start RERUN_PAUSE_S after the previous run ends, as re-runs do in
use (a nightly, a user running the main job again): a run started the instant the previous one ends
meets the temporary server's SQLite still recording that run's events, gets a 503 and waits out
Prefect's client retry (about 2 s).
Each build has its own data folder so nothing is shared but the warm run's own caches. Budgets from
issue 7: flow cold <= 1.3x direct; warm <= 5% of cold. From issue 13: accepted benchmarks per minute
of the cold flow >= TARGET_PER_MIN, and >= SPEEDUP_TARGET x a figure measured before a change
(`--baseline-per-min`). Wall times: every step runs sandboxes and MuJoCo in other processes, so CPU
time of this process would miss most of the work. The flows run with the Prefect settings of the main
job (`flows.prefect_setup.local_run_settings`) and its thread task runner, so every build is made from
this process and counted here. The direct build's CPU time (this process and every descendant it
reaped, the sandbox workers included once closed) per accepted benchmark bounds the throughput this
machine's cores allow from above, whatever the orchestration.

Builds are counted, not mocked: `SandboxRunner.build` (every instance) and the in-process build of
trusted offline scripts (`benchgen.sandbox.execute.execute_build`, which `build_in_process` looks up at
each call) are wrapped by spies that record (script sha256, seed, scale) and call the real build.
The published contents are printed as a digest of (benchmark id, script sha256) pairs read from the
published index, checked against the manifest, so a run before and after a change can be compared.

    .venv/bin/python bench/bench_flow.py [--themes 6] [--seeds-per-theme 2] [--warm-runs 3]
        [--baseline-per-min X]
"""

import argparse
import functools
import hashlib
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import NamedTuple

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # flows/ and tasks/ live at the repo root

from prefect import flow
from prefect.settings import temporary_settings

from benchgen import pipeline
from benchgen.dataset.published import PublishedVersion
from benchgen.sandbox import execute
from benchgen.sandbox.pool import close_idle_runners
from benchgen.sandbox.runner import SandboxRunner
from benchgen.settings import get_settings
from flows.build_dataset import build_dataset
from flows.prefect_setup import local_run_settings

# One theme per offline family, each accepted by the offline backend.
THEMES = [
    "ball must cross a gap",  # gap_crossing
    "puck up a ramp",  # ramp_climb
    "ball into a lower bin",  # drop_into_bin
    "cylinder under a low bar",  # under_low_bar
    "ball around a wall",  # around_wall
    "ball through a window",  # window_wall
]
SEEDS_PER_THEME = 2  # agent sessions per theme
DATASET_VERSION = "bench"
OVERHEAD_BUDGET = 1.3  # flow cold / direct
WARM_BUDGET = 0.05  # flow warm / flow cold
TARGET_PER_MIN = 25.0  # accepted benchmarks per minute of the cold flow, server start excluded (issue 13)
SPEEDUP_TARGET = 5.0  # accepted per minute now / --baseline-per-min, measured before a change (issue 13)
MAX_BUILDS_PER_VARIANT = 2  # sandbox builds of one (script, seed, scale) in a run: the determinism check
RERUN_PAUSE_S = 5.0  # s between the end of a run and its re-run (or the report); not timed
SECONDS_PER_MINUTE = 60.0


class Variant(NamedTuple):
    """One built variant: which script (by sha256), at which seed and scale."""

    script_sha256: str
    seed: int
    scale: float


class BuildTally:
    """How often each variant was built; safe to record from the flow's task threads."""

    def __init__(self) -> None:
        self.per_variant: Counter[Variant] = Counter()
        self._lock = threading.Lock()

    def record(self, source: str, seed: int, scale: float) -> None:
        variant = Variant(hashlib.sha256(source.encode()).hexdigest(), seed, scale)
        with self._lock:
            self.per_variant[variant] += 1

    @property
    def total(self) -> int:
        return sum(self.per_variant.values())

    @property
    def most_of_one_variant(self) -> int:
        return max(self.per_variant.values(), default=0)


class PhaseBuilds(NamedTuple):
    """The builds of one measured run."""

    sandbox: BuildTally
    in_process: BuildTally


class BuildSpy:
    """Counts every build into the tallies of the current run; the real build runs."""

    def __init__(self) -> None:
        self.current = PhaseBuilds(BuildTally(), BuildTally())

    def start_run(self) -> PhaseBuilds:
        """Builds from now on count into the returned tallies."""
        self.current = PhaseBuilds(BuildTally(), BuildTally())
        return self.current

    def install(self) -> None:
        spy = self
        sandbox_build = SandboxRunner.build
        in_process_build = execute.execute_build

        @functools.wraps(sandbox_build)
        def counted_sandbox_build(runner: SandboxRunner, source: str, seed: int, scale: float):
            spy.current.sandbox.record(source, seed, scale)
            return sandbox_build(runner, source, seed, scale)

        @functools.wraps(in_process_build)
        def counted_in_process_build(source: str, seed: int, scale: float, max_output_bytes: int):
            spy.current.in_process.record(source, seed, scale)
            return in_process_build(source, seed, scale, max_output_bytes)

        SandboxRunner.build = counted_sandbox_build
        execute.execute_build = counted_in_process_build


class PublishedContent(NamedTuple):
    """What two builds must agree on for one published benchmark."""

    benchmark_id: str
    theme: str
    script_sha256: str


def published_benchmarks(dataset_url: str) -> list[PublishedContent]:
    """The published index's benchmarks, sorted by id; the index is checked against the manifest."""
    rows = [b.row for b in PublishedVersion(dataset_url, get_settings()).benchmarks()]
    return sorted(PublishedContent(r.benchmark_id, r.theme, r.script_sha256) for r in rows)


def contents_digest(benchmarks: list[PublishedContent]) -> str:
    """sha256 of the sorted 'benchmark_id script_sha256' lines: equal digests, identical contents."""
    lines = "".join(f"{b.benchmark_id} {b.script_sha256}\n" for b in benchmarks)
    return hashlib.sha256(lines.encode()).hexdigest()


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def use_data_dir(path: Path) -> None:
    """Point benchgen's settings at a fresh data folder (SQLite database and local store inside)."""
    os.environ["BENCHGEN_DATA_DIR"] = str(path)
    for name in ("BENCHGEN_DATABASE_URL", "BENCHGEN_STORE_URL"):
        os.environ.pop(name, None)


def per_minute(accepted: int, seconds: float) -> float:
    return accepted * SECONDS_PER_MINUTE / seconds


def verdict(ok: bool, failed: str = "OVER") -> str:
    return "OK" if ok else failed


class MeasuredBuild(NamedTuple):
    """One timed build of the workload: its wall time, its builds and what it published."""

    seconds: float
    builds: PhaseBuilds
    published: list[PublishedContent]

    @property
    def per_minute(self) -> float:
        return per_minute(len(self.published), self.seconds)


def builds_line(label: str, builds: BuildTally, accepted: int) -> str:
    per_benchmark = f"{builds.total / accepted:.1f}" if accepted else "n/a"
    return (
        f"  {label:<12} {builds.total:4d} builds, {per_benchmark:>5} per accepted benchmark, "
        f"{len(builds.per_variant)} variants, at most {builds.most_of_one_variant} of one variant"
    )


def print_report(
    params: pipeline.BuildParameters,
    direct: MeasuredBuild,
    server_s: float,
    cold: MeasuredBuild,
    warm_times: list[float],
    warm_unchanged: bool,
    warm_builds: PhaseBuilds,
    baseline_per_min: float | None,
    direct_cpu_s: float,
) -> None:
    """The contents first, the figures after them, the budget lines last (so `tail -30` shows them)."""
    sessions = len(params.units())
    accepted = len(cold.published)
    print(
        f"workload: {len(params.themes)} themes x {params.seeds_per_theme} seeds = {sessions} sessions, "
        f"variant seeds {params.variant_seeds} x scales {params.scales}, gallery with settle clips"
    )
    digest = contents_digest(cold.published)
    same = "identical" if contents_digest(direct.published) == digest else "DIFFERENT"
    print(f"published contents (flow cold): {accepted} benchmarks, digest {digest} (direct: {same})")
    for benchmark in cold.published:
        print(f"  {benchmark.benchmark_id}  {benchmark.script_sha256}  {benchmark.theme}")
    per_theme = ", ".join(str(sum(b.theme == theme for b in cold.published)) for theme in params.themes)
    print(
        f"accepted: flow cold {accepted} of {sessions} ({per_theme} per theme), "
        f"direct {len(direct.published)} of {sessions}"
    )

    warm_s = statistics.median(warm_times)
    print(f"direct (no Prefect)          {direct.seconds:8.1f} s")
    print(f"ephemeral server start       {server_s:8.1f} s   (excluded below)")
    print(f"flow, cold                   {cold.seconds:8.1f} s")
    runs = ", ".join(f"{t:.2f}" for t in warm_times)
    print(f"flow, warm re-run            {warm_s:8.2f} s   median of {runs} s (unchanged: {warm_unchanged})")

    print("sandbox builds:")
    print(builds_line("direct", direct.builds.sandbox, len(direct.published)))
    print(builds_line("flow, cold", cold.builds.sandbox, accepted))
    print("in-process builds of trusted offline scripts (planner, reviewer; no sandbox):")
    print(builds_line("direct", direct.builds.in_process, len(direct.published)))
    print(builds_line("flow, cold", cold.builds.in_process, accepted))
    print(
        f"builds in {len(warm_times)} warm re-runs: {warm_builds.sandbox.total} sandbox, "
        f"{warm_builds.in_process.total} in-process"
    )

    rate = cold.per_minute
    print(
        f"throughput  flow cold    = {rate:.1f} accepted/min  (target >= {TARGET_PER_MIN:g}/min)  "
        f"{verdict(rate >= TARGET_PER_MIN, 'BELOW')}   direct: {direct.per_minute:.1f}/min"
    )
    if baseline_per_min:
        speedup = rate / baseline_per_min
        print(
            f"speed-up    vs baseline  = {speedup:.2f}x  ({rate:.1f} / {baseline_per_min:g} accepted/min; "
            f"target >= {SPEEDUP_TARGET:g}x)  {verdict(speedup >= SPEEDUP_TARGET, 'BELOW')}"
        )
    else:
        print(f"speed-up    vs baseline  = not measured (give --baseline-per-min {rate:.1f} to a later run)")
    most = cold.builds.sandbox.most_of_one_variant
    print(
        f"builds      one variant  = at most {most} in the cold flow  (budget <= {MAX_BUILDS_PER_VARIANT})  "
        f"{verdict(most <= MAX_BUILDS_PER_VARIANT)}"
    )
    cores = os.cpu_count() or 1
    per_benchmark = direct_cpu_s / max(len(direct.published), 1)
    print(
        f"cpu         direct       = {per_benchmark:.1f} CPU-s per accepted benchmark (all processes): at most "
        f"{60 * cores / per_benchmark:.1f} accepted/min on {cores} cores with no waiting at all"
    )
    overhead, warm_ratio = cold.seconds / direct.seconds, warm_s / cold.seconds
    print(
        f"overhead    flow/direct  = {overhead:.2f}x  (budget <= {OVERHEAD_BUDGET}x)  "
        f"{verdict(overhead <= OVERHEAD_BUDGET)}"
    )
    print(
        f"warm        warm/cold    = {warm_ratio:.1%}  (budget <= {WARM_BUDGET:.0%})  "
        f"{verdict(warm_ratio <= WARM_BUDGET)}"
    )


def cpu_seconds() -> float:
    """CPU time of this process and of every descendant it has reaped (sandbox workers once closed)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@flow(name="bench-server-start")
def start_server() -> None:
    """Does nothing: running it starts the ephemeral Prefect server, which later flows reuse."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--themes", type=int, default=len(THEMES), help=f"number of themes, at most {len(THEMES)}"
    )
    parser.add_argument("--seeds-per-theme", type=int, default=SEEDS_PER_THEME)
    parser.add_argument("--warm-runs", type=int, default=3, help="warm re-runs; the median is compared")
    parser.add_argument(
        "--baseline-per-min",
        type=float,
        default=None,
        help="accepted benchmarks per minute measured before a change; the cold flow is compared to it",
    )
    args = parser.parse_args()
    themes = THEMES[: args.themes]
    params = pipeline.BuildParameters(
        themes=themes, seeds_per_theme=args.seeds_per_theme, dataset_version=DATASET_VERSION
    )
    root = Path(tempfile.mkdtemp(prefix="benchgen-bench-flow-"))
    os.environ["PREFECT_HOME"] = str(root / "prefect")
    spy = BuildSpy()
    spy.install()

    use_data_dir(root / "direct")
    direct_builds = spy.start_run()
    cpu_before = cpu_seconds()
    direct_s, direct = timed(pipeline.build_dataset_directly, params, get_settings(), root / "direct-docs")
    close_idle_runners()  # reaps the warm sandbox workers, so their CPU time counts too
    direct_cpu_s = cpu_seconds() - cpu_before

    use_data_dir(root / "flow")
    # Only what the workload sets: the variant grid and the rest are the flow's defaults, the main job's.
    flow_kwargs = {
        "themes": themes,
        "seeds_per_theme": args.seeds_per_theme,
        "dataset_version": DATASET_VERSION,
    }
    with temporary_settings(updates=local_run_settings()):  # as the main job runs the flow
        server_s, _ = timed(start_server)
        cold_builds = spy.start_run()
        cold_s, cold = timed(build_dataset, **flow_kwargs)
        warm = []
        warm_builds = spy.start_run()
        for _ in range(args.warm_runs):
            time.sleep(RERUN_PAUSE_S)
            warm.append(timed(build_dataset, **flow_kwargs))
        # The temporary server records the last run's events after it; stopped mid-way (at exit) it logs
        # the events it drops as errors, under the report.
        time.sleep(RERUN_PAUSE_S)

    print_report(
        params,
        MeasuredBuild(direct_s, direct_builds, published_benchmarks(direct.dataset_url)),
        server_s,
        MeasuredBuild(cold_s, cold_builds, published_benchmarks(cold.dataset_url)),
        [seconds for seconds, _ in warm],
        all(summary.unchanged for _, summary in warm),
        warm_builds,
        args.baseline_per_min,
        direct_cpu_s,
    )


if __name__ == "__main__":
    main()
