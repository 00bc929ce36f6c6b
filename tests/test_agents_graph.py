"""The generator graph with scripted fake chat models playing the roles and the real sandboxed validator."""

import logging
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import openai
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from PIL import Image
from pydantic import Field

from benchgen import db
from benchgen.agents.context import GeneratorContext
from benchgen.agents.graph import (
    GraphTools,
    Roles,
    failure_fingerprint,
    route_after_review,
    route_after_validate,
)
from benchgen.agents.lessons import Lesson, LessonStore
from benchgen.agents.llm import LLMCoder, LLMPlanner, LLMReviewer, ModelConfig, model_client
from benchgen.agents.prompts import EXAMPLE_SCRIPT, EXAMPLE_WITNESS
from benchgen.agents.replies import extract_script
from benchgen.agents.schemas import ReviewEvidence, ScriptDraft
from benchgen.agents.session import (
    SessionInterrupted,
    SessionOptions,
    backend_from_options,
    checkpoint_serializer,
    open_checkpointer,
    roles_for,
    run_session,
)
from benchgen.agents.state import AttemptEntry, AttemptStage, BenchmarkGeneratorState, StopKind
from benchgen.agents.transport import ModelUnavailable, RetryPolicy
from benchgen.codes import FailureCode
from benchgen.decisions import ReviewDecision, ReviewVerdict, TokenUsage
from benchgen.errors import UsageError
from benchgen.failures import Failure
from benchgen.models import SessionStatus
from benchgen.render.types import RenderBundle
from benchgen.sandbox import SandboxRunner
from benchgen.settings import Settings, get_settings
from benchgen.validation.report import ValidationReport
from benchgen.validation.validator import validate_source

TEST_SEEDS = (0, 1)  # two seeds: enough for NO_VARIATION, half the cost of the default three
TOKENS_PER_REPLY = (300, 120)  # (input, output) tokens each scripted reply reports
NO_RETRY = RetryPolicy(attempts=1)  # a scripted provider error ends the request at once

# A gap-crossing scenario that passes validation, and a different valid one (box payload, taller decks).
GOOD_SCRIPT = EXAMPLE_SCRIPT
GOOD_BOX_SCRIPT = (
    EXAMPLE_SCRIPT.replace(
        "deck_w, deck_h = 200 * scale, 80 * scale", "deck_w, deck_h = 220 * scale, 100 * scale"
    )
    .replace("radius = 20 * scale", "radius = 15 * scale")
    .replace(
        'payload=Payload.sphere(\n            radius=radius, start=(left_x, 0, deck_h + radius + clearance), jitter=(5, 5, 0), material="steel"\n        ),',
        "payload=Payload.box(\n            size=(2 * radius, 2 * radius, 2 * radius), start=(left_x, 0, deck_h + radius + clearance), jitter=(5, 5, 0)\n        ),",
    )
)
# The ball starts 10 mm (or 6 mm) inside the left deck: PAYLOAD_OVERLAPS_FIXTURE with different numbers.
BROKEN_SCRIPT = EXAMPLE_SCRIPT.replace("deck_h + radius + clearance", "deck_h + radius - 10")
BROKEN_SCRIPT_2 = EXAMPLE_SCRIPT.replace("deck_h + radius + clearance", "deck_h + radius - 6")

PLAN_REPLY = {
    "family": "gap_crossing",
    "puzzle_idea": "A steel ball rests on the left deck; the solver must carry it across a gap to the right deck.",
    "fixtures": [
        {"label": "left_deck", "description": "200 x 200 x 80 mm deck left of the gap"},
        {"label": "right_deck", "description": "200 x 200 x 80 mm deck right of the gap"},
    ],
    "payload": "steel sphere r=20 mm",
    "zones": "goal over the right deck; forbid zone fills the gap below deck height; build zone spans both decks",
    "randomization": [{"name": "gap width", "low": 80, "high": 160, "unit": "mm", "scales_with_scale": True}],
    "scale_policy": "every length is multiplied by scale",
    "difficulty_intent": 0.4,
    "notes": "",
}


