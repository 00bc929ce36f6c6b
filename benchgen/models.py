"""Stored records: sqlmodel tables that are also the pydantic models other stages exchange.

Table models skip validation in `__init__` (a sqlmodel rule); build them with `Model.create(...)`
(or `Model.model_validate(...)`), which validates and raises pydantic's ValidationError on bad data.
JSON columns hold typed pydantic values: they are validated again when written and parsed when read.
Replace a JSON attribute to change it (`s.journal = [*s.journal, entry]`); in-place edits are not tracked.
"""

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Self

import sqlalchemy as sa
from pydantic import BaseModel, TypeAdapter
from pydantic import Field as PydanticField
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

from benchgen.codes import FailureCode
from benchgen.contract import MAX_SCALE, MIN_SCALE
from benchgen.decisions import Plan, ReviewDecision
from benchgen.kit.spec import ScenarioSpec
from benchgen.measures.difficulty import DifficultyTier, difficulty_tier
from benchgen.validation.report import ValidationReport, VariantMetrics
from benchgen.versions import (
    CODE_VERSION,
    KIT_VERSION,
    OFFLINE_VERSION,
    PROMPT_VERSION,
    RENDER_VERSION,
    VALIDATOR_VERSION,
)

SHA256_PATTERN = r"^[0-9a-f]{64}$"
STATUS_LENGTH = 16  # characters; longest SessionStatus value is 10


def utc_now() -> datetime:
    return datetime.now(UTC)


class PydanticJSON(sa.types.TypeDecorator):
    """A JSON column (JSONB on PostgreSQL) holding a value of one pydantic-validated type."""

    impl = sa.JSON
    cache_ok = True

    def __init__(self, annotation: Any) -> None:
        super().__init__()
        self.annotation = annotation
        self.adapter = TypeAdapter(annotation)

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self.adapter.dump_python(self.adapter.validate_python(value), mode="json")

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self.adapter.validate_python(value)


class SessionStatus(StrEnum):
    """Where a generation session is; the last three are final."""

    PLANNING = "planning"
    CODING = "coding"
    VALIDATING = "validating"
    REVIEWING = "reviewing"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in (SessionStatus.ACCEPTED, SessionStatus.REJECTED, SessionStatus.FAILED)


class Provenance(BaseModel):
    """What produced a record: code and behaviour versions, and the variants it was checked on."""

    code_version: str = CODE_VERSION
    kit_version: str = KIT_VERSION
    validator_version: str = VALIDATOR_VERSION
    render_version: str = RENDER_VERSION
    prompt_version: str = PROMPT_VERSION
    offline_version: str = OFFLINE_VERSION
    seeds: list[int] = PydanticField(default_factory=list)
    scales: list[float] = PydanticField(default_factory=list)
    run_id: str | None = PydanticField(
        default=None,
        description="The orchestrator run that started it (a flow's task run id), so the flow can find "
        "a session whose process died; None outside a flow.",
    )


class ValidationAttempt(BaseModel):
    """The validation report of one Coder attempt."""

    attempt: int = PydanticField(ge=1)
    report: ValidationReport


class JournalEntry(BaseModel):
    """One line of a session's history: which stage did what."""

    at: datetime = PydanticField(default_factory=utc_now)
    stage: str = PydanticField(min_length=1)
    message: str


class AssetVariant(BaseModel):
    """One randomized variant of a benchmark and what validation measured on it."""

    seed: int
    scale: float = PydanticField(ge=MIN_SCALE, le=MAX_SCALE)
    ok: bool
    metrics: VariantMetrics = PydanticField(default_factory=VariantMetrics)
    failure_codes: list[FailureCode] = PydanticField(
        default_factory=list, description="Sorted distinct codes the variant failed with; empty when ok."
    )


class CostTargets(BaseModel):
    """Caps a solution must respect (e.g. 1.5x a planner's estimate); None means no cap."""

    max_cost_usd: float | None = PydanticField(default=None, gt=0)
    max_weight_kg: float | None = PydanticField(default=None, gt=0)
    max_parts: int | None = PydanticField(default=None, gt=0)


