"""Deployments: entrypoints import, and `build-dataset/manual` runs on a real local Prefect server
through a process worker, with settings from the registered BenchgenSettings block."""

import importlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from conftest import free_port

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


def test_nightly_is_scheduled_on_the_process_pool():
    nightly = next(d for d in deployments() if d["name"] == "nightly")
    assert nightly["schedules"][0]["cron"] == "0 2 * * *"
    assert nightly["work_pool"]["name"] == "benchgen-process"


@pytest.fixture
def prefect_server(tmp_path):
    """`prefect server start` on a loopback port with its own PREFECT_HOME."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCHGEN_", "PREFECT_"))}
    env |= {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
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
    api = f"http://127.0.0.1:{port}/api"
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


@pytest.mark.slow
def test_manual_deployment_runs_on_a_process_worker(prefect_server, tmp_path):
    env = prefect_server | {"BENCHGEN_DATA_DIR": str(tmp_path / "data")}
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
    assert "saved block benchgen-settings/benchgen" in registered.stdout

    prefect(env, "work-pool", "create", "benchgen-process", "--type", "process")
    prefect(env, "--no-prompt", "deploy", "--all")
    parameters = {
        "themes": ["ball must cross a gap"],
        "variant_seeds": [0, 1],
        "dataset_version": "deployed",
        "min_difficulty_stdev": 0,
        "settings_block": "benchgen",
    }
    params = [arg for key, value in parameters.items() for arg in ("--param", f"{key}={json.dumps(value)}")]
    started = prefect(env, "deployment", "run", "build-dataset/manual", *params)
    flow_run_id = re.search(r"UUID: ([0-9a-f-]{36})", started).group(1)

    prefect(env, "worker", "start", "--pool", "benchgen-process", "--run-once", timeout=WORKER_TIMEOUT_S)

    with urllib.request.urlopen(f"{env['PREFECT_API_URL']}/flow_runs/{flow_run_id}", timeout=10) as response:
        flow_run = json.load(response)
    assert flow_run["state"]["type"] == "COMPLETED", flow_run["state"]
    store = ArtifactStore.from_url((tmp_path / "data" / "store").as_uri())
    assert published_versions(store, "benchgen-manual") == ["deployed"]
    assert verify_published(store, "benchgen-manual", "deployed") == []