class ScriptedChatModel(BaseChatModel):
    """Answers with the next scripted reply (an AIMessage, or an exception to raise) and keeps the requests."""

    replies: list[Any]
    received: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> "ScriptedChatModel":
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ):
        self.received.append(messages)
        if len(self.received) > len(self.replies):
            raise AssertionError(
                f"unscripted call {len(self.received)}: only {len(self.replies)} replies scripted"
            )
        reply = self.replies[len(self.received) - 1]
        if isinstance(reply, Exception):
            raise reply
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def request_text(self, call: int) -> str:
        """All text the model received in call `call` (0-based)."""
        return "\n".join(m.text for m in self.received[call])


def usage() -> dict[str, int]:
    tokens_in, tokens_out = TOKENS_PER_REPLY
    return {"input_tokens": tokens_in, "output_tokens": tokens_out, "total_tokens": tokens_in + tokens_out}


def tool_reply(name: str, args: dict[str, Any]) -> AIMessage:
    """How a tool-calling model answers a structured-output request."""
    return AIMessage(
        content="", tool_calls=[{"name": name, "args": args, "id": f"call_{name}"}], usage_metadata=usage()
    )


def plan_reply(**changes: Any) -> AIMessage:
    return tool_reply("PlanReply", {**PLAN_REPLY, **changes})


def code_reply(
    source: str, note: str = "Gap crossing with a seeded gap width.", witness: str = EXAMPLE_WITNESS
) -> AIMessage:
    """A Coder's reply: the script, then its witness, each in a fenced block."""
    content = f"{note}\n```python\n{source}```\n```python\n{witness}```\n"
    return AIMessage(content=content, usage_metadata=usage())


def review_reply(verdict: str, reason: str, feedback: str = "") -> AIMessage:
    return tool_reply("ReviewReply", {"verdict": verdict, "reasons": [reason], "feedback": feedback})


APPROVE = review_reply(
    "APPROVE", "The gap and decks read clearly; a bridge or arm inside the build zone solves it."
)


class Fakes:
    """One scripted model per role, and the roles built on them exactly as for a real provider."""

    def __init__(self, plans: list[Any], codes: list[Any], reviews: list[Any]) -> None:
        config = ModelConfig(model="scripted:fake", supports_images=False, retry=NO_RETRY)
        self.planner = ScriptedChatModel(replies=plans)
        self.coder = ScriptedChatModel(replies=codes)
        self.reviewer = ScriptedChatModel(replies=reviews)
        self.roles = Roles(
            planner=LLMPlanner(model_client(self.planner, config), config),
            coder=LLMCoder(model_client(self.coder, config), config),
            reviewer=LLMReviewer(model_client(self.reviewer, config), config),
        )


def planner_on(model: ScriptedChatModel, config: ModelConfig | None = None) -> LLMPlanner:
    config = config or ModelConfig(model="scripted:fake")
    return LLMPlanner(model_client(model, config), config)


def reviewer_on(model: ScriptedChatModel, name: str) -> LLMReviewer:
    config = ModelConfig(model=name)
    return LLMReviewer(model_client(model, config), config)


@pytest.fixture(scope="module")
def runner() -> Iterator[SandboxRunner]:
    with SandboxRunner() as sandbox:
        yield sandbox


@pytest.fixture
def tools(runner: SandboxRunner, tmp_path) -> GraphTools:
    """The real validator on a shared sandbox worker; rendering is off in these tests (context.render).

    These tests are about routing, so drafts' witnesses are not evaluated here (their reports say
    "solvability unproven"); the product's tools evaluate them in tests/integration_tests/test_openai_stub.py."""

    def validate(source: str, witness: str | None, seeds, scales, require_witness: bool) -> ValidationReport:
        return validate_source(source, "scenario.py", seeds, scales, runner=runner)

    def render(*args: Any) -> None:
        raise AssertionError("rendering is off in these tests")

    return GraphTools(validate=validate, render=render, render_dir=tmp_path / "renders")


def context(**changes: Any) -> GeneratorContext:
    return GeneratorContext(validation_seeds=TEST_SEEDS, render=False, **changes)


