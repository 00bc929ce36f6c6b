"""What the Coder writes and the Reviewer sees: a script draft and the review evidence (the plan and the
review decision live in benchgen.decisions)."""

from pydantic import BaseModel, Field

from benchgen.decisions import TokenUsage
from benchgen.offline.repair_state import OfflineDraftState
from benchgen.render.types import RenderBundle
from benchgen.validation.report import ValidationReport


class ScriptDraft(BaseModel):
    """One complete scenario script written by the Coder."""

    source: str
    attempt: int = Field(ge=1)
    notes: str = Field(default="", description="What the Coder changed and why (repair move, intent).")
    usage: TokenUsage = Field(default_factory=TokenUsage)
    witness: str | None = Field(
        default=None, description="A solution file meant to solve every variant: the benchmark's witness."
    )
    offline: OfflineDraftState | None = Field(
        default=None, description="The offline Coder's parameters, witness tuning and moves so far."
    )


class ReviewEvidence(BaseModel):
    """What the Reviewer sees: the machine report and the renders."""

    report: ValidationReport
    bundle: RenderBundle | None = None
