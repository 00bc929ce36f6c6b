"""Orchestration overhead of the `build-dataset` flow, and warm re-run vs cold run, as ratios.

In one process: (1) the whole build through `benchgen.pipeline.build_dataset_directly` (no Prefect),
(2) a trivial flow that starts the ephemeral Prefect server (reported separately, excluded),
(3) the same build through the flow, cold (empty store and database), (4) the flow again, warm, a few
times, the median counting. Re-runs start RERUN_PAUSE_S after the previous run ends, as re-runs do in
use (a nightly, a user running the main job again): a run started the instant the previous one ends
meets the temporary server's SQLite still recording that run's events, gets a 503 and waits out
Prefect's client retry (about 2 s).
Each build has its own data folder so nothing is shared but the warm run's own caches. Budgets from
issue 7: flow cold <= 1.3x direct; warm <= 5% of cold. Wall times: every step runs sandboxes and
MuJoCo in other processes, so CPU time of this process would miss most of the work. The flows run
with the Prefect settings of the main job (`flows.build_dataset.local_run_settings`).

    .venv/bin/python bench/bench_flow.py [--themes 2] [--seeds-per-theme 1] [--warm-runs 3]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # flows/ and tasks/ live at the repo root

from prefect import flow
from prefect.settings import temporary_settings

from benchgen import pipeline
from benchgen.settings import get_settings
from flows.build_dataset import build_dataset, local_run_settings

THEMES = ["ball must cross a gap", "puck up a ramp", "ball into a lower bin", "cylinder under a low bar"]
VARIANT_SEEDS = [0, 1]
OVERHEAD_BUDGET = 1.3  # flow cold / direct
WARM_BUDGET = 0.05  # flow warm / flow cold
RERUN_PAUSE_S = 5.0  # s between the end of a run and the start of its re-run; not timed


@flow(name="bench-server-start")
def start_server() -> None:
    """Does nothing: running it starts the ephemeral Prefect server, which later flows reuse."""


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def use_data_dir(path: Path) -> None:
    """Point benchgen's settings at a fresh data folder (SQLite database and local store inside)."""
    os.environ["BENCHGEN_DATA_DIR"] = str(path)
    for name in ("BENCHGEN_DATABASE_URL", "BENCHGEN_STORE_URL"):
        os.environ.pop(name, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--themes", type=int, default=2, help=f"number of themes, at most {len(THEMES)}")
    parser.add_argument("--seeds-per-theme", type=int, default=1)
    parser.add_argument("--warm-runs", type=int, default=3, help="warm re-runs; the median is compared")
    args = parser.parse_args()
    themes = THEMES[: args.themes]
    n = len(themes) * args.seeds_per_theme
    params = pipeline.BuildParameters(
        themes=themes,
        seeds_per_theme=args.seeds_per_theme,
        variant_seeds=VARIANT_SEEDS,
        dataset_version="bench",
    )
    root = Path(tempfile.mkdtemp(prefix="benchgen-bench-flow-"))
    os.environ["PREFECT_HOME"] = str(root / "prefect")

    use_data_dir(root / "direct")
    direct_s, _ = timed(pipeline.build_dataset_directly, params, get_settings(), root / "direct-docs")

    use_data_dir(root / "flow")
    flow_kwargs = {
        "themes": themes,
        "seeds_per_theme": args.seeds_per_theme,
        "variant_seeds": VARIANT_SEEDS,
        "dataset_version": "bench",
    }
    with temporary_settings(updates=local_run_settings()):  # as the main job runs the flow
        server_s, _ = timed(start_server)
        cold_s, _ = timed(build_dataset, **flow_kwargs)
        warm = []
        for _ in range(args.warm_runs):
            time.sleep(RERUN_PAUSE_S)
            warm.append(timed(build_dataset, **flow_kwargs))
    warm_times = [seconds for seconds, _ in warm]
    warm_s = statistics.median(warm_times)

    print(
        f"benchmarks built: {n} ({len(themes)} themes x {args.seeds_per_theme} seeds, variants {VARIANT_SEEDS})"
    )
    print(f"direct (no Prefect)          {direct_s:8.1f} s")
    print(f"ephemeral server start       {server_s:8.1f} s   (excluded below)")
    print(f"flow, cold                   {cold_s:8.1f} s")
    print(
        f"flow, warm re-run            {warm_s:8.2f} s   median of {', '.join(f'{t:.2f}' for t in warm_times)} s "
        f"(unchanged: {all(summary.unchanged for _, summary in warm)})"
    )
    overhead, warm_ratio = cold_s / direct_s, warm_s / cold_s
    print(
        f"overhead  flow/direct  = {overhead:.2f}x  (budget <= {OVERHEAD_BUDGET}x)  "
        f"{'OK' if overhead <= OVERHEAD_BUDGET else 'OVER'}"
    )
    print(
        f"warm      warm/cold    = {warm_ratio:.1%}  (budget <= {WARM_BUDGET:.0%})  "
        f"{'OK' if warm_ratio <= WARM_BUDGET else 'OVER'}"
    )


if __name__ == "__main__":
    main()
