"""A dataset build whose infrastructure is broken fails with the real cause, in the Prefect state and the
log, and never counts the fault as rejected benchmarks or leaves a session mid-way."""

import os
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from scripted_openai import Answer, Role, ScriptedOpenAI, serving

from benchgen import db
from benchgen.agents.transport import ModelAccessError, ModelUnavailable, ServerFault
from benchgen.errors import DatabaseError, SandboxUnavailable, StoreError
from benchgen.models import Provenance, SessionStatus
from benchgen.settings import get_settings

REPO = Path(__file__).resolve().parents[2]
FLOW_TIMEOUT_S = 600  # the temporary Prefect server's start and one session on a busy machine
EPHEMERAL_STARTUP_TIMEOUT_S = 180  # the temporary Prefect server on a busy machine
# What bubblewrap prints where user namespaces are disabled (e.g. kernel.unprivileged_userns_clone=0).
BWRAP_ERROR = "bwrap: setting up uid map: Permission denied"
THEMES = ("ball must cross a gap", "puck up a ramp")


@pytest.fixture
def broken_bwrap() -> Iterator[Path]:
    """A folder with a `bwrap` that fails the way a real one does on a host without user namespaces.

    Outside pytest's private temporary folder: the sandbox launcher runs it as an unprivileged user."""
    with tempfile.TemporaryDirectory(prefix="benchgen-broken-bwrap-") as name:
        folder = Path(name)
        folder.chmod(0o755)
        tool = folder / "bwrap"
        tool.write_text(f"#!/bin/sh\necho '{BWRAP_ERROR}' >&2\nexit 1\n")
        tool.chmod(0o755)
        yield folder


@dataclass
class FailedBuild:
    error_line: str  # the main job's one line on stderr
    state: str  # the flow run's final state type, as the Prefect server recorded it
    message: str  # and its message
    artifacts: list[str]
    sessions: list


