"""The evaluation report: what `benchgen evaluate --json` prints and the Python API returns."""

from pydantic import BaseModel, Field

from benchgen.codes import FailureCode
from benchgen.failures import Failure
from benchgen.kit.spec import Vec3


class StartResult(BaseModel):
    """What the mechanism did with the payload from one start."""

    index: int = Field(description="0 is the nominal start; 1.. are jitter-envelope corners.")
    start_mm: Vec3
    final_mm: Vec3
    reached_goal: bool
    time_to_goal_s: float | None = Field(
        default=None, description="Simulated time from which the payload's centre stayed in the goal."
    )
    simulated_s: float
    max_speed_m_s: float
    failure: FailureCode | None = None


class VariantEvaluation(BaseModel):
    """One (seed, scale) variant: solved or the failures, with the solution's cost and weight."""

    seed: int
    scale: float
    solved: bool
    failures: list[Failure] = Field(default_factory=list)
    time_to_goal_s: float | None = Field(default=None, description="Slowest start's time to goal, s.")
    cost: float | None = Field(default=None, description="Material cost plus a fixed price per mover.")
    weight_kg: float | None = None
    parts: int | None = None
    movers: int | None = None
    worst_start: int | None = Field(
        default=None, description="Index of the first failing start, or of the slowest to reach the goal."
    )
    starts: list[StartResult] = Field(default_factory=list)
    build_s: float | None = None
    solve_s: float | None = None
    sim_s: float | None = None
    skipped: list[str] = Field(default_factory=list, description="Stages not run, each with the reason.")


class EvaluationReport(BaseModel):
    script: str
    solution: str
    solved: bool
    failures: list[Failure] = Field(default_factory=list)
    variants: list[VariantEvaluation] = Field(default_factory=list)

    def codes(self) -> set[FailureCode]:
        return {f.code for f in self.failures}
