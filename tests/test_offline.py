"""Offline backend: theme matching, seeded plans, repair moves, reviewer decisions, difficulty, fingerprints.

Validation runs for real (bubblewrap sandbox, MuJoCo settle); in-process builds only for the offline
families' own scripts.
"""

import ast
from collections.abc import Iterator

import pytest

from benchgen.agents.schemas import ReviewEvidence, ScriptDraft
from benchgen.codes import FailureCode
from benchgen.decisions import ReviewVerdict
from benchgen.evaluation.report import EvaluationReport, VariantEvaluation
from benchgen.failures import Failure
from benchgen.measures.difficulty import difficulty_score
from benchgen.measures.fingerprint import fingerprint, is_near_duplicate
from benchgen.offline.build import build_spec
from benchgen.offline.coder import REPAIR_FOR_CODE, WITNESS_REPAIRS_FOR_CODE, OfflineCoder, RepairMove
from benchgen.offline.families import FAMILIES, Hardness
from benchgen.offline.planner import OfflinePlanner
from benchgen.offline.repair_state import WitnessTuning
from benchgen.offline.reviewer import OfflineReviewer
from benchgen.offline.sweep import family_pass_rate
from benchgen.offline.witness_sweep import family_witness_rate
from benchgen.offline.witnesses import witness_source
from benchgen.render.types import RenderBundle, ViewMetrics
from benchgen.sandbox import SandboxRunner
from benchgen.validation.report import Solvability, ValidationReport
from benchgen.validation.validator import validate_source
from benchgen.validation.witness import Witness, check_witness

# The themes the issue lists, each with the family it must reach.
ISSUE_THEMES = {
    "gap crossing": "gap_crossing",
    "climb a ramp": "ramp_climb",
    "drop into a lower bin": "drop_into_bin",
    "pass under a low bar": "under_low_bar",
    "pass through a window in a wall": "window_wall",
    "around a wall, forbid zone behind it": "around_wall",
    "onto a raised shelf": "raised_shelf",
    "narrow funnel goal": "narrow_funnel",
    "S-curve channel": "s_curve_channel",
    "over a speed bump": "speed_bump",
    "out of a pit": "pit_escape",
    "sideways transfer across a long forbid strip": "sideways_transfer",
}
ALLOWED_SCRIPT_IMPORTS = {"random", "math", "build123d", "benchgen.kit"}


@pytest.fixture(scope="module")
def runner() -> Iterator[SandboxRunner]:
    with SandboxRunner() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def planner() -> OfflinePlanner:
    return OfflinePlanner()


def _validate(source: str, runner: SandboxRunner, seeds=(0, 1), scales=(1.0,)) -> ValidationReport:
    return validate_source(source, "offline.py", seeds=seeds, scales=scales, runner=runner)


# --- planner ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(FAMILIES))
def test_every_family_is_reached_by_its_own_text(planner: OfflinePlanner, key: str) -> None:
    family = FAMILIES[key]
    for theme in (family.title, family.description, " ".join(family.keywords[:3])):
        match = planner.matcher.match(theme)
        assert match.family == key and not match.fallback, theme


@pytest.mark.parametrize("theme", sorted(ISSUE_THEMES))
def test_issue_themes_reach_their_family(planner: OfflinePlanner, theme: str) -> None:
    assert planner.matcher.match(theme).family == ISSUE_THEMES[theme]


def test_unknown_theme_gets_the_closest_family_and_says_so(planner: OfflinePlanner) -> None:
    plan = planner.plan("quantum entanglement of teacups", seed=0)
    assert plan.family in FAMILIES
    assert "matched no family keyword" in plan.notes and plan.family in plan.notes


def test_plans_are_deterministic_in_theme_and_seed(planner: OfflinePlanner) -> None:
    first = planner.plan("ball must cross a gap", seed=3)
    again = planner.plan("ball must cross a gap", seed=3)
    other_seed = planner.plan("ball must cross a gap", seed=4)
    other_theme = planner.plan("cross the gap between decks", seed=3)
    assert first == again
    replans = [planner.plan("ball must cross a gap", seed=3, feedback="near duplicate") for _ in range(2)]
    assert (
        len({str(p.parameters) for p in [first, *replans]}) == 3
        and "redrawn after feedback" in replans[0].notes
    )
    assert other_seed.parameters != first.parameters
    assert other_theme.family == first.family and other_theme.parameters != first.parameters
    assert 0 <= first.difficulty_intent <= 1
    varied = {d.name for d in first.randomization}
    assert "gap_width" in varied and "start_clearance" not in varied
    assert {d.name: d.scales_with_scale for d in first.randomization}["goal_size_ratio"] is False


