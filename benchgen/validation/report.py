"""The validation report: the exact JSON shape `benchgen validate --json` prints (see the contract)."""

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, Field

from benchgen.codes import FailureCode
from benchgen.evaluation.report import EvaluationReport
from benchgen.failures import Failure
from benchgen.sandbox.outcome import BuildResult


class VariantMetrics(BaseModel):
    """Numbers measured for one variant; absent fields were not measured (a check failed earlier)."""

    geometry_hash: str | None = None
    build_s: float | None = Field(default=None, description="Wall time of build() in the sandbox, seconds.")
    settle_time_s: float | None = Field(
        default=None, description="Simulated seconds until the payload rested."
    )
    final_drift_mm: float | None = Field(
        default=None, description="Largest distance start->rest over starts, mm."
    )
    min_contact_distance_mm: float | None = Field(
        default=None, description="Most negative contact distance, mm."
    )
    max_speed_m_s: float | None = None
    payload_mass_kg: float | None = None
    starts_simulated: int | None = None
    sim_s: float | None = Field(default=None, description="Wall time of the settle simulation, seconds.")
    solvability_s: float | None = Field(
        default=None, description="Wall time of the unsolvability proofs, seconds."
    )
    skipped: list[str] = Field(
        default_factory=list, description="Stages or checks not run for this variant, each with the reason."
    )


class VariantReport(BaseModel):
    seed: int
    scale: float
    ok: bool
    failures: list[Failure] = Field(default_factory=list)
    metrics: VariantMetrics = Field(default_factory=VariantMetrics)
    built: BuildResult | None = Field(
        default=None,
        exclude=True,
        repr=False,
        description="The variant as built for these checks, so render, review and evidence never build it "
        "again; in memory and in pickled task results only, never in the report's JSON.",
    )


class Solvability(StrEnum):
    """What validation knows about whether a mechanism solves the scenario on every validated variant."""

    PROVEN = "proven"  # a witness solved every variant of the report
    UNPROVEN = "unproven"  # no witness was evaluated: none was given, or the scenario itself is invalid
    WITNESS_FAILED = "witness_failed"  # the witness was evaluated and left some variant unsolved


class ValidationReport(BaseModel):
    script: str
    ok: bool
    failures: list[Failure] = Field(default_factory=list)
    variants: list[VariantReport] = Field(default_factory=list)
    solvability: Solvability = Field(
        default=Solvability.UNPROVEN, description="Whether a witness proved every variant solvable."
    )
    witness: EvaluationReport | None = Field(
        default=None,
        description="The witness's evaluation on exactly this report's variants (per variant: solved, "
        "cost, weight, time to goal), when one was evaluated; read it instead of evaluating again.",
    )

    def codes(self) -> set[FailureCode]:
        return {f.code for f in self.failures}

    def variant(self, seed: int, scale: float) -> VariantReport | None:
        """The report of variant (seed, scale); its `built` is None when it did not build or when this
        report was read back from JSON or a checkpoint."""
        return next((v for v in self.variants if (v.seed, v.scale) == (seed, scale)), None)

    def covers(self, seeds: Sequence[int], scales: Sequence[float]) -> bool:
        """True when this report checked exactly the variant grid seeds x scales, in that order."""
        return [(v.seed, v.scale) for v in self.variants] == [
            (seed, scale) for scale in scales for seed in seeds
        ]
