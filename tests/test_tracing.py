"""Tracing: with Langfuse variables set, every chat model call inside a LangGraph node reaches a local OTLP
stub with the session id, theme and node name; without them nothing is imported or sent."""

import gzip
import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypedDict

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langgraph.graph import END, START, StateGraph
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from test_agents_graph import runner, tools  # noqa: F401  (fixtures: the real validator on one sandbox)

from benchgen.errors import ConfigError
from benchgen.tracing import THEME_METADATA_KEY, langfuse_settings, traced_session

OTLP_PATH = "/api/public/otel/v1/traces"  # where Langfuse SDK v3+ exports spans (OTLP over HTTP)
THEME = "ball must cross a gap"
NODES = ("planner", "coder")


class Recorded(TypedDict):
    path: str
    headers: dict[str, str]
    body: bytes


class IngestionStub:
    """A loopback HTTP server that answers 200 to everything and keeps every POST."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stub.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:  # keep the test output clean
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def spans(self) -> list:
        found = []
        for request in self.requests:
            if request["path"] != OTLP_PATH:
                continue
            body = request["body"]
            if request["headers"].get("content-encoding") == "gzip":
                body = gzip.decompress(body)
            export = ExportTraceServiceRequest.FromString(body)
            found += [span for rs in export.resource_spans for ss in rs.scope_spans for span in ss.spans]
        return found


@pytest.fixture
def stub() -> Iterator[IngestionStub]:
    server = IngestionStub()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


class State(TypedDict):
    replies: list[str]


def tiny_graph(model: FakeListChatModel):
    """Two nodes named like the generator's, each asking the chat model once (as the LLM roles do)."""

    def node(state: State) -> dict:
        return {"replies": [*state["replies"], model.invoke("design a gap crossing").text]}

    graph = StateGraph(State)
    for name in NODES:
        graph.add_node(name, node)
    graph.add_edge(START, NODES[0])
    graph.add_edge(NODES[0], NODES[1])
    graph.add_edge(NODES[1], END)
    return graph.compile()


def attributes(span) -> dict[str, str]:
    return {a.key: a.value.string_value or str(a.value) for a in span.attributes}


def test_every_model_call_is_traced_with_session_theme_and_node(stub):
    session_id = uuid.uuid4()
    environ = {
        "LANGFUSE_PUBLIC_KEY": f"pk-lf-{uuid.uuid4().hex[:8]}",  # a fresh key: a fresh Langfuse client
        "LANGFUSE_SECRET_KEY": "sk-lf-test",
        "LANGFUSE_BASE_URL": stub.url,
    }
    model = FakeListChatModel(responses=["a plan", "a script"])
    with traced_session({"configurable": {"thread_id": "t"}}, session_id, THEME, environ=environ) as config:
        result = tiny_graph(model).invoke({"replies": []}, config)
    assert result["replies"] == ["a plan", "a script"]

    assert stub.requests, "no request reached the ingestion stub"
    assert {r["path"] for r in stub.requests} == {OTLP_PATH}
    assert stub.requests[0]["headers"]["authorization"].startswith("Basic ")
    spans = stub.spans()
    by_id = {span.span_id: span for span in spans}
    node_spans = {span.name: span for span in spans if span.name in NODES}
    assert set(node_spans) == set(NODES)
    generations = [s for s in spans if attributes(s).get("langfuse.observation.type") == "generation"]
    assert len(generations) == 2
    assert sorted(by_id[g.parent_span_id].name for g in generations) == sorted(NODES)
    for span in spans:
        values = attributes(span)
        assert values.get("session.id") == str(session_id), values
    for generation in generations:
        values = attributes(generation)
        assert values[f"langfuse.trace.metadata.{THEME_METADATA_KEY}"] == json.dumps(THEME)
        node = by_id[generation.parent_span_id].name
        assert values["langfuse.observation.metadata.langgraph_node"] == json.dumps(node)


