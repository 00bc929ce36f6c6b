"""Prefect plumbing of the build: result storage blocks, concurrency limits, the task runner, and the
temporary server of a build started without one (its settings, its guard, waiting for its records)."""

import atexit
import contextlib
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID

from prefect.blocks.core import Block
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.events.worker import EventsWorker
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.filesystems import LocalFileSystem, WritableFileSystem
from prefect.settings import PREFECT_API_URL
from prefect.settings import PREFECT_SERVER_ANALYTICS_ENABLED as ANALYTICS
from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as EPHEMERAL_STARTUP

from benchgen.settings import Settings
from tasks.policies import DEFAULT_LLM_SLOTS, DEFAULT_SANDBOX_SLOTS, LLM_CALLS_LIMIT, SANDBOX_WORKERS_LIMIT

RESULTS_FOLDER = "_prefect/results"  # under the store root: persisted task results and cache records
RESULTS_BLOCK_PREFIX = "benchgen-results"  # result storage blocks are saved as <prefix>-<hash of store URL>
DASK_ADDRESS_ENV = "BENCHGEN_DASK_ADDRESS"  # scheduler address; when set, tasks run on that Dask cluster
EPHEMERAL_STARTUP_ENV = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
ANALYTICS_ENV = "PREFECT_SERVER_ANALYTICS_ENABLED"
HEARTBEAT_ENV = "PREFECT_FLOWS_HEARTBEAT_FREQUENCY"
HEARTBEAT = "flows.heartbeat_frequency"
EPHEMERAL_STARTUP_TIMEOUT_S = 120  # s; the temporary server needs more than Prefect's 20 s on a busy machine
RECORDS_TIMEOUT_S = 10.0  # s the temporary server gets to record a finished run's task runs
RECORDS_QUIET_S = 0.5  # s without change in those records after which recording is taken as done
RECORDS_POLL_S = 0.1  # s between two reads of them
SERVER_GUARD = Path(__file__).with_name("server_guard.py")  # stops the temporary server if this job dies


def result_storage_for(settings: Settings) -> WritableFileSystem:
    """Where task results (and so cache records) persist: a folder of the artifact store.

    Prefect needs the storage saved as a block; it is saved under a name derived from the store URL.
    """
    url = settings.resolved_store_url
    storage = _storage_block(url, settings)
    name = f"{RESULTS_BLOCK_PREFIX}-{hashlib.sha256(url.encode()).hexdigest()[:12]}"
    try:
        saved = type(storage).load(name)
    except ValueError:  # no such block yet
        saved = None
    if saved is not None and block_values(saved) == block_values(storage):
        return saved  # saving an unchanged block costs a few server round trips on every run
    storage.save(name, overwrite=True)
    return storage


def block_values(block: Block) -> object:
    """A block's field values, secrets included, without the ids Prefect adds to a saved block."""

    def without_ids(value: object) -> object:
        if isinstance(value, dict):
            return {k: without_ids(v) for k, v in value.items() if not k.startswith("_")}
        return value

    return without_ids(block.model_dump(mode="json", context={"include_secrets": True}))


def _storage_block(url: str, settings: Settings) -> WritableFileSystem:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalFileSystem(basepath=str(Path(parts.path) / RESULTS_FOLDER))
    from prefect_aws import S3Bucket

    from blocks.benchgen_settings import aws_credentials_from

    folder = f"{parts.path.strip('/')}/{RESULTS_FOLDER}".strip("/")
    return S3Bucket(
        bucket_name=parts.netloc, bucket_folder=folder, credentials=aws_credentials_from(settings)
    )


def ensure_concurrency_limits() -> None:
    """On a Prefect server, create the LLM and sandbox limits with default slots unless they exist.

    Not in ephemeral mode: its temporary server does not run the service that frees the slots of a
    killed run, so a re-run after a crash would wait forever. There, the thread pool's size bounds
    the parallel work instead.
    """
    if not PREFECT_API_URL.value():
        return
    with get_client(sync_client=True) as client:
        for name, slots in (
            (LLM_CALLS_LIMIT, DEFAULT_LLM_SLOTS),
            (SANDBOX_WORKERS_LIMIT, DEFAULT_SANDBOX_SLOTS),
        ):
            try:
                client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                # another run starting at the same time may create it between the read and the create
                with contextlib.suppress(ObjectAlreadyExists):
                    client.create_global_concurrency_limit(
                        GlobalConcurrencyLimitCreate(name=name, limit=slots)
                    )


def task_runner():
    """Threads by default; a Dask cluster when BENCHGEN_DASK_ADDRESS names its scheduler."""
    address = os.environ.get(DASK_ADDRESS_ENV)
    if not address:
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=DEFAULT_SANDBOX_SLOTS)
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(address=address)


def local_run_settings() -> dict:
    """Prefect settings for a build started from this process; a variable the user set wins.

    Without a Prefect server (no PREFECT_API_URL), Prefect starts a temporary one that lives and dies
    with this process: it gets longer to start, sends no telemetry (only SQLite lock noise), and the
    flow run sends no heartbeats, which only a server's crash detection reads (stopping the heartbeat
    thread costs up to a second per run).
    """
    updates: dict = {}
    if EPHEMERAL_STARTUP_ENV not in os.environ:
        updates[EPHEMERAL_STARTUP] = EPHEMERAL_STARTUP_TIMEOUT_S
    if PREFECT_API_URL.value():
        return updates
    if ANALYTICS_ENV not in os.environ:
        updates[ANALYTICS] = False
    if HEARTBEAT_ENV not in os.environ:
        updates[HEARTBEAT] = None
    return updates


def wait_until_recorded(flow_run_id: UUID) -> None:
    """Let Prefect's temporary server record a finished run's task runs before it stops with this process.

    It records them from events, after the run; stopped mid-way it logs the events it drops as errors,
    and a later `prefect server start` on the same database would show those task runs as running.
    Done when every task run it knows is final and nothing changed for RECORDS_QUIET_S.
    """
    EventsWorker.drain_all()  # every event of the run is on the server
    deadline = time.monotonic() + RECORDS_TIMEOUT_S
    runs_filter = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
    seen, quiet_since = None, time.monotonic()
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_task_runs(flow_run_filter=runs_filter)
            now = {(run.id, run.state_type) for run in runs}
            final = all(run.state is not None and run.state.is_final() for run in runs)
            if now != seen:
                seen, quiet_since = now, time.monotonic()
            elif final and time.monotonic() - quiet_since >= RECORDS_QUIET_S:
                return
            time.sleep(RECORDS_POLL_S)


def guard_temporary_server() -> None:
    """Start Prefect's temporary server now, with a guard process that stops it if this job dies.

    Prefect stops its temporary server at exit, which a SIGKILL skips: the server (about 300 MB) stayed
    running. The guard asks the kernel to signal it when this process dies (PR_SET_PDEATHSIG) and then
    stops the server. Prefect reuses the server started here (one per process).
    """
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()
    guard = subprocess.Popen(
        [sys.executable, str(SERVER_GUARD), str(os.getpid()), str(server.server_process.pid)],
        stdin=subprocess.DEVNULL,
    )
    atexit.register(guard.kill)  # registered after Prefect's own stop, so it runs before it
