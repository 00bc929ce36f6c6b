"""`benchgen evaluate`: real sandbox, real MuJoCo. Every evaluation code is triggered by a solution that
breaks exactly one rule; the gap-crossing solution (a bridge, a pusher, a stop) solves its benchmark."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchgen.codes import FailureCode
from benchgen.evaluation import EvaluationReport, EvaluationSettings, evaluate_sources
from benchgen.sandbox import SandboxRunner

REPO = Path(__file__).resolve().parents[1]
SCRIPT = (REPO / "examples" / "gap_crossing.py").read_text()
SOLUTION = (REPO / "examples" / "solutions" / "gap_crossing.py").read_text()
BENCHGEN = Path(sys.executable).parent / "benchgen"
TIMINGS = {"build_s", "solve_s", "sim_s"}  # wall-clock fields, the only ones allowed to differ between runs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runner() -> Iterator[SandboxRunner]:
    with SandboxRunner() as sandbox:
        yield sandbox


def evaluate(runner: SandboxRunner, solution: str, seeds=(0,), scales=(1.0,)) -> EvaluationReport:
    return evaluate_sources(
        SCRIPT,
        solution,
        "gap_crossing.py",
        "solution.py",
        EvaluationSettings(seeds=seeds, scales=scales),
        runner=runner,
    )


def mutated(old: str, new: str) -> str:
    assert old in SOLUTION, old
    return SOLUTION.replace(old, new)


def only_code(report: EvaluationReport) -> FailureCode:
    assert not report.solved
    codes = report.codes()
    assert len(codes) == 1, [f"{f.code}: {f.message}" for f in report.failures]
    return codes.pop()


# --- solved, and deterministic -------------------------------------------------------------------------


def test_bridge_and_pusher_solve_the_gap(runner: SandboxRunner) -> None:
    report = evaluate(runner, SOLUTION, seeds=(0, 1), scales=(0.5, 2.0))
    assert report.solved, [f.message for f in report.failures]
    for variant in report.variants:
        assert variant.solved and variant.parts == 2 and variant.movers == 1
        assert variant.cost > 0 and variant.weight_kg > 0
        assert 0 < variant.time_to_goal_s < 10
        assert len(variant.starts) == 5 and all(s.reached_goal for s in variant.starts)


def test_same_pair_twice_gives_the_same_report(runner: SandboxRunner) -> None:
    first, second = (evaluate(runner, SOLUTION) for _ in range(2))
    assert first.variants[0].sim_s is not None
    assert first.model_dump(exclude={"variants": {0: TIMINGS}}) == second.model_dump(
        exclude={"variants": {0: TIMINGS}}
    )


# --- each code, exactly ----------------------------------------------------------------------------------


def test_short_travel_does_not_reach_the_goal(runner: SandboxRunner) -> None:
    # Cut to 1 mm, the pusher never reaches the ball (it starts 2 mm behind the jitter envelope).
    report = evaluate(runner, mutated("travel=travel,", "travel=1.0,"))
    assert only_code(report) is FailureCode.GOAL_NOT_REACHED
    assert "outside the goal" in report.failures[0].message and "further" in report.failures[0].message


def test_without_the_bridge_the_payload_falls_into_the_gap(runner: SandboxRunner) -> None:
    report = evaluate(runner, mutated("parts=[bridge, stop]", "parts=[stop]"))
    assert only_code(report) is FailureCode.FORBID_ZONE_HIT
    assert "forbid_gap" in report.failures[0].message


def test_a_mover_leaving_the_build_zone_during_its_motion_is_caught(runner: SandboxRunner) -> None:
    report = evaluate(runner, mutated("travel=travel,", "travel=travel + 250,"))
    assert only_code(report) is FailureCode.PART_OUTSIDE_BUILD_ZONE
    message = report.failures[0].message
    assert message.startswith("mover 'pusher' reaches x = ")
    assert "the build zone ends at x = 400 mm: shorten travel by" in message
    assert "at t = 0.0 s" not in message  # it starts inside: only the sweep finds it


def test_a_part_in_a_fixture_overlaps(runner: SandboxRunner) -> None:
    report = evaluate(
        runner,
        mutated(
            "parts=[bridge, stop]",
            "parts=[bridge, stop, Part('post', Pos(left.center[0] + 60, 60, deck_top) * Box(20, 20, 40))]",
        ),
    )
    assert only_code(report) is FailureCode.PART_OVERLAPS_FIXTURE
    assert "'post' overlaps fixture 'left_deck'" in report.failures[0].message


def test_a_part_in_the_payload_envelope_overlaps(runner: SandboxRunner) -> None:
    report = evaluate(
        runner,
        mutated(
            "parts=[bridge, stop]",
            "parts=[bridge, stop, Part('cap', Pos(payload.start[0] + 6, 0, payload.start[2]) * Box(radius, 4 * radius, radius))]",
        ),
    )
    assert only_code(report) is FailureCode.PART_OVERLAPS_PAYLOAD


def test_a_motor_beyond_its_force_limit_is_over_limits(runner: SandboxRunner) -> None:
    report = evaluate(
        runner, mutated('material="abs",\n    )', 'material="abs",\n        force=500,\n    )')
    )
    assert only_code(report) is FailureCode.OVER_LIMITS
    assert "force 500 N; the limit is 200 N" in report.failures[0].message


def test_pushing_the_payload_off_the_side_leaves_the_bounds(runner: SandboxRunner) -> None:
    sideways = """
