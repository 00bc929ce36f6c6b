"""Validate a scenario script: per variant a sandboxed build, static checks, MJCF and the MuJoCo settle.

Each stage runs unless an earlier one makes it meaningless; a skipped stage is recorded in the variant's
`metrics.skipped` with its reason, never silently. Across variants: the first variant is built twice
(NONDETERMINISTIC), seeds must give different geometry (NO_VARIATION), and scales must scale it.
"""

import hashlib
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from benchgen.codes import FailureCode
from benchgen.contract import DEFAULT_SCALES, DEFAULT_SEEDS, MAX_SCALE, MIN_SCALE
from benchgen.errors import BenchgenError, UsageError
from benchgen.failures import Failure
from benchgen.kit import InvalidGeometry
from benchgen.kit.spec import ScenarioSpec
from benchgen.physics import build_mjcf
from benchgen.physics.budget import MAX_FIXTURES, SceneTooLarge, check_count
from benchgen.physics.settle import SettleResult, SettleSettings, simulate_settle
from benchgen.sandbox import BuildFailure, BuildOutcome, BuildResult, SandboxLimits, SandboxRunner
from benchgen.validation import solvability, static_checks
from benchgen.validation.report import ValidationReport, VariantMetrics, VariantReport

MIN_SEEDS_FOR_VARIATION = 2  # NO_VARIATION needs at least this many seeds built at one scale

# Static failures after which simulating the payload "left alone" answers nothing new: the scene is not
# what the script meant (zones, geometry, units), the start itself is already wrong, or no mechanism could
# ever solve it (the unsolvability proofs).
SETTLE_NOT_MEANINGFUL_AFTER = frozenset(
    {
        FailureCode.ZONE_INVALID,
        FailureCode.INVALID_GEOMETRY,
        FailureCode.CONTRACT_VIOLATION,
        FailureCode.PAYLOAD_OUT_OF_BOUNDS,
        FailureCode.PAYLOAD_IN_GOAL,
        FailureCode.PAYLOAD_IN_FORBID,
        FailureCode.PAYLOAD_OVERLAPS_FIXTURE,
        FailureCode.GOAL_BLOCKED,
        FailureCode.GOAL_UNREACHABLE,
        FailureCode.PAYLOAD_TRAPPED,
        FailureCode.PAYLOAD_UNREACHABLE,
    }
)

NONDETERMINISTIC = (
    "build({seed}, {scale:g}) gave different geometry on two runs (hash {first} then {second}); derive every "
    "random number from `random.Random(seed)` and read no clock, environment or global state"
)
NONDETERMINISTIC_OUTCOME = (
    "build({seed}, {scale:g}) succeeded once and failed once ({code}); derive every random number from "
    "`random.Random(seed)` and read no clock, environment or global state"
)
NO_VARIATION = (
    "seeds {seeds} all give the same geometry at scale {scale:g}; draw dimensions or positions from "
    "`random.Random(seed)` so that each seed gives a different scenario"
)
# Build failures that only say a limit was hit; building again would cost the limit again and prove nothing.
LIMIT_CODES = frozenset({FailureCode.TIMEOUT, FailureCode.RESOURCE_LIMIT})

SKIP_DETERMINISM = "determinism not checked: the first build stopped at a limit ({code})"
SKIP_NOT_RUN = "not built: the source breaks the contract (see the failures); fix it first"
SKIP_AFTER_BUILD = "static checks, MJCF and settle skipped: the build failed"
SKIP_SETTLE = "MJCF and settle skipped after {codes}: the scene or the start is already invalid, so a settle would say nothing"
SKIP_SETTLE_MJCF = "settle skipped: the MJCF could not be built"
SKIP_TOO_LARGE = "static checks, MJCF and settle skipped: the scene is over a host-side budget"