class AssetMeta(BaseModel):
    """Free-form facts about a benchmark. Its difficulty tier is not stored: `BenchmarkAsset.tier` computes
    it from the score (rows written before that still carry a `tier` key here, which is ignored)."""

    cost_targets: CostTargets = PydanticField(default_factory=CostTargets)
    tags: list[str] = PydanticField(default_factory=list)


class ValidatedTable(SQLModel):
    """Adds `create`, the validating constructor every table model should be built with."""

    @classmethod
    def create(cls, **data: Any) -> Self:
        return cls.model_validate(data)


class GenerationSession(ValidatedTable, table=True):
    """One run of plan -> code -> validate -> review for a theme, with everything it tried."""

    __tablename__ = "generation_session"
    __table_args__ = (sa.Index("ix_generation_session_theme_created_at", "theme", "created_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    theme: str = Field(min_length=1)
    backend: str = Field(min_length=1, description="Role backend, e.g. 'offline' or 'openai'.")
    model: str = Field(min_length=1, description="Model name, 'offline' for the procedural backend.")
    status: SessionStatus = Field(
        default=SessionStatus.PLANNING,
        sa_type=sa.Enum(
            SessionStatus,
            native_enum=False,
            length=STATUS_LENGTH,
            values_callable=lambda statuses: [s.value for s in statuses],
        ),
    )
    coder_attempts: int = Field(default=0, ge=0)
    review_rounds: int = Field(default=0, ge=0)
    plan_rounds: int = Field(default=0, ge=0)
    validation_logs: list[ValidationAttempt] = Field(
        default_factory=list, sa_type=PydanticJSON(list[ValidationAttempt])
    )
    review_decisions: list[ReviewDecision] = Field(
        default_factory=list, sa_type=PydanticJSON(list[ReviewDecision])
    )
    journal: list[JournalEntry] = Field(default_factory=list, sa_type=PydanticJSON(list[JournalEntry]))
    plan: Plan | None = Field(default=None, sa_type=PydanticJSON(Plan | None))
    provenance: Provenance = Field(default_factory=Provenance, sa_type=PydanticJSON(Provenance))
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0)
    reason: str | None = Field(default=None, description="Why the session was rejected or failed.")
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)


class BenchmarkAsset(ValidatedTable, table=True):
    """An accepted benchmark's database row: where its files are in the store and what it measured (its
    row of a published version's index is an `IndexRow`)."""

    __tablename__ = "benchmark_asset"
    __table_args__ = (
        sa.Index("ix_benchmark_asset_theme_created_at", "theme", "created_at"),
        sa.UniqueConstraint("dataset_version", "script_sha256", name="uq_benchmark_asset_version_script"),
    )

    benchmark_id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: uuid.UUID | None = Field(default=None, foreign_key="generation_session.id", index=True)
    dataset_version: str = Field(min_length=1, index=True)
    theme: str = Field(min_length=1)
    family: str = Field(min_length=1)
    script_url: str = Field(min_length=1)
    script_sha256: str = Field(schema_extra={"pattern": SHA256_PATTERN})
    definition: ScenarioSpec = Field(sa_type=PydanticJSON(ScenarioSpec))
    mjcf_url: str | None = None
    preview_url: str | None = None
    variants: list[AssetVariant] = Field(default_factory=list, sa_type=PydanticJSON(list[AssetVariant]))
    difficulty_score: float = Field(ge=0, le=1)
    provenance: Provenance = Field(default_factory=Provenance, sa_type=PydanticJSON(Provenance))
    meta: AssetMeta = Field(
        default_factory=AssetMeta,
        sa_type=PydanticJSON(AssetMeta),
        sa_column_kwargs={"name": "metadata"},
    )
    created_at: datetime = Field(default_factory=utc_now)

    @property
    def tier(self) -> DifficultyTier:
        return difficulty_tier(self.difficulty_score)