def run(fakes: Fakes, settings: Settings, tools: GraphTools, **options: Any):
    backend = backend_from_options("openai:fake", settings)
    progress: list[tuple[str, str]] = []
    session_options = SessionOptions(
        context=options.pop("context", context()),
        roles=fakes.roles,
        tools=tools,
        on_progress=lambda node, message: progress.append((node, message)),
        **options,
    )
    outcome = run_session(
        "ball must cross a gap", 7, backend=backend, settings=settings, options=session_options
    )
    return outcome, progress


def row_of(settings: Settings, outcome):
    return db.get_session(db.get_engine(settings), outcome.session_id)


def test_success_on_first_try(tmp_settings: Settings, tools: GraphTools) -> None:
    fakes = Fakes([plan_reply()], [code_reply(GOOD_SCRIPT)], [APPROVE])
    outcome, progress = run(fakes, tmp_settings, tools)

    assert outcome.status is SessionStatus.ACCEPTED
    assert outcome.report is not None and outcome.report.ok
    assert outcome.script == GOOD_SCRIPT
    assert outcome.script_path is not None and outcome.script_path.read_text() == GOOD_SCRIPT
    assert [node for node, _ in progress] == ["planner", "coder", "validate", "render", "reviewer", "accept"]
    row = row_of(tmp_settings, outcome)
    assert (row.status, row.plan_rounds, row.coder_attempts, row.review_rounds) == (
        SessionStatus.ACCEPTED,
        1,
        1,
        1,
    )
    assert row.plan is not None and row.plan.family == "gap_crossing"
    assert [a.attempt for a in row.validation_logs] == [1]
    assert row.review_decisions[0].verdict.value == "APPROVE"
    assert not row.review_decisions[0].saw_images
    assert any("text-only review" in reason for reason in row.review_decisions[0].reasons)
    tokens_in, tokens_out = TOKENS_PER_REPLY
    assert (row.input_tokens, row.output_tokens) == (3 * tokens_in, 3 * tokens_out)
    stages = [entry.stage for entry in row.journal]
    assert stages[0] == "planner" and stages[-1] == "accept"
    # The Coder's system prompt carries the contract and the worked example.
    assert "def build(seed: int, scale: float = 1.0) -> Scenario" in fakes.coder.request_text(0)


def test_repair_after_validation_failure(tmp_settings: Settings, tools: GraphTools) -> None:
    fakes = Fakes([plan_reply()], [code_reply(BROKEN_SCRIPT), code_reply(GOOD_SCRIPT)], [APPROVE])
    outcome, progress = run(fakes, tmp_settings, tools)

    assert outcome.status is SessionStatus.ACCEPTED
    assert [node for node, _ in progress][:5] == ["planner", "coder", "validate", "coder", "validate"]
    repair_request = fakes.coder.request_text(1)
    assert "PAYLOAD_OVERLAPS_FIXTURE" in repair_request
    assert "raise start z" in repair_request  # the validator's advice reaches the Coder
    assert BROKEN_SCRIPT in repair_request  # and so does the script it must repair
    row = row_of(tmp_settings, outcome)
    assert [(a.attempt, a.report.ok) for a in row.validation_logs] == [(1, False), (2, True)]
    journal = [entry.message for entry in row.journal if entry.stage == "validation journal"]
    assert journal[0].startswith("attempt 1: intent: Gap crossing with a seeded gap width. | result: invalid")
    assert "reflection: PAYLOAD_OVERLAPS_FIXTURE: payload sphere r=20" in journal[0]
    assert "result: valid on 2 variants, solvability unproven" in journal[1]
    assert row.coder_attempts == 2


def test_reject_code_goes_back_to_the_coder(tmp_settings: Settings, tools: GraphTools) -> None:
    feedback = "Use a box payload so it cannot roll; keep the decks 100 mm tall."
    fakes = Fakes(
        [plan_reply()],
        [code_reply(GOOD_SCRIPT), code_reply(GOOD_BOX_SCRIPT, "Box payload on taller decks.")],
        [review_reply("REJECT_CODE", "A rolling ball makes the start fragile.", feedback), APPROVE],
    )
    outcome, progress = run(fakes, tmp_settings, tools)

    assert outcome.status is SessionStatus.ACCEPTED
    assert outcome.script == GOOD_BOX_SCRIPT
    assert [node for node, _ in progress].count("coder") == 2
    assert feedback in fakes.coder.request_text(1)
    assert len(fakes.planner.received) == 1
    row = row_of(tmp_settings, outcome)
    assert [d.verdict.value for d in row.review_decisions] == ["REJECT_CODE", "APPROVE"]


