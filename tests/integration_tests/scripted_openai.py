"""An OpenAI-compatible chat server on loopback whose answers the test scripts, fault by fault.

It tells the roles apart by their system prompt (the Planner's, the Coder's, the Reviewer's; a request
without one is the access check). Each role has a queue of scripted answers; once it is empty the role
gets a good answer in whatever form the request asked for (tool call, JSON, fenced block).
"""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from benchgen.agents import prompts

GOOD_SCRIPT = prompts.EXAMPLE_SCRIPT
GOOD_WITNESS = prompts.EXAMPLE_WITNESS  # solves every variant of GOOD_SCRIPT
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
    "reasons": ["Both decks and the gap are visible; the goal sits clearly over the right deck."],
    "feedback": "",
}
TOKENS = (1000, 200)  # (prompt, completion) tokens every answer reports


class Role(StrEnum):
    CHECK = "check"
    PLANNER = "planner"
    CODER = "coder"
    REVIEWER = "reviewer"


SYSTEM_PROMPT_STARTS = {
    "You plan": Role.PLANNER,
    "You write one Python file": Role.CODER,
    "You review": Role.REVIEWER,
}
DEFAULTS: dict[Role, Any] = {Role.PLANNER: PLAN, Role.REVIEWER: REVIEW}


@dataclass
class Answer:
    """One scripted answer. Without `content` or `arguments` the role's good answer is sent."""

    status: int = 200
    content: str | None = None
    arguments: Any = None  # a structured answer: sent as the tool call or the JSON the request asked for
    finish_reason: str = "stop"
    headers: dict[str, str] = field(default_factory=dict)
    error: str = "scripted error"
    delay_s: float = 0.0  # wait this long before answering: longer than the client's timeout is a hang


@dataclass
class Received:
    role: Role
    body: dict[str, Any]
    at: float  # time.monotonic() when it arrived

    @property
    def mode(self) -> str:
        """How the request asked for structure: json_schema, tool_calling, json_mode or text."""
        if "tools" in self.body:
            return "tool_calling"
        kind = self.body.get("response_format", {}).get("type")
        return {"json_schema": "json_schema", "json_object": "json_mode"}.get(kind, "text")

    def text(self) -> str:
        return json.dumps(self.body["messages"])

    def prose(self) -> str:
        """The messages' text as the model reads it: each content string, or the text parts of a list."""
        texts = []
        for message in self.body["messages"]:
            content = message["content"]
            parts = content if isinstance(content, list) else [{"type": "text", "text": content or ""}]
            texts += [part["text"] for part in parts if part.get("type") == "text"]
        return "\n".join(texts)


class ScriptedOpenAI(ThreadingHTTPServer):
    daemon_threads = True  # do not wait on the client's idle keep-alive connections at shutdown

    def __init__(
        self, script: dict[Role, list[Answer]] | None = None, *, refuse_json_schema: bool = False
    ) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.script = {role: list(answers) for role, answers in (script or {}).items()}
        self.refuse_json_schema = refuse_json_schema  # answer 400 to every response_format json_schema
        self.received: list[Received] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def of(self, role: Role) -> list[Received]:
        return [r for r in self.received if r.role is role]

    def next_answer(self, role: Role) -> Answer:
        with self.lock:
            queue = self.script.get(role, [])
            return queue.pop(0) if queue else Answer()


def role_of(body: dict[str, Any]) -> Role:
    system = next((m["content"] for m in body["messages"] if m["role"] == "system"), "")
    return next(
        (role for start, role in SYSTEM_PROMPT_STARTS.items() if system.startswith(start)), Role.CHECK
    )


def coder_answer(script: str, witness: str, note: str = "A gap crossing.") -> str:
    """A Coder's reply as the prompt asks for it: a note, the script block, then the witness block."""
    return f"{note}\n```python\n{script}```\n\nIts witness:\n```python\n{witness}```"


def good_content(role: Role) -> str:
    if role is Role.CODER:
        return coder_answer(GOOD_SCRIPT, GOOD_WITNESS)
    return "OK"


class Handler(BaseHTTPRequestHandler):
    server: ScriptedOpenAI

    def do_POST(self) -> None:
        if self.path != "/v1/chat/completions":
            self.answer(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        received = Received(role=role_of(body), body=body, at=time.monotonic())
        self.server.received.append(received)
        if self.server.refuse_json_schema and received.mode == "json_schema":
            self.answer(
                400,
                {
                    "error": {
                        "message": "response_format json_schema is not supported",
                        "type": "invalid_request_error",
                    }
                },
            )
            return
        answer = self.server.next_answer(received.role)
        if answer.delay_s:
            time.sleep(answer.delay_s)
        if answer.status != 200:
            self.answer(
                answer.status, {"error": {"message": answer.error, "type": "scripted"}}, answer.headers
            )
            return
        self.answer(200, self.completion(received, answer))

    def completion(self, received: Received, answer: Answer) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": answer.content}
        arguments = answer.arguments if answer.arguments is not None else DEFAULTS.get(received.role)
        if answer.content is None:
            if arguments is None:
                message["content"] = good_content(received.role)
            elif received.mode == "tool_calling":
                name = received.body["tools"][0]["function"]["name"]
                call = {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
                message["tool_calls"] = [call]
            elif received.mode == "text":
                message["content"] = f"```json\n{json.dumps(arguments)}\n```"
            else:
                message["content"] = json.dumps(arguments)
        prompt, completion = TOKENS
        return {
            "id": f"chatcmpl-{len(self.server.received)}",
            "object": "chat.completion",
            "created": 0,
            "model": received.body["model"],
            "choices": [{"index": 0, "finish_reason": answer.finish_reason, "message": message}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    def answer(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a scripted hang)
            pass

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def serving(server: ScriptedOpenAI) -> Iterator[ScriptedOpenAI]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