from build123d import Box, Pos
from benchgen.kit import Slider, Solution

def solve(scenario):
    p = scenario.payload
    e = p.envelope()
    top = scenario.fixture("left_deck").bbox.max[2]
    shove = Slider("shove", Pos(p.start[0], e.min[1] - 12, top + 1 + p.radius) * Box(60, 20, 1.5 * p.radius),
                   axis=(0, 1, 0), travel=150, speed=300)
    return Solution(movers=[shove])
"""
    report = evaluate(runner, sideways)
    assert only_code(report) is FailureCode.OUT_OF_BOUNDS


def test_a_part_too_costly_to_decompose_is_a_resource_limit(runner: SandboxRunner) -> None:
    pocketed_plate = """
from build123d import Box, Pos
from benchgen.kit import Part, Solution

def solve(scenario):
    plate = Box(300, 300, 20)
    for row in range(6):
        for column in range(6):
            offset = (row * 6 + column) * 0.37
            plate -= Pos(-112.5 + column * 45 + offset, -112.5 + row * 45 + offset, 5) * Box(30, 30, 10)
    return Solution(parts=[Part("shelf", Pos(0, 0, 250) * plate)])
"""
    report = evaluate(runner, pocketed_plate)
    assert only_code(report) is FailureCode.RESOURCE_LIMIT
    assert "over the limit of 1000" in report.failures[0].message


HINGE_SOLUTION = """
from build123d import Box, Pos
from benchgen.kit import Hinge, Solution

def solve(scenario):
    deck = scenario.fixture("left_deck").bbox
    top = deck.max[2]
    # A bat standing behind the ball, turning about y through the middle of its foot; the foot stands
    # 6 mm above the deck so that its corners (5 mm from the pivot) never dip into it.
    pivot = (deck.min[0] + 20, 0, top + 6)
    bat = Hinge("bat", Pos(pivot[0], 0, top + 6 + HEIGHT / 2) * Box(10, 60, HEIGHT), pivot=pivot,
                axis=(0, 1, 0), angle=ANGLE, speed=90, start_time=0.2)
    return Solution(movers=[bat])
"""


def test_a_hinge_turning_out_of_the_build_zone_is_caught(runner: SandboxRunner) -> None:
    # Turning -90 deg about y swings the bat's top toward -x: past the build zone's end at x = -400 mm.
    report = evaluate(runner, HINGE_SOLUTION.replace("HEIGHT", "150").replace("ANGLE", "-90"))
    assert only_code(report) is FailureCode.PART_OUTSIDE_BUILD_ZONE
    message = report.failures[0].message
    assert message.startswith("mover 'bat' reaches x = ") and "the build zone ends at x = -400 mm" in message
    assert "limit the angle to -" in message


def test_a_hinge_swings_and_its_run_is_judged(runner: SandboxRunner) -> None:
    # Turning +60 deg swings the bat forward over the deck: it knocks the ball on; it is simulated and
    # judged (here: the ball is not carried over the gap).
    report = evaluate(runner, HINGE_SOLUTION.replace("HEIGHT", "60").replace("ANGLE", "60"))
    assert report.variants[0].starts, report.failures
    assert report.codes() <= {
        FailureCode.FORBID_ZONE_HIT,
        FailureCode.GOAL_NOT_REACHED,
        FailureCode.OUT_OF_BOUNDS,
    }


def test_a_mover_running_into_a_fixture_during_the_run_is_caught(runner: SandboxRunner) -> None:
    ram = """
