"""The generator graph: planner -> coder -> validate -> render -> reviewer, with caps and repair loops."""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from langchain_core.messages import AIMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from benchgen.agents.context import GeneratorContext
from benchgen.agents.lessons import count_codes, new_lessons
from benchgen.agents.recorder import SessionRecorder
from benchgen.agents.roles import Coder, Planner, Reviewer, RoleFailure
from benchgen.agents.schemas import ReviewEvidence
from benchgen.agents.state import (
    AttemptEntry,
    AttemptStage,
    BenchmarkGeneratorState,
    GeneratorInput,
    StopKind,
)
from benchgen.decisions import ReviewVerdict, TokenUsage
from benchgen.errors import BenchgenError
from benchgen.models import SessionStatus
from benchgen.render.types import RenderBundle
from benchgen.validation.report import Solvability, ValidationReport

GRAPH_NAME = "benchmark_generator"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
FINGERPRINT_NUMBER_DIGITS = 1  # decimals kept of each number in a failure message (mm, s, counts)
MAX_REFLECTION_CHARS = 400  # characters of failure messages kept in one journal reflection

Context = Runtime[GeneratorContext]


class GraphInvariantError(BenchgenError):
    """The graph reached a state its routing should make impossible (e.g. reviewing an invalid script)."""


class ValidateTool(Protocol):
    """Validate `source` on seeds x scales and evaluate `witness` on the same variants (NO_WITNESS when
    `require_witness` and there is none)."""

    def __call__(
        self,
        source: str,
        witness: str | None,
        seeds: Sequence[int],
        scales: Sequence[float],
        require_witness: bool,
    ) -> ValidationReport: ...


class RenderTool(Protocol):
    """Render the review bundle of one variant; with `film_witness`, the witness's run on it too."""

    def __call__(
        self,
        source: str,
        witness: str | None,
        seed: int,
        scale: float,
        out_dir: Path,
        report: ValidationReport,
        film_witness: bool,
    ) -> RenderBundle: ...


@dataclass(frozen=True)
class GraphTools:
    """The machine checks the graph runs between roles: sandboxed validation and rendering."""

    validate: ValidateTool
    render: RenderTool
    render_dir: Path
    """Renders of attempt N of session S go to render_dir / S / attempt_N."""


@dataclass(frozen=True)
class Roles:
    """Who plays each role; the graph never knows which backend that is."""

    planner: Planner
    coder: Coder
    reviewer: Reviewer


def failure_fingerprint(report: ValidationReport) -> str:
    """Sorted set of failure codes with the numbers of their messages: equal when a repair changed nothing."""
    items = set()
    for failure in report.failures:
        numbers = ",".join(
            f"{float(n):.{FINGERPRINT_NUMBER_DIGITS}f}" for n in NUMBER.findall(failure.message)
        )
        items.add(f"{failure.code.value}@{failure.seed}/{failure.scale}[{numbers}]")
    return "|".join(sorted(items))


def over_budget(usage: TokenUsage, context: GeneratorContext) -> str | None:
    if usage.total_tokens > context.max_total_tokens:
        return (
            f"token budget exhausted: {usage.total_tokens} tokens used > max_total_tokens "
            f"{context.max_total_tokens}; raise the budget or use a model that needs fewer repairs"
        )
    return None


def _spend(state: BenchmarkGeneratorState, usage: TokenUsage, context: GeneratorContext) -> dict[str, Any]:
    """State update for tokens just spent: the new total, and a stop when it exceeds the budget."""
    total = state.usage + usage
    stop = over_budget(total, context)
    return {"usage": total, "stop_kind": StopKind.FAILED if stop else None, "stop_reason": stop}


def _role_failed(
    state: BenchmarkGeneratorState, failure: RoleFailure, context: GeneratorContext
) -> dict[str, Any]:
    """State update for a role that gave no usable reply: its tokens count, and the session fails."""
    spent = _spend(state, failure.usage, context)
    return {**spent, "stop_kind": StopKind.FAILED, "stop_reason": str(failure)}


def _lesson_texts(state: BenchmarkGeneratorState) -> list[str]:
    """Earlier sessions' lessons, each replaced by this session's lesson for the same code."""
    by_code = {lesson.code: lesson for lesson in [*state.lessons, *state.learned]}
    return [lesson.text for lesson in by_code.values()]


def _summary(report: ValidationReport) -> str:
    if report.ok:
        proof = "solved by its witness" if report.solvability is Solvability.PROVEN else "solvability unproven"
        return f"valid on {len(report.variants)} variants, {proof}"
    codes = ", ".join(sorted(code.value for code in report.codes()))
    return f"invalid: {len(report.failures)} failures ({codes})"