def test_reject_plan_goes_back_to_the_planner(tmp_settings: Settings, tools: GraphTools) -> None:
    feedback = "The theme asks for a gap; make the gap the only obstacle and drop the side walls."
    fakes = Fakes(
        [plan_reply(), plan_reply(puzzle_idea="A ball crosses a single open gap between two decks.")],
        [code_reply(GOOD_SCRIPT), code_reply(GOOD_SCRIPT)],
        [review_reply("REJECT_PLAN", "The plan does not fit the theme.", feedback), APPROVE],
    )
    outcome, progress = run(fakes, tmp_settings, tools)

    assert outcome.status is SessionStatus.ACCEPTED
    assert [node for node, _ in progress].count("planner") == 2
    assert feedback in fakes.planner.request_text(1)
    assert feedback not in fakes.planner.request_text(0)
    row = row_of(tmp_settings, outcome)
    assert row.plan_rounds == 2 and row.plan is not None
    assert row.plan.puzzle_idea.startswith("A ball crosses a single open gap")


def test_coder_attempt_cap_fails_the_session(tmp_settings: Settings, tools: GraphTools) -> None:
    fakes = Fakes([plan_reply()], [code_reply(BROKEN_SCRIPT), code_reply(BROKEN_SCRIPT_2)], [])
    outcome, _ = run(fakes, tmp_settings, tools, context=context(max_coder_attempts=2))

    assert outcome.status is SessionStatus.FAILED
    assert (
        outcome.reason is not None
        and "coder attempt cap reached: 2 of max_coder_attempts 2" in outcome.reason
    )
    assert fakes.reviewer.received == []  # an invalid script never reaches the reviewer
    assert row_of(tmp_settings, outcome).reason == outcome.reason


def test_review_round_cap_rejects_the_session(tmp_settings: Settings, tools: GraphTools) -> None:
    fakes = Fakes(
        [plan_reply()],
        [code_reply(GOOD_SCRIPT)],
        [review_reply("REJECT_CODE", "The goal is too easy to reach.", "Move the goal higher.")],
    )
    outcome, _ = run(fakes, tmp_settings, tools, context=context(max_review_rounds=1))

    assert outcome.status is SessionStatus.REJECTED
    assert outcome.reason == "REJECT_CODE after 1 review rounds (max_review_rounds 1)"


def test_token_budget_fails_before_any_code(tmp_settings: Settings, tools: GraphTools) -> None:
    fakes = Fakes([plan_reply()], [], [])
    outcome, progress = run(fakes, tmp_settings, tools, context=context(max_total_tokens=100))

    assert outcome.status is SessionStatus.FAILED
    assert [node for node, _ in progress] == ["planner", "fail"]
    assert outcome.reason is not None and "420 tokens used > max_total_tokens 100" in outcome.reason


def test_same_failure_twice_in_a_row_stops(tmp_settings: Settings, tools: GraphTools) -> None:
    fakes = Fakes([plan_reply()], [code_reply(BROKEN_SCRIPT), code_reply(BROKEN_SCRIPT)], [])
    outcome, progress = run(fakes, tmp_settings, tools)

    assert outcome.status is SessionStatus.FAILED
    assert outcome.reason is not None and outcome.reason.startswith(
        "the same failures came back twice in a row"
    )
    assert [node for node, _ in progress].count("coder") == 2  # cap is 6: the fingerprint stopped it
    # The recurring code became a lesson, saved for the Coder of later sessions.
    lessons = LessonStore(tmp_settings.resolved_data_dir).for_prompt()
    assert [lesson.code for lesson in lessons] == [FailureCode.PAYLOAD_OVERLAPS_FIXTURE]

    later = Fakes([plan_reply()], [code_reply(GOOD_SCRIPT)], [APPROVE])
    run(later, tmp_settings, tools)
    assert "PAYLOAD_OVERLAPS_FIXTURE (the payload at its start" in later.coder.request_text(0)


