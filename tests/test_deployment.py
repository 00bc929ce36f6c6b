"""Deployments: entrypoints import; on a real local Prefect server, `build-dataset/manual` runs through a
`--run-once` process worker into a local store, and `build-dataset/nightly` and `build-dataset/manual`
run side by side on two process workers of one pool into S3 with PostgreSQL, with settings only from
the registered BenchgenSettings block."""

import contextlib
import importlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from browser import PageLoad, wait_for_text
from conftest import free_port

from benchgen import db
from benchgen.dataset.publish import published_versions, verify_published
from benchgen.store import ArtifactStore

REPO = Path(__file__).resolve().parents[1]
SERVER_START_TIMEOUT_S = 120  # `prefect server start` on a busy machine (migrations, UI build check)
COMMAND_TIMEOUT_S = 180  # one prefect CLI command
WORKER_TIMEOUT_S = 900  # the worker runs one small build end to end


def deployments() -> list[dict]:
    return yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"]


@pytest.mark.parametrize("deployment", deployments(), ids=lambda d: d["name"])
def test_entrypoints_import_and_parameters_match_the_flow(deployment, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))
    path, name = deployment["entrypoint"].split(":")
    flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
    assert flow.name == "build-dataset"
    assert set(deployment.get("parameters", {})) <= set(flow.parameters.properties)
    themes_file = deployment.get("parameters", {}).get("themes_file")
    if themes_file:
        assert (REPO / themes_file).is_file()


def test_every_deployment_reads_the_registered_settings_block():
    assert {d["name"]: d["parameters"].get("settings_block") for d in deployments()} == {
        "nightly": "benchgen",
        "manual": "benchgen",
    }


