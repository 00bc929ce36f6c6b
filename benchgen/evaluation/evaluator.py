"""Evaluate a solution against a scenario script: per variant a sandboxed build + solve, the static
checks of the solution, its MJCF, and the MuJoCo run from every start.

A stage runs only when the ones before it passed; a skipped stage is recorded with its reason.
"""

import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from benchgen.codes import FailureCode
from benchgen.contract import DEFAULT_EVALUATION_SEEDS, DEFAULT_SCALES, SCALE_RANGE
from benchgen.errors import UsageError
from benchgen.evaluation.report import EvaluationReport, VariantEvaluation
from benchgen.evaluation.simulate import simulate_solution
from benchgen.evaluation.static import check_solution
from benchgen.failures import Failure
from benchgen.kit import KitError
from benchgen.physics.budget import SceneTooLarge
from benchgen.physics.mjcf import MjcfScene
from benchgen.physics.solution_scene import build_solution_mjcf
from benchgen.sandbox import BuildFailure, BuildOutcome, SandboxLimits, SandboxRunner
from benchgen.sandbox.outcome import BuildResult, SolveFailure, SolveOutcome, SolveResult
from benchgen.validation.validator import ValidationSettings

SKIP_AFTER_BUILD = "solve, checks and run skipped: the scenario did not build"
SKIP_AFTER_SOLVE = "checks and run skipped: solve() gave no solution"
SKIP_AFTER_STATIC = "run skipped: the solution breaks the static rules (see the failures)"
SKIP_AFTER_MJCF = "run skipped: the solution's parts could not be meshed"
SKIP_AFTER_RUN = "run stopped: MuJoCo could not run the solution"
BUILD_FAILED = (
    "the scenario itself did not build ({code}): {message}; validate it with `benchgen validate {script}`"
)
# Codes that only say a limit stopped the pair; the sandbox does not tell which half was running.
LIMIT_CODES = frozenset({FailureCode.TIMEOUT, FailureCode.RESOURCE_LIMIT})
# Said of a pair that hit a limit when the same build, alone, finished within the limits: build() is
# deterministic, so the limit was hit in solve() (or by what the solution added to build's memory/output).
SOLVE_HIT_LIMIT = (
    "; the scenario builds alone within the limits (in {build_s:.1f} s), so solve() was running: "
    "make solve() faster or its parts simpler"
)


class EvaluationSettings(BaseModel):
    """Which variants to evaluate and the sandbox limits the pair (build + solve) runs under."""

    model_config = ConfigDict(frozen=True)

    seeds: tuple[int, ...] = Field(
        DEFAULT_EVALUATION_SEEDS, description="Seeds passed to build(seed, scale)."
    )
    scales: tuple[float, ...] = Field(DEFAULT_SCALES, description=f"Scales, each in {SCALE_RANGE}.")
    sandbox_limits: SandboxLimits = Field(
        default_factory=SandboxLimits, description="Per-pair sandbox limits."
    )

    def variants(self) -> list[tuple[int, float]]:
        checked = ValidationSettings(
            seeds=self.seeds, scales=self.scales
        )  # the same rules for seeds and scales
        return [(seed, scale) for scale in checked.scales for seed in checked.seeds]


class PairRunner(Protocol):
    """Builds a variant and solves it: a SandboxRunner, or (for trusted baselines) an in-process stand-in."""

    def build(self, source: str, seed: int, scale: float) -> BuildOutcome: ...

    def build_and_solve(
        self, source: str, seed: int, scale: float, solution_source: str
    ) -> tuple[BuildOutcome, SolveOutcome | None]: ...


@dataclass(frozen=True)
class EvaluatedVariant:
    """A variant's report plus what the renderer needs to film it (None when it did not get that far)."""

    report: VariantEvaluation
    built: BuildResult | None = None
    solved: SolveResult | None = None
    scene: MjcfScene | None = None


def read_source(path: Path, what: str) -> str:
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{what} {str(path)!r} does not exist or is not a file")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {what} {str(path)!r}: {exc}") from exc


def evaluate_files(
    script: Path,
    solution: Path,
    settings: EvaluationSettings | None = None,
    *,
    runner: PairRunner | None = None,
    progress: Callable[[VariantEvaluation], None] | None = None,
    on_variant: Callable[[EvaluatedVariant], None] | None = None,
) -> EvaluationReport:
    """Evaluate the solution file against the scenario script; missing or unreadable files are UsageErrors."""
    source = read_source(script, "script")
    solution_source = read_source(solution, "solution")
    return evaluate_sources(
        source,
        solution_source,
        str(script),
        str(solution),
        settings,
        runner=runner,
        progress=progress,
        on_variant=on_variant,
    )


def evaluate_sources(
    source: str,
    solution_source: str,
    script: str,
    solution: str,
    settings: EvaluationSettings | None = None,
    *,
    runner: PairRunner | None = None,
    progress: Callable[[VariantEvaluation], None] | None = None,
    on_variant: Callable[[EvaluatedVariant], None] | None = None,
    built_alone: Mapping[tuple[int, float], BuildResult] | None = None,
) -> EvaluationReport:
    """Evaluate every variant; `progress` hears each variant's report, `on_variant` also gets its scene.
    `built_alone` holds the scenario's own builds of variants the caller already made (validation's)."""
    settings = settings or EvaluationSettings()
    variants = settings.variants()
    reports = []
    with ExitStack() as stack:
        if runner is None:
            runner = stack.enter_context(SandboxRunner(limits=settings.sandbox_limits))
        for seed, scale in variants:
            alone = (built_alone or {}).get((seed, scale))
            evaluated = evaluate_variant(source, solution_source, seed, scale, runner, script, alone)
            reports.append(evaluated.report)
            if progress:
                progress(evaluated.report)
            if on_variant:
                on_variant(evaluated)
    failures = [f for r in reports for f in r.failures]
    return EvaluationReport(
        script=script,
        solution=solution,
        solved=all(r.solved for r in reports),
        failures=failures,
        variants=reports,
    )


