"""`benchgen reproduce`: a benchmark recorded by the pipeline's own steps (real SQLite, local store, sandbox)
reproduces identical; a tampered script or geometry hash is reported and exits 1."""

import hashlib
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from benchgen import db, pipeline
from benchgen.agents.schemas import SessionOutcome
from benchgen.cli import main
from benchgen.codes import FailureCode
from benchgen.dataset.index import ArtifactFile, DatasetIndex, FileKind
from benchgen.dataset.publish import promote, stage_dataset
from benchgen.failures import Failure
from benchgen.models import BenchmarkAsset, SessionStatus
from benchgen.offline.build import build_spec
from benchgen.reproduce import RecordedBenchmark, RecordedVariant, compare
from benchgen.settings import ENV_PREFIX, Settings, get_settings
from benchgen.store import ArtifactStore
from benchgen.validation.report import ValidationReport, VariantMetrics, VariantReport
from benchgen.versions import CODE_VERSION, KIT_VERSION, VALIDATOR_VERSION

EXAMPLE = Path(__file__).parents[1] / "examples" / "gap_crossing.py"
SEEDS = [0, 1]
SCALES = [1.0]
TAMPERED_HASH = "0" * 64


def persist_example(settings: Settings) -> tuple[BenchmarkAsset, str]:
    """Validate the example on the variant grid, persist it with the pipeline's steps (no renders) and
    publish it; return the database record and the published version's URL."""
    script = EXAMPLE.read_text()
    generation = SessionOutcome(
        theme="ball must cross a gap",
        seed=0,
        session_id=None,
        status=SessionStatus.ACCEPTED,
        family="gap_crossing",
        script=script,
    )
    report = pipeline.validate_variants(generation, SEEDS, SCALES, require_witness=False)
    assert report.ok, report.failures
    store = ArtifactStore.from_settings(settings)
    spec = build_spec(script, SEEDS[0], SCALES[0])
    files = []
    for kind, name, data in (
        (FileKind.SCRIPT, "script.py", script.encode()),
        (FileKind.DEFINITION, pipeline.DEFINITION_FILE, spec.model_dump_json().encode()),
    ):
        stored = store.put_bytes(f"{pipeline.ARTIFACTS_PREFIX}/test/{name}", data)
        files.append(
            ArtifactFile(kind=kind, name=name, key=stored.key, sha256=stored.sha256, size=stored.size)
        )
    evidence = pipeline.Evidence(
        files=files,
        difficulty_score=0.5,
        definition=spec,
        seed=SEEDS[0],
        scale=SCALES[0],
    )
    entry = pipeline.persist_benchmark(
        generation, report, evidence, dataset_name="repro", dataset_version="v1", settings=settings
    )
    index = DatasetIndex.from_entries("repro", "v1", [generation.theme], [entry])
    published = promote(store, stage_dataset(store, index, "# repro\n"), index)
    engine = db.get_engine(settings)
    try:
        return db.get_asset(engine, uuid.UUID(entry.benchmark_id)), published.url
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def recorded_and_published(tmp_path_factory) -> tuple[Settings, BenchmarkAsset, str]:
    data_dir = tmp_path_factory.mktemp("reproduce") / "data"
    settings = get_settings(data_dir=data_dir, database_url=None, store_url=None)
    return settings, *persist_example(settings)


@pytest.fixture(scope="module")
def recorded(recorded_and_published) -> tuple[Settings, BenchmarkAsset]:
    settings, asset, _ = recorded_and_published
    return settings, asset


