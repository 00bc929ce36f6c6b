"""Scale-out with Dask: the unchanged `build-dataset` flow sends its tasks to a Dask cluster when
BENCHGEN_DASK_ADDRESS names the scheduler. The cluster is started as a user would on other machines:
`dask scheduler` and `dask worker` processes with this repository on PYTHONPATH."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from conftest import free_port
from distributed import Client
from integration_tests.scripted_openai import Answer, Role, ScriptedOpenAI, serving

from benchgen import db
from benchgen.dataset.publish import published_versions, verify_published
from benchgen.models import GenerationSession, SessionStatus
from benchgen.settings import get_settings
from benchgen.store import ArtifactStore

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
THEMES = ["ball must cross a gap", "puck up a ramp"]
DASK_WORKERS = 2  # worker processes, one thread each (one sandboxed build at a time per process)
CLUSTER_START_TIMEOUT_S = 120  # scheduler and workers import the stack on a busy machine
FLOW_TIMEOUT_S = 900  # a build of two benchmarks on a busy two-core machine
STOP_TIMEOUT_S = 30
NO_RESCHEDULING_ENV = "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"  # 0: a task whose worker died errs
PLANNER_HANG_S = 120  # s the stub holds the Planner's reply: the worker is killed long before
POLL_S = 0.2  # s between two looks at what the stub received


@pytest.fixture
def dask_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCHGEN_", "PREFECT_"))}
    return env | {
        "PYTHONPATH": str(REPO),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "BENCHGEN_DATA_DIR": str(tmp_path / "data"),
    }


def start(command: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen) -> None:
    """Stop the process and everything left in its process group: a worker process the test SIGKILLed
    leaves the temporary Prefect server it had started orphaned, still in the group, still using CPU."""
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # start_new_session: the group's id is the process's pid


@pytest.fixture
def cluster_config() -> dict[str, str]:
    """DASK_* variables of the cluster's processes; a test parametrizes it to change Dask's defaults."""
    return {}


@pytest.fixture
def dask_cluster(dask_env: dict[str, str], cluster_config: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """A scheduler and DASK_WORKERS worker processes on loopback; yields the scheduler address.

    The processes start in their own folder without BENCHGEN_* variables, as on another machine:
    what the tasks need must reach them as task inputs."""
    dask = str(Path(sys.executable).parent / "dask")
    cluster_env = {k: v for k, v in dask_env.items() if not k.startswith("BENCHGEN_")} | cluster_config
    cluster_cwd = tmp_path / "dask-cwd"
    cluster_cwd.mkdir()
    address = f"tcp://127.0.0.1:{free_port()}"
    port = address.rsplit(":", 1)[1]
    scheduler = start(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
        cluster_env,
        tmp_path / "scheduler.log",
        cluster_cwd,
    )
    workers = start(
        [dask, "worker", address, "--nworkers", str(DASK_WORKERS), "--nthreads", "1", "--no-dashboard"],
        cluster_env,
        tmp_path / "workers.log",
        cluster_cwd,
    )
    try:
        with Client(address, timeout=CLUSTER_START_TIMEOUT_S) as client:
            client.wait_for_workers(DASK_WORKERS, timeout=CLUSTER_START_TIMEOUT_S)
        yield address
    finally:
        stop(workers)
        stop(scheduler)


def test_flow_runs_its_tasks_on_a_dask_cluster(dask_cluster, dask_env, tmp_path):
    themes = [arg for theme in THEMES for arg in ("--theme", theme)]
    command = [sys.executable, "-m", "flows.build_dataset", *themes, "--seeds-per-theme", "1"]
    command += ["--variant-seeds", "0", "--scales", "1.0", "--min-difficulty-stdev", "0", "--version", "dask"]
    result = subprocess.run(
        command,
        check=False,
        cwd=REPO,
        env=dask_env | {"BENCHGEN_DASK_ADDRESS": dask_cluster},
        capture_output=True,
        text=True,
        timeout=FLOW_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    flow_log = result.stdout + result.stderr
    assert f"Connecting to an existing Dask cluster at {dask_cluster}" in flow_log

    # The agent, validation and render task runs ran in the Dask worker processes, not in the flow's.
    workers_log = (tmp_path / "workers.log").read_text()
    for theme in THEMES:
        for step in ("generate", "validate", "render"):
            name = f"Task run '{step}[theme={theme}, seed=0]'"
            assert f"{name} - Finished in state Completed()" in workers_log, (name, workers_log[-3000:])
            assert name not in flow_log

    store = ArtifactStore.from_url((tmp_path / "data" / "store").as_uri())
    assert published_versions(store, "benchgen") == ["dask"]
    assert verify_published(store, "benchgen", "dask") == []
    assert "dataset benchgen dask: 2 benchmarks accepted, 0 rejected" in result.stdout
    assert list((tmp_path / "dask-cwd").iterdir()) == [], (
        "a Dask worker wrote where BENCHGEN_* defaults point"
    )


def kill_client_of(port: int) -> psutil.Process:
    """SIGKILL the process with an open connection to loopback `port` (the one waiting on a reply there)."""
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.AccessDenied, psutil.NoSuchProcess):
            if any(c.raddr and c.raddr.port == port for c in process.net_connections(kind="tcp")):
                process.send_signal(signal.SIGKILL)
                return process
    raise AssertionError(f"no process is connected to port {port}")


@dataclass
class KilledRun:
    returncode: int
    output: str
    sessions: list[GenerationSession]  # oldest first


def build_killing_the_planners_worker(dask_address: str, env: dict[str, str], data: Path) -> KilledRun:
    """A one-benchmark build on the cluster whose generate task's worker is SIGKILLed while the Planner
    waits for a (stub) model's reply, with the session in `planning`."""
    hang = Answer(delay_s=PLANNER_HANG_S)  # the worker waits on this reply when it is killed
    with serving(ScriptedOpenAI({Role.PLANNER: [hang]})) as stub:
        command = [sys.executable, "-m", "flows.build_dataset", "--theme", THEMES[0]]
        command += ["--seeds-per-theme", "1", "--variant-seeds", "0", "--min-difficulty-stdev", "0"]
        command += ["--model", "openai:stub", "--version", "died"]
        env = env | {
            "BENCHGEN_DASK_ADDRESS": dask_address,
            "BENCHGEN_LLM_BASE_URL": stub.url,
            "BENCHGEN_LLM_API_KEY": "sk-test",
        }
        with subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as flow:
            deadline = time.monotonic() + FLOW_TIMEOUT_S
            while not stub.of(Role.PLANNER):
                assert flow.poll() is None and time.monotonic() < deadline, "no session reached the Planner"
                time.sleep(POLL_S)
            killed = kill_client_of(stub.server_address[1])
            assert killed.pid != flow.pid  # a Dask worker's process, not the flow's
            output, _ = flow.communicate(timeout=FLOW_TIMEOUT_S)
    engine = db.get_engine(get_settings(data_dir=data))
    try:
        sessions = sorted(db.list_sessions(engine), key=lambda row: row.created_at)
    finally:
        engine.dispose()
    return KilledRun(flow.returncode, output, sessions)


@pytest.mark.parametrize("cluster_config", [{NO_RESCHEDULING_ENV: "0"}])
def test_a_generate_task_whose_worker_dies_mid_session_fails_the_run_and_its_session(
    dask_cluster, dask_env, tmp_path
):
    """Dask told not to run a dead worker's task again: the run fails with that cause, and the session
    left in `planning` is marked failed with it."""
    run = build_killing_the_planners_worker(dask_cluster, dask_env, tmp_path / "data")

    assert run.returncode == 2, run.output[-4000:]
    [error] = [line for line in run.output.splitlines() if line.startswith("error: ")]  # main's one line
    assert error.startswith(f"error: generate[theme={THEMES[0]}, seed=0] failed: the task's process died")
    [row] = run.sessions
    assert row.status is SessionStatus.FAILED, row.journal
    assert row.reason is not None and row.reason.startswith("the task's process died (its run was left ")
    assert row.journal[-1].stage == "fail"
