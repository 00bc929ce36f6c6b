"""What one build of a scenario script (and one solve of a solution) yields: data, or a coded failure."""

from pydantic import BaseModel, ConfigDict

from benchgen.codes import FailureCode
from benchgen.kit.solution_spec import SolutionSpec
from benchgen.kit.spec import ScenarioSpec


class BuildResult(BaseModel):
    """A built scenario as plain data: its spec and one BREP blob per fixture label."""

    model_config = ConfigDict(frozen=True)

    spec: ScenarioSpec
    breps: dict[str, bytes]
    build_s: float
    output: str = ""


class BuildFailure(BaseModel):
    """Why a build produced no scenario, as a contract failure code and a message for the script's author."""

    model_config = ConfigDict(frozen=True)

    code: FailureCode
    message: str
    output: str = ""


BuildOutcome = BuildResult | BuildFailure


class SolveResult(BaseModel):
    """A solution as plain data: its spec and one BREP blob per part and mover label."""

    model_config = ConfigDict(frozen=True)

    solution: SolutionSpec
    breps: dict[str, bytes]
    solve_s: float


class SolveFailure(BaseModel):
    """Why `solve` produced no solution: SOLUTION_ERROR, OVER_LIMITS, or a limit of the sandbox."""

    model_config = ConfigDict(frozen=True)

    code: FailureCode
    message: str


SolveOutcome = SolveResult | SolveFailure