def _reflection(report: ValidationReport) -> str:
    messages = "; ".join(dict.fromkeys(f"{f.code.value}: {f.message}" for f in report.failures))
    return messages[:MAX_REFLECTION_CHARS]


# --- routers ---------------------------------------------------------------------------------------------


def route_after_planner(state: BenchmarkGeneratorState) -> Literal["coder", "fail"]:
    if state.stop_reason:
        return "fail"
    if state.plan is None:
        raise ValueError(f"planner finished without a plan (plan={state.plan!r})")
    return "coder"


def route_after_coder(state: BenchmarkGeneratorState) -> Literal["validate", "fail"]:
    if state.stop_reason:
        return "fail"
    if state.draft is None:
        raise ValueError(f"coder finished without a draft (draft={state.draft!r})")
    return "validate"


def route_after_validate(state: BenchmarkGeneratorState) -> Literal["coder", "render", "fail"]:
    if state.report is None:
        raise ValueError(f"validate finished without a report (report={state.report!r})")
    if state.stop_reason:
        return "fail"
    return "render" if state.report.ok else "coder"


def route_after_review(state: BenchmarkGeneratorState) -> Literal["accept", "coder", "planner", "fail"]:
    if state.stop_reason:
        return "fail"
    if state.review is None:
        raise ValueError(f"reviewer finished without a decision (review={state.review!r})")
    verdict = state.review.verdict
    if verdict is ReviewVerdict.APPROVE:
        return "accept"
    if verdict is ReviewVerdict.REJECT_CODE:
        return "coder"
    if verdict is ReviewVerdict.REJECT_PLAN:
        return "planner"
    raise ValueError(f"unexpected review verdict {verdict!r} of type {type(verdict).__name__}")


# --- nodes -----------------------------------------------------------------------------------------------