def test_a_deployment_run_refuses_local_defaults_in_one_line(monkeypatch, tmp_path):
    """As on a worker: Prefect's runtime names the deployment; nothing says where to write."""
    monkeypatch.syspath_prepend(str(REPO))
    from benchgen.errors import UsageError
    from benchgen.settings import get_settings
    from flows.parameters import refuse_local_defaults

    for name in [k for k in os.environ if k.startswith("BENCHGEN_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    refuse_local_defaults(get_settings(), None)  # a build started by hand uses this machine's defaults
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", "8f0e4c9a-0000-4000-8000-000000000000")
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__NAME", "manual")
    monkeypatch.setenv("PREFECT__RUNTIME__FLOW_RUN__FLOW_NAME", "build-dataset")
    with pytest.raises(UsageError) as refused:
        refuse_local_defaults(get_settings(), None)
    message = str(refused.value)
    assert message.startswith("deployment build-dataset/manual would write to this worker's local defaults")
    assert f"store_url={(tmp_path / 'data' / 'store').as_uri()}" in message
    assert "database_url=sqlite" in message
    assert "settings_block=benchgen" in message and "\n" not in message
    explicit = get_settings(store_url="s3://bucket/datasets", database_url="postgresql+psycopg://u@h/db")
    refuse_local_defaults(explicit, "benchgen")


def test_nightly_is_scheduled_on_the_process_pool():
    nightly = next(d for d in deployments() if d["name"] == "nightly")
    assert nightly["schedules"][0]["cron"] == "0 2 * * *"
    assert nightly["work_pool"]["name"] == "benchgen-process"


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    """`prefect server start` with its UI on a loopback port, with its own PREFECT_HOME: one for the module
    (starting one costs a few seconds; each test makes its own flow runs and reads them by id)."""
    tmp_path = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCHGEN_", "PREFECT_"))}
    env |= {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "true",
        # the UI's pages call this API; unset, it would be the default port 4200, not the server's port
        "PREFECT_UI_API_URL": api,
        # the server copies its UI bundles here rather than into the installed prefect package
        "PREFECT_UI_STATIC_DIRECTORY": str(tmp_path / "prefect-ui"),
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",  # the nightly schedule must not race the manual run
        "PWD": str(REPO),
        "MUJOCO_GL": "egl",
    }
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(
                    f"prefect server did not answer on {api}: {(tmp_path / 'server.log').read_text()[-2000:]}"
                )
            time.sleep(1)
    try:
        yield env | {"PREFECT_API_URL": api}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def prefect(env: dict[str, str], *args: str, timeout: float = COMMAND_TIMEOUT_S) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"prefect {' '.join(args)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def deployed(prefect_server) -> dict[str, str]:
    """The server with the process pool and every deployment of prefect.yaml, as docs/pipeline.md sets them
    up (`prefect work-pool create`, `prefect deploy --all`): once for the module, as on a real server."""
    prefect(prefect_server, "work-pool", "create", "benchgen-process", "--type", "process")
    prefect(prefect_server, "--no-prompt", "deploy", "--all")
    return prefect_server


def register_blocks(env: dict[str, str]) -> str:
    """`python -m blocks.register` with the settings in `env`; what it printed."""
    registered = subprocess.run(
        [sys.executable, "-m", "blocks.register"],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )
    assert registered.returncode == 0, registered.stderr[-3000:]
    return registered.stdout


def run_deployment(env: dict[str, str], deployment: str, parameters: dict) -> str:
    """Create a flow run of `deployment` with parameter overrides; its id."""
    params = [arg for key, value in parameters.items() for arg in ("--param", f"{key}={json.dumps(value)}")]
    started = prefect(env, "deployment", "run", deployment, *params)
    return re.search(r"UUID: ([0-9a-f-]{36})", started).group(1)


@pytest.mark.slow
@pytest.mark.timeout(SERVER_START_TIMEOUT_S + WORKER_TIMEOUT_S)
def test_manual_deployment_runs_on_a_process_worker(deployed, tmp_path):
    # Only `python -m blocks.register` sees a BENCHGEN_* variable: the worker has none, so the runs
    # get their settings from the block the deployment names, or refuse to fall back to local defaults.
    assert "saved block benchgen-settings/benchgen" in register_blocks(
        deployed | {"BENCHGEN_DATA_DIR": str(tmp_path / "data")}
    )
    env = deployed
    parameters = {  # one variant: the test is about where the run gets its settings, not the grid
        "themes": ["ball must cross a gap"],
        "variant_seeds": [0],
        "dataset_version": "deployed",
        "min_difficulty_stdev": 0,
    }
    flow_run_id = run_deployment(env, "build-dataset/manual", parameters)
    refused_id = run_deployment(env, "build-dataset/manual", parameters | {"settings_block": None})

    prefect(env, "worker", "start", "--pool", "benchgen-process", "--run-once", timeout=WORKER_TIMEOUT_S)

    api = env["PREFECT_API_URL"]
    flow_run = api_call(api, f"/flow_runs/{flow_run_id}")
    assert flow_run["state"]["type"] == "COMPLETED", flow_run["state"]
    refused = api_call(api, f"/flow_runs/{refused_id}")["state"]
    assert refused["type"] == "FAILED", refused
    assert "deployment build-dataset/manual would write to this worker's local defaults" in refused["message"]
    assert "allow_local_defaults=true" in refused["message"] and "\n" not in refused["message"].strip()
    store = ArtifactStore.from_url((tmp_path / "data" / "store").as_uri())
    assert published_versions(store, "benchgen-manual") == ["deployed"]
    assert verify_published(store, "benchgen-manual", "deployed") == []


# --- scale-out: two process workers, S3 store, PostgreSQL ---------------------------------------------

RUNS_TIMEOUT_S = 600  # both small builds, in parallel on a busy two-core machine
WORKERS_READY_TIMEOUT_S = 120  # two workers importing Prefect and sending their first heartbeat
WORKER_QUERY_S = 2  # s between a worker's polls for scheduled runs (Prefect's default is 10)
WORKER_STOP_GRACE_S = 20  # s a worker gets after each SIGINT before the next signal
POLL_INTERVAL_S = 2  # s between reads of the workers' and flow runs' states
LOG_TAIL_CHARS = 3000  # characters of each worker log shown when the runs do not finish
TERMINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
NIGHTLY_THEME = "puck up a ramp"
MANUAL_THEME = "ball must cross a gap"
NIGHTLY_VERSION = "nightly-scale-out"
MANUAL_VERSION = "manual-scale-out"
UI_TIMEOUT_S = 60  # s the Prefect UI gets to fetch a run's task runs or artifacts and show them
PAGE_TAIL_CHARS = 2000  # characters of a page's text shown when it does not show what it must
RESOURCE_LOAD_ERROR = "Failed to load resource"  # console line of a failed request (listed in `failed`)


@dataclass
class Worker:
    name: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_worker(env: dict[str, str], name: str, log_dir: Path) -> Worker:
    log_path = log_dir / f"{name}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", "benchgen-process"]
            + ["--limit", "1", "--name", name],
            cwd=REPO,
            env=env | {"PREFECT_WORKER_QUERY_SECONDS": str(WORKER_QUERY_S)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Worker(name=name, process=process, log_path=log_path)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (flow runs start in sessions of their own, outside the worker's group)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process exited while we listed /proc
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def stop_worker(worker: Worker) -> None:
    """SIGINT twice (a process worker waits for its runs after the first), then kill what is left."""
    leftovers = descendants(worker.process.pid)
    for _ in range(2):
        if worker.process.poll() is not None:
            break
        os.killpg(worker.process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.process.wait(timeout=WORKER_STOP_GRACE_S)
    for pid in [worker.process.pid, *leftovers]:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    worker.process.wait()


def ran_on(worker: Worker, flow_run: dict) -> bool:
    """Whether `worker` took the flow run and started its process (a worker that loses the race for a
    run logs 'submitting' too, then 'Aborted submission' instead of 'submitted to infrastructure')."""
    log = worker.log()
    return (
        f"Worker '{worker.name}' submitting flow run '{flow_run['id']}'" in log
        and f"Flow run '{flow_run['name']}' submitted to infrastructure" in log
    )


def worker_tails(workers: list[Worker]) -> str:
    return "\n".join(f"--- {w.name} ---\n{w.log()[-LOG_TAIL_CHARS:]}" for w in workers)


def api_call(api: str, path: str, body: dict | None = None):
    """GET, or POST a JSON body to, the Prefect REST API; the decoded JSON answer."""
    request = urllib.request.Request(
        f"{api}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def wait_for_workers(api: str, workers: list[Worker]) -> None:
    """Until the server has a heartbeat from every worker, so no worker can take both runs alone."""
    names = {w.name for w in workers}
    deadline = time.monotonic() + WORKERS_READY_TIMEOUT_S
    while {w["name"] for w in api_call(api, "/work_pools/benchgen-process/workers/filter", {})} < names:
        if time.monotonic() > deadline or any(w.process.poll() is not None for w in workers):
            pytest.fail(f"workers {sorted(names)} did not come up:\n{worker_tails(workers)}")
        time.sleep(POLL_INTERVAL_S)


def wait_until_terminal(api: str, flow_run_ids: list[str], workers: list[Worker]) -> dict[str, dict]:
    deadline = time.monotonic() + RUNS_TIMEOUT_S
    while True:
        runs = {run_id: api_call(api, f"/flow_runs/{run_id}") for run_id in flow_run_ids}
        if all(run["state"]["type"] in TERMINAL_STATES for run in runs.values()):
            return runs
        if time.monotonic() > deadline:
            states = {run["name"]: run["state"]["type"] for run in runs.values()}
            pytest.fail(f"flow runs not finished after {RUNS_TIMEOUT_S} s: {states}\n{worker_tails(workers)}")
        time.sleep(POLL_INTERVAL_S)


def flow_run_page(api: str, flow_run_id: str, tab: str) -> str:
    """URL of a flow run's tab in the UI the server shows by default, once sure the UI calls this API."""
    server = api.removesuffix("/api")
    with urllib.request.urlopen(f"{server}/ui-settings", timeout=10) as response:
        ui = json.load(response)
    assert ui["api_url"] == api, f"the Prefect UI would call {ui['api_url']}, not this server's {api}"
    assert ui["default_ui"] == "v2", f"expected Prefect's V2 UI by default (its tab names are used): {ui}"
    return f"{server}{ui['v2_base_url']}/runs/flow-run/{flow_run_id}?tab={tab}"


def assert_ui_shows(chromium: str, api: str, url: str, expected: list[str]) -> PageLoad:
    """The page at `url` shows every string of `expected`, and none of its API calls failed or threw."""
    page = wait_for_text(chromium, url, expected, UI_TIMEOUT_S)
    missing = [text for text in expected if text not in page.text]
    assert missing == [], (
        f"the Prefect UI at {url} did not show {missing} within {UI_TIMEOUT_S} s; its text ends with:\n"
        f"{page.text[-PAGE_TAIL_CHARS:]}"
    )
    failed_api_calls = [failure for failure in page.failed if f"{api}/" in failure]
    assert failed_api_calls == [], f"the Prefect UI at {url}: API calls failed: {failed_api_calls}"
    errors = [error for error in page.errors if not error.startswith(RESOURCE_LOAD_ERROR)]
    assert errors == [], f"the Prefect UI at {url} logged errors or threw: {errors}"
    return page


LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")  # a markdown link: [text](target)
EXPECTED_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
    ".parquet": "application/vnd.apache.parquet",
    ".md": "text/markdown; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".py": "text/x-python; charset=utf-8",
}
TEXT_SUFFIXES = (".html", ".md", ".json", ".xml", ".py", ".css", ".js", ".txt")


def assert_links_open_in_a_browser(markdown: str, endpoint: str) -> None:
    """Every link of an artifact is a presigned HTTP link to the S3 endpoint that answers 200."""
    links = dict(LINK.findall(markdown))
    assert {"dataset card", "Great Expectations Data Docs", "gallery"} <= set(links), markdown
    for text, target in links.items():
        assert target.startswith(f"{endpoint}/") and "Signature=" in target, (text, target)  # v2 or v4
        with urllib.request.urlopen(target, timeout=30) as response:
            assert response.status == 200, (text, target)


def assert_published_files_are_typed_and_clean(store, names: list[str], database_url: str, paths: list[str]):
    """Published objects carry content types and never name the database, its host or a worker's folder."""
    from sqlalchemy.engine import make_url

    database = make_url(database_url)
    secrets = [database_url, f"{database.host}:{database.port}", "postgresql", *paths]
    checked = 0
    for name in names:
        for key in store.list(name):
            suffix = Path(key).suffix
            info = store.fs.info(store._path(key))
            if suffix in EXPECTED_CONTENT_TYPES:
                assert info["ContentType"] == EXPECTED_CONTENT_TYPES[suffix], (key, info["ContentType"])
            if suffix in TEXT_SUFFIXES:
                text = store.get_bytes(key).decode(errors="replace")
                assert [s for s in secrets if s in text] == [], key
                checked += 1
    assert checked > 20


@pytest.mark.slow
@pytest.mark.timeout(RUNS_TIMEOUT_S + 300)
def test_nightly_and_manual_run_on_two_workers_into_s3_and_postgres(
    deployed, tmp_path, s3_endpoint, fresh_postgres_url, chromium
):
    store_url = f"s3://{s3_endpoint.create_bucket()}/datasets"
    data_dir = tmp_path / "data"
    db.upgrade(fresh_postgres_url)
    # Only `python -m blocks.register` sees BENCHGEN_* settings: the workers, and so the flow runs, get
    # the store, its credentials and the database from the `benchgen` block alone.
    registered = register_blocks(
        deployed
        | s3_endpoint.env()
        | {
            "BENCHGEN_DATA_DIR": str(data_dir),
            "BENCHGEN_STORE_URL": store_url,
            "BENCHGEN_DATABASE_URL": fresh_postgres_url,
        }
    )
    for slug in ("aws-credentials/benchgen-aws", "s3-bucket/benchgen-store", "benchgen-settings/benchgen"):
        assert f"saved block {slug}" in registered, registered

    env = deployed
    api = env["PREFECT_API_URL"]
    nightly = api_call(api, "/deployments/name/build-dataset/nightly")
    assert [(s["schedule"]["cron"], s["active"]) for s in nightly["schedules"]] == [("0 2 * * *", True)]
    assert nightly["work_pool_name"] == "benchgen-process"
    themes_file = tmp_path / "nightly-themes.txt"
    themes_file.write_text(f"# one theme keeps the test short\n{NIGHTLY_THEME}\n")
    small = {"seeds_per_theme": 1, "variant_seeds": [0], "scales": [1.0], "min_difficulty_stdev": 0}

    workers = []
    try:
        workers = [start_worker(env, name, tmp_path) for name in ("worker-a", "worker-b")]
        wait_for_workers(api, workers)
        nightly_id = run_deployment(
            env,
            "build-dataset/nightly",
            small | {"themes_file": str(themes_file), "dataset_version": NIGHTLY_VERSION},
        )
        manual_id = run_deployment(
            env, "build-dataset/manual", small | {"themes": [MANUAL_THEME], "dataset_version": MANUAL_VERSION}
        )
        runs = wait_until_terminal(api, [nightly_id, manual_id], workers)
    finally:
        for worker in workers:
            stop_worker(worker)

    for run in runs.values():
        assert run["state"]["type"] == "COMPLETED", (run["name"], run["state"], worker_tails(workers))
    # each worker (limit 1) ran exactly one of the two runs
    ran = {w.name: sorted(run["name"] for run in runs.values() if ran_on(w, run)) for w in workers}
    assert sorted(len(names) for names in ran.values()) == [1, 1], ran
    assert {name for names in ran.values() for name in names} == {run["name"] for run in runs.values()}, ran

    # the datasets are on S3 and the rows in PostgreSQL; nothing fell back to the local defaults
    store = s3_endpoint.store(store_url)
    engine = db.get_engine(fresh_postgres_url)
    try:
        for name, version, theme in (
            ("benchgen-nightly", NIGHTLY_VERSION, NIGHTLY_THEME),
            ("benchgen-manual", MANUAL_VERSION, MANUAL_THEME),
        ):
            assert published_versions(store, name) == [version]
            assert verify_published(store, name, version) == []
            assets = db.list_assets(engine, dataset_version=f"{name}/{version}", limit=None)
            assert [a.theme for a in assets] == [theme]
    finally:
        engine.dispose()
    assert not (data_dir / "store").exists()
    assert not (data_dir / "benchgen.db").exists()

    # the API shows the nightly's task runs, named by what they work on, and its artifacts
    task_runs = api_call(api, "/task_runs/filter", {"flow_runs": {"id": {"any_": [nightly_id]}}})
    unit = f"theme={NIGHTLY_THEME}, seed=0"
    dataset = f"benchgen-nightly/{NIGHTLY_VERSION}"
    expected = [f"{step}[{unit}]" for step in ("generate", "validate", "render", "persist")] + [
        f"{step}[{dataset}]" for step in ("check", "publish", "gallery")
    ]
    assert {t["name"]: t["state"]["type"] for t in task_runs} == dict.fromkeys(expected, "COMPLETED")
    artifacts = api_call(api, "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [nightly_id]}}})
    by_key = {a["key"]: a for a in artifacts}
    assert {key: a["type"] for key, a in by_key.items()} == {
        "accepted-per-theme": "table",
        "dataset-summary": "markdown",
    }
    table = json.loads(by_key["accepted-per-theme"]["data"])
    assert [(row["theme"], row["accepted"]) for row in table] == [(NIGHTLY_THEME, 1)]
    summary = by_key["dataset-summary"]["data"]
    assert f"`{store.url_for(dataset)}`" in summary
    assert_links_open_in_a_browser(summary, s3_endpoint.url)
    assert_published_files_are_typed_and_clean(
        store,
        ["benchgen-nightly", "benchgen-manual"],
        fresh_postgres_url,
        [str(tmp_path), str(Path(env["PREFECT_HOME"]).parent), str(REPO)],  # the server's folder too
    )

    # the Prefect UI shows the nightly run, its task runs and its artifacts (its pages fetch them from the API)
    name = runs[nightly_id]["name"]
    assert_ui_shows(chromium, api, flow_run_page(api, nightly_id, "TaskRuns"), [name, *expected])
    assert_ui_shows(chromium, api, flow_run_page(api, nightly_id, "Artifacts"), [name, *by_key])


# --- automations: notify on a failed, crashed or stuck nightly -----------------------------------------

STUCK_AFTER_HOURS = 0.005  # 18 s: above Prefect's 10 s minimum for a proactive trigger, short for a test
NOTIFY_TIMEOUT_S = 120  # s for the server's trigger and action services to send a notification


class Webhook:
    """An HTTP endpoint on loopback that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/notify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, text: str) -> dict:
        deadline = time.monotonic() + NOTIFY_TIMEOUT_S
        while time.monotonic() < deadline:
            found = [body for body in self.received if text in body["subject"]]
            if found:
                return found[0]
            time.sleep(POLL_INTERVAL_S)
        pytest.fail(f"no notification with {text!r} within {NOTIFY_TIMEOUT_S} s; received {self.received}")


def set_state(api: str, flow_run_id: str, state_type: str, message: str = "") -> None:
    body = {"state": {"type": state_type, "message": message}, "force": True}
    api_call(api, f"/flow_runs/{flow_run_id}/set_state", body)


@pytest.mark.slow
@pytest.mark.timeout(SERVER_START_TIMEOUT_S + 4 * COMMAND_TIMEOUT_S + 2 * NOTIFY_TIMEOUT_S)
def test_automations_notify_on_a_failed_or_stuck_nightly(deployed):
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.settings import PREFECT_API_URL, temporary_settings

    env, api = deployed, deployed["PREFECT_API_URL"]
    webhook = Webhook()
    with temporary_settings(updates={PREFECT_API_URL: api}):
        CustomWebhookNotificationBlock(
            name="benchgen-test", url=webhook.url, json_data={"subject": "{{subject}}", "body": "{{body}}"}
        ).save("benchgen-alerts")
    slug = f"{CustomWebhookNotificationBlock.get_block_type_slug()}/benchgen-alerts"
    created = subprocess.run(
        [sys.executable, "-m", "flows.automations", "--notify-block", slug]
        + ["--stuck-after-hours", str(STUCK_AFTER_HOURS)],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )
    assert created.returncode == 0, created.stderr[-3000:]
    assert "created automation benchgen-nightly-failed" in created.stdout
    assert "created automation benchgen-nightly-stuck" in created.stdout

    # No worker runs them: the server records the states a worker would report.
    failed_id = run_deployment(env, "build-dataset/nightly", {})
    stuck_id = run_deployment(env, "build-dataset/nightly", {})
    manual_id = run_deployment(env, "build-dataset/manual", {})
    for run_id in (failed_id, stuck_id, manual_id):
        set_state(api, run_id, "RUNNING")
    set_state(api, failed_id, "FAILED", "gate failed: 2 expectations")
    set_state(api, manual_id, "FAILED", "not the nightly")

    failed = webhook.wait_for("Failed")
    assert api_call(api, f"/flow_runs/{failed_id}")["name"] in failed["subject"]
    assert "gate failed: 2 expectations" in failed["body"]
    stuck = webhook.wait_for("still running")
    assert api_call(api, f"/flow_runs/{stuck_id}")["name"] in stuck["subject"]
    manual_name = api_call(api, f"/flow_runs/{manual_id}")["name"]
    assert all(manual_name not in body["subject"] for body in webhook.received)  # only the nightly is watched
    webhook.server.shutdown()

    rerun = subprocess.run(
        [sys.executable, "-m", "flows.automations", "--notify-block", "custom-webhook/missing"],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )
    assert rerun.returncode == 2 and rerun.stderr.count("\n") == 1, rerun.stderr
    assert "no notification block 'custom-webhook/missing'" in rerun.stderr
