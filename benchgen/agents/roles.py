"""The role interfaces. The graph talks only to these; offline and LLM backends implement them."""

from typing import Protocol

from benchgen.agents.schemas import ReviewEvidence, ScriptDraft
from benchgen.decisions import Plan, ReviewDecision, TokenUsage
from benchgen.errors import BenchgenError
from benchgen.validation.report import ValidationReport


class RoleFailure(BenchgenError):
    """A role could not produce a usable answer: its session ends `failed` with this one line."""

    def __init__(self, message: str, usage: TokenUsage) -> None:
        super().__init__(message)
        self.usage = usage
        """Tokens the role spent on its unusable replies; they count against the session's budget."""

    def __reduce__(self):  # keep the usage when pickled
        return (type(self), (str(self), self.usage))


class Planner(Protocol):
    """Turns a theme into a randomization plan."""

    name: str

    def plan(self, theme: str, seed: int, feedback: str | None = None) -> Plan: ...


class Coder(Protocol):
    """Writes a complete scenario script for a plan, repairing the previous one against its report."""

    name: str

    def write(
        self,
        plan: Plan,
        attempt: int,
        previous: ScriptDraft | None = None,
        report: ValidationReport | None = None,
        feedback: str | None = None,
        lessons: list[str] | None = None,
    ) -> ScriptDraft: ...


class Reviewer(Protocol):
    """Approves a validated script or sends it back to the Coder or the Planner."""

    name: str
    sees_images: bool
    """Renders (and the witness's clip) are made for it only when it looks at them."""

    def review(self, plan: Plan, draft: ScriptDraft, evidence: ReviewEvidence) -> ReviewDecision: ...