class GeneratorNodes:
    """The graph's nodes; each updates the session row when it starts and when it finishes."""

    def __init__(self, roles: Roles, tools: GraphTools, recorder: SessionRecorder) -> None:
        self.roles = roles
        self.tools = tools
        self.recorder = recorder

    def _finish(
        self,
        state: BenchmarkGeneratorState,
        update: dict[str, Any],
        status: SessionStatus,
        stage: str,
        message: str,
        **logs: Any,
    ) -> dict[str, Any]:
        """Record the state after `update` and return `update` for LangGraph to apply."""
        after = replace(state, **{k: v for k, v in update.items() if k != "messages"})
        self.recorder.record(after, status, stage, message, reason=after.stop_reason, **logs)
        return {**update, "messages": [AIMessage(content=message, name=stage)]}

    def planner(self, state: BenchmarkGeneratorState, runtime: Context) -> dict[str, Any]:
        rounds = state.plan_rounds + 1
        self.recorder.enter(state.session_id, SessionStatus.PLANNING, "planner", f"plan round {rounds}")
        replanning = state.review is not None and state.review.verdict is ReviewVerdict.REJECT_PLAN
        try:
            plan = self.roles.planner.plan(
                state.theme, state.seed, feedback=state.feedback if replanning else None
            )
        except RoleFailure as failure:
            update = {"plan_rounds": rounds, **_role_failed(state, failure, runtime.context)}
            return self._finish(state, update, SessionStatus.PLANNING, "planner", str(failure))
        update = {
            "plan": plan,
            "plan_rounds": rounds,
            "draft": None,
            "report": None,
            "bundle": None,
            "feedback": None,
            **_spend(state, plan.usage, runtime.context),
        }
        message = f"plan {rounds} by {self.roles.planner.name}: {plan.family}: {plan.puzzle_idea}"
        return self._finish(state, update, SessionStatus.PLANNING, "planner", message)

    def coder(self, state: BenchmarkGeneratorState, runtime: Context) -> dict[str, Any]:
        attempt = state.coder_attempts + 1
        if state.plan is None:
            raise GraphInvariantError("the coder ran before any plan was made")
        self.recorder.enter(state.session_id, SessionStatus.CODING, "coder", f"attempt {attempt}")
        repairing = state.report is not None and not state.report.ok
        try:
            draft = self.roles.coder.write(
                state.plan,
                attempt,
                previous=state.draft,
                report=state.report if repairing else None,
                feedback=state.feedback,
                lessons=_lesson_texts(state),
            )
        except RoleFailure as failure:
            update = {"coder_attempts": attempt, **_role_failed(state, failure, runtime.context)}
            return self._finish(state, update, SessionStatus.CODING, "coder", str(failure))
        update = {
            "draft": draft,
            "coder_attempts": attempt,
            "report": None,
            "bundle": None,
            "feedback": None,
            **_spend(state, draft.usage, runtime.context),
        }
        message = f"attempt {attempt} by {self.roles.coder.name}: {len(draft.source.splitlines())} lines"
        if draft.notes:
            message += f"; {draft.notes}"
        return self._finish(state, update, SessionStatus.CODING, "coder", message)

    def validate(self, state: BenchmarkGeneratorState, runtime: Context) -> dict[str, Any]:
        context = runtime.context
        if state.draft is None:
            raise GraphInvariantError("validate ran without a draft")
        attempt = state.coder_attempts
        self.recorder.enter(state.session_id, SessionStatus.VALIDATING, "validate", f"attempt {attempt}")
        report = self.tools.validate(
            state.draft.source,
            state.draft.witness,
            context.validation_seeds,
            context.validation_scales,
            context.require_witness,
        )
        update: dict[str, Any] = {"report": report}
        entry = AttemptEntry(
            attempt=attempt,
            stage=AttemptStage.VALIDATION,
            intent=state.draft.notes or f"attempt {attempt} for plan {state.plan_rounds}",
            result=_summary(report),
            reflection="" if report.ok else _reflection(report),
        )
        update["journal"] = [*state.journal, entry]
        stop = None
        fingerprint = failure_fingerprint(report)  # "" for a valid report: it breaks a run of equal failures
        update["fingerprints"] = [*state.fingerprints, fingerprint]
        if not report.ok:
            counts = count_codes(state.failure_counts, report)
            update["failure_counts"] = counts
            update["learned"] = [*state.learned, *new_lessons(counts, report, state.learned)]
            if state.fingerprints and state.fingerprints[-1] == fingerprint:
                stop = (
                    f"the same failures came back twice in a row ({fingerprint}); the repair changed nothing, "
                    "so the session stops"
                )
            elif attempt >= context.max_coder_attempts:
                stop = (
                    f"coder attempt cap reached: {attempt} of max_coder_attempts {context.max_coder_attempts} "
                    f"used and the last script is still {_summary(report)}"
                )
        update["stop_kind"] = StopKind.FAILED if stop else None
        update["stop_reason"] = stop
        message = f"attempt {attempt}: {_summary(report)}"
        return self._finish(
            state, update, SessionStatus.VALIDATING, "validate", message, report=report, attempt_entry=entry
        )

    def render(self, state: BenchmarkGeneratorState, runtime: Context) -> dict[str, Any]:
        context = runtime.context
        if state.draft is None or state.report is None or not state.report.ok:
            raise GraphInvariantError("render ran on a script that has not passed validation")
        if not context.render:
            update = {"bundle": None}
            return self._finish(state, update, SessionStatus.REVIEWING, "render", "rendering is off")
        self.recorder.enter(
            state.session_id, SessionStatus.REVIEWING, "render", f"attempt {state.coder_attempts}"
        )
        out_dir = self.tools.render_dir / str(state.session_id) / f"attempt_{state.coder_attempts}"
        seed, scale = context.validation_seeds[0], context.validation_scales[0]
        film_witness = self.roles.reviewer.sees_images and state.draft.witness is not None
        bundle = self.tools.render(
            state.draft.source, state.draft.witness, seed, scale, out_dir, state.report, film_witness
        )
        # No folder in the journal: it is this machine's, and journals are published in galleries.
        message = f"rendered {len(bundle.views)} views of seed {seed} scale {scale}"
        if bundle.witness_clip is not None:
            message += " and the witness's run"
        if bundle.notes:
            message += "; " + "; ".join(bundle.notes)
        return self._finish(state, {"bundle": bundle}, SessionStatus.REVIEWING, "render", message)

    def reviewer(self, state: BenchmarkGeneratorState, runtime: Context) -> dict[str, Any]:
        context = runtime.context
        if state.plan is None or state.draft is None or state.report is None or not state.report.ok:
            raise GraphInvariantError("the reviewer may only see a script that passed validation")
        rounds = state.review_rounds + 1
        self.recorder.enter(state.session_id, SessionStatus.REVIEWING, "reviewer", f"review round {rounds}")
        evidence = ReviewEvidence(report=state.report, bundle=state.bundle)
        try:
            decision = self.roles.reviewer.review(state.plan, state.draft, evidence)
        except RoleFailure as failure:
            update = {"review_rounds": rounds, **_role_failed(state, failure, context)}
            return self._finish(state, update, SessionStatus.REVIEWING, "reviewer", str(failure))
        entry = AttemptEntry(
            attempt=state.coder_attempts,
            stage=AttemptStage.REVIEW,
            intent=f"review round {rounds} by {decision.reviewer}",
            result=decision.verdict.value,
            reflection="; ".join(
                [*decision.reasons, decision.feedback] if decision.feedback else decision.reasons
            ),
        )
        update = {
            "review": decision,
            "review_rounds": rounds,
            "feedback": decision.feedback or "; ".join(decision.reasons),
            "journal": [*state.journal, entry],
            **_spend(state, decision.usage, context),
        }
        rejection_stop = self._review_stop(state, decision.verdict, rounds, context)
        if decision.verdict is ReviewVerdict.APPROVE:
            update.update(stop_kind=None, stop_reason=None)  # approving spends nothing more: no budget stop
        elif update["stop_reason"] is None and rejection_stop:
            update.update(stop_kind=StopKind.REJECTED, stop_reason=rejection_stop)
        images = "with images" if decision.saw_images else "text only"
        message = f"round {rounds}: {decision.verdict.value} ({images}): {'; '.join(decision.reasons)}"
        return self._finish(
            state,
            update,
            SessionStatus.REVIEWING,
            "reviewer",
            message,
            decision=decision,
            attempt_entry=entry,
        )

    @staticmethod
    def _review_stop(
        state: BenchmarkGeneratorState, verdict: ReviewVerdict, rounds: int, context: GeneratorContext
    ) -> str | None:
        """Why a rejection cannot be acted on any more, or None."""
        if verdict is ReviewVerdict.APPROVE:
            return None
        if rounds >= context.max_review_rounds:
            return f"{verdict.value} after {rounds} review rounds (max_review_rounds {context.max_review_rounds})"
        if state.coder_attempts >= context.max_coder_attempts:
            return (
                f"{verdict.value} but all {context.max_coder_attempts} coder attempts "
                "(max_coder_attempts) are used"
            )
        if verdict is ReviewVerdict.REJECT_PLAN and state.plan_rounds >= context.max_plan_rounds:
            return f"REJECT_PLAN after {state.plan_rounds} plans (max_plan_rounds {context.max_plan_rounds})"
        return None

    def accept(self, state: BenchmarkGeneratorState) -> dict[str, Any]:
        approved = state.review is not None and state.review.verdict is ReviewVerdict.APPROVE
        if state.report is None or not state.report.ok or not approved:
            raise GraphInvariantError("only a validated and approved script can be accepted")
        message = f"accepted attempt {state.coder_attempts} after {state.review_rounds} review rounds"
        return self._finish(state, {"accepted": True}, SessionStatus.ACCEPTED, "accept", message)

    def fail(self, state: BenchmarkGeneratorState) -> dict[str, Any]:
        if state.stop_kind is None or not state.stop_reason:
            raise GraphInvariantError("the session was routed to fail without a reason")
        status = SessionStatus(state.stop_kind.value)
        return self._finish(state, {}, status, "fail", f"{status.value}: {state.stop_reason}")