def test_without_settings_nothing_is_imported_or_sent(stub):
    code = (
        "import sys, uuid\n"
        "from benchgen.tracing import traced_session\n"
        "with traced_session({'configurable': {}}, uuid.uuid4(), 't', environ={}) as config:\n"
        "    assert config == {'configurable': {}}, config\n"
        "assert not [m for m in sys.modules if m.startswith('langfuse')], 'langfuse was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert stub.requests == []


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"LANGFUSE_PUBLIC_KEY": "pk"}, "LANGFUSE_SECRET_KEY, LANGFUSE_BASE_URL or LANGFUSE_HOST not set"),
        (
            {"LANGFUSE_PUBLIC_KEY": "pk", "LANGFUSE_SECRET_KEY": "sk"},
            "LANGFUSE_BASE_URL or LANGFUSE_HOST not set",
        ),
        ({"LANGFUSE_SECRET_KEY": "sk", "LANGFUSE_HOST": "http://x"}, "LANGFUSE_PUBLIC_KEY not set"),
    ],
)
def test_half_configured_tracing_is_an_error(environ, message):
    with pytest.raises(ConfigError, match=message):
        langfuse_settings(environ)


def test_host_is_accepted_as_the_older_name_of_the_base_url():
    settings = langfuse_settings(
        {"LANGFUSE_PUBLIC_KEY": "pk", "LANGFUSE_SECRET_KEY": "sk", "LANGFUSE_HOST": "http://h:3000"}
    )
    assert settings is not None and settings.base_url == "http://h:3000"
    assert "sk" not in repr(settings)


# --- the real generator graph with the real LLM roles on scripted chat models ----------------------------


def test_every_role_call_of_the_generator_graph_is_traced_under_its_node(stub, tools, tmp_settings):  # noqa: F811
    from test_agents_graph import APPROVE, GOOD_SCRIPT, Fakes, code_reply, context, plan_reply

    from benchgen import db
    from benchgen.agents.graph import build_graph
    from benchgen.agents.recorder import SessionRecorder
    from benchgen.agents.state import GeneratorInput
    from benchgen.models import Provenance, SessionStatus

    fakes = Fakes(plans=[plan_reply()], codes=[code_reply(GOOD_SCRIPT)], reviews=[APPROVE])
    engine = db.get_engine(tmp_settings)
    session_id = uuid.uuid4()
    recorder = SessionRecorder(engine)
    recorder.create(session_id, THEME, "scripted", "scripted:fake", Provenance())
    environ = {
        "LANGFUSE_PUBLIC_KEY": f"pk-lf-{uuid.uuid4().hex[:8]}",
        "LANGFUSE_SECRET_KEY": "sk-lf-test",
        "LANGFUSE_HOST": stub.url,
    }
    graph = build_graph(fakes.roles, tools, recorder)
    with traced_session({"configurable": {"thread_id": str(session_id)}}, session_id, THEME, environ) as run:
        graph.invoke(GeneratorInput(session_id=session_id, theme=THEME, seed=7), run, context=context())
    assert db.get_session(engine, session_id).status is SessionStatus.ACCEPTED
    engine.dispose()

    spans = stub.spans()
    by_id = {span.span_id: span for span in spans}
    generations = [s for s in spans if attributes(s).get("langfuse.observation.type") == "generation"]
    nodes = sorted(
        json.loads(attributes(g)["langfuse.observation.metadata.langgraph_node"]) for g in generations
    )
    assert nodes == ["coder", "planner", "reviewer"]
    for (
        generation
    ) in generations:  # each generation sits under its node's span (structured output adds layers)
        node = json.loads(attributes(generation)["langfuse.observation.metadata.langgraph_node"])
        ancestors, span = [], generation
        while span.parent_span_id in by_id:
            span = by_id[span.parent_span_id]
            ancestors.append(span.name)
        assert node in ancestors, (node, ancestors)
    assert {attributes(g)["session.id"] for g in generations} == {str(session_id)}
    assert {s.name for s in spans} >= {"planner", "coder", "validate", "reviewer", "accept"}