class ValidationSettings(BaseModel):
    """Which variants to validate and the limits each one runs under."""

    model_config = ConfigDict(frozen=True)

    seeds: tuple[int, ...] = Field(DEFAULT_SEEDS, description="Seeds passed to build(seed, scale).")
    scales: tuple[float, ...] = Field(
        DEFAULT_SCALES, description=f"Scales, each in [{MIN_SCALE}, {MAX_SCALE}]."
    )
    sandbox_limits: SandboxLimits = Field(
        default_factory=SandboxLimits, description="Per-build sandbox limits."
    )
    settle: SettleSettings = Field(default_factory=SettleSettings, description="The settle simulation.")

    @field_validator("seeds")
    @classmethod
    def _check_seeds(cls, seeds: tuple[int, ...]) -> tuple[int, ...]:
        if not seeds:
            raise UsageError("give at least one seed, e.g. --seeds 0,1,2,3,4")
        if len(set(seeds)) != len(seeds):
            raise UsageError(f"seeds must be distinct, got {', '.join(map(str, seeds))}")
        return seeds

    @field_validator("scales")
    @classmethod
    def _check_scales(cls, scales: tuple[float, ...]) -> tuple[float, ...]:
        if not scales:
            raise UsageError("give at least one scale, e.g. --scales 1.0")
        for scale in scales:
            if not MIN_SCALE <= scale <= MAX_SCALE:
                raise UsageError(
                    f"scale {scale:g} is outside [{MIN_SCALE:g}, {MAX_SCALE:g}]; the contract allows no other"
                )
        if len(set(scales)) != len(scales):
            raise UsageError(f"scales must be distinct, got {', '.join(f'{s:g}' for s in scales)}")
        return scales


class VariantBuilder(Protocol):
    """Builds one variant of a script: a SandboxRunner, or (for trusted baselines) an in-process stand-in."""

    def build(self, source: str, seed: int, scale: float) -> BuildOutcome: ...


class VariantBuildError(BenchgenError):
    """A variant could not be built; `code` is the contract failure code, the message says what to change."""

    def __init__(self, code: FailureCode, message: str) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code


def geometry_hash(spec: ScenarioSpec, breps: dict[str, bytes]) -> str:
    """Hash of everything a variant is made of: the spec JSON and every fixture's BREP bytes, by label."""
    digest = hashlib.sha256(spec.model_dump_json().encode())
    for label in sorted(breps):
        digest.update(label.encode())
        digest.update(hashlib.sha256(breps[label]).digest())
    return digest.hexdigest()


def build_variant(source: str, seed: int, scale: float, runner: VariantBuilder) -> BuildResult:
    """Build one variant in the sandbox or raise VariantBuildError with the failure's code and message."""
    outcome = runner.build(source, seed, scale)
    if isinstance(outcome, BuildFailure):
        raise VariantBuildError(outcome.code, outcome.message)
    return outcome


