"""State carried through the generator graph and checkpointed after every node."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from langchain_core.messages import AnyMessage
from langgraph.graph import add_messages
from pydantic import BaseModel

from benchgen.agents.lessons import Lesson
from benchgen.agents.schemas import ScriptDraft
from benchgen.decisions import Plan, ReviewDecision, TokenUsage
from benchgen.render.types import RenderBundle
from benchgen.validation.report import ValidationReport


class AttemptStage(StrEnum):
    """Which step of an attempt a journal entry records."""

    VALIDATION = "validation"
    REVIEW = "review"


class AttemptEntry(BaseModel):
    """One line of the session journal: what an attempt meant to do, what happened, what to change."""

    attempt: int
    stage: AttemptStage
    intent: str
    result: str
    reflection: str

    def as_line(self) -> str:
        """The entry as one journal line of the session row."""
        return f"attempt {self.attempt}: intent: {self.intent} | result: {self.result} | reflection: {self.reflection}"


class StopKind(StrEnum):
    """How a session that did not get approved ended; matches the session statuses of the same name."""

    FAILED = "failed"
    REJECTED = "rejected"


@dataclass(kw_only=True)
class GeneratorInput:
    """What a caller provides to start a session."""

    session_id: UUID
    """The GenerationSession row this run updates; also the checkpointer's thread id."""

    theme: str
    """What the benchmark is about, in words, e.g. 'ball must cross a gap'."""

    seed: int
    """Seed of the session: passed to the Planner so offline plans are reproducible."""

    lessons: list[Lesson] = field(default_factory=list)
    """Recurring failure lessons from earlier sessions, fed to the Coder."""


@dataclass(kw_only=True)
class BenchmarkGeneratorState(GeneratorInput):
    """Everything the graph knows about a session; every field survives a checkpoint round trip."""

    plan: Plan | None = None
    """The current plan; replaced when the Reviewer answers REJECT_PLAN."""

    draft: ScriptDraft | None = None
    """The Coder's latest script."""

    report: ValidationReport | None = None
    """Validation report of `draft`; None until it has been validated."""

    bundle: RenderBundle | None = None
    """Renders of `draft` for the Reviewer; None when rendering is off or not done yet."""

    review: ReviewDecision | None = None
    """The Reviewer's latest decision."""

    feedback: str | None = None
    """Instructions from the last rejection for whichever role acts next."""

    coder_attempts: int = 0
    """Scripts written so far in this session."""

    review_rounds: int = 0
    """Reviewer decisions so far."""

    plan_rounds: int = 0
    """Plans written so far."""

    fingerprints: list[str] = field(default_factory=list)
    """Failure fingerprint of each validation in order, "" when it passed (see `graph.failure_fingerprint`)."""

    failure_counts: dict[str, int] = field(default_factory=dict)
    """Failed validations per failure code value in this session."""

    learned: list[Lesson] = field(default_factory=list)
    """Lessons learned in this session (codes that recurred), fed to the Coder and saved at the end."""

    journal: list[AttemptEntry] = field(default_factory=list)
    """Intent, result and reflection per attempt and stage."""

    messages: Annotated[list[AnyMessage], add_messages] = field(default_factory=list)
    """What each role produced, as chat messages named after the role (for inspection and tracing)."""

    usage: TokenUsage = field(default_factory=TokenUsage)
    """Tokens and cost over every LLM call of the session."""

    stop_kind: StopKind | None = None
    """Set when the session must end without approval."""

    stop_reason: str | None = None
    """Why the session ends without approval, for the user."""

    accepted: bool = False
    """True once the accept node ran: `draft` passed validation and the Reviewer approved it."""