def build_graph(
    roles: Roles,
    tools: GraphTools,
    recorder: SessionRecorder,
    *,
    checkpointer: BaseCheckpointSaver | None = None,
    interrupt_before: list[str] | None = None,
) -> CompiledStateGraph:
    """Wire the nodes; the checkpointer (thread id = session id) makes a session resumable."""
    nodes = GeneratorNodes(roles, tools, recorder)
    graph = StateGraph(BenchmarkGeneratorState, context_schema=GeneratorContext, input_schema=GeneratorInput)
    graph.add_node("planner", nodes.planner)
    graph.add_node("coder", nodes.coder)
    graph.add_node("validate", nodes.validate)
    graph.add_node("render", nodes.render)
    graph.add_node("reviewer", nodes.reviewer)
    graph.add_node("accept", nodes.accept)
    graph.add_node("fail", nodes.fail)
    graph.add_edge(START, "planner")
    graph.add_conditional_edges("planner", route_after_planner)
    graph.add_conditional_edges("coder", route_after_coder)
    graph.add_conditional_edges("validate", route_after_validate)
    graph.add_edge("render", "reviewer")
    graph.add_conditional_edges("reviewer", route_after_review)
    graph.add_edge("accept", END)
    graph.add_edge("fail", END)
    return graph.compile(checkpointer=checkpointer, interrupt_before=interrupt_before, name=GRAPH_NAME)