def build_with_broken_infrastructure(tmp_path: Path, *args: str, **env_changes: str) -> FailedBuild:
    """`python -m flows.build_dataset` as a user runs it (ephemeral Prefect, SQLite, a local store); it must
    fail with exit status 2."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCHGEN_", "PREFECT_"))}
    env |= {
        "BENCHGEN_DATA_DIR": str(tmp_path / "data"),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(EPHEMERAL_STARTUP_TIMEOUT_S),
        **env_changes,
    }
    themes = [arg for theme in THEMES for arg in ("--theme", theme)]
    command = [sys.executable, "-m", "flows.build_dataset", *themes, "--seeds-per-theme", "1"]
    result = subprocess.run(
        [*command, "--variant-seeds", "0", *args, "--version", "broken"],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=FLOW_TIMEOUT_S,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-4000:]
    assert "Gate" not in output and "observed 0" not in output  # the cause, not the gate's symptom
    [error_line] = [line for line in result.stderr.splitlines() if line.startswith("error: ")]

    with sqlite3.connect(tmp_path / "prefect" / "prefect.db") as prefect_db:
        [(state, message)] = prefect_db.execute(
            "SELECT s.type, s.message FROM flow_run f JOIN flow_run_state s ON s.id = f.state_id"
            " ORDER BY f.created DESC LIMIT 1"
        ).fetchall()
        artifacts = [key for (key,) in prefect_db.execute("SELECT key FROM artifact WHERE key IS NOT NULL")]
    engine = db.get_engine(get_settings(data_dir=tmp_path / "data"))
    try:
        sessions = db.list_sessions(engine)
    finally:
        engine.dispose()
    return FailedBuild(error_line, state, message, artifacts, sessions)


@pytest.mark.slow
def test_a_build_whose_sandbox_cannot_start_fails_with_that_cause(tmp_path: Path, broken_bwrap: Path) -> None:
    failed = build_with_broken_infrastructure(
        tmp_path, PATH=f"{broken_bwrap}{os.pathsep}{os.environ['PATH']}"
    )

    assert (
        failed.error_line.startswith("error: generate[theme=") and "SandboxUnavailable" in failed.error_line
    )
    assert BWRAP_ERROR in failed.error_line and "nothing was published" in failed.error_line
    assert (
        failed.state == "FAILED" and "SandboxUnavailable" in failed.message and BWRAP_ERROR in failed.message
    )
    assert failed.artifacts == []  # no accepted/rejected table: nothing was counted as rejected
    assert len(failed.sessions) == len(THEMES)
    for row in failed.sessions:
        assert row.status is SessionStatus.FAILED
        assert (
            row.reason is not None
            and row.reason.startswith("SandboxUnavailable: ")
            and BWRAP_ERROR in row.reason
        )


@pytest.mark.slow
def test_a_build_whose_model_refuses_the_key_fails_with_that_cause(tmp_path: Path) -> None:
    with serving(
        ScriptedOpenAI({Role.CHECK: [Answer(status=401, error="Incorrect API key provided")] * 2})
    ) as stub:
        failed = build_with_broken_infrastructure(
            tmp_path,
            "--model",
            "openai:stub",
            BENCHGEN_LLM_BASE_URL=stub.url,
            BENCHGEN_LLM_API_KEY="sk-wrong",
        )

    assert "ModelAccessError" in failed.error_line and "refused the API key" in failed.error_line
    assert "HTTP 401: Incorrect API key provided" in failed.message and failed.state == "FAILED"
    assert failed.artifacts == []
    assert failed.sessions == []  # the key is checked before a session starts
    assert "sk-wrong" not in failed.error_line + failed.message


@pytest.mark.parametrize(
    "error,cause",
    [
        (SandboxUnavailable("no sandbox"), "SandboxUnavailable: no sandbox"),
        (DatabaseError("connection refused"), "DatabaseError: connection refused"),
        (StoreError("bucket missing"), "StoreError: bucket missing"),
        (ModelAccessError("key refused", ServerFault.ACCESS_DENIED, 401), "ModelAccessError: key refused"),
        (
            ModelUnavailable("503 four times", ServerFault.SERVER_ERROR, 503),
            "ModelUnavailable: 503 four times",
        ),
        (ValueError("an unexpected bug"), None),
    ],
)
def test_which_task_failures_are_the_infrastructures(
    monkeypatch: pytest.MonkeyPatch, error: BaseException, cause: str | None
) -> None:
    from prefect.states import Failed

    monkeypatch.syspath_prepend(str(REPO))  # tasks/ is imported from the repository, as the flow does
    from tasks.faults import infrastructure_cause

    assert infrastructure_cause(Failed(data=error)) == cause


def test_a_task_whose_process_died_is_an_infrastructure_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.states import Completed, Crashed, Running

    monkeypatch.syspath_prepend(str(REPO))
    from tasks.faults import infrastructure_cause

    crashed = Crashed(message="Execution was interrupted by SIGKILL")
    assert infrastructure_cause(crashed) == "the task's process died (Execution was interrupted by SIGKILL)"
    # a killed Dask worker: the run keeps the last state it reported
    assert infrastructure_cause(Running()) == "the task's process died (its run was left Running)"
    assert infrastructure_cause(Completed(data=None)) is None


def test_only_unfinished_sessions_of_the_ended_runs_are_failed(tmp_settings, make_session) -> None:
    from benchgen.agents.session import fail_abandoned_sessions

    engine = db.get_engine(tmp_settings)
    try:

        def saved(status: SessionStatus, run_id: str | None) -> uuid.UUID:
            row = make_session(status=status, provenance=Provenance(run_id=run_id))
            return db.save_session(engine, row).id

        abandoned = saved(SessionStatus.PLANNING, "run-1")
        ended = saved(SessionStatus.ACCEPTED, "run-1")
        other_run = saved(SessionStatus.CODING, "run-2")  # a run still going
        cli = saved(SessionStatus.PLANNING, None)  # `benchgen generate`, resumable

        cause = "the task's process died (its run was left Running)"
        assert fail_abandoned_sessions(tmp_settings, {"run-1": cause}) == {abandoned: cause}

        failed = db.get_session(engine, abandoned)
        assert failed.status is SessionStatus.FAILED and failed.reason == cause
        assert failed.journal[-1].message == f"failed: {cause}"
        untouched = [db.get_session(engine, i).status for i in (ended, other_run, cli)]
        assert untouched == [SessionStatus.ACCEPTED, SessionStatus.CODING, SessionStatus.PLANNING]
    finally:
        engine.dispose()
