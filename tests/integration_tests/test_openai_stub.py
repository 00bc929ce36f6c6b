"""`benchgen generate` with the real langchain-openai client over HTTP, against a scripted OpenAI-compatible
server on loopback: plan, a broken script, its repair, real validation and rendering, a multimodal review;
and how the command ends when the model misbehaves (exit 0 accepted, 1 not accepted, 2 configuration)."""

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scripted_openai import (
    GOOD_SCRIPT,
    GOOD_WITNESS,
    PLAN,
    Answer,
    Role,
    ScriptedOpenAI,
    coder_answer,
    serving,
)

from benchgen import db
from benchgen.models import SessionStatus
from benchgen.settings import ENV_PREFIX, get_settings

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CLI_TIMEOUT_S = 300  # the whole session: two validations, one render, four model calls
BROKEN_SCRIPT = GOOD_SCRIPT.replace("deck_h + radius + clearance", "deck_h + radius - 10")
SCHEMA_BREAKING_PLAN = Answer(arguments={**PLAN, "fixtures": ["left deck", "right deck"]})
OUTAGE = Answer(status=503, headers={"Retry-After": "0"}, error="scripted: reviewer overloaded")
FAST = ["--tries", "2", "--timeout", "5"]  # short limits: the scripted faults need no long waits


def image_parts(request: dict[str, Any]) -> list[dict[str, Any]]:
    parts = []
    for message in request["messages"]:
        if isinstance(message["content"], list):
            parts += [part for part in message["content"] if part.get("type") == "image_url"]
    return parts


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX) and k != "OPENAI_API_KEY"}
    env[f"{ENV_PREFIX}DATA_DIR"] = str(tmp_path / "data")
    return env


def run_cli(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "benchgen"), "generate", *args]
    return subprocess.run(
        command,
        check=False,
        capture_output=True,
        text=True,
        env=cli_env(tmp_path),
        cwd=tmp_path,
        timeout=CLI_TIMEOUT_S,
    )