def validate_script(
    path: Path,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    scales: Sequence[float] = DEFAULT_SCALES,
    *,
    runner: VariantBuilder | None = None,
    settings: ValidationSettings | None = None,
    progress: Callable[[VariantReport], None] | None = None,
) -> ValidationReport:
    """Validate the script at `path`; a missing or unreadable file is a UsageError."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"script {str(path)!r} does not exist or is not a file")
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read script {str(path)!r}: {exc}") from exc
    return validate_source(
        source, str(path), seeds, scales, runner=runner, settings=settings, progress=progress
    )


def validate_source(
    source: str,
    script: str,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    scales: Sequence[float] = DEFAULT_SCALES,
    *,
    runner: VariantBuilder | None = None,
    settings: ValidationSettings | None = None,
    progress: Callable[[VariantReport], None] | None = None,
) -> ValidationReport:
    """Validate every (seed, scale) variant of `source`; `script` names it in the report.

    `seeds` and `scales` decide which variants run; `settings`, when given, supplies the settle settings
    and the sandbox limits (used when no `runner` is passed: a given runner keeps its own limits).
    """
    base = settings or ValidationSettings()
    settings = ValidationSettings(
        seeds=tuple(seeds), scales=tuple(scales), sandbox_limits=base.sandbox_limits, settle=base.settle
    )
    variants = [(seed, scale) for scale in settings.scales for seed in settings.seeds]

    source_failures = static_checks.check_source(source)
    if source_failures:
        reports = [
            VariantReport(seed=seed, scale=scale, ok=False, metrics=VariantMetrics(skipped=[SKIP_NOT_RUN]))
            for seed, scale in variants
        ]
        for report in reports if progress else ():
            progress(report)
        return ValidationReport(script=script, ok=False, failures=source_failures, variants=reports)

    with ExitStack() as stack:
        if runner is None:
            runner = stack.enter_context(SandboxRunner(limits=settings.sandbox_limits))
        return _validate_variants(source, script, variants, runner, settings, progress)


def _validate_variants(
    source: str,
    script: str,
    variants: list[tuple[int, float]],
    runner: VariantBuilder,
    settings: ValidationSettings,
    progress: Callable[[VariantReport], None] | None,
) -> ValidationReport:
    reports: list[VariantReport] = []
    hashes: dict[tuple[int, float], str] = {}
    extents: dict[tuple[int, float], tuple] = {}
    for index, (seed, scale) in enumerate(variants):
        outcome = runner.build(source, seed, scale)
        report = check_built_variant(outcome, seed, scale, settings)
        if isinstance(outcome, BuildResult):
            hashes[(seed, scale)] = report.metrics.geometry_hash
            extents[(seed, scale)] = static_checks.fixtures_extent(outcome.spec)
        if index == 0 and isinstance(outcome, BuildFailure) and outcome.code in LIMIT_CODES:
            report.metrics.skipped.append(SKIP_DETERMINISM.format(code=outcome.code.value))
        elif index == 0:
            report.failures += _determinism_failures(source, seed, scale, outcome, runner)
            report.ok = not report.failures
        reports.append(report)
        if progress:
            progress(report)

    cross = _variation_failures(settings, hashes)
    for report in reports:
        report.failures += _scale_failures(settings, report, hashes, extents)
        report.ok = not report.failures
    failures = [f for r in reports for f in r.failures] + cross
    return ValidationReport(script=script, ok=not failures, failures=failures, variants=reports)


def _stamp(failures: list[Failure], seed: int, scale: float) -> list[Failure]:
    return [f.model_copy(update={"seed": seed, "scale": scale}) for f in failures]


def validate_variant(
    source: str, seed: int, scale: float, builder: VariantBuilder, settings: ValidationSettings | None = None
) -> VariantReport:
    """One variant alone: build, static checks, MJCF and settle (no cross-variant checks)."""
    return check_built_variant(
        builder.build(source, seed, scale), seed, scale, settings or ValidationSettings()
    )


def check_built_variant(
    outcome: BuildOutcome, seed: int, scale: float, settings: ValidationSettings
) -> VariantReport:
    """Static checks, MJCF and settle of one build outcome."""
    metrics = VariantMetrics()
    if isinstance(outcome, BuildFailure):
        metrics.skipped.append(SKIP_AFTER_BUILD)
        failure = Failure(code=outcome.code, message=outcome.message, seed=seed, scale=scale)
        return VariantReport(seed=seed, scale=scale, ok=False, failures=[failure], metrics=metrics)

    spec, breps = outcome.spec, outcome.breps
    metrics.geometry_hash = geometry_hash(spec, breps)
    metrics.build_s = outcome.build_s
    metrics.payload_mass_kg = spec.payload.mass_kg
    try:  # before any work that grows with the number of fixtures
        check_count("fixtures", len(spec.fixtures), MAX_FIXTURES, "merge fixtures that belong together")
    except SceneTooLarge as exc:
        metrics.skipped.append(SKIP_TOO_LARGE)
        failures = _stamp([Failure(code=exc.code, message=str(exc))], seed, scale)
        return VariantReport(seed=seed, scale=scale, ok=False, failures=failures, metrics=metrics)
    failures, notes = static_checks.check_variant(spec, breps)
    metrics.skipped += notes
    proofs = solvability.check_solvability(spec, breps, failures)
    failures += proofs.failures
    metrics.skipped += proofs.notes
    metrics.solvability_s = proofs.seconds
    blocking = sorted({f.code.value for f in failures} & SETTLE_NOT_MEANINGFUL_AFTER)
    if blocking:
        metrics.skipped.append(SKIP_SETTLE.format(codes=", ".join(blocking)))
    else:
        failures += _simulate(spec, breps, settings, metrics)
    failures = _stamp(failures, seed, scale)
    return VariantReport(
        seed=seed, scale=scale, ok=not failures, failures=failures, metrics=metrics, built=outcome
    )


def _simulate(
    spec: ScenarioSpec, breps: dict[str, bytes], settings: ValidationSettings, metrics: VariantMetrics
) -> list[Failure]:
    try:
        scene = build_mjcf(spec, breps)
    except (InvalidGeometry, SceneTooLarge) as exc:
        metrics.skipped.append(SKIP_SETTLE_MJCF)
        return [Failure(code=exc.code, message=str(exc))]
    started = time.perf_counter()
    try:
        result = simulate_settle(scene, spec, settings.settle)
    except (InvalidGeometry, SceneTooLarge) as exc:
        return [Failure(code=exc.code, message=str(exc))]
    metrics.sim_s = time.perf_counter() - started
    _record_settle_metrics(result, metrics)
    return list(result.failures)


def _record_settle_metrics(result: SettleResult, metrics: VariantMetrics) -> None:
    """Worst case over all starts: the slowest to settle, the largest drift and speed, the deepest contact."""
    metrics.starts_simulated = len(result.starts)
    metrics.settle_time_s = result.settle_time_s
    metrics.final_drift_mm = result.max_drift_mm
    metrics.max_speed_m_s = result.max_speed_m_s
    metrics.min_contact_distance_mm = result.min_contact_distance_mm


def _determinism_failures(
    source: str, seed: int, scale: float, first: BuildOutcome, runner: VariantBuilder
) -> list[Failure]:
    """Build the variant a second time; any difference in outcome or geometry is NONDETERMINISTIC."""
    second = runner.build(source, seed, scale)
    if isinstance(first, BuildResult) and isinstance(second, BuildResult):
        a, b = geometry_hash(first.spec, first.breps), geometry_hash(second.spec, second.breps)
        if a == b:
            return []
        message = NONDETERMINISTIC.format(seed=seed, scale=scale, first=a[:12], second=b[:12])
    elif isinstance(first, BuildResult) or isinstance(second, BuildResult):
        failed = second if isinstance(second, BuildFailure) else first
        message = NONDETERMINISTIC_OUTCOME.format(seed=seed, scale=scale, code=failed.code.value)
    else:
        return []
    return [Failure(code=FailureCode.NONDETERMINISTIC, message=message, seed=seed, scale=scale)]


def _variation_failures(settings: ValidationSettings, hashes: dict[tuple[int, float], str]) -> list[Failure]:
    failures = []
    for scale in settings.scales:
        built = {seed: hashes[(seed, scale)] for seed in settings.seeds if (seed, scale) in hashes}
        if len(built) >= MIN_SEEDS_FOR_VARIATION and len(set(built.values())) == 1:
            failures.append(
                Failure(
                    code=FailureCode.NO_VARIATION,
                    scale=scale,
                    message=NO_VARIATION.format(seeds=", ".join(map(str, built)), scale=scale),
                )
            )
    return failures


def _scale_failures(settings, report: VariantReport, hashes, extents) -> list[Failure]:
    """Compare a variant with the same seed at the first scale: `scale` must scale the geometry."""
    first_scale = settings.scales[0]
    seed, scale = report.seed, report.scale
    if scale == first_scale or (seed, scale) not in hashes or (seed, first_scale) not in hashes:
        return []
    failures = static_checks.check_scale_response(
        seed,
        first_scale,
        hashes[(seed, first_scale)],
        extents[(seed, first_scale)],
        scale,
        hashes[(seed, scale)],
        extents[(seed, scale)],
    )
    return _stamp(failures, seed, scale)