def test_a_valid_script_in_between_breaks_a_run_of_equal_failures(
    tmp_settings: Settings, tools: GraphTools
) -> None:
    fakes = Fakes(
        [plan_reply()],
        [code_reply(s) for s in (BROKEN_SCRIPT, GOOD_SCRIPT, BROKEN_SCRIPT, GOOD_BOX_SCRIPT)],
        [review_reply("REJECT_CODE", "A ball rolls too easily.", "Use a box payload."), APPROVE],
    )
    outcome, progress = run(fakes, tmp_settings, tools)

    assert outcome.status is SessionStatus.ACCEPTED, outcome.reason
    assert [node for node, _ in progress].count("coder") == 4


def test_resume_after_an_interruption_continues_from_the_last_node(
    tmp_settings: Settings, tools: GraphTools
) -> None:
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    outage = openai.APIConnectionError(request=request)
    fakes = Fakes([plan_reply()], [code_reply(GOOD_SCRIPT)], [outage, APPROVE])
    backend = backend_from_options("openai:fake", tmp_settings)
    options = SessionOptions(context=context(), roles=fakes.roles, tools=tools)
    with pytest.raises(SessionInterrupted, match="continue with --resume"):
        run_session("ball must cross a gap", 7, backend=backend, settings=tmp_settings, options=options)

    [row] = db.list_sessions(db.get_engine(tmp_settings))
    assert row.status is SessionStatus.REVIEWING and row.coder_attempts == 1

    outcome = run_session(None, 7, backend=backend, settings=tmp_settings, resume=row.id, options=options)
    assert outcome.session_id == row.id
    assert outcome.status is SessionStatus.ACCEPTED
    assert (len(fakes.planner.received), len(fakes.coder.received), len(fakes.reviewer.received)) == (1, 1, 2)
    assert [a.attempt for a in row_of(tmp_settings, outcome).validation_logs] == [1]


def test_a_crash_outside_the_model_marks_the_session_failed_with_the_cause(
    tmp_settings: Settings, tools: GraphTools
) -> None:
    crash = RuntimeError("reviewer process killed")
    fakes = Fakes([plan_reply()], [code_reply(GOOD_SCRIPT)], [crash])
    with pytest.raises(RuntimeError, match="reviewer process killed"):
        run(fakes, tmp_settings, tools)

    [row] = db.list_sessions(db.get_engine(tmp_settings))
    assert row.status is SessionStatus.FAILED
    assert row.reason == "RuntimeError: reviewer process killed"


def test_a_model_outage_in_the_flow_fails_the_session_instead_of_leaving_it_to_resume(
    tmp_settings: Settings, tools: GraphTools
) -> None:
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    fakes = Fakes([openai.APITimeoutError(request=request)], [], [])
    with pytest.raises(ModelUnavailable):
        run(fakes, tmp_settings, tools, resumable=False)

    [row] = db.list_sessions(db.get_engine(tmp_settings))
    assert row.status is SessionStatus.FAILED and row.reason is not None
    assert row.reason.startswith(
        "the model failed (ModelUnavailable: scripted:fake at the scripted API failed 1 try in a row"
    )


def test_interrupt_before_a_node_then_resume(tmp_settings: Settings, tools: GraphTools) -> None:
    fakes = Fakes([plan_reply()], [code_reply(GOOD_SCRIPT)], [APPROVE])
    backend = backend_from_options("openai:fake", tmp_settings)
    first = SessionOptions(context=context(), roles=fakes.roles, tools=tools, interrupt_before=["validate"])
    stopped = run_session("ball must cross a gap", 7, backend=backend, settings=tmp_settings, options=first)
    assert stopped.status is SessionStatus.CODING and stopped.report is None

    rest = SessionOptions(context=context(), roles=fakes.roles, tools=tools)
    outcome = run_session(
        None, 7, backend=backend, settings=tmp_settings, resume=stopped.session_id, options=rest
    )
    assert outcome.status is SessionStatus.ACCEPTED
    assert len(fakes.coder.received) == 1


