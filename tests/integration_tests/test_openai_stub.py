"""`benchgen generate` with the real langchain-openai client over HTTP, against an OpenAI-compatible stub
server on loopback: plan, a broken script, its repair, real validation and rendering, a multimodal review."""

import base64
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from benchgen.agents import prompts
from benchgen.settings import ENV_PREFIX

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CLI_TIMEOUT_S = 300  # the whole session: two validations, one render, four model calls

GOOD_SCRIPT = prompts.EXAMPLE_SCRIPT
BROKEN_SCRIPT = GOOD_SCRIPT.replace("deck_h + radius + clearance", "deck_h + radius - 10")

PLAN = {
    "family": "gap_crossing",
    "puzzle_idea": "A steel ball rests on the left deck; a gap separates it from the goal over the right deck.",
    "fixtures": [
        {"label": "left_deck", "description": "deck left of the gap"},
        {"label": "right_deck", "description": "deck right of the gap"},
    ],
    "payload": "steel sphere r=20 mm",
    "zones": "goal over the right deck, forbid zone in the gap below deck height",
    "randomization": [{"name": "gap width", "low": 80, "high": 160, "unit": "mm", "scales_with_scale": True}],
    "scale_policy": "every length is multiplied by scale",
    "difficulty_intent": 0.4,
    "notes": "",
}
REVIEW = {
    "verdict": "APPROVE",
    "reasons": [
        "Both decks and the gap are visible in every view; the goal sits clearly over the right deck."
    ],
    "feedback": "",
}


class StubOpenAI(ThreadingHTTPServer):
    """Answers /v1/chat/completions like OpenAI, picking a scripted reply by the role's system prompt."""

    daemon_threads = True  # do not wait on the client's idle keep-alive connections at shutdown

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.requests: list[dict[str, Any]] = []
        self.reviewer_failures = 1  # the first review request gets a 400: the CLI stops, resumable
        self.code_replies = [
            f"First attempt.\n```python\n{BROKEN_SCRIPT}```",
            f"Raised the ball's start above the deck.\n```python\n{GOOD_SCRIPT}```",
        ]

    @staticmethod
    def system_prompt(body: dict[str, Any]) -> str:
        return next(m["content"] for m in body["messages"] if m["role"] == "system")

    def is_review(self, body: dict[str, Any]) -> bool:
        return self.system_prompt(body).startswith("You review")

    def reply_for(self, body: dict[str, Any]) -> str:
        system = self.system_prompt(body)
        if system.startswith("You plan"):
            return json.dumps(PLAN)
        if system.startswith("You write one Python file"):
            return self.code_replies.pop(0)
        if system.startswith("You review"):
            return json.dumps(REVIEW)
        raise AssertionError(f"unexpected system prompt: {system[:80]!r}")


class StubHandler(BaseHTTPRequestHandler):
    server: StubOpenAI

    def do_POST(self) -> None:
        if self.path != "/v1/chat/completions":
            self.send_error(404, f"no route {self.path}")
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        if self.server.is_review(body) and self.server.reviewer_failures:
            self.server.reviewer_failures -= 1
            error = {"error": {"message": "stub: reviewer unavailable", "type": "invalid_request_error"}}
            self.answer(400, error)
            return
        content = self.server.reply_for(body)
        answer = {
            "id": f"chatcmpl-{len(self.server.requests)}",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
            ],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200},
        }
        self.answer(200, answer)

    def answer(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def stub_server() -> Iterator[StubOpenAI]:
    server = StubOpenAI()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def image_parts(request: dict[str, Any]) -> list[dict[str, Any]]:
    parts = []
    for message in request["messages"]:
        if isinstance(message["content"], list):
            parts += [part for part in message["content"] if part.get("type") == "image_url"]
    return parts


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "benchgen"), "generate", *args]
    return subprocess.run(
        command, check=False, capture_output=True, text=True, env=env, cwd=cwd, timeout=CLI_TIMEOUT_S
    )


@pytest.mark.slow
def test_generate_and_resume_against_an_openai_compatible_server(
    stub_server: StubOpenAI, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX) and k != "OPENAI_API_KEY"}
    env[f"{ENV_PREFIX}DATA_DIR"] = str(tmp_path / "data")
    server = f"http://127.0.0.1:{stub_server.server_address[1]}/v1"
    llm = ["--model", "openai:stub", "--base-url", server, "--images"]

    stopped = run_cli("--theme", "ball must cross a gap", *llm, env=env, cwd=tmp_path)
    assert stopped.returncode == 2, stopped.stdout + stopped.stderr
    assert (
        "the model failed" in stopped.stderr and "400 - stub: reviewer unavailable" in stopped.stderr
    )
    session_id = re.search(r"--resume ([0-9a-f-]{36})", stopped.stderr)
    assert session_id, stopped.stderr

    resumed = run_cli("--resume", session_id[1], *llm, env=env, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"accepted: session {session_id[1]}" in resumed.stdout
    assert [line.split()[0] for line in resumed.stdout.splitlines()[:2]] == ["reviewer", "accept"]
    script = tmp_path / "data" / "sessions" / session_id[1] / "scenario.py"
    assert script.read_text() == GOOD_SCRIPT

    planner, first_code, repair, failed_review, reviewer = stub_server.requests
    assert "response_format" in planner and "response_format" in reviewer  # structured output
    assert "PAYLOAD_OVERLAPS_FIXTURE" in json.dumps(repair["messages"])
    assert image_parts(first_code) == [] and image_parts(repair) == []
    assert image_parts(failed_review) == image_parts(reviewer)  # the resumed review sees the same renders
    images = image_parts(reviewer)
    assert len(images) >= 2  # the contact sheet and the views
    for part in images:
        url = part["image_url"]["url"]
        assert url.startswith("data:image/png;base64,")
        assert base64.b64decode(url.split(",", 1)[1]).startswith(PNG_SIGNATURE)
    # Tokens: plan and two scripts in the first run, the review after the resume (the 400 reports none).
    assert "tokens: 4000 in, 800 out" in resumed.stdout
