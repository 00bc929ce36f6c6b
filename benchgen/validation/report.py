"""The validation report: the exact JSON shape `benchgen validate --json` prints (see the contract)."""

from pydantic import BaseModel, Field

from benchgen.codes import FailureCode
from benchgen.failures import Failure


class VariantMetrics(BaseModel):
    """Numbers measured for one variant; absent fields were not measured (a check failed earlier)."""

    geometry_hash: str | None = None
    build_s: float | None = Field(default=None, description="Wall time of build() in the sandbox, seconds.")
    settle_time_s: float | None = Field(default=None, description="Simulated seconds until the payload rested.")
    final_drift_mm: float | None = Field(default=None, description="Largest distance start->rest over starts, mm.")
    min_contact_distance_mm: float | None = Field(default=None, description="Most negative contact distance, mm.")
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


class ValidationReport(BaseModel):
    script: str
    ok: bool
    failures: list[Failure] = Field(default_factory=list)
    variants: list[VariantReport] = Field(default_factory=list)

    def codes(self) -> set[FailureCode]:
        return {f.code for f in self.failures}