def generate_without_renders(stub: ScriptedOpenAI, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    theme = "ball must cross a gap"
    return run_cli(
        "--theme", theme, "--model", "openai:stub", "--base-url", stub.url, "--no-render", tmp_path=tmp_path
    )


def sessions(tmp_path: Path) -> list:
    engine = db.get_engine(get_settings(data_dir=tmp_path / "data"))
    try:
        return db.list_sessions(engine)
    finally:
        engine.dispose()


@pytest.mark.slow
def test_generate_and_resume_against_an_openai_compatible_server(tmp_path: Path) -> None:
    script = {
        Role.CODER: [
            Answer(content=coder_answer(BROKEN_SCRIPT, GOOD_WITNESS, "First attempt.")),
            Answer(
                content=coder_answer(GOOD_SCRIPT, GOOD_WITNESS, "Raised the ball's start above the deck.")
            ),
        ],
        Role.REVIEWER: [OUTAGE, OUTAGE],  # every try of the first review: the CLI stops, resumable
    }
    with serving(ScriptedOpenAI(script)) as stub:
        llm = ["--model", "openai:stub", "--base-url", stub.url, "--images", *FAST]
        stopped = run_cli("--theme", "ball must cross a gap", *llm, tmp_path=tmp_path)
        assert stopped.returncode == 1, stopped.stdout + stopped.stderr
        assert (
            "the model failed" in stopped.stdout
            and "HTTP 503: scripted: reviewer overloaded" in stopped.stdout
        )
        assert "Traceback" not in stopped.stderr
        session_id = re.search(r"--resume ([0-9a-f-]{36})", stopped.stdout)
        assert session_id, stopped.stdout
        [row] = sessions(tmp_path)
        assert row.status is SessionStatus.REVIEWING  # where it stopped, ready to resume

        resumed = run_cli("--resume", session_id[1], *llm, tmp_path=tmp_path)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert f"accepted: session {session_id[1]}" in resumed.stdout
        assert [line.split()[0] for line in resumed.stdout.splitlines()[:2]] == ["reviewer", "accept"]
        script_file = tmp_path / "data" / "sessions" / session_id[1] / "scenario.py"
        assert script_file.read_text() == GOOD_SCRIPT

    planner, first_code, repair, *failed_reviews, reviewer = [
        r for r in stub.received if r.role is not Role.CHECK
    ]
    assert len(failed_reviews) == 2 and len(stub.of(Role.CHECK)) == 2  # one access check per run
    assert planner.mode == reviewer.mode == "json_schema"  # structured output
    assert "PAYLOAD_OVERLAPS_FIXTURE" in repair.text()
    assert image_parts(first_code.body) == [] and image_parts(repair.body) == []
    assert image_parts(failed_reviews[0].body) == image_parts(
        reviewer.body
    )  # the resumed review: same renders
    images = image_parts(reviewer.body)
    assert len(images) >= 2  # the contact sheet and the views
    for part in images:
        url = part["image_url"]["url"]
        assert url.startswith("data:image/png;base64,")
        assert base64.b64decode(url.split(",", 1)[1]).startswith(PNG_SIGNATURE)
    # Tokens: plan and two scripts in the first run, the review after the resume (a 503 reports none).
    assert "tokens: 4000 in, 800 out" in resumed.stdout


@pytest.mark.slow
def test_a_plan_breaking_its_schema_once_is_repaired_and_the_session_accepted(tmp_path: Path) -> None:
    with serving(ScriptedOpenAI({Role.PLANNER: [SCHEMA_BREAKING_PLAN]})) as stub:
        done = generate_without_renders(stub, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "accepted: session" in done.stdout
    assert len(stub.of(Role.PLANNER)) == 2
    assert "fixtures.0: Input should be a valid dictionary" in stub.of(Role.PLANNER)[1].text()


def test_a_plan_that_always_breaks_its_schema_ends_failed_in_one_line(tmp_path: Path) -> None:
    with serving(ScriptedOpenAI({Role.PLANNER: [SCHEMA_BREAKING_PLAN] * 3})) as stub:
        done = generate_without_renders(stub, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr  # stderr has one warning per unusable reply
    [last] = [line for line in done.stdout.splitlines() if line.startswith("failed:")]
    assert "planner (openai:stub) gave no usable reply in 3 tries" in last
    [row] = sessions(tmp_path)
    assert row.status is SessionStatus.FAILED and row.reason is not None and row.reason.startswith("planner")


@pytest.mark.parametrize("status", [401, 404])
def test_a_refused_key_or_unknown_model_ends_with_exit_2_before_any_work(tmp_path: Path, status: int) -> None:
    with serving(ScriptedOpenAI({Role.CHECK: [Answer(status=status, error="scripted refusal")]})) as stub:
        done = run_cli("--theme", "gap", "--model", "openai:stub", "--base-url", stub.url, tmp_path=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and f"HTTP {status}: scripted refusal" in done.stderr
    assert [r.role for r in stub.received] == [Role.CHECK]
    assert sessions(tmp_path) == []  # no session was started


def test_connection_refused_ends_with_exit_2_naming_the_url(tmp_path: Path) -> None:
    with serving(ScriptedOpenAI()) as stub:
        url = stub.url
    done = run_cli(
        "--theme", "gap", "--model", "openai:stub", "--base-url", url, "--tries", "1", tmp_path=tmp_path
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"cannot connect to the model server at {url}" in done.stderr and "Traceback" not in done.stderr
    assert json.dumps(done.stderr).count("\\n") == 1


# The worked witness without its bridge: the pusher shoves the ball into the gap's forbid zone.
WITNESS_WITHOUT_BRIDGE = GOOD_WITNESS.replace("parts=[bridge, stop]", "parts=[stop]")


@pytest.mark.slow
def test_a_failing_witness_goes_back_to_the_coder_and_the_reviewer_watches_the_repaired_one(
    tmp_path: Path,
) -> None:
    assert WITNESS_WITHOUT_BRIDGE != GOOD_WITNESS
    script = {Role.CODER: [Answer(content=coder_answer(GOOD_SCRIPT, WITNESS_WITHOUT_BRIDGE, "No bridge."))]}
    with serving(ScriptedOpenAI(script)) as stub:
        theme = "ball must cross a gap"
        done = run_cli(
            "--theme", theme, "--model", "openai:stub", "--base-url", stub.url, "--images", tmp_path=tmp_path
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "solvability proven" in done.stdout
    first_code, repair = stub.of(Role.CODER)
    [review] = stub.of(Role.REVIEWER)
    # The Coder's prompt carries the solution contract; its repair request the witness's evaluation.
    assert "def solve(scenario) -> Solution" in first_code.prose() and "Slider(" in first_code.prose()
    assert "WITNESS_FAILED" in repair.prose() and "FORBID_ZONE_HIT" in repair.prose()
    assert "The witness's evaluation, per variant and start:" in repair.prose()
    assert "seed 0 scale 1: NOT solved" in repair.prose() and WITNESS_WITHOUT_BRIDGE in repair.prose()
    # The Reviewer reads the repaired witness, its evaluation, and sees it run: views, sheet, strip.
    assert GOOD_WITNESS in review.prose() and "seed 2 scale 1: solved" in review.prose()
    assert "The last image is the witness running" in review.prose()
    images = image_parts(review.body)
    strip = base64.b64decode(images[-1]["image_url"]["url"].split(",", 1)[1])
    assert strip.startswith(PNG_SIGNATURE)
    [row] = sessions(tmp_path)
    accepted = tmp_path / "data" / "sessions" / str(row.id)
    assert (accepted / "solution.py").read_text() == GOOD_WITNESS
    renders = tmp_path / "data" / "renders" / str(row.id) / "attempt_2"
    assert (renders / "witness.gif").read_bytes().startswith(b"GIF8")
    assert (renders / "witness_strip.png").read_bytes() == strip