from build123d import Box, Pos
from benchgen.kit import Slider, Solution

def solve(scenario):
    deck = scenario.fixture("right_deck").bbox
    ram = Slider("ram", Pos(deck.center[0], 0, deck.max[2] + 30) * Box(20, 20, 20),
                 axis=(0, 0, -1), travel=40, speed=100)
    return Solution(movers=[ram])
"""
    report = evaluate(runner, ram)
    assert only_code(report) is FailureCode.PART_OVERLAPS_FIXTURE
    assert (
        "mover 'ram' runs" in report.failures[0].message
        and "into fixture 'right_deck'" in report.failures[0].message
    )


@pytest.mark.parametrize(
    "solution, words",
    [
        ("def solve(scenario):\n    raise ValueError('no idea')\n", "ValueError during solve(): no idea"),
        ("def solve(scenario):\n    return 42\n", "it must return benchgen.kit.Solution"),
        (
            "import benchgen.kit as k\ndef solve(scenario):\n    return k.Solution(parts=[k.Part('Bad Label', None)])\n",
            "label 'Bad Label' is invalid",
        ),
        ("x = = 1\n", "syntax error"),
        (
            "def solve(scenario):\n    scenario.fixture('nope')\n",
            "no fixture 'nope'; its fixtures are left_deck, right_deck",
        ),
    ],
)
def test_broken_solutions_are_solution_errors(runner: SandboxRunner, solution: str, words: str) -> None:
    report = evaluate(runner, solution)
    assert only_code(report) is FailureCode.SOLUTION_ERROR
    assert words in report.failures[0].message


# --- the command line ------------------------------------------------------------------------------------


def benchgen(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BENCHGEN), *args], check=False, cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_cli_solves_with_json_and_render(tmp_path: Path) -> None:
    result = benchgen(
        "evaluate",
        "examples/gap_crossing.py",
        "examples/solutions/gap_crossing.py",
        "--seeds",
        "0",
        "--json",
        "--render",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["solved"] and report["variants"][0]["cost"] > 0
    folder = tmp_path / "seed0_scale1"
    assert (folder / "solution.gif").stat().st_size > 0
    assert (folder / "views" / "isometric.png").is_file()
    assert (folder / "mjcf" / "scene.xml").is_file()


def test_cli_not_solved_exits_1_and_usage_errors_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("def solve(scenario):\n    return None\n")
    result = benchgen("evaluate", "examples/gap_crossing.py", str(broken), "--seeds", "0")
    assert result.returncode == 1, result.stderr
    assert "SOLUTION_ERROR" in result.stdout
    missing = benchgen("evaluate", "examples/gap_crossing.py", str(tmp_path / "nope.py"))
    assert missing.returncode == 2
    assert len(missing.stderr.strip().splitlines()) == 1 and "does not exist" in missing.stderr
    bad_scale = benchgen("evaluate", "examples/gap_crossing.py", str(broken), "--scales", "3")
    assert bad_scale.returncode == 2 and "outside [0.5, 2]" in bad_scale.stderr


# --- the example solutions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "solution", sorted((REPO / "examples" / "solutions").glob("*.py")), ids=lambda p: p.stem
)
def test_example_solutions_solve_every_variant(runner: SandboxRunner, solution: Path) -> None:
    script = (REPO / "examples" / solution.name).read_text()
    report = evaluate_sources(
        script,
        solution.read_text(),
        solution.name,
        str(solution),
        EvaluationSettings(seeds=(0, 1, 2, 3, 4), scales=(0.5, 1.0, 2.0)),
        runner=runner,
    )
    assert report.solved, [f"{f.seed}/{f.scale}: {f.message}" for f in report.failures]