def evaluate_variant(
    source: str,
    solution_source: str,
    seed: int,
    scale: float,
    runner: PairRunner,
    script: str = "SCRIPT",
    built_alone: BuildResult | None = None,
) -> EvaluatedVariant:
    """Build and solve the variant, then check and simulate the solution against the scenario built alone.

    `built_alone` is that build when the caller has it: validation's build of the same variant, made in a
    child no solution code ran in (a witness is checked on exactly the variants validation built)."""
    report = VariantEvaluation(seed=seed, scale=scale, solved=False)

    def failed(failures: list[Failure], skipped: str, **found) -> EvaluatedVariant:
        report.failures = [f.model_copy(update={"seed": seed, "scale": scale}) for f in failures]
        report.skipped.append(skipped)
        return EvaluatedVariant(report=report, **found)

    built, solved = runner.build_and_solve(source, seed, scale, solution_source)
    if isinstance(built, BuildFailure):
        return failed([_pair_failure(built, source, seed, scale, runner, script)], SKIP_AFTER_BUILD)
    report.build_s = built.build_s
    if not isinstance(solved, SolveResult):
        failure = solved or SolveFailure(code=FailureCode.SOLUTION_ERROR, message="solve() was not run")
        return failed([Failure(code=failure.code, message=failure.message)], SKIP_AFTER_SOLVE, built=built)
    # The pair's child ran the solution's code, which can rewrite the scenario in its reply (move the
    # goal over the payload): the host checks and simulates the solution against the scenario built
    # alone, in a child of its own that no solution code ran in.
    alone = built_alone or runner.build(source, seed, scale)
    if isinstance(alone, BuildFailure):
        message = BUILD_FAILED.format(code=alone.code.value, message=alone.message, script=script)
        return failed([Failure(code=alone.code, message=message)], SKIP_AFTER_BUILD)
    built = alone
    solution = solved.solution
    report.solve_s = solved.solve_s
    report.parts, report.movers = len(solution.parts), len(solution.movers)
    try:
        static_failures, _ = check_solution(built.spec, solution, solved.breps, built.breps)
    except (KitError, SceneTooLarge) as error:  # a part that cannot be meshed for the hinge sweep
        static_failures = [_host_work_failure(error)]
    if static_failures:
        return failed(static_failures, SKIP_AFTER_STATIC, built=built, solved=solved)
    report.cost, report.weight_kg = round(solution.cost, 2), round(solution.weight_kg, 4)
    try:
        scene = build_solution_mjcf(built.spec, built.breps, solution, solved.breps)
    except (KitError, SceneTooLarge) as error:
        return failed([_host_work_failure(error)], SKIP_AFTER_MJCF, built=built, solved=solved)
    started = time.perf_counter()
    try:
        run = simulate_solution(scene, built.spec, solution)
    except (KitError, SceneTooLarge) as error:
        return failed([_host_work_failure(error)], SKIP_AFTER_RUN, built=built, solved=solved, scene=scene)
    report.sim_s = time.perf_counter() - started
    report.starts = run.starts
    report.failures = [f.model_copy(update={"seed": seed, "scale": scale}) for f in run.failures]
    report.solved = not run.failures
    failing = [s.index for s in run.starts if s.failure is not None]
    if failing:
        report.worst_start = failing[0]
    else:
        slowest = max(run.starts, key=lambda s: s.time_to_goal_s or 0.0)
        report.worst_start, report.time_to_goal_s = slowest.index, slowest.time_to_goal_s
    return EvaluatedVariant(report=report, built=built, solved=solved, scene=scene)


def _host_work_failure(error: KitError | SceneTooLarge) -> Failure:
    """Host-side work on the solution's geometry that failed: over a budget (RESOURCE_LIMIT) or geometry
    that cannot be meshed or compiled (SOLUTION_ERROR)."""
    code = FailureCode.RESOURCE_LIMIT if isinstance(error, SceneTooLarge) else FailureCode.SOLUTION_ERROR
    return Failure(code=code, message=str(error))


def _pair_failure(
    built: BuildFailure, source: str, seed: int, scale: float, runner: PairRunner, script: str
) -> Failure:
    """Whose fault a failed pair is: if the scenario builds alone, the solution's (SOLUTION_ERROR unless a
    limit was hit); otherwise the scenario's, reported with its own code."""
    alone = runner.build(source, seed, scale)
    if isinstance(alone, BuildFailure):
        return Failure(
            code=alone.code,
            message=BUILD_FAILED.format(code=alone.code.value, message=alone.message, script=script),
        )
    code = built.code if built.code in LIMIT_CODES else FailureCode.SOLUTION_ERROR
    message = (
        built.message.replace("build", "build + solve", 1) + SOLVE_HIT_LIMIT.format(build_s=alone.build_s)
        if built.code in LIMIT_CODES
        else (f"the scenario builds alone, but with the solution the sandbox reported: {built.message}")
    )
    return Failure(code=code, message=message)
