"""What the Coder writes, what the Reviewer sees and how a session ends: a script draft, the review evidence
and the session's outcome (the plan and the review decision live in benchgen.decisions)."""

from pathlib import Path
from uuid import UUID

from pydantic import BaseModel, Field

from benchgen.decisions import TokenUsage
from benchgen.models import SessionStatus
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


class SessionOutcome(BaseModel):
    """How an agent session for (theme, seed) ended, or where it stopped: the accepted script with its
    witness and the session's validation of it, or the reason there is none. The dataset build carries it
    as it is (`Candidate.generation`), so it sits here, below the session's machinery."""

    theme: str
    seed: int
    session_id: UUID | None = Field(
        description="The session's row; None only for a script accepted without a session (an example)."
    )
    status: SessionStatus
    reason: str | None = None
    family: str | None = Field(default=None, description="The plan's family, when the session got that far.")
    script: str | None = Field(default=None, description="The accepted script; None unless accepted.")
    witness: str | None = Field(
        default=None, description="The Coder's witness solution for the accepted script."
    )
    report: ValidationReport | None = Field(
        default=None,
        description="The session's last validation, builds included: the accepted script's when accepted.",
    )
    script_path: Path | None = Field(default=None, description="Where the accepted script was written.")
    usage: TokenUsage = TokenUsage()

    @property
    def accepted(self) -> bool:
        return self.status is SessionStatus.ACCEPTED