def test_routers_raise_on_unexpected_values() -> None:
    from uuid import uuid4

    state = BenchmarkGeneratorState(session_id=uuid4(), theme="t", seed=0)
    with pytest.raises(ValueError, match="without a report"):
        route_after_validate(state)
    with pytest.raises(ValueError, match="without a decision"):
        route_after_review(state)


def test_fingerprint_ignores_order_and_sees_numbers() -> None:
    a = Failure(code=FailureCode.PAYLOAD_OVERLAPS_FIXTURE, message="overlaps by 10 mm", seed=0, scale=1.0)
    b = Failure(code=FailureCode.NOT_SETTLED, message="still moving at 0.02 m/s", seed=1, scale=1.0)
    first = ValidationReport(script="s", ok=False, failures=[a, b])
    assert failure_fingerprint(first) == failure_fingerprint(
        ValidationReport(script="s", ok=False, failures=[b, a])
    )
    moved = a.model_copy(update={"message": "overlaps by 6 mm"})
    assert failure_fingerprint(first) != failure_fingerprint(
        ValidationReport(script="s", ok=False, failures=[moved, b])
    )


def test_extract_script_strips_line_numbers_from_tool_output() -> None:
    numbered = "\n".join(f"{i:6d}\t{line}" for i, line in enumerate(GOOD_SCRIPT.splitlines(), start=1))
    source, note = extract_script(f"Fixed the start height.\n```python\n{numbered}\n```")
    assert source == GOOD_SCRIPT
    assert note == "Fixed the start height."
    # Code that merely contains numbers is left alone.
    assert extract_script("```python\nx = 1\n2\n```")[0] == "x = 1\n2\n"


def test_the_offline_roles_play_the_same_graph(tmp_settings: Settings, tools: GraphTools) -> None:
    backend = backend_from_options("offline", tmp_settings)
    options = SessionOptions(context=context(), roles=roles_for(backend), tools=tools)
    outcome = run_session("ball must cross a gap", 3, backend=backend, settings=tmp_settings, options=options)

    assert outcome.status is SessionStatus.ACCEPTED, outcome.reason
    row = row_of(tmp_settings, outcome)
    assert (row.backend, row.model) == ("offline", "offline")
    assert row.review_decisions[-1].verdict.value == "APPROVE"


def test_checkpoints_and_resume_on_postgresql(clean_env, fresh_postgres_url: str, tools: GraphTools) -> None:
    db.upgrade(fresh_postgres_url)
    settings = get_settings(data_dir=clean_env / "data", database_url=fresh_postgres_url)
    fakes = Fakes([plan_reply()], [code_reply(BROKEN_SCRIPT), code_reply(GOOD_SCRIPT)], [APPROVE])
    backend = backend_from_options("openai:fake", settings)
    first = SessionOptions(context=context(), roles=fakes.roles, tools=tools, interrupt_before=["coder"])
    stopped = run_session("ball must cross a gap", 7, backend=backend, settings=settings, options=first)
    assert stopped.status is SessionStatus.PLANNING and stopped.family is not None

    rest = SessionOptions(context=context(), roles=fakes.roles, tools=tools)
    outcome = run_session(
        None, 7, backend=backend, settings=settings, resume=stopped.session_id, options=rest
    )
    assert outcome.status is SessionStatus.ACCEPTED
    assert len(fakes.planner.received) == 1 and len(fakes.coder.received) == 2
    assert [a.report.ok for a in row_of(settings, outcome).validation_logs] == [False, True]


def test_checkpoint_setup_from_runs_starting_together_on_a_fresh_postgresql(fresh_postgres_url: str) -> None:
    """Flow runs on several workers open the checkpointer at once; LangGraph's setup must not race."""
    starters = 3
    barrier = threading.Barrier(starters)

    def open_at_once() -> None:
        barrier.wait()
        with open_checkpointer(fresh_postgres_url):
            pass

    with ThreadPoolExecutor(max_workers=starters) as pool:
        for started in [pool.submit(open_at_once) for _ in range(starters)]:
            started.result()  # raises what the thread raised


