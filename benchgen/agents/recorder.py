"""Mirror of the graph's progress in the GenerationSession row: status, counters, logs, journal, usage."""

from uuid import UUID

from sqlalchemy.engine import Engine

from benchgen import db
from benchgen.agents.state import AttemptEntry, BenchmarkGeneratorState
from benchgen.decisions import ReviewDecision
from benchgen.models import GenerationSession, JournalEntry, Provenance, SessionStatus, ValidationAttempt
from benchgen.validation.report import ValidationReport


class SessionRecorder:
    """Writes each graph transition to the session row; the graph calls it, never the roles."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(
        self, session_id: UUID, theme: str, backend: str, model: str, provenance: Provenance
    ) -> GenerationSession:
        row = GenerationSession.create(
            id=session_id, theme=theme, backend=backend, model=model, provenance=provenance
        )
        return db.save_session(self.engine, row)

    def enter(self, session_id: UUID, status: SessionStatus, stage: str, message: str) -> None:
        """A node starts: the row shows what is running now."""
        row = db.get_session(self.engine, session_id)
        row.status = status
        row.journal = [*row.journal, JournalEntry(stage=stage, message=message)]
        db.save_session(self.engine, row)

    def record(
        self,
        state: BenchmarkGeneratorState,
        status: SessionStatus,
        stage: str,
        message: str,
        *,
        report: ValidationReport | None = None,
        decision: ReviewDecision | None = None,
        attempt_entry: AttemptEntry | None = None,
        reason: str | None = None,
    ) -> None:
        """A node finished: counters, plan, usage and the new log lines come from the updated state.

        Logs are keyed by attempt and round, so a node that runs again after a resume replaces its entry.
        """
        row = db.get_session(self.engine, state.session_id)
        row.status = status
        row.coder_attempts = state.coder_attempts
        row.review_rounds = state.review_rounds
        row.plan_rounds = state.plan_rounds
        row.plan = state.plan
        row.input_tokens = state.usage.input_tokens
        row.output_tokens = state.usage.output_tokens
        row.cost_usd = state.usage.cost_usd
        row.reason = reason
        if report is not None:
            attempt = ValidationAttempt(attempt=state.coder_attempts, report=report)
            row.validation_logs = [a for a in row.validation_logs if a.attempt != attempt.attempt] + [attempt]
        if decision is not None:
            row.review_decisions = [*row.review_decisions[: state.review_rounds - 1], decision]
        lines = [JournalEntry(stage=stage, message=message)]
        if attempt_entry is not None:
            lines.append(
                JournalEntry(stage=f"{attempt_entry.stage.value} journal", message=attempt_entry.as_line())
            )
        row.journal = [*row.journal, *lines]
        db.save_session(self.engine, row)

    def fail(self, session_id: UUID, reason: str) -> None:
        """The session's run ended on an error outside the graph's own stops: `failed`, with the cause."""
        row = db.get_session(self.engine, session_id)
        row.status = SessionStatus.FAILED
        row.reason = reason
        row.journal = [*row.journal, JournalEntry(stage="fail", message=f"failed: {reason}")]
        db.save_session(self.engine, row)

    def note(self, session_id: UUID, message: str) -> None:
        """A journal line that changes nothing else, e.g. why a resumable session stopped."""
        row = db.get_session(self.engine, session_id)
        row.journal = [*row.journal, JournalEntry(stage="stop", message=message)]
        db.save_session(self.engine, row)