def test_rendered_scripts_are_standalone() -> None:
    for family in FAMILIES.values():
        tree = ast.parse(family.render_script(family.default_params()))
        modules = {
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
        }
        assert modules <= ALLOWED_SCRIPT_IMPORTS, (family.key, modules)


# --- coder: repair moves ------------------------------------------------------------------------------


def _report(code: FailureCode) -> ValidationReport:
    return ValidationReport(
        script="offline.py", ok=False, failures=[Failure(code=code, message="injected", seed=0, scale=1.0)]
    )


def _support(spec, label: str):
    return spec.fixture(label).bbox


@pytest.mark.parametrize(
    "code, check",
    [
        (FailureCode.PAYLOAD_OVERLAPS_FIXTURE, lambda a, b: b.payload.start[2] > a.payload.start[2]),
        (FailureCode.GOAL_REACHED_UNAIDED, lambda a, b: b.goal.center[0] > a.goal.center[0]),
        (
            FailureCode.FORBID_ZONE_HIT,
            lambda a, b: _support(b, "start_deck").size[0] > _support(a, "start_deck").size[0],
        ),
        (
            FailureCode.NOT_SETTLED,
            lambda a, b: _support(b, "start_deck").size[1] > _support(a, "start_deck").size[1],
        ),
        (FailureCode.FIXTURE_OUT_OF_BOUNDS, lambda a, b: b.bounds.size[0] > a.bounds.size[0]),
        (FailureCode.GOAL_OUTSIDE_BUILD_ZONE, lambda a, b: b.bounds.size[2] > a.bounds.size[2]),
    ],
)
def test_repair_moves_change_the_scene_in_the_intended_direction(planner, code, check) -> None:
    plan = planner.plan("gap crossing", seed=1)
    coder = OfflineCoder()
    first = coder.write(plan, attempt=1)
    repaired = coder.write(plan, attempt=2, previous=first, report=_report(code))
    assert repaired.notes.startswith(f"repair move {REPAIR_FOR_CODE[code].value}")
    assert check(build_spec(first.source, 0), build_spec(repaired.source, 0))


def test_variation_moves_and_the_repair_cap(planner) -> None:
    plan = planner.plan("narrow funnel goal", seed=2)
    coder = OfflineCoder(max_repair_moves=2)
    draft = coder.write(plan, attempt=1)
    more = coder.write(plan, 2, previous=draft, report=_report(FailureCode.NO_VARIATION))
    assert more.offline.parameters["variation"] > draft.offline.parameters["variation"]
    less = coder.write(plan, 3, previous=more, report=_report(FailureCode.FIXTURE_INTERSECTION))
    assert less.offline.parameters["variation"] < more.offline.parameters["variation"]
    capped = coder.write(plan, 4, previous=less, report=_report(FailureCode.NO_VARIATION))
    assert capped.source == less.source and "repair cap of 2 moves reached" in capped.notes
    unknown = coder.write(plan, 2, previous=draft, report=_report(FailureCode.SCRIPT_ERROR))
    assert unknown.source == draft.source and "no repair move for SCRIPT_ERROR" in unknown.notes


@pytest.mark.parametrize(
    "fault, expected, move",
    [
        ({"start_clearance": -12.0}, FailureCode.PAYLOAD_OVERLAPS_FIXTURE, RepairMove.RAISE_START),
        ({"goal_shift": "onto the start"}, FailureCode.PAYLOAD_IN_GOAL, RepairMove.MOVE_GOAL),
        ({"bounds_margin": -120.0}, FailureCode.FIXTURE_OUT_OF_BOUNDS, RepairMove.GROW_BOUNDS),
    ],
)
def test_injected_faults_are_repaired(planner, runner, fault, expected, move) -> None:
    plan = planner.plan("gap crossing", seed=5)
    if fault.get("goal_shift") == "onto the start":  # the shift that centres the goal over the payload
        nominal = build_spec(OfflineCoder().write(plan, attempt=1).source, 0)
        fault = {"goal_shift": nominal.payload.start[0] - nominal.goal.center[0]}
    _assert_repaired(plan, fault, runner, {expected}, move, seeds=(0,))