def test_transient_api_errors_are_retried(tmp_settings: Settings) -> None:
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    model = ScriptedChatModel(replies=[openai.APIConnectionError(request=request), plan_reply()])
    config = ModelConfig(model="scripted:fake", retry=RetryPolicy(attempts=2, backoff_s=0))
    plan = planner_on(model, config).plan("ball must cross a gap", 0)

    assert plan.family == "gap_crossing" and len(model.received) == 2
    assert plan.usage.total_tokens == sum(TOKENS_PER_REPLY)


def test_other_api_errors_are_not_retried() -> None:
    model = ScriptedChatModel(replies=[ValueError("bad request: unknown parameter"), plan_reply()])
    with pytest.raises(ValueError, match="unknown parameter"):
        planner_on(model).plan("ball must cross a gap", 0)
    assert len(model.received) == 1


def review_evidence(tmp_path) -> ReviewEvidence:
    """A passed report and a bundle of two small real PNG files."""
    views = {}
    for name in ("isometric", "top"):
        views[name] = tmp_path / f"{name}.png"
        Image.new("RGB", (8, 8), (200, 100, 50)).save(views[name])
    sheet = tmp_path / "sheet.png"
    Image.new("RGB", (16, 8), (20, 20, 20)).save(sheet)
    bundle = RenderBundle(directory=tmp_path, views=views, contact_sheet=sheet)
    return ReviewEvidence(report=ValidationReport(script="scenario.py", ok=True), bundle=bundle)


def test_reviewer_sends_images_to_models_that_accept_them(tmp_path) -> None:
    model = ScriptedChatModel(replies=[APPROVE], profile={"image_inputs": True})
    reviewer = reviewer_on(model, "scripted:vision")
    plan = planner_on(ScriptedChatModel(replies=[plan_reply()])).plan("gap", 0)
    draft = ScriptDraft(source=GOOD_SCRIPT, attempt=1)
    decision = reviewer.review(plan, draft, review_evidence(tmp_path))

    assert decision.saw_images and decision.reviewer == "scripted:vision"
    parts = model.received[0][-1].content
    urls = [part["image_url"]["url"] for part in parts if part["type"] == "image_url"]
    assert len(urls) == 3 and all(url.startswith("data:image/png;base64,iVBORw0KGgo") for url in urls)


def test_reviewer_without_image_support_says_so(tmp_path) -> None:
    model = ScriptedChatModel(replies=[APPROVE])  # no profile: unknown models get text only
    reviewer = reviewer_on(model, "scripted:text")
    plan = planner_on(ScriptedChatModel(replies=[plan_reply()])).plan("gap", 0)
    decision = reviewer.review(plan, ScriptDraft(source=GOOD_SCRIPT, attempt=1), review_evidence(tmp_path))

    assert not decision.saw_images
    assert decision.reasons[-1].startswith("text-only review: scripted:text is not known to accept images")
    assert all(part["type"] == "text" for part in model.received[0][-1].content)


def test_the_api_key_is_not_logged_or_shown(tmp_settings: Settings, caplog) -> None:
    secret = "sk-test-0123456789abcdef"
    settings = get_settings(data_dir=tmp_settings.data_dir, llm_api_key=secret)
    backend = backend_from_options("openai:gpt-4o", settings, base_url="http://127.0.0.1:9/v1")
    with caplog.at_level(logging.DEBUG):
        roles = roles_for(backend, check_access=False)
    assert roles.coder.client.model.openai_api_key.get_secret_value() == secret  # the client has it
    assert (
        secret not in caplog.text and secret not in repr(backend) and secret not in backend.model_dump_json()
    )


