"""The witness in validation: a reference solution evaluated on exactly the variants a scenario was
validated on proves the scenario solvable (docs/solution-contract.md, "Witnesses").

Validation alone can only prove a scene unsolvable (the proofs) or plausible (the settle); a witness
that solves every variant from every start proves it solvable. Whether one is required is the caller's
setting: the dataset pipeline requires it, a hand-written scenario validated alone may go without.
"""

from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel

from benchgen.codes import FailureCode
from benchgen.errors import BenchgenError
from benchgen.evaluation.evaluator import EvaluationSettings, PairRunner, evaluate_sources, read_source
from benchgen.evaluation.report import VariantEvaluation
from benchgen.failures import Failure
from benchgen.validation.report import Solvability, ValidationReport, VariantReport
from benchgen.validation.validator import validate_source

MAX_WITNESS_FAILURES_QUOTED = 3  # evaluation failures quoted per unsolved variant; more repeat the lesson

WITNESS_FAILED = (
    "the witness {witness} does not solve seed {seed} scale {scale:g}: {failures}; change the witness "
    "(or the scene) until `benchgen evaluate {script} {witness} --seeds {seed} --scales {scale:g}` solves it"
)
NO_WITNESS = (
    "{script} has no witness and one is required; write a solution file (solve(scenario) -> Solution) that "
    "solves every variant and pass it: `benchgen validate {script} --witness SOLUTION`"
)
NOT_SOLVED = "not solved"  # an unsolved variant whose evaluation names no failure
SKIP_WITNESS = "witness not evaluated: the scenario itself is invalid (see the failures); fix it first"


class Witness(BaseModel):
    """A witness solution: its text, and the name reports and hints give it (its path)."""

    name: str
    source: str


class WitnessGridError(BenchgenError):
    """The report's variants are not a seeds x scales grid, so no evaluation covers exactly them."""


def read_witness(path: Path) -> Witness:
    """The witness file at `path`; a missing or unreadable file is a UsageError."""
    return Witness(name=str(path), source=read_source(path, "witness"))


def validate_with_witness(
    source: str,
    script: str,
    seeds: Sequence[int],
    scales: Sequence[float],
    witness: Witness | None,
    *,
    required: bool,
    runner: PairRunner,
) -> ValidationReport:
    """Validate `source` on seeds x scales and attach its witness's verdict, on one sandbox runner: what
    an agent session does with each draft and the build's validate step with each script."""
    report = validate_source(source, script, seeds, scales, runner=runner)
    return check_witness(report, source, witness, required=required, runner=runner)


def check_witness(
    report: ValidationReport,
    source: str,
    witness: Witness | None,
    *,
    required: bool,
    runner: PairRunner | None = None,
    progress: Callable[[VariantEvaluation], None] | None = None,
) -> ValidationReport:
    """The validation `report` of `source` with its witness's verdict attached.

    A valid scenario's witness is evaluated on exactly the report's variant grid (with `runner` when
    given): WITNESS_FAILED for each variant it leaves unsolved, solvability PROVEN when it solves all.
    NO_WITNESS when `required` and no witness is given, whether the scenario is valid or not (the author
    learns both at once). An invalid scenario's witness is not evaluated; each variant notes why.
    """
    failures: list[Failure] = []
    if witness is None and required:
        failures.append(Failure(code=FailureCode.NO_WITNESS, message=NO_WITNESS.format(script=report.script)))
    if witness is None or not report.ok:
        variants = report.variants if witness is None else [_note_skip(v) for v in report.variants]
        return _with(report, variants, failures, Solvability.UNPROVEN)

    seeds, scales = _grid(report)
    evaluation = evaluate_sources(
        source,
        witness.source,
        report.script,
        witness.name,
        EvaluationSettings(seeds=seeds, scales=scales),
        runner=runner,
        progress=progress,
        built_alone={(v.seed, v.scale): v.built for v in report.variants if v.built is not None},
    )
    unsolved = {(v.seed, v.scale): v for v in evaluation.variants if not v.solved}
    variants = []
    for variant in report.variants:
        evaluated = unsolved.get((variant.seed, variant.scale))
        if evaluated is None:
            variants.append(variant)
            continue
        failure = _witness_failed(evaluated, report.script, witness.name)
        variants.append(variant.model_copy(update={"ok": False, "failures": [*variant.failures, failure]}))
    solvability = Solvability.PROVEN if evaluation.solved else Solvability.WITNESS_FAILED
    return _with(report, variants, failures, solvability).model_copy(update={"witness": evaluation})


def _with(
    report: ValidationReport, variants: list[VariantReport], failures: list[Failure], solvability: Solvability
) -> ValidationReport:
    """The report with these variants, its failures in the validator's order (per variant, then those of
    no single variant) plus `failures`, and the verdict."""
    per_variant = [f for v in variants for f in v.failures]
    across = [f for f in report.failures if f.seed is None]
    everything = per_variant + across + failures
    return report.model_copy(
        update={
            "variants": variants,
            "failures": everything,
            "ok": not everything,
            "solvability": solvability,
        }
    )


def _note_skip(variant: VariantReport) -> VariantReport:
    metrics = variant.metrics.model_copy(update={"skipped": [*variant.metrics.skipped, SKIP_WITNESS]})
    return variant.model_copy(update={"metrics": metrics})


def _grid(report: ValidationReport) -> tuple[tuple[int, ...], tuple[float, ...]]:
    seeds = tuple(dict.fromkeys(v.seed for v in report.variants))
    scales = tuple(dict.fromkeys(v.scale for v in report.variants))
    if not report.covers(seeds, scales):
        raise WitnessGridError(
            f"the report of {report.script} does not cover a seeds x scales grid "
            f"(seeds {', '.join(map(str, seeds))}, scales {', '.join(f'{s:g}' for s in scales)}); "
            "validate the script again on one grid before evaluating its witness"
        )
    return seeds, scales


def _witness_failed(evaluated: VariantEvaluation, script: str, witness: str) -> Failure:
    first = evaluated.failures[:MAX_WITNESS_FAILURES_QUOTED]
    quoted = [f"({n}) {f.code.value}: {f.message}" for n, f in enumerate(first, start=1)]
    more = len(evaluated.failures) - len(first)
    if more > 0:
        quoted.append(f"and {more} more failure(s)")
    message = WITNESS_FAILED.format(
        witness=witness,
        seed=evaluated.seed,
        scale=evaluated.scale,
        failures=" ".join(quoted) or NOT_SOLVED,
        script=script,
    )
    return Failure(
        code=FailureCode.WITNESS_FAILED, message=message, seed=evaluated.seed, scale=evaluated.scale
    )
