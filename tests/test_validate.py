"""The validator end to end: real sandbox, real MuJoCo. Every corpus script yields exactly its code,
every example passes, and the CLI keeps the contract's JSON shape and exit codes."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchgen.codes import SCENARIO_CODES, WITNESS_CODES, FailureCode
from benchgen.errors import UsageError
from benchgen.sandbox import SandboxLimits, SandboxRunner
from benchgen.validation import solvability, static_checks
from benchgen.validation.report import ValidationReport
from benchgen.validation.validator import (
    NO_VARIATION,
    SKIP_DETERMINISM,
    SKIP_NOT_RUN,
    SKIP_SETTLE,
    ValidationSettings,
    VariantBuildError,
    build_variant,
    validate_script,
    validate_source,
)

REPO = Path(__file__).resolve().parents[1]
CORPUS = sorted((REPO / "tests" / "corpus").glob("*.py"))
EXAMPLES = sorted((REPO / "examples").glob("*.py"))
BENCHGEN = str(Path(sys.executable).parent / "benchgen")  # the installed console script
SEEDS = (0, 1)  # two seeds are enough to see variation and run every check

# Limits small enough that a busy loop or a memory bomb stops within seconds (a forked worker child
# already maps ~1.05 GiB, so 1400 MiB leaves a bomb ~300 MiB).
TIGHT_LIMITS = SandboxLimits(cpu_seconds=2, wall_seconds=4, memory_mb=1400)
LIMIT_CODES = {FailureCode.TIMEOUT, FailureCode.RESOURCE_LIMIT}
# Variants per corpus script where the default (SEEDS at scale 1.0) would be wrong or slow.
SCALES_FOR = {"contract_violation_scale": (1.0, 2.0)}
SEEDS_FOR = {"physics_unstable": (0,), "timeout": (0,), "resource_limit": (0,)}  # one slow variant is enough


def expected_code(path: Path) -> FailureCode:
    """The code a corpus file is named after: the longest code whose lower-case name prefixes the stem."""
    matches = [code for code in FailureCode if path.stem.startswith(code.value.lower())]
    return max(matches, key=lambda code: len(code.value))


@pytest.fixture(scope="module")
def runner() -> Iterator[SandboxRunner]:
    with SandboxRunner() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def tight_runner() -> Iterator[SandboxRunner]:
    with SandboxRunner(limits=TIGHT_LIMITS) as sandbox:
        yield sandbox


def validate_corpus(path: Path, runner: SandboxRunner) -> ValidationReport:
    return validate_script(
        path, SEEDS_FOR.get(path.stem, SEEDS), SCALES_FOR.get(path.stem, (1.0,)), runner=runner
    )


def test_corpus_covers_every_failure_code():
    """Every code a script alone can trigger; the witness codes need a solution (test_witness_validation)."""
    assert {expected_code(path) for path in CORPUS} == set(SCENARIO_CODES) - WITNESS_CODES


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_corpus_script_yields_exactly_its_code(path, runner, tight_runner):
    code = expected_code(path)
    report = validate_corpus(path, tight_runner if code in LIMIT_CODES else runner)
    assert report.codes() == {code}, [f.message for f in report.failures]
    assert not report.ok
    assert all(f.message for f in report.failures)
    assert report.failures == [f for v in report.variants for f in v.failures] + [
        f for f in report.failures if f.seed is None
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_is_valid(path, runner):
    report = validate_script(path, SEEDS, runner=runner)
    assert report.ok, [f.message for f in report.failures]
    for variant in report.variants:
        metrics = variant.metrics
        assert metrics.skipped == []
        assert metrics.starts_simulated and metrics.starts_simulated >= 1
        assert metrics.settle_time_s is not None and metrics.final_drift_mm is not None
        assert metrics.geometry_hash and metrics.payload_mass_kg > 0
    assert len({v.metrics.geometry_hash for v in report.variants}) == len(SEEDS)


def test_ball_in_the_u_channel_rests_where_it_started(runner):
    report = validate_script(REPO / "examples" / "u_channel.py", (0,), runner=runner)
    assert report.ok
    assert report.variants[0].metrics.final_drift_mm < 1.0  # mm: it rests on the channel's real floor


def test_examples_are_valid_at_the_extreme_scales(runner):
    report = validate_script(REPO / "examples" / "gap_crossing.py", (0,), (0.5, 2.0), runner=runner)
    assert report.ok, [f.message for f in report.failures]


class TestMessages:
    def test_payload_overlap_says_how_high_to_start(self, runner):
        report = validate_script(REPO / "tests/corpus/payload_overlaps_fixture.py", (0,), runner=runner)
        (failure,) = report.failures
        fields = {"payload": "sphere r=20", "x": 0.0, "y": 0.0, "z": 95.0, "where": "", "label": "deck"}
        assert failure.message == static_checks.PAYLOAD_OVERLAPS_FIXTURE.format(
            **fields, top=80.0, depth=5.0, needed_z=100.0
        )
        assert (failure.seed, failure.scale) == (0, 1.0)

    def test_fixture_out_of_bounds_names_label_and_distance(self, runner):
        report = validate_script(REPO / "tests/corpus/fixture_out_of_bounds.py", (0,), runner=runner)
        (failure,) = report.failures
        assert failure.message == static_checks.FIXTURE_OUT_OF_BOUNDS.format(
            label="post", side="up to", axis="z", value=500.0, limit=400.0, by=100.0
        )

    def test_no_variation_is_reported_once_per_scale_without_a_seed(self, runner):
        report = validate_script(REPO / "tests/corpus/no_variation.py", SEEDS, runner=runner)
        (failure,) = report.failures
        assert failure.message == NO_VARIATION.format(seeds="0, 1", scale=1.0)
        assert (failure.seed, failure.scale) == (None, 1.0)
        assert all(v.ok for v in report.variants)

    def test_skipped_stages_are_said_in_the_report(self, runner, tight_runner):
        report = validate_script(REPO / "tests/corpus/payload_in_goal.py", (0,), runner=runner)
        assert report.variants[0].metrics.skipped == [
            solvability.NOTE_SKIPPED_STATIC,
            SKIP_SETTLE.format(codes="PAYLOAD_IN_GOAL"),
        ]
        report = validate_script(REPO / "tests/corpus/timeout.py", (0,), runner=tight_runner)
        assert SKIP_DETERMINISM.format(code="TIMEOUT") in report.variants[0].metrics.skipped

    def test_source_violation_is_reported_without_running_the_script(self):
        source = (REPO / "tests/corpus/contract_violation_import.py").read_text()
        report = validate_source(source, "inline", SEEDS, runner=None)
        assert {f.code for f in report.failures} == {FailureCode.CONTRACT_VIOLATION}
        assert {f.message.split(":")[0] for f in report.failures} == {
            "line 3",
            "line 10",
            "line 11",
            "line 27",
        }
        assert all(v.metrics.skipped == [SKIP_NOT_RUN] for v in report.variants)


class TestApi:
    def test_missing_script_is_a_usage_error(self):
        with pytest.raises(UsageError, match="does not exist"):
            validate_script(REPO / "examples" / "no_such_script.py")

    @pytest.mark.parametrize("scales", [(3.0,), (0.4,), ()])
    def test_scale_outside_the_contract_is_a_usage_error(self, scales):
        with pytest.raises(UsageError):
            ValidationSettings(scales=scales)

    def test_build_variant_raises_with_the_code(self, runner):
        source = (REPO / "tests/corpus/script_error.py").read_text()
        with pytest.raises(VariantBuildError) as caught:
            build_variant(source, 0, 1.0, runner)
        assert caught.value.code is FailureCode.SCRIPT_ERROR
        result = build_variant((REPO / "examples/gap_crossing.py").read_text(), 0, 1.0, runner)
        assert set(result.breps) == {"left_deck", "right_deck"}

    def test_progress_sees_every_variant(self, runner):
        seen = []
        validate_script(REPO / "examples/gap_crossing.py", SEEDS, runner=runner, progress=seen.append)
        assert [(v.seed, v.scale) for v in seen] == [(0, 1.0), (1, 1.0)]


# --- CLI ------------------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BENCHGEN, "validate", *args], check=False, capture_output=True, text=True, cwd=REPO, timeout=300
    )


def test_cli_json_is_one_contract_object_per_script_and_exit_0_when_all_valid():
    done = run_cli("examples/gap_crossing.py", "examples/u_channel.py", "--seeds", "0,1", "--json")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2
    for line, script in zip(lines, ("examples/gap_crossing.py", "examples/u_channel.py")):
        obj = json.loads(line)
        assert set(obj) == {"script", "ok", "failures", "variants", "solvability", "witness"}
        assert (obj["script"], obj["ok"], obj["failures"]) == (script, True, [])
        assert (obj["solvability"], obj["witness"]) == ("unproven", None)
        assert [(v["seed"], v["scale"]) for v in obj["variants"]] == [(0, 1.0), (1, 1.0)]
        for variant in obj["variants"]:
            assert set(variant) == {"seed", "scale", "ok", "failures", "metrics"}


def test_cli_exit_1_with_a_readable_table_when_one_script_is_invalid():
    done = run_cli("examples/step_climb.py", "tests/corpus/goal_overlaps_forbid.py", "--seeds", "3")
    assert done.returncode == 1, done.stderr
    assert "valid, solvability unproven: examples/step_climb.py" in done.stdout
    assert "GOAL_OVERLAPS_FORBID" in done.stdout and "'trench'" in done.stdout


def test_failure_json_has_the_contract_keys(runner):
    report = validate_script(REPO / "tests/corpus/payload_in_goal.py", (0,), runner=runner)
    obj = json.loads(report.model_dump_json())
    assert set(obj["failures"][0]) == {"code", "message", "seed", "scale"}
    assert obj["failures"][0]["code"] == "PAYLOAD_IN_GOAL" and obj["ok"] is False


@pytest.mark.parametrize(
    "args, says",
    [
        (["examples/missing.py"], "does not exist"),
        (["examples/gap_crossing.py", "--seeds", "a,b"], "--seeds takes comma-separated int values"),
        (["examples/gap_crossing.py", "--scales", "3.0"], "scale 3 is outside [0.5, 2]"),
    ],
)
def test_cli_usage_errors_exit_2_with_one_line(args, says):
    done = run_cli(*args)
    assert done.returncode == 2
    assert says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
