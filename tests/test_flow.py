"""End to end: the `build-dataset` flow with the offline backend, PostgreSQL metadata and a moto S3 store.

Every build runs the main job, `benchgen build`, in its own process (ephemeral Prefect), as a user would;
later tests reuse the first build's cached task results, which is what they check.
"""

import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from benchgen import db
from benchgen.dataset.publish import (
    NEXT_DIR,
    PREVIOUS_DIR,
    STAGING_DIR,
    is_published,
    published_versions,
    read_manifest,
    verify_published,
    version_prefix,
)
from benchgen.store import ArtifactStore

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
THEMES = ["ball must cross a gap", "puck up a ramp"]
ADDED_THEME = "ball into a lower bin"
DATASET = "nightly"
VARIANT_SEEDS = "0,1"
# A grid v1 was not built on, so validation misses its cache and really runs. The kill tests share it: only
# the first to run validates THEMES on it; the forced re-publish one still really builds ADDED_THEME on it.
NEW_VARIANT_SEEDS = "0,2"
FLOW_TIMEOUT_S = 900  # one build of two benchmarks on a busy two-core machine
EPHEMERAL_STARTUP_TIMEOUT_S = 180  # the temporary Prefect server on a busy machine
KILL_AFTER_VALIDATION_STARTS_S = 3  # validating two variants takes far longer than this


