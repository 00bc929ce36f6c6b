"""Initial schema: generation sessions and benchmark assets.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SESSION_STATUSES = ("planning", "coding", "validating", "reviewing", "accepted", "rejected", "failed")


def json_type() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "generation_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("theme", sa.String(), nullable=False),
        sa.Column("backend", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*SESSION_STATUSES, name="sessionstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("coder_attempts", sa.Integer(), nullable=False),
        sa.Column("review_rounds", sa.Integer(), nullable=False),
        sa.Column("plan_rounds", sa.Integer(), nullable=False),
        sa.Column("validation_logs", json_type(), nullable=False),
        sa.Column("review_decisions", json_type(), nullable=False),
        sa.Column("journal", json_type(), nullable=False),
        sa.Column("plan", json_type(), nullable=True),
        sa.Column("provenance", json_type(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_generation_session_theme_created_at", "generation_session", ["theme", "created_at"])

    op.create_table(
        "benchmark_asset",
        sa.Column("benchmark_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("dataset_version", sa.String(), nullable=False),
        sa.Column("theme", sa.String(), nullable=False),
        sa.Column("family", sa.String(), nullable=False),
        sa.Column("script_url", sa.String(), nullable=False),
        sa.Column("script_sha256", sa.String(), nullable=False),
        sa.Column("definition", json_type(), nullable=False),
        sa.Column("mjcf_url", sa.String(), nullable=True),
        sa.Column("preview_url", sa.String(), nullable=True),
        sa.Column("variants", json_type(), nullable=False),
        sa.Column("difficulty_score", sa.Float(), nullable=False),
        sa.Column("provenance", json_type(), nullable=False),
        sa.Column("metadata", json_type(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["generation_session.id"]),
        sa.PrimaryKeyConstraint("benchmark_id"),
        sa.UniqueConstraint("dataset_version", "script_sha256", name="uq_benchmark_asset_version_script"),
    )
    op.create_index("ix_benchmark_asset_session_id", "benchmark_asset", ["session_id"])
    op.create_index("ix_benchmark_asset_dataset_version", "benchmark_asset", ["dataset_version"])
    op.create_index("ix_benchmark_asset_theme_created_at", "benchmark_asset", ["theme", "created_at"])


def downgrade() -> None:
    op.drop_table("benchmark_asset")
    op.drop_table("generation_session")