def _assert_repaired(plan, fault, runner, expected: set[FailureCode], move: RepairMove, seeds) -> None:
    """The faulty plan fails with one of `expected`; one repair move `move` makes it valid."""
    faulty = plan.model_copy(update={"parameters": {**plan.parameters, **fault}})
    coder = OfflineCoder()
    draft = coder.write(faulty, attempt=1)
    report = _validate(draft.source, runner, seeds=seeds)
    assert report.codes() & expected, report.codes()
    repaired = coder.write(faulty, attempt=2, previous=draft, report=report)
    assert repaired.notes.startswith(f"repair move {move.value}")
    assert _validate(repaired.source, runner, seeds=seeds).ok


def test_a_support_too_narrow_to_hold_the_payload_is_widened(planner, runner) -> None:
    plan = planner.plan("sideways transfer across a long forbid strip", seed=0)
    plan = plan.model_copy(update={"parameters": {**plan.parameters, "payload_shape_index": 0.0}})
    deck = build_spec(OfflineCoder().write(plan, attempt=1).source, 0).fixture("start_deck").bbox
    narrow = {
        "support_margin": (4.0 - deck.size[1]) / 2
    }  # leaves a 4 mm ridge under a sphere that jitters 4 mm
    falls = {FailureCode.FORBID_ZONE_HIT, FailureCode.OUT_OF_BOUNDS, FailureCode.NOT_SETTLED}
    _assert_repaired(plan, narrow, runner, falls, RepairMove.WIDEN_SUPPORT, seeds=(0,))


def test_a_plan_without_variation_gets_some(planner, runner) -> None:
    plan = planner.plan("over a speed bump", seed=0)
    _assert_repaired(
        plan,
        {"variation": 0.0},
        runner,
        {FailureCode.NO_VARIATION},
        RepairMove.INCREASE_VARIATION,
        seeds=(0, 1),
    )


# --- validation of every family ----------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(FAMILIES))
def test_every_family_validates(planner, runner, key: str) -> None:
    """The sweep's cases for seeds 0 and 1 at scale 1.0: each plan validated at its seed, <= 2 repairs."""
    result = family_pass_rate(key, runner, seeds=(0, 1), scales=(1.0,), planner=planner)
    assert result.cases == 2 and result.passed == 2, result.failures


# --- reviewer ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validated(planner, runner):
    plan = planner.plan("drop into a lower bin", seed=7)
    draft = OfflineCoder().write(plan, attempt=1)
    report = _validate(draft.source, runner)
    assert report.ok
    return plan, draft, report


def _bundle(**view_changes) -> RenderBundle:
    view = {
        "view": "iso",
        "payload_fraction": 0.01,
        "fixture_fraction": 0.3,
        "zone_fraction": 0.05,
        "payload_in_frame": True,
        "goal_in_frame": True,
    }
    view.update(view_changes)
    return RenderBundle(
        directory="/tmp/none", views={}, contact_sheet="/tmp/none/sheet.png", metrics=[ViewMetrics(**view)]
    )


def test_reviewer_approves_then_rejects_a_near_duplicate(validated) -> None:
    plan, draft, report = validated
    reviewer = OfflineReviewer()
    approved = reviewer.review(plan, draft, ReviewEvidence(report=report, bundle=_bundle()))
    assert approved.verdict is ReviewVerdict.APPROVE and approved.reviewer == "offline"
    again = reviewer.review(plan, draft, ReviewEvidence(report=report, bundle=_bundle()))
    assert again.verdict is ReviewVerdict.REJECT_PLAN and "near duplicate" in again.reasons[0]


def test_reviewer_never_approves_a_failed_report(validated) -> None:
    plan, draft, report = validated
    failed = report.model_copy(
        update={"ok": False, "failures": [Failure(code=FailureCode.NOT_SETTLED, message="m")]}
    )
    decision = OfflineReviewer().review(plan, draft, ReviewEvidence(report=failed))
    assert decision.verdict is ReviewVerdict.REJECT_CODE and "NOT_SETTLED" in decision.reasons[0]