@dataclass
class FlowRunner:
    env: dict[str, str]
    store: ArtifactStore
    database_url: str

    def command(self, version: str, *extra: str) -> list[str]:
        themes = [arg for theme in THEMES for arg in ("--theme", theme)]
        return [
            str(Path(sys.executable).parent / "benchgen"),
            "build",
            *themes,
            "--seeds-per-theme",
            "1",
            "--variant-seeds",
            VARIANT_SEEDS,
            "--name",
            DATASET,
            "--version",
            version,
            *extra,
        ]

    def run(self, version: str, *extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.command(version, *extra),
            check=False,
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=FLOW_TIMEOUT_S,
            start_new_session=True,
        )

    def start(self, version: str, *extra: str) -> subprocess.Popen:
        """The build in the background, its output (stdout and stderr) read line by line from stdout."""
        return subprocess.Popen(
            self.command(version, *extra),
            cwd=REPO,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def assets(self, version: str) -> list:
        engine = db.get_engine(self.database_url)
        try:
            return db.list_assets(engine, dataset_version=f"{DATASET}/{version}", limit=None)
        finally:
            engine.dispose()

    def session_count(self) -> int:
        engine = db.get_engine(self.database_url)
        try:
            return len(db.list_sessions(engine, limit=10_000))
        finally:
            engine.dispose()


def output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def last_run_task_states(prefect_home: Path) -> dict[str, str]:
    """Task run name -> state type of the newest flow run, as the temporary server recorded them."""
    with sqlite3.connect(prefect_home / "prefect.db") as prefect_db:
        rows = prefect_db.execute(
            "SELECT name, state_type FROM task_run WHERE flow_run_id ="
            " (SELECT id FROM flow_run ORDER BY created DESC LIMIT 1) ORDER BY name"
        ).fetchall()
    return dict(rows)


@pytest.fixture(scope="module")
def flow(tmp_path_factory, postgres_server, s3_endpoint) -> FlowRunner:
    tmp = tmp_path_factory.mktemp("flow")
    database_url = postgres_server.create_database()
    db.upgrade(database_url)
    store_url = f"s3://{s3_endpoint.create_bucket()}/benchgen"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCHGEN_", "PREFECT_"))}
    env |= s3_endpoint.env() | {
        "BENCHGEN_DATA_DIR": str(tmp / "data"),
        "BENCHGEN_DATABASE_URL": database_url,
        "BENCHGEN_STORE_URL": store_url,
        "PREFECT_HOME": str(tmp / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(EPHEMERAL_STARTUP_TIMEOUT_S),
        "MUJOCO_GL": "egl",
    }
    return FlowRunner(env=env, store=s3_endpoint.store(store_url), database_url=database_url)


@pytest.fixture(scope="module")
def first_build(flow: FlowRunner) -> subprocess.CompletedProcess:
    result = flow.run("v1")
    assert result.returncode == 0, output(result)[-4000:]
    return result


def test_build_publishes_to_s3_with_metadata_in_postgres(flow, first_build, tmp_path):
    import datasets

    assert f"published at  {flow.store.url_for(version_prefix(DATASET, 'v1'))}" in first_build.stdout, output(
        first_build
    )[-3000:]
    assert published_versions(flow.store, DATASET) == ["v1"]
    assert verify_published(flow.store, DATASET, "v1") == []
    manifest = read_manifest(flow.store, DATASET, "v1")
    assert manifest.benchmarks == 2 and manifest.themes == THEMES

    index_path = flow.store.get_file(
        f"{version_prefix(DATASET, 'v1')}/index.parquet", tmp_path / "index.parquet"
    )
    frame = pd.read_parquet(index_path)
    assert sorted(frame["theme"]) == sorted(THEMES)
    assert frame["difficulty_score"].between(0, 1).all()
    loaded = datasets.load_dataset("parquet", data_files=str(index_path), split="train")
    assert loaded.num_rows == 2

    assets = flow.assets("v1")
    assert sorted(str(a.benchmark_id) for a in assets) == sorted(frame["benchmark_id"])
    assert {a.script_sha256 for a in assets} == set(frame["script_sha256"])
    assert all(a.provenance.seeds == [0, 1] for a in assets)

    gallery = f"{version_prefix(DATASET, 'v1')}/gallery"
    assert f"gallery       {flow.store.url_for(gallery)}/index.html" in first_build.stdout
    for benchmark_id in frame["benchmark_id"]:
        assert flow.store.exists(f"{gallery}/benchmarks/{benchmark_id}/gallery_settle.gif")
    for theme in THEMES:
        assert re.search(
            rf"Task run 'generate\[theme={theme}, seed=0\]' - session=[0-9a-f-]{{36}}", output(first_build)
        )


def test_rerun_executes_no_agent_or_validation_task(flow, first_build):
    """Also: the temporary server stops with the process; it must first record the run's last task runs
    (without waiting, the last persist runs of a re-run from the cache, whose events come fastest, stayed
    RUNNING or missing, and Prefect logged errors)."""
    sessions = flow.session_count()
    result = flow.run("v1")
    assert result.returncode == 0, output(result)[-4000:]
    assert "already published, unchanged" in result.stdout
    assert "Error flushing" not in output(result)
    for step in ("generate", "validate", "render"):
        for theme in THEMES:
            assert f"Task run '{step}[theme={theme}, seed=0]' - Finished in state Cached" in output(result), (
                step
            )
    assert flow.session_count() == sessions  # no agent session ran
    assert len(flow.assets("v1")) == 2
    steps = ("generate", "validate", "render", "persist")
    expected = [f"{step}[theme={theme}, seed=0]" for step in steps for theme in THEMES]
    assert last_run_task_states(Path(flow.env["PREFECT_HOME"])) == dict.fromkeys(
        sorted(expected), "COMPLETED"
    )


def test_adding_a_theme_computes_only_the_new_theme(flow, first_build):
    sessions = flow.session_count()
    result = flow.run("v4", "--theme", ADDED_THEME)
    assert result.returncode == 0, output(result)[-4000:]
    log = output(result)
    for step in ("generate", "validate", "render"):
        for theme in THEMES:
            assert f"Task run '{step}[theme={theme}, seed=0]' - Finished in state Cached" in log, (
                step,
                theme,
            )
        assert f"Task run '{step}[theme={ADDED_THEME}, seed=0]' - Finished in state Completed" in log, step
    assert flow.session_count() == sessions + 1  # one agent session: the new theme's
    assert sorted(a.theme for a in flow.assets("v4")) == sorted([*THEMES, ADDED_THEME])


def test_gate_failure_blocks_publication(flow, first_build):
    scene_key = next(k for k in flow.store.list("artifacts") if k.endswith("/mjcf/scene.xml"))
    original = flow.store.get_bytes(scene_key)
    flow.store.put_bytes(scene_key, original.replace(b"<mujoco", b"<mujoco tampered='yes'", 1))
    try:
        result = flow.run("v2")
    finally:
        flow.store.put_bytes(scene_key, original)
    assert result.returncode == 2, output(result)[-4000:]
    assert re.search(
        r"files: expect_column_pair_values_to_be_equal on column 'sha256' failed for benchmarks/[0-9a-f-]+/mjcf/scene\.xml",
        result.stderr,
    ), result.stderr[-3000:]
    assert flow.store.list(version_prefix(DATASET, "v2")) == []
    assert flow.store.list(f"{DATASET}/{STAGING_DIR}") == []
    assert flow.store.exists(f"{DATASET}/_checks/v2/data_docs/index.html")
    assert "v2" not in published_versions(flow.store, DATASET)
    # the failing expectations are also an artifact of the run, in the temporary server's database
    with sqlite3.connect(Path(flow.env["PREFECT_HOME"]) / "prefect.db") as prefect_db:
        artifacts = prefect_db.execute(
            "SELECT type, data FROM artifact WHERE key = 'dataset-gate-failures'"
        ).fetchall()
    assert len(artifacts) == 1 and artifacts[0][0] == "markdown"
    assert "expect_column_pair_values_to_be_equal on column 'sha256'" in artifacts[0][1]
    assert "Nothing was published." in artifacts[0][1]


def test_sigkill_mid_validation_then_rerun_finishes_cleanly(flow, first_build):
    # A new variant grid misses the validation cache, so validation really runs and can be interrupted.
    extra = ("--variant-seeds", NEW_VARIANT_SEEDS)
    process = flow.start("v3", *extra)
    cached = set()
    seen = []
    try:
        for line in process.stdout:
            seen.append(line)
            match = re.search(r"Task run 'generate\[theme=(.+), seed=0\]' - Finished in state Cached", line)
            if match:
                cached.add(match.group(1))
            if cached == set(THEMES):
                break
        assert cached == set(THEMES), "".join(seen)[-3000:]
        time.sleep(KILL_AFTER_VALIDATION_STARTS_S)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert not any("Task run 'validate[" in line and "Completed" in line for line in seen)
    assert not is_published(flow.store, DATASET, "v3")

    result = flow.run("v3", *extra)
    assert result.returncode == 0, output(result)[-4000:]
    assert verify_published(flow.store, DATASET, "v3") == []
    assert flow.store.list(f"{DATASET}/{STAGING_DIR}") == []
    assets = flow.assets("v3")
    assert len(assets) == 2 and len({a.benchmark_id for a in assets}) == 2
    assert sorted(published_versions(flow.store, DATASET)) == ["v1", "v3", "v4"]


def test_summary_counts_one_benchmark_in_the_singular(monkeypatch):
    from benchgen import pipeline
    from benchgen.dataset.gate import GateResult
    from benchgen.dataset.index import AcceptedBenchmark

    entry = AcceptedBenchmark(
        benchmark_id="b",
        session_id="s",
        theme="t",
        family="gap_crossing",
        seed=0,
        difficulty_score=0.5,
        scene_seed=0,
        scene_scale=1.0,
        variants=[],
        files=[],
        created_at=datetime.now(UTC),
    )

    monkeypatch.syspath_prepend(str(REPO))  # flows/ is a folder of the repository, not an installed package
    from flows.reporting import how_to_look

    summary = pipeline.BuildSummary(
        name="demo",
        version="v1",
        candidates=[pipeline.Candidate(theme="t", seed=0, entry=entry)],
        gate=GateResult(success=True, evaluated=0, failures=[], data_docs_dir=None),
        published=None,
        data_docs_url=None,
        gallery_url="file:///store/demo/v1/gallery/index.html",
        dataset_url="file:///store/demo/v1",
    )
    lines = how_to_look(summary).splitlines()
    assert lines[0] == "dataset demo v1: 1 benchmark accepted, 0 rejected"
    assert "  gallery       /store/demo/v1/gallery/index.html" in lines
    assert "  verify        benchgen dataset verify demo v1" in lines
    given = how_to_look(summary, "s3://bucket/datasets").splitlines()
    assert "  verify        benchgen dataset verify demo v1 --store-url s3://bucket/datasets" in given


def test_local_runs_drop_heartbeats_and_telemetry_only_without_a_server(monkeypatch):
    """The temporary server dies with the process: nobody reads heartbeats. A real server does."""
    monkeypatch.syspath_prepend(str(REPO))
    from prefect.settings import get_current_settings, temporary_settings

    from flows.prefect_setup import local_run_settings

    for name in ("PREFECT_API_URL", "PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "PREFECT_SERVER_ANALYTICS_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    with temporary_settings(restore_defaults={"api.url"}), temporary_settings(updates=local_run_settings()):
        settings = get_current_settings()
        assert settings.flows.heartbeat_frequency is None
        assert settings.server.analytics_enabled is False

    server = {"api.url": "http://127.0.0.1:4200/api"}
    with temporary_settings(updates=server), temporary_settings(updates=local_run_settings()):
        assert get_current_settings().flows.heartbeat_frequency is not None

    monkeypatch.setenv("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "60")
    with temporary_settings(restore_defaults={"api.url"}):
        assert "flows.heartbeat_frequency" not in local_run_settings()


# --- faults around the flow ----------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """Pids whose parent is `pid`, read from /proc on the host."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition, timeout_s: float, poll_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll_s)
    return condition()


ORPHAN_DEADLINE_S = 20  # s the guard gets to stop an orphaned temporary server (it waits 5 s for SIGTERM)
NOTHING_STARTED = ("Starting temporary server", "Task run", "generate[")  # in the output of a refused build


# As a user runs the main job: each case one process (about 15 s of imports each on a busy machine), so
# one run carries several mistakes; the other themes-file and parameter cases are checked in-process below.
@pytest.mark.parametrize(
    "setup, extra, expected",
    [
        (
            lambda d: (d / "t.txt").write_bytes(b"\xff\xfeball\n"),
            (
                "--themes-file",
                "{d}/t.txt",
                "--seeds-per-theme",
                "-1",
                "--scales",
                "3",
                "--min-difficulty-stdev",
                "-1",
            ),
            [
                "is not UTF-8",
                "invalid --seeds-per-theme (seeds_per_theme=-1)",
                "invalid --scales (scales=[3.0]): 3 outside [0.5, 2]",
                "invalid --min-difficulty-stdev (min_difficulty_stdev=-1.0)",
            ],
        ),
        (lambda d: (d / "t").mkdir(), ("--themes-file", "{d}/t"), ["is a directory"]),
        (lambda d: (d / "t.txt").write_text(""), ("--themes-file", "{d}/t.txt"), ["lists no themes"]),
        (None, ("--scales", "big"), ["argument --scales: invalid float_list value: 'big'"]),
    ],
    ids=["four-mistakes", "directory", "empty", "not-a-number"],
)
def test_bad_parameters_are_one_line_each_and_nothing_starts(flow, tmp_path, setup, extra, expected):
    if setup:
        setup(tmp_path)
    args = [arg.format(d=tmp_path) for arg in extra]
    result = subprocess.run(
        flow.command("bad", *args),
        cwd=REPO,
        env=flow.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, output(result)[-3000:]
    lines = result.stderr.splitlines()
    assert len(lines) == len(expected) and all(e in line for e, line in zip(expected, lines, strict=True)), (
        lines
    )
    assert not any(marker in output(result) for marker in NOTHING_STARTED)


@pytest.mark.parametrize(
    "themes_file, extra, expected",
    [
        ("# a comment\n\n", {}, ["lists no themes (only blank lines or comments)"]),
        ("ball\nball # again\n", {}, ["themes listed more than once: 'ball'"]),
        (None, {"seeds_per_theme": 0}, ["invalid --seeds-per-theme (seeds_per_theme=0)"]),
        (None, {"variant_seeds": []}, ["invalid --variant-seeds (variant_seeds=[])"]),
        (None, {"variant_seeds": [1, 1], "model": "gpt"}, ["seeds must be distinct", "invalid --model"]),
        (
            None,
            {"dataset_name": "Big Name", "dataset_version": "a/b"},
            ["invalid --name", "invalid --version"],
        ),
        (None, {"min_accepted_per_theme": -1}, ["invalid --min-accepted-per-theme"]),
    ],
)
def test_parameter_mistakes_are_one_line_each(monkeypatch, tmp_path, themes_file, extra, expected):
    monkeypatch.syspath_prepend(str(REPO))
    from benchgen.errors import UsageError
    from flows.parameters import check_parameters

    path = tmp_path / "themes.txt"
    if themes_file is not None:
        path.write_text(themes_file)
    values = {
        "themes": None,
        "themes_file": str(path) if themes_file is not None else None,
        "seeds_per_theme": 1,
        "variant_seeds": [0],
        "scales": [1.0],
        "model": "offline",
        "dataset_name": "demo",
        "dataset_version": "v1",
        "force": False,
        "seal_witnesses": False,
        "min_accepted_per_theme": 1,
        "min_difficulty_stdev": 0.0,
        "require_witness": None,
    } | extra
    with pytest.raises(UsageError) as raised:
        check_parameters(**values)
    lines = str(raised.value).splitlines()
    assert len(lines) == len(expected) and all(e in line for e, line in zip(expected, lines, strict=True)), (
        lines
    )


@pytest.mark.parametrize("down", ["store", "database"])
def test_unreachable_store_or_database_is_reported_before_any_work(flow, down):
    from conftest import free_port

    closed = f"127.0.0.1:{free_port()}"  # nothing listens there
    env = dict(flow.env)
    if down == "store":
        env["BENCHGEN_S3_ENDPOINT_URL"] = f"http://{closed}"
        expected = f"the S3 endpoint http://{closed} is unreachable"
    else:
        env["BENCHGEN_DATABASE_URL"] = f"postgresql+psycopg://postgres@{closed}/benchgen"
        expected = f"cannot reach database 'postgresql+psycopg://postgres@{closed}/benchgen'"
    result = subprocess.run(
        flow.command("down"), cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 2, output(result)[-3000:]
    (line,) = result.stderr.splitlines()
    assert expected in line and "does not exist" not in line
    assert not any(marker in output(result) for marker in NOTHING_STARTED)


def published_sound(flow: FlowRunner, version: str) -> bool:
    return (
        version in published_versions(flow.store, DATASET)
        and verify_published(flow.store, DATASET, version) == []
    )


def manifest_text(flow: FlowRunner) -> str:
    key = f"{version_prefix(DATASET, 'v1')}/manifest.json"
    with contextlib.suppress(Exception):
        return flow.store.get_bytes(key).decode()
    return ""


# (stage, the store state that shows the build is in it)
REPUBLISH_STAGES = [
    ("staging", lambda flow: bool(flow.store.list(f"{DATASET}/{STAGING_DIR}/v1"))),
    ("setting the old version aside", lambda flow: bool(flow.store.list(f"{DATASET}/{PREVIOUS_DIR}/v1"))),
    ("after the switch", lambda flow: f'"{NEXT_DIR}/v1/' in manifest_text(flow)),
]


class SlowLink:
    """A loopback TCP relay to the S3 server that holds every request chunk for `delay_s`: a slow network
    to the store, so each publish step (a dozen store calls or more) lasts long enough to be seen in."""

    def __init__(self, target: str, delay_s: float):
        host, port = target.removeprefix("http://").split(":")
        self.target = (host, int(port))
        self.delay_s = delay_s
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(self.target)
            except OSError:  # the S3 server refused this one: the client sees a closed connection
                client.close()
                continue
            threading.Thread(target=self._pump, args=(client, server, self.delay_s), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, 0.0), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket, delay_s: float) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                time.sleep(delay_s)
                sink.sendall(chunk)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()


STORE_DELAY_S = 0.05  # per request to the store in a re-publish that is to be caught in one of its steps


@pytest.fixture
def slow_store(flow: FlowRunner) -> Iterator[str]:
    link = SlowLink(flow.env["BENCHGEN_S3_ENDPOINT_URL"], STORE_DELAY_S)
    yield link.url
    link.close()


def killed_in(flow: FlowRunner, reached, endpoint_url: str, log: Path) -> bool:
    """Run a forced re-publish of v1 through `endpoint_url` and kill it -9 as soon as `reached` holds;
    False when the build ended before that was seen (its output is in `log`)."""
    with log.open("w") as output_file:
        process = subprocess.Popen(
            flow.command("v1", "--force"),
            cwd=REPO,
            env=flow.env | {"BENCHGEN_S3_ENDPOINT_URL": endpoint_url},
            stdout=output_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            ended_or_reached = wait_until(lambda: reached(flow) or process.poll() is not None, FLOW_TIMEOUT_S)
            return ended_or_reached and reached(flow)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


REPUBLISH_TRIES = 4  # forced re-publishes per stage until one is caught in it


BUILD_STAGES = ("generate", "validate", "render", "persist")  # the steps before anything is published


def kill_in_build_stage(flow: FlowRunner, stage: str, extra: tuple[str, ...], *, main_alone: bool) -> None:
    """Run a forced re-publish of v1 that really builds and kill it -9 once a task of `stage` finished: its
    process group, or with `main_alone` the main job alone (as the OOM killer or `kill -9 <pid>` would),
    whose temporary server must then stop too."""
    process = flow.start("v1", *extra)
    seen = []
    try:
        for line in process.stdout:
            seen.append(line)
            if f"Task run '{stage}[" in line and "Finished in state" in line:
                break
        assert f"Task run '{stage}[" in seen[-1], "".join(seen)[-3000:]
        if main_alone:
            servers = [pid for pid in children_of(process.pid) if "uvicorn" in command_line(pid)]
            guards = [pid for pid in children_of(process.pid) if "server_guard.py" in command_line(pid)]
            assert len(servers) == 1 and len(guards) == 1, "".join(seen)[-3000:]
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            stopped = wait_until(lambda: not (running(servers[0]) or running(guards[0])), ORPHAN_DEADLINE_S)
            assert stopped, f"temporary server {servers[0]} still running after its main job was killed"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# One test for both kinds of forced re-publish killed mid-way (each stage of the build, then each stage of
# the publication): the one run that finishes them afterwards is checked for both, and costs one build.
@pytest.mark.timeout(2 * FLOW_TIMEOUT_S)
def test_sigkill_at_each_stage_of_a_forced_republish_keeps_a_complete_version(
    flow, first_build, slow_store, tmp_path
):
    """A forced re-publish killed at any point leaves v1 complete, listed and verifying: killed in each
    step before publishing (a build with a new theme and a new variant grid), v1 is untouched; killed in
    each step of the publication, v1 is the old or the new version, whole. The next run finishes it.
    The first kill hits the main job alone: its temporary server must not outlive it."""
    old = read_manifest(flow.store, DATASET, "v1")
    extra = ("--force", "--theme", ADDED_THEME, "--variant-seeds", NEW_VARIANT_SEEDS)
    for stage in BUILD_STAGES:
        kill_in_build_stage(flow, stage, extra, main_alone=stage == BUILD_STAGES[0])
        assert published_sound(flow, "v1"), (stage, verify_published(flow.store, DATASET, "v1"))
        assert read_manifest(flow.store, DATASET, "v1") == old, stage

    log = tmp_path / "republish.log"
    for stage, reached in REPUBLISH_STAGES:
        for _ in range(REPUBLISH_TRIES):
            before = read_manifest(flow.store, DATASET, "v1").published_at
            if killed_in(flow, reached, slow_store, log):
                break
        else:
            pytest.fail(
                f"no forced re-publish was caught in {stage} in {REPUBLISH_TRIES} tries; the last one printed:\n"
                + log.read_text()[-4000:]
            )
        assert published_sound(flow, "v1"), (stage, verify_published(flow.store, DATASET, "v1"))
        manifest = read_manifest(flow.store, DATASET, "v1")
        assert manifest.benchmarks == 2 and manifest.themes == THEMES, stage
        if stage != "after the switch":
            assert manifest.published_at == before, stage  # still the old version

    result = flow.run("v1", *extra)
    assert result.returncode == 0, output(result)[-4000:]
    assert published_sound(flow, "v1")
    manifest = read_manifest(flow.store, DATASET, "v1")
    assert manifest.published_at > old.published_at and ADDED_THEME in manifest.themes
    assert all(f.stored_at is None for f in manifest.files)
    for folder in (STAGING_DIR, PREVIOUS_DIR, NEXT_DIR):
        assert flow.store.list(f"{DATASET}/{folder}") == [], folder
