"""Difficulty with a witness: the formula's bounds on hand-made reports, and, with every offline family's
witness evaluated for real (bubblewrap sandbox, MuJoCo), that the combined score does not fall on
average when the family's difficulty parameters go from an easy level of their ranges to a hard one.
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
from benchgen.offline.planner import OfflinePlanner
from benchgen.offline.witnesses import witness_source
from benchgen.sandbox import SandboxRunner

# Families whose witnesses solved (nearly) every case of the 20-seed sweep: a failing witness says
# nothing about difficulty, and the sweep (bench/family_witness_rates.py) is the witnesses' own check.
MONOTONE_FAMILIES = ("gap_crossing", "narrow_funnel", "ramp_climb", "under_low_bar")
MONOTONE_SEEDS = (0, 1)  # plan and variant seeds the combined score is averaged over at each level
# Positions of every difficulty parameter along its range, in its harder direction, that are compared:
# inside the range, where the families' witnesses are meant to solve every variant.
EASY_LEVEL, HARD_LEVEL = 0.25, 0.75
WITNESS_WEIGHT = 1.0 - COMBINED_WEIGHTS["scene"]  # the most the witness terms can add to the score


def _start(index: int, time_to_goal_s: float) -> StartResult:
    return StartResult(
        index=index, start_mm=(0, 0, 0), final_mm=(0, 0, 0), reached_goal=True,
        time_to_goal_s=time_to_goal_s, simulated_s=time_to_goal_s + 1, max_speed_m_s=0.1,
    )


def _report(
    parts: int, movers: int, nominal_s: float, slowest_s: float, solved: bool = True
) -> EvaluationReport:
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
        scene_part = COMBINED_WEIGHTS["scene"] * scene
        assert scene_part <= score <= scene_part + WITNESS_WEIGHT


def test_a_witness_that_solved_nothing_is_no_evidence(gap_spec) -> None:
    with pytest.raises(UnsolvedWitness, match="benchgen evaluate s.py w.py"):
        difficulty_with_witness(gap_spec, _report(1, 0, 1.0, 1.0, solved=False))


@pytest.fixture(scope="module")
def runner() -> Iterator[SandboxRunner]:
    with SandboxRunner() as sandbox:
        yield sandbox


def _at_level(family: Family, plan_seed: int, level: float) -> FamilyParams:
    """The planner's plan for `plan_seed` (the scenes the family's witness is written for) with every
    difficulty parameter moved to `level` of its range, in its harder direction."""
    model = family.params_model
    values = dict(OfflinePlanner().plan(family.title, plan_seed).parameters)
    for name, harder in model.difficulty_parameters().items():
        low, high = model.bounds_of(name)
        position = level if harder is Hardness.HIGHER else 1.0 - level
        values[name] = low + position * (high - low)
    return model(**values)


def _combined(key: str, seed: int, level: float, runner: SandboxRunner) -> float | str:
    """The combined score of the family's variant (seed, scale 1) at `level`, or why the witness failed."""
    family = FAMILIES[key]
    source = family.render_script(_at_level(family, seed, level))
    settings = EvaluationSettings(seeds=(seed,), scales=(1.0,))
    witness = witness_source(key)
    report = evaluate_sources(source, witness, f"{key}.py", f"{key}/solution.py", settings, runner=runner)
    if not report.solved:
        return f"seed {seed} level {level}: " + "; ".join(f.message for f in report.failures[:1])
    return difficulty_with_witness(build_spec(source, seed, 1.0), report)


@pytest.mark.slow
@pytest.mark.parametrize("key", MONOTONE_FAMILIES)
def test_combined_score_is_monotone_on_average_from_an_easy_to_a_hard_level(key, runner) -> None:
    """Averaged over the seeds whose witness solves both levels: a witness that fails says nothing about
    difficulty (such a benchmark is never accepted), and is the witness sweep's concern."""
    pairs, unsolved = [], []
    for seed in MONOTONE_SEEDS:
        easy, hard = _combined(key, seed, EASY_LEVEL, runner), _combined(key, seed, HARD_LEVEL, runner)
        if isinstance(easy, str) or isinstance(hard, str):
            unsolved += [result for result in (easy, hard) if isinstance(result, str)]
        else:
            pairs.append((easy, hard))
    if not pairs:
        pytest.skip(f"{key}'s witness solves no seed at both levels: {' | '.join(unsolved)}")
    easy_mean = sum(easy for easy, _ in pairs) / len(pairs)
    hard_mean = sum(hard for _, hard in pairs) / len(pairs)
    assert hard_mean >= easy_mean, (
        f"{key}: mean combined difficulty {hard_mean:.3f} at level {HARD_LEVEL} < {easy_mean:.3f} at "
        f"{EASY_LEVEL} over {len(pairs)} seed(s)"
    )