def test_reviewer_rejects_missing_variety_renders_and_difficulty(validated) -> None:
    plan, draft, report = validated
    same = report.model_copy(deep=True)
    for variant in same.variants:
        variant.metrics.geometry_hash = "same"
    decision = OfflineReviewer().review(plan, draft, ReviewEvidence(report=same))
    assert decision.verdict is ReviewVerdict.REJECT_CODE and "repair: INCREASE_VARIATION" in decision.feedback
    hidden = OfflineReviewer().review(
        plan, draft, ReviewEvidence(report=report, bundle=_bundle(payload_in_frame=False))
    )
    assert hidden.verdict is ReviewVerdict.REJECT_PLAN and "payload" in hidden.reasons[0]
    empty = OfflineReviewer().review(
        plan, draft, ReviewEvidence(report=report, bundle=_bundle(fixture_fraction=0.0))
    )
    assert empty.verdict is ReviewVerdict.REJECT_PLAN
    off_band = plan.model_copy(update={"difficulty_intent": min(plan.difficulty_intent + 0.4, 1.0)})
    too_easy = OfflineReviewer().review(off_band, draft, ReviewEvidence(report=report))
    assert too_easy.verdict is ReviewVerdict.REJECT_PLAN and "outside" in too_easy.reasons[0]


# --- difficulty and fingerprints ---------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(FAMILIES))
def test_difficulty_is_monotone_in_each_difficulty_parameter(key: str) -> None:
    family = FAMILIES[key]
    model = family.params_model
    for name, harder in model.difficulty_parameters().items():
        low, high = model.bounds_of(name)
        values = [low, (low + high) / 2, high]
        if harder is Hardness.LOWER:
            values.reverse()
        scores = [
            difficulty_score(build_spec(family.render_script(model(**{name: value})), seed=1))
            for value in values
        ]
        assert all(0 <= s <= 1 for s in scores)
        assert scores[0] <= scores[1] <= scores[2] and scores[0] < scores[2], (name, scores)


def test_fingerprint_flags_rescaled_copies_but_not_other_benchmarks(planner) -> None:
    plan = planner.plan("over a speed bump", seed=0)
    source = OfflineCoder().write(plan, attempt=1).source
    nominal = fingerprint(build_spec(source, 0, 1.0))
    assert is_near_duplicate(nominal, fingerprint(build_spec(source, 0, 2.0)))
    other_plan = planner.plan("over a speed bump", seed=1)
    other = OfflineCoder().write(other_plan, attempt=1).source
    assert not is_near_duplicate(nominal, fingerprint(build_spec(other, 0, 1.0)))
    gap = OfflineCoder().write(planner.plan("gap crossing", seed=0), attempt=1).source
    assert not is_near_duplicate(nominal, fingerprint(build_spec(gap, 0, 1.0)))


def test_every_failure_code_a_script_can_cause_in_geometry_has_a_move() -> None:
    geometric = {
        FailureCode.PAYLOAD_OVERLAPS_FIXTURE,
        FailureCode.GOAL_REACHED_UNAIDED,
        FailureCode.FORBID_ZONE_HIT,
        FailureCode.NOT_SETTLED,
        FailureCode.FIXTURE_OUT_OF_BOUNDS,
        FailureCode.OUT_OF_BOUNDS,
        FailureCode.PAYLOAD_IN_GOAL,
        FailureCode.NO_VARIATION,
    }
    assert geometric <= set(REPAIR_FOR_CODE)
    witness_moves = {move for moves in WITNESS_REPAIRS_FOR_CODE.values() for move in moves}
    assert set(REPAIR_FOR_CODE.values()) | witness_moves == set(RepairMove)


def test_drafts_carry_their_moves_in_the_notes(planner) -> None:
    plan = planner.plan("out of a pit", seed=0)
    coder = OfflineCoder()
    draft: ScriptDraft = coder.write(plan, attempt=1)
    for attempt, code in enumerate((FailureCode.NOT_SETTLED, FailureCode.GOAL_REACHED_UNAIDED), start=2):
        draft = coder.write(plan, attempt, previous=draft, report=_report(code))
    assert [line.split()[2] for line in draft.notes.splitlines()] == ["WIDEN_SUPPORT", "MOVE_GOAL"]


