"""The witness in validation, end to end: real sandbox, real MuJoCo. An example with its example solution
is proven solvable, a solution that does nothing is WITNESS_FAILED per variant, a required witness that
is missing is NO_WITNESS, and the CLI's flags, output and exit codes."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchgen.codes import WITNESS_CODES, FailureCode
from benchgen.sandbox import SandboxRunner
from benchgen.settings import get_settings
from benchgen.validation.report import Solvability, ValidationReport
from benchgen.validation.validator import validate_script
from benchgen.validation.witness import SKIP_WITNESS, Witness, check_witness, read_witness

REPO = Path(__file__).resolve().parents[1]
BENCHGEN = str(Path(sys.executable).parent / "benchgen")
SCRIPT = REPO / "examples" / "gap_crossing.py"
SOLUTION = REPO / "examples" / "solutions" / "gap_crossing.py"
SEEDS = (0,)  # one variant: the witness is evaluated from every start of it, which is what is tested

# A mechanism that does nothing: one small block in the build zone's far corner, far from the payload and
# every fixture, judged over a short horizon (the payload stays where it rests, outside the goal).
IDLE_WITNESS = Witness(
    name="idle_solution.py",
    source='''\
from build123d import Box, Pos

from benchgen.kit import Part, Solution


def solve(scenario) -> Solution:
    zone = scenario.build_zone
    block = Pos(zone.max[0] - 10, zone.max[1] - 10, zone.max[2] - 10) * Box(10, 10, 10)
    return Solution(parts=[Part("idle_block", block)], horizon=1.0)
''',
)


@pytest.fixture(scope="module")
def runner() -> Iterator[SandboxRunner]:
    with SandboxRunner() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def valid_report(runner) -> ValidationReport:
    report = validate_script(SCRIPT, SEEDS, runner=runner)
    assert report.ok, [f.message for f in report.failures]
    return report


@pytest.fixture(scope="module")
def proven_report(valid_report, runner) -> ValidationReport:
    return check_witness(valid_report, SCRIPT.read_text(), read_witness(SOLUTION), required=True, runner=runner)


@pytest.fixture(scope="module")
def failed_report(valid_report, runner) -> ValidationReport:
    return check_witness(valid_report, SCRIPT.read_text(), IDLE_WITNESS, required=True, runner=runner)


def test_the_example_with_its_solution_is_valid_and_proven(proven_report):
    report = proven_report
    assert report.ok and report.failures == []
    assert report.solvability is Solvability.PROVEN
    witness = report.witness
    assert witness is not None and witness.solved and witness.solution == str(SOLUTION)
    assert [(v.seed, v.scale) for v in witness.variants] == [(v.seed, v.scale) for v in report.variants]
    for variant in witness.variants:
        assert variant.cost > 0 and variant.weight_kg > 0 and variant.time_to_goal_s is not None
    again = ValidationReport.model_validate_json(report.model_dump_json())
    assert again.solvability is Solvability.PROVEN and again.witness == witness


def test_a_witness_that_does_nothing_fails_every_variant_with_its_evaluation_codes(failed_report):
    report = failed_report
    assert not report.ok
    assert report.solvability is Solvability.WITNESS_FAILED
    assert report.codes() == {FailureCode.WITNESS_FAILED}
    assert [(f.seed, f.scale) for f in report.failures] == [(v.seed, v.scale) for v in report.variants]
    assert report.witness is not None and not report.witness.solved
    for variant, failure in zip(report.variants, report.failures, strict=True):
        assert not variant.ok and variant.failures == [failure]
        assert "(1) GOAL_NOT_REACHED: nominal start" in failure.message
        rerun = f"--seeds {variant.seed} --scales {variant.scale:g}"
        assert f"`benchgen evaluate {SCRIPT} idle_solution.py {rerun}`" in failure.message


def test_witnessed_reports_survive_a_checkpoint_round_trip(proven_report, failed_report):
    from benchgen.agents.session import checkpoint_serializer

    serde = checkpoint_serializer()
    for report in (proven_report, failed_report):
        restored = serde.loads_typed(serde.dumps_typed(report))
        assert repr(restored) == repr(report)  # repr also compares types, e.g. enum vs str


def test_a_required_witness_that_is_missing_is_no_witness(valid_report):
    report = check_witness(valid_report, SCRIPT.read_text(), None, required=True)
    assert not report.ok and report.codes() == {FailureCode.NO_WITNESS}
    assert report.solvability is Solvability.UNPROVEN and report.witness is None
    assert f"`benchgen validate {SCRIPT} --witness SOLUTION`" in report.failures[0].message


def test_without_a_witness_and_none_required_the_scenario_is_valid_and_unproven(valid_report):
    report = check_witness(valid_report, SCRIPT.read_text(), None, required=False)
    assert report.ok and report.failures == []
    assert report.solvability is Solvability.UNPROVEN and report.witness is None


def test_an_invalid_scenarios_witness_is_not_evaluated(runner):
    script = REPO / "tests" / "corpus" / "payload_in_goal.py"
    invalid = validate_script(script, SEEDS, runner=runner)
    report = check_witness(invalid, script.read_text(), IDLE_WITNESS, required=True, runner=runner)
    assert report.failures == invalid.failures and not report.ok
    assert report.solvability is Solvability.UNPROVEN and report.witness is None
    assert all(v.metrics.skipped[-1] == SKIP_WITNESS for v in report.variants)


def test_the_witness_codes_are_the_ones_tested_here():
    assert WITNESS_CODES == {FailureCode.NO_WITNESS, FailureCode.WITNESS_FAILED}


def test_the_require_witness_setting_reads_the_environment(clean_env, monkeypatch):
    assert get_settings().require_witness is False
    monkeypatch.setenv("BENCHGEN_REQUIRE_WITNESS", "true")
    assert get_settings().require_witness is True


# --- CLI ------------------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BENCHGEN, "validate", *args], check=False, capture_output=True, text=True, cwd=REPO, timeout=300
    )


@pytest.mark.slow
def test_cli_with_a_witness_says_solved_by_witness():
    solution = "examples/solutions/gap_crossing.py"
    done = run_cli("examples/gap_crossing.py", "--seeds", "0", "--witness", solution)
    assert done.returncode == 0, done.stderr
    assert "witness seed 0 scale 1: solved" in done.stdout
    assert "valid, solved by witness examples/solutions/gap_crossing.py" in done.stdout


@pytest.mark.slow
def test_cli_require_witness_without_one_is_no_witness_and_exit_1():
    done = run_cli("examples/gap_crossing.py", "--seeds", "0", "--require-witness", "--json")
    assert done.returncode == 1, done.stderr
    obj = json.loads(done.stdout)
    assert set(obj) == {"script", "ok", "failures", "variants", "solvability", "witness"}
    assert (obj["ok"], obj["solvability"], obj["witness"]) == (False, "unproven", None)
    assert [f["code"] for f in obj["failures"]] == ["NO_WITNESS"]
    assert all(v["ok"] for v in obj["variants"])


@pytest.mark.parametrize(
    "args, says",
    [
        (
            ["examples/gap_crossing.py", "--witness", "examples/solutions/missing.py"],
            "witness 'examples/solutions/missing.py' does not exist",
        ),
        (
            ["examples/gap_crossing.py", "examples/u_channel.py", "--witness", "examples/solutions/x.py"],
            "--witness answers one script, got 2",
        ),
    ],
)
def test_cli_witness_usage_errors_exit_2_with_one_line(args, says):
    done = run_cli(*args)
    assert done.returncode == 2
    assert says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
