"""Difficulty with a witness: the formula's bounds on hand-made reports, and, with every offline family's
witness evaluated for real (bubblewrap sandbox, MuJoCo), that the combined score does not fall on
average when the family's difficulty parameters go from the planner's easiest level to its hardest.
"""

from collections.abc import Iterator

import pytest

from benchgen.evaluation.evaluator import EvaluationSettings, evaluate_sources
from benchgen.evaluation.report import EvaluationReport, StartResult, VariantEvaluation
from benchgen.measures.difficulty import (
    COMBINED_WEIGHTS,
    UnsolvedWitness,
    difficulty_score,
    difficulty_with_witness,
)
from benchgen.offline.build import build_spec
from benchgen.offline.families import FAMILIES, Family, FamilyParams, Hardness
from benchgen.offline.planner import LEVEL_RANGE
from benchgen.offline.witnesses import witness_source
from benchgen.sandbox import SandboxRunner

WITNESSED_FAMILIES = sorted(key for key in FAMILIES if witness_source(key) is not None)
MONOTONE_SEEDS = (0, 1)  # seeds the combined score is averaged over at each level
WITNESS_WEIGHT = 1.0 - COMBINED_WEIGHTS["scene"]  # the most the witness terms can add to the score


def _start(index: int, time_to_goal_s: float) -> StartResult:
    return StartResult(
        index=index, start_mm=(0, 0, 0), final_mm=(0, 0, 0), reached_goal=True,
        time_to_goal_s=time_to_goal_s, simulated_s=time_to_goal_s + 1, max_speed_m_s=0.1,
    )


def _report(parts: int, movers: int, nominal_s: float, slowest_s: float, solved: bool = True) -> EvaluationReport:
    variant = VariantEvaluation(
        seed=0, scale=1.0, solved=solved, parts=parts, movers=movers, time_to_goal_s=slowest_s,
        starts=[_start(0, nominal_s), _start(1, slowest_s)],
    )
    return EvaluationReport(script="s.py", solution="w.py", solved=solved, variants=[variant])


@pytest.fixture(scope="module")
def gap_spec():
    family = FAMILIES["gap_crossing"]
    return build_spec(family.render_script(family.params_model()), seed=0)


def test_weights_sum_to_one_and_no_witness_is_the_scene_score(gap_spec) -> None:
    assert sum(COMBINED_WEIGHTS.values()) == pytest.approx(1.0)
    assert difficulty_with_witness(gap_spec, None) == difficulty_score(gap_spec)


def test_each_witness_term_raises_the_score_within_the_witness_weight(gap_spec) -> None:
    scene = difficulty_score(gap_spec)
    base = _report(parts=1, movers=0, nominal_s=1.0, slowest_s=1.0)
    harder = [
        _report(parts=5, movers=0, nominal_s=1.0, slowest_s=1.0),
        _report(parts=1, movers=2, nominal_s=1.0, slowest_s=1.0),
        _report(parts=1, movers=0, nominal_s=4.0, slowest_s=4.0),
        _report(parts=1, movers=0, nominal_s=1.0, slowest_s=2.0),
    ]
    low = difficulty_with_witness(gap_spec, base)
    for report in harder:
        assert difficulty_with_witness(gap_spec, report) > low
    extreme = _report(parts=10**6, movers=10**6, nominal_s=0.0, slowest_s=1e6)
    for report in (base, *harder, extreme):
        score = difficulty_with_witness(gap_spec, report)
        assert 0.0 <= score <= 1.0
        assert COMBINED_WEIGHTS["scene"] * scene <= score <= COMBINED_WEIGHTS["scene"] * scene + WITNESS_WEIGHT


def test_a_witness_that_solved_nothing_is_no_evidence(gap_spec) -> None:
    with pytest.raises(UnsolvedWitness, match="benchgen evaluate s.py w.py"):
        difficulty_with_witness(gap_spec, _report(1, 0, 1.0, 1.0, solved=False))


@pytest.fixture(scope="module")
def runner() -> Iterator[SandboxRunner]:
    with SandboxRunner() as sandbox:
        yield sandbox


def _at_level(family: Family, level: float) -> FamilyParams:
    """Every difficulty parameter at `level` of its range in its harder direction; the rest at defaults."""
    model = family.params_model
    values = {}
    for name, harder in model.difficulty_parameters().items():
        low, high = model.bounds_of(name)
        position = level if harder is Hardness.HIGHER else 1.0 - level
        values[name] = low + position * (high - low)
    return model(**values)


def _mean_combined(key: str, level: float, runner: SandboxRunner) -> float:
    family = FAMILIES[key]
    source = family.render_script(_at_level(family, level))
    settings = EvaluationSettings(seeds=MONOTONE_SEEDS, scales=(1.0,))
    report = evaluate_sources(source, witness_source(key), f"{key}.py", f"{key}/solution.py", settings, runner=runner)
    assert report.solved, (key, level, [f.message for f in report.failures[:2]])
    scores = []
    for variant in report.variants:
        only = report.model_copy(update={"variants": [variant]})
        scores.append(difficulty_with_witness(build_spec(source, variant.seed, variant.scale), only))
    return sum(scores) / len(scores)


@pytest.mark.slow
@pytest.mark.parametrize("key", WITNESSED_FAMILIES)
def test_combined_score_is_monotone_on_average_from_the_easiest_to_the_hardest_level(key, runner) -> None:
    easiest, hardest = LEVEL_RANGE
    easy, hard = _mean_combined(key, easiest, runner), _mean_combined(key, hardest, runner)
    assert hard >= easy, f"{key}: mean combined difficulty {hard:.3f} at level {hardest} < {easy:.3f} at {easiest}"