@pytest.mark.slow
def test_a_failing_witness_is_repaired_from_its_evaluation(planner, runner) -> None:
    """A witness left no time to come to rest fails on the real validation's variant; the Coder reads the
    evaluation's GOAL_NOT_REACHED, gives it more settle time, and the repaired witness proves the scene."""
    plan = planner.plan("gap crossing", seed=0)
    coder = OfflineCoder()
    first = coder.write(plan, attempt=1)
    hurried = WitnessTuning(settle=0.05)  # SETTLE_S 8 s -> 0.4 s, under the evaluator's 0.5 s rest window
    state = first.offline.model_copy(update={"tuning": hurried})
    draft = first.model_copy(update={"witness": witness_source(plan.family, hurried), "offline": state})
    report = _validate(draft.source, runner, seeds=(0,))
    assert report.ok, report.failures
    witness = Witness(name="solution.py", source=draft.witness)
    failed = check_witness(report, draft.source, witness, required=True, runner=runner)
    assert failed.solvability is Solvability.WITNESS_FAILED and failed.codes() == {FailureCode.WITNESS_FAILED}
    assert {f.code for v in failed.witness.variants for f in v.failures} == {FailureCode.GOAL_NOT_REACHED}
    repaired = coder.write(plan, attempt=2, previous=draft, report=failed)
    assert repaired.notes.startswith(f"repair move {RepairMove.LONGER_SETTLE.value}"), repaired.notes
    assert repaired.source == draft.source and repaired.offline.tuning.settle > 1.0
    proven = check_witness(
        report,
        repaired.source,
        Witness(name="solution.py", source=repaired.witness),
        required=True,
        runner=runner,
    )
    assert proven.solvability is Solvability.PROVEN, proven.failures


def test_witness_moves_are_tried_in_turn_and_keep_the_witness_at_least_as_strong(planner) -> None:
    plan = planner.plan("around a wall, forbid zone behind it", seed=0)
    coder = OfflineCoder()
    draft = coder.write(plan, attempt=1)
    assert draft.witness == witness_source(plan.family) and draft.offline.tuning == WitnessTuning()
    codes = (FailureCode.GOAL_NOT_REACHED, FailureCode.GOAL_NOT_REACHED, FailureCode.FORBID_ZONE_HIT)
    for attempt, code in enumerate(codes, start=2):
        draft = coder.write(plan, attempt, previous=draft, report=_witness_report(code))
    # around_wall's witness has no margin constant, so WIDER_MARGIN is passed over for a slower push again
    assert [a.move for a in draft.offline.moves] == [
        RepairMove.LONGER_SETTLE,
        RepairMove.SLOWER_PUSH,
        RepairMove.SLOWER_PUSH,
    ]
    assert draft.offline.tuning == WitnessTuning(settle=1.5, pace=0.7 * 0.7)
    assert "HORIZON_MARGIN_S = 9  #" in draft.witness and "SPEED = 2.45  #" in draft.witness
    assert draft.source == coder.write(plan, attempt=1).source


def _witness_report(code: FailureCode) -> ValidationReport:
    """A valid scene's report whose witness left its one variant unsolved with `code`."""
    variant = VariantEvaluation(seed=0, scale=1.0, solved=False, failures=[Failure(code=code, message="x")])
    witness = EvaluationReport(script="s.py", solution="w.py", solved=False, variants=[variant])
    failure = Failure(code=FailureCode.WITNESS_FAILED, message="x", seed=0, scale=1.0)
    return ValidationReport(script="s.py", ok=False, failures=[failure], witness=witness)


def test_planned_fixture_labels_are_the_built_ones() -> None:
    for family in FAMILIES.values():
        spec = build_spec(family.render_script(family.default_params()), seed=0)
        assert sorted(f.label for f in spec.fixtures) == sorted(label for label, _ in family.fixture_labels)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "scale", "shape"),
    [(14, 1.0, "sphere"), (6, 0.5, "cylinder"), (12, 1.0, "box"), (16, 2.0, "sphere")],
)
def test_the_s_curve_witness_sweeps_the_last_turn_on_an_arc(planner, runner, seed, scale, shape) -> None:
    """Scenes the old straight last push could not solve: the second opening too narrow for the line's
    angle (14/1, 6/0.5), a box catching the first baffle's corner (12/1), a fast ball running on (16/2).
    The witness's hinge sweeps each payload through the second opening into the goal, from every start."""
    plan = planner.plan(FAMILIES["s_curve_channel"].title, seed)
    assert shape in plan.payload
    result = family_witness_rate("s_curve_channel", runner, seeds=(seed,), scales=(scale,), planner=planner)
    assert (result.cases, result.solved) == (1, 1), result.failures