class CliResult(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(monkeypatch, capsys) -> Callable[..., CliResult]:
    """`benchgen reproduce ARGS` through the real entry point, in this process (imports are paid once)."""

    def run(settings: Settings, *args: str) -> CliResult:
        for name in [n for n in os.environ if n.upper().startswith(ENV_PREFIX)]:
            monkeypatch.delenv(name)
        monkeypatch.setenv(f"{ENV_PREFIX}DATA_DIR", str(settings.data_dir))
        monkeypatch.setattr(sys, "argv", ["benchgen", "reproduce", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main()
        out, err = capsys.readouterr()
        return CliResult(exited.value.code, out, err)

    return run


@pytest.fixture
def tampered(recorded) -> Iterator[BenchmarkAsset]:
    """The record with a changed stored script and a changed geometry hash; restored afterwards."""
    settings, asset = recorded
    store = ArtifactStore.from_settings(settings)
    key = asset.script_url.removeprefix(f"{store.url}/")
    original = store.get_bytes(key)
    store.put_bytes(key, original + b"# edited after publication\n")
    changed = asset.model_copy(deep=True)
    changed.variants[1].metrics.geometry_hash = TAMPERED_HASH
    engine = db.get_engine(settings)
    try:
        db.save_asset(engine, BenchmarkAsset.model_validate(changed.model_dump()))
        yield changed
    finally:
        store.put_bytes(key, original)
        db.save_asset(engine, asset)
        engine.dispose()


def test_compare_names_each_difference_by_variant():
    hashed = "a" * 64
    recorded = RecordedBenchmark(
        benchmark_id=uuid.uuid4(),
        name="t",
        script="print()\n",
        script_source="file:///s/script.py",
        script_sha256="b" * 64,
        variants=[
            RecordedVariant(seed=0, scale=1.0, ok=True, geometry_hash=hashed, failure_codes=[]),
            RecordedVariant(seed=1, scale=1.0, ok=True, geometry_hash=hashed, failure_codes=[]),
            RecordedVariant(seed=2, scale=1.0, ok=False, geometry_hash=hashed, failure_codes=["NOT_SETTLED"]),
        ],
    )
    settle = Failure(code=FailureCode.NOT_SETTLED, message="still moving", seed=0, scale=1.0)
    bounds = Failure(code=FailureCode.OUT_OF_BOUNDS, message="left the bounds", seed=2, scale=1.0)
    metrics = VariantMetrics(geometry_hash=hashed)
    report = ValidationReport(
        script="s",
        ok=False,
        failures=[settle, bounds],
        variants=[
            VariantReport(seed=0, scale=1.0, ok=False, failures=[settle], metrics=metrics),
            VariantReport(seed=2, scale=1.0, ok=False, failures=[bounds], metrics=metrics),
        ],
    )
    lines = [d.line() for d in compare(recorded, report)]
    assert lines == [
        f"script sha256 recorded {'b' * 64}, reproduced {hashlib.sha256(b'print()' + bytes([10])).hexdigest()}",
        "seed 0 scale 1: validation outcome recorded valid, reproduced invalid (NOT_SETTLED)",
        "seed 1 scale 1: variant recorded present, reproduced not run",
        "seed 2 scale 1: failure codes recorded NOT_SETTLED, reproduced OUT_OF_BOUNDS",
    ]


def test_unknown_or_malformed_id_is_a_usage_error(recorded, run_cli):
    settings, _ = recorded
    unknown = run_cli(settings, str(uuid.uuid4()))
    assert unknown.returncode == 2 and "no benchmark with id" in unknown.stderr
    malformed = run_cli(settings, "not-an-id")
    assert malformed.returncode == 2 and "is not a benchmark id" in malformed.stderr


def test_unchanged_benchmark_reproduces_identical(recorded, run_cli):
    settings, asset = recorded
    result = run_cli(settings, str(asset.benchmark_id))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{asset.benchmark_id}: identical (2 variants)" in result.stdout
    assert "version" not in result.stdout  # the asset's provenance names the running versions


def test_asset_records_its_provenance_and_failure_codes(recorded):
    _, asset = recorded
    assert asset.session_id is None  # the versions come from the asset itself, not a session row
    assert (asset.provenance.seeds, asset.provenance.scales) == (SEEDS, SCALES)
    assert (asset.provenance.code_version, asset.provenance.kit_version) == (CODE_VERSION, KIT_VERSION)
    assert asset.provenance.validator_version == VALIDATOR_VERSION
    assert [v.failure_codes for v in asset.variants] == [[], []]


def test_tampered_script_and_hash_are_reported_and_exit_1(recorded, run_cli, tampered):
    settings, _ = recorded
    result = run_cli(settings, "--dataset", "repro/v1")
    assert result.returncode == 1, result.stdout + result.stderr
    output = " ".join(result.stdout.split())
    assert f"differs script sha256 recorded {tampered.script_sha256}" in output
    assert f"seed 1 scale 1: geometry hash recorded {TAMPERED_HASH}, reproduced" in output
    assert "seed 0 scale 1" not in output  # the untouched variant still matches


def test_published_version_reproduces_and_a_changed_published_script_is_reported(
    recorded_and_published, run_cli
):
    settings, asset, url = recorded_and_published
    result = run_cli(settings, "--published", url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{asset.benchmark_id}: identical (2 variants)" in result.stdout
    script = Path(url.removeprefix("file://")) / "benchmarks" / str(asset.benchmark_id) / "script.py"
    original = script.read_bytes()
    script.write_bytes(original.replace(b"rng.uniform(80, 160)", b"rng.uniform(90, 160)"))
    try:
        changed = run_cli(settings, "--published", url, str(asset.benchmark_id))
    finally:
        script.write_bytes(original)
    assert changed.returncode == 1, changed.stdout + changed.stderr
    output = " ".join(changed.stdout.split())
    assert f"differs script sha256 recorded {asset.script_sha256}" in output
    assert (
        "seed 0 scale 1: geometry hash recorded" in output
        and "seed 1 scale 1: geometry hash recorded" in output
    )