def test_every_state_field_survives_a_checkpoint_round_trip(tmp_path, caplog) -> None:
    from uuid import uuid4

    from benchgen.evaluation.report import EvaluationReport, StartResult, VariantEvaluation
    from benchgen.offline.repair_state import AppliedMove, OfflineDraftState, RepairMove

    serde = checkpoint_serializer()
    evidence = review_evidence(tmp_path)
    start = StartResult(
        index=0,
        start_mm=(0, 0, 100),
        final_mm=(10, 0, 20),
        reached_goal=False,
        simulated_s=2.0,
        max_speed_m_s=0.3,
        failure=FailureCode.FORBID_ZONE_HIT,
    )
    witness_run = VariantEvaluation(seed=0, scale=1.0, solved=False, starts=[start])
    report = ValidationReport(
        script="scenario.py",
        ok=False,
        failures=[Failure(code=FailureCode.NOT_SETTLED, message="still moving", seed=0, scale=1.0)],
        witness=EvaluationReport(
            script="scenario.py", solution="solution.py", solved=False, variants=[witness_run]
        ),
    )
    offline = OfflineDraftState(
        parameters={"gap": 120.0}, moves=[AppliedMove(move=RepairMove.LONGER_SETTLE, note="settle 1 -> 1.5")]
    )
    plan = planner_on(ScriptedChatModel(replies=[plan_reply()])).plan("gap", 0)
    lesson = Lesson(code=FailureCode.NOT_SETTLED, text="NOT_SETTLED kept recurring")
    state = BenchmarkGeneratorState(
        session_id=uuid4(),
        theme="gap",
        seed=3,
        lessons=[lesson],
        plan=plan,
        draft=ScriptDraft(source=GOOD_SCRIPT, attempt=1, witness=EXAMPLE_WITNESS, offline=offline),
        report=report,
        bundle=evidence.bundle,
        review=ReviewDecision(verdict=ReviewVerdict.REJECT_CODE, reasons=["r"], reviewer="x"),
        feedback="f",
        coder_attempts=1,
        fingerprints=[failure_fingerprint(report)],
        failure_counts={FailureCode.NOT_SETTLED.value: 2},
        learned=[lesson],
        journal=[
            AttemptEntry(attempt=1, stage=AttemptStage.VALIDATION, intent="i", result="r", reflection="x")
        ],
        usage=TokenUsage(input_tokens=5, output_tokens=2, cost_usd=0.01),
        stop_kind=StopKind.FAILED,
        stop_reason="why",
    )
    for name in BenchmarkGeneratorState.__dataclass_fields__:
        if name == "messages":
            continue
        value = getattr(state, name)
        restored = serde.loads_typed(serde.dumps_typed(value))
        assert repr(restored) == repr(value), name  # repr also compares types, e.g. enum vs str keys
    assert "Blocked deserialization" not in caplog.text  # every stored type is on the allow-list


def test_unusable_replies_past_the_bound_fail_the_session_naming_the_role(
    tmp_settings: Settings, tools: GraphTools
) -> None:
    maybe = tool_reply("ReviewReply", {"verdict": "MAYBE", "reasons": ["unsure"], "feedback": ""})
    fakes = Fakes([plan_reply()], [code_reply(GOOD_SCRIPT)], [maybe, maybe, maybe])
    outcome, progress = run(fakes, tmp_settings, tools)

    assert outcome.status is SessionStatus.FAILED
    assert [node for node, _ in progress][-2:] == ["reviewer", "fail"]
    assert outcome.reason is not None and outcome.reason.startswith(
        "reviewer (scripted:fake) gave no usable reply in 3 tries (reply_attempts): the reply does not match "
        "the ReviewReply schema: verdict: Input should be 'APPROVE', 'REJECT_CODE' or 'REJECT_PLAN'"
    )
    assert "MAYBE" in fakes.reviewer.request_text(1)  # the bad reply went back with the problem
    row = row_of(tmp_settings, outcome)
    assert row.status is SessionStatus.FAILED and row.reason == outcome.reason
    tokens_in, tokens_out = TOKENS_PER_REPLY
    assert (row.input_tokens, row.output_tokens) == (5 * tokens_in, 5 * tokens_out)  # bad replies count


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"max_coder_attempts": 0}, "max_coder_attempts must be >= 1, got 0"),
        ({"max_total_tokens": -5}, "max_total_tokens must be >= 1, got -5"),
        ({"validation_seeds": ()}, "validation_seeds must name at least one seed"),
        ({"validation_scales": (3.0,)}, "validation_scales must lie in [0.5, 2.0], got 3.0"),
    ],
)
def test_context_rejects_bad_tunables(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        GeneratorContext(**changes)


def test_context_fields_are_described() -> None:
    for name, spec in GeneratorContext.__dataclass_fields__.items():
        assert spec.metadata.get("description"), f"{name} has no description"
