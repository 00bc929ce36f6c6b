"""The dataset layer: index rows and parquet, the GX gate, the card, and atomic publication."""

import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from PIL import Image

from benchgen import db, pipeline
from benchgen.agents.schemas import SessionOutcome
from benchgen.codes import FailureCode
from benchgen.dataset.card import difficulty_histogram, render_card
from benchgen.dataset.gate import GateError, GateThresholds, run_gate
from benchgen.dataset.index import (
    INDEX_FILE,
    VARIANTS_FILE,
    AcceptedBenchmark,
    ArtifactFile,
    DatasetIndex,
    FileKind,
    VariantRow,
    WitnessSummary,
    witness_columns,
)
from benchgen.dataset.publish import (
    GALLERY_DIR,
    MANIFEST_FILE,
    NEXT_DIR,
    PREVIOUS_DIR,
    ManifestError,
    PublishError,
    VersionExists,
    is_published,
    promote,
    published_versions,
    read_manifest,
    stage_dataset,
    staged_checksums,
    staged_scripts,
    staging_prefix,
    verify_published,
    version_prefix,
)
from benchgen.failures import Failure
from benchgen.models import SessionStatus
from benchgen.offline.build import build_spec
from benchgen.settings import get_settings
from benchgen.store import ArtifactStore
from benchgen.validation import language
from benchgen.validation.report import VariantMetrics, VariantReport

THEMES = ["gap crossing", "ramp climb"]
EXAMPLES = Path(__file__).parents[1] / "examples"


def tiny_png(text: str) -> bytes:
    """A real 4x3 PNG whose colour depends on `text`, so every benchmark's sheet differs."""
    colour = tuple(hashlib.sha256(text.encode()).digest()[:3])
    out = io.BytesIO()
    Image.new("RGB", (4, 3), colour).save(out, format="PNG")
    return out.getvalue()


def persisted_entry(
    store: ArtifactStore, theme: str, seed: int, difficulty: float, *, ok: bool = True
) -> AcceptedBenchmark:
    """Persist four small files for one benchmark and describe them as the pipeline would."""
    benchmark_id = f"{theme.replace(' ', '-')}-{seed}"
    contents = {
        (FileKind.SCRIPT, "script.py"): f"def build(seed, scale):  # {theme} {seed}\n    ...\n".encode(),
        (FileKind.DEFINITION, "definition.json"): json.dumps({"theme": theme, "seed": seed}).encode(),
        (FileKind.MJCF, "mjcf/scene.xml"): f"<mujoco model='{benchmark_id}'/>".encode(),
        (FileKind.PREVIEW, "review/contact_sheet.png"): tiny_png(benchmark_id),
    }
    files = []
    for (kind, name), data in contents.items():
        stored = store.put_bytes(f"artifacts/{benchmark_id}/{name}", data)
        files.append(
            ArtifactFile(kind=kind, name=name, key=stored.key, sha256=stored.sha256, size=stored.size)
        )
    variants = [
        VariantReport(
            seed=s,
            scale=1.0,
            ok=ok or s == 0,
            metrics=VariantMetrics(geometry_hash=f"g{seed}{s}"),
            failures=[] if ok or s == 0 else [Failure(code=FailureCode.NOT_SETTLED, message="moving")],
        )
        for s in (0, 1)
    ]
    return AcceptedBenchmark(
        benchmark_id=benchmark_id,
        session_id=f"session-{benchmark_id}",
        theme=theme,
        family=theme.split()[0],
        seed=seed,
        difficulty_score=difficulty,
        scene_seed=0,
        scene_scale=1.0,
        variants=variants,
        files=files,
        versions={"code": "0.1.0", "validator": "1"},
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def small_index(store: ArtifactStore, *, version: str = "v1", **bad) -> DatasetIndex:
    entries = [
        persisted_entry(store, "gap crossing", 0, 0.2),
        persisted_entry(store, "gap crossing", 1, 0.5, ok=bad.get("ok", True)),
        persisted_entry(store, "ramp climb", 0, bad.get("difficulty", 0.8)),
    ]
    sheets = {e.benchmark_id: store.get_bytes(e.file(FileKind.PREVIEW).key) for e in entries}
    return DatasetIndex.from_entries("demo", version, THEMES, entries, sheets)


@pytest.fixture
def store(tmp_path) -> ArtifactStore:
    return ArtifactStore.from_url((tmp_path / "store").as_uri())


@pytest.fixture
def s3_store(s3_endpoint) -> ArtifactStore:
    return s3_endpoint.store(f"s3://{s3_endpoint.create_bucket()}/datasets")


def stage(store: ArtifactStore, index: DatasetIndex):
    return stage_dataset(store, index, render_card(index, accepted={}, rejected={}))


class TestIndex:
    def test_rows_per_benchmark_and_variant_with_relative_paths(self, store):
        index = small_index(store)
        assert len(index.benchmarks) == 3 and len(index.variants) == 6 and len(index.files) == 12
        row = index.benchmarks[0]
        assert row.script_file == "benchmarks/gap-crossing-0/script.py"
        assert row.mjcf_file == "benchmarks/gap-crossing-0/mjcf/scene.xml"
        assert index.variants[0].variant_id == "gap-crossing-0-s0-x1"

    def test_parquet_loads_with_pandas_and_datasets(self, store, tmp_path):
        import datasets

        index = small_index(store)
        index.write_parquet(tmp_path / "out")
        frame = pd.read_parquet(tmp_path / "out" / INDEX_FILE)
        assert list(frame["benchmark_id"]) == [b.benchmark_id for b in index.benchmarks]
        assert frame["difficulty_score"].tolist() == [0.2, 0.5, 0.8]
        loaded = datasets.load_dataset(
            "parquet", data_files=str(tmp_path / "out" / VARIANTS_FILE), split="train"
        )
        assert loaded.num_rows == 6 and set(loaded.column_names) >= {"variant_id", "ok", "scale"}

    def test_failure_codes_are_a_list_column_read_back_as_codes(self, store, tmp_path):
        index = small_index(store, ok=False)
        assert [v.failure_codes for v in index.variants if not v.ok] == [[FailureCode.NOT_SETTLED]]
        index.write_parquet(tmp_path / "out")
        table = pq.read_table(tmp_path / "out" / VARIANTS_FILE)
        assert table.schema.field("failure_codes").type == pa.list_(pa.string())
        assert [c for c in table["failure_codes"].to_pylist() if c] == [["NOT_SETTLED"]]
        rows = [VariantRow.model_validate(r) for r in table.to_pylist()]
        codes = [code for r in rows for code in r.failure_codes]
        assert codes == [FailureCode.NOT_SETTLED] and all(isinstance(c, FailureCode) for c in codes)


class TestCard:
    def test_histogram_bins_cover_zero_to_one(self):
        bins = difficulty_histogram([0.0, 0.05, 0.55, 1.0])
        assert len(bins) == 10 and [b[2] for b in bins] == [2, 0, 0, 0, 0, 1, 0, 0, 0, 1]

    def test_card_counts_themes_and_declares_parquet_configs(self, store):
        card = render_card(
            small_index(store), accepted={"gap crossing": 2, "ramp climb": 1}, rejected={"ramp climb": 3}
        )
        metadata = yaml.safe_load(card.split("---")[1])
        assert metadata["configs"][0] == {
            "config_name": "default",
            "data_files": [{"split": "test", "path": INDEX_FILE}],
            "default": True,
        }
        assert "| ramp climb | 1 | 3 |" in card
        assert "- benchmarks: 3" in card and "| gap | 2 |" in card


class TestHuggingFace:
    def test_published_folder_loads_offline_with_card_metadata_lists_and_images(
        self, store, monkeypatch, tmp_path
    ):
        import datasets
        from huggingface_hub import DatasetCard

        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
        index = small_index(store, ok=False)  # one variant failed, as a gate-free build could publish
        card = render_card(index, accepted={"gap crossing": 2, "ramp climb": 1}, rejected={})
        promote(store, stage_dataset(store, index, card), index)
        folder = str(Path(store.root) / version_prefix("demo", "v1"))

        data = DatasetCard.load(Path(folder) / "README.md").data
        assert data.license == "cc-by-4.0" and data.pretty_name == "benchgen demo v1"
        assert data.task_categories == ["robotics"] and data.size_categories == ["n<1K"]
        assert [c["config_name"] for c in data.configs] == ["default", "variants", "previews"]

        cache = {"cache_dir": str(tmp_path / "hf-cache")}  # nothing from another test's folder is reused
        benchmarks = datasets.load_dataset(folder, split="test", **cache)
        assert benchmarks.num_rows == 3
        assert benchmarks[0]["scene_seed"] == 0 and benchmarks[0]["scene_scale"] == 1.0
        assert list(benchmarks["difficulty"]) == ["easy", "medium", "hard"]
        assert datasets.get_dataset_split_names(folder) == ["test"]

        variants = datasets.load_dataset(folder, "variants", split="test", **cache)
        assert variants.features["failure_codes"].feature.dtype == "string"
        failed = variants.filter(lambda v: not v["ok"])
        assert failed.num_rows == 1 and failed[0]["failure_codes"] == ["NOT_SETTLED"]
        assert variants.filter(lambda v: v["ok"])[0]["failure_codes"] == []
        assert set(variants["theme"]) == set(THEMES) and set(variants["family"]) == {"gap", "ramp"}

        previews = datasets.load_dataset(folder, "previews", split="test", **cache)
        assert isinstance(previews.features["image"], datasets.Image)
        assert previews.num_rows == 3 and previews[0]["image"].size == (4, 3)
        sheet = Image.open(io.BytesIO(tiny_png(previews[0]["benchmark_id"])))
        assert previews[0]["image"].getpixel((0, 0)) == sheet.getpixel((0, 0))
        assert sorted(previews["benchmark_id"]) == sorted(b.benchmark_id for b in index.benchmarks)


class TestGate:
    def test_sound_dataset_passes_and_builds_data_docs(self, store, tmp_path):
        index = small_index(store)
        staged = stage(store, index)
        result = run_gate(
            index,
            staged_checksums(store, staged),
            staged_scripts(store, staged, index),
            docs_dir=tmp_path / "docs",
        )
        assert result.success, result.summary()
        assert result.evaluated > 30
        assert (tmp_path / "docs" / "index.html").is_file()

    def test_invalid_rows_fail_named_expectations(self, store):
        index = small_index(store, ok=False, difficulty=1.5)
        index.benchmarks[1].script_sha256 = index.benchmarks[0].script_sha256
        staged = stage(store, index)
        store.put_bytes(staged.key(index.benchmarks[2].mjcf_file), b"<mujoco model='tampered'/>")
        checksums = staged_checksums(store, staged)
        scripts = staged_scripts(store, staged, index)
        result = run_gate(index, checksums, scripts, thresholds=GateThresholds(min_accepted_per_theme=2))
        failed = {(f.table, f.expectation, f.column): f.rows for f in result.failures}
        assert failed == {
            ("benchmarks", "expect_column_values_to_be_unique", "script_sha256"): [
                "gap-crossing-0",
                "gap-crossing-1",
            ],
            ("benchmarks", "expect_column_values_to_be_between", "difficulty_score"): ["ramp-climb-0"],
            ("variants", "expect_column_values_to_be_in_set", "ok"): ["gap-crossing-1-s1-x1"],
            ("themes", "expect_column_values_to_be_between", "accepted"): ["ramp climb"],
            ("files", "expect_column_pair_values_to_be_equal", "sha256"): [
                "benchmarks/ramp-climb-0/mjcf/scene.xml"
            ],
        }
        with pytest.raises(
            GateError, match="variants: expect_column_values_to_be_in_set on column 'ok' failed"
        ):
            result.raise_for_failure()

    def test_script_outside_the_scenario_language_is_not_published(self, store):
        """Published scripts run outside any sandbox: the gate re-checks each staged script strictly."""
        index = small_index(store)
        hostile = "import random\n\ndef build(seed, scale=1.0):\n    return random._os\n"
        staged = stage(store, index)
        store.put_bytes(staged.key(index.benchmarks[1].script_file), hostile.encode())
        result = run_gate(index, staged_checksums(store, staged), staged_scripts(store, staged, index))
        failed = {(f.table, f.expectation, f.column): f for f in result.failures}
        violation = failed[("benchmarks", "expect_column_values_to_be_null", "script_violation")]
        assert violation.rows == ["gap-crossing-1"]
        assert violation.values == [language.LANGUAGE_PRIVATE.format(line=4, what="attribute", name="_os")]
        with pytest.raises(
            GateError, match="script_violation' failed for gap-crossing-1: line 4: attribute `_os`"
        ):
            result.raise_for_failure()

    def test_required_witnesses_must_have_solved_and_set_positive_caps(self, store):
        index = small_index(store)
        solved = WitnessSummary(
            solved=True,
            sha256="a" * 64,
            sealed=False,
            cost=12.0,
            weight_kg=0.2,
            parts=2,
            movers=1,
            time_to_goal_s=3.0,
            cost_cap=18.0,
            weight_cap_kg=0.3,
            difficulty=0.4,
        )
        index.benchmarks[0] = index.benchmarks[0].model_copy(update=witness_columns(solved))
        failed_witness = solved.model_copy(update={"solved": False, "cost_cap": 0.0})
        index.benchmarks[1] = index.benchmarks[1].model_copy(update=witness_columns(failed_witness))
        staged = stage(store, index)
        checksums, scripts = staged_checksums(store, staged), staged_scripts(store, staged, index)
        assert run_gate(index, checksums, scripts).success  # witnesses not required: not checked
        result = run_gate(index, checksums, scripts, thresholds=GateThresholds(require_witness=True))
        failed = {(f.expectation, f.column): f.rows for f in result.failures}
        assert failed[("expect_column_values_to_not_be_null", "witness_sha256")] == ["ramp-climb-0"]
        assert failed[("expect_column_values_to_be_in_set", "witness_solved")] == ["gap-crossing-1"]
        assert failed[("expect_column_values_to_be_between", "cost_cap")] == ["gap-crossing-1"]

    def test_missing_file_and_no_spread_fail(self, store):
        index = DatasetIndex.from_entries(
            "demo",
            "v1",
            ["gap crossing"],
            [persisted_entry(store, "gap crossing", s, 0.4) for s in (0, 1)],
        )
        checksums = {f.path: f.sha256 for f in index.files}
        checksums[index.files[0].path] = None
        scripts = {
            b.benchmark_id: store.get_bytes(f"artifacts/{b.benchmark_id}/script.py") for b in index.benchmarks
        }
        result = run_gate(index, checksums, scripts)
        failed = {(f.table, f.column): f for f in result.failures}
        assert failed[("files", "present")].rows == [index.files[0].path]
        assert failed[("benchmarks", "difficulty_score")].observed == "0.0"


class TestPublish:
    def test_publish_writes_manifest_last_and_verifies(self, store):
        index = small_index(store)
        published = promote(store, stage(store, index), index)
        assert is_published(store, "demo", "v1")
        assert published_versions(store, "demo") == ["v1"]
        assert store.list(staging_prefix("demo", "v1")) == []
        manifest = read_manifest(store, "demo", "v1")
        assert {f.path for f in manifest.files} >= {
            INDEX_FILE,
            VARIANTS_FILE,
            "README.md",
            index.files[0].path,
        }
        assert MANIFEST_FILE not in {f.path for f in manifest.files}
        for f in manifest.files:
            data = store.get_bytes(f"{version_prefix('demo', 'v1')}/{f.path}")
            assert hashlib.sha256(data).hexdigest() == f.sha256
        assert verify_published(store, "demo", "v1") == []
        assert published.manifest.benchmarks == 3

    def test_republish_refused_unless_forced(self, store):
        index = small_index(store)
        promote(store, stage(store, index), index)
        with pytest.raises(VersionExists, match="version 'v1' is already published .* pass force"):
            promote(store, stage(store, index), index)
        assert store.list(staging_prefix("demo", "v1")) == []
        promote(store, stage(store, index), index, force=True)
        assert verify_published(store, "demo", "v1") == []

    def test_failed_publish_leaves_no_manifest_and_cleans_up(self, store):
        index = small_index(store)
        staged = stage(store, index)
        store.delete(staged.key(index.files[-1].path))
        with pytest.raises(PublishError, match="rolled back"):
            promote(store, staged, index)
        assert not is_published(store, "demo", "v1")
        assert store.list(version_prefix("demo", "v1")) == []
        assert store.list(staging_prefix("demo", "v1")) == []
        assert published_versions(store, "demo") == []

    def test_tampered_file_is_reported_by_verify(self, store):
        index = small_index(store)
        promote(store, stage(store, index), index)
        path = index.files[0].path
        store.put_bytes(f"{version_prefix('demo', 'v1')}/{path}", b"changed")
        problems = verify_published(store, "demo", "v1")
        assert len(problems) == 1 and problems[0].startswith(f"{path} in ") and " hashes to " in problems[0]

    def test_forced_republish_that_fails_keeps_the_old_version_complete_and_listed(self, store):
        index = small_index(store)
        promote(store, stage(store, index), index)
        old = read_manifest(store, "demo", "v1")
        staged = stage(store, index)
        store.delete(staged.key(index.files[-1].path))  # the copy fails after the old version was set aside
        with pytest.raises(PublishError, match=r"rolled back \(a complete version stays published\)"):
            promote(store, staged, index, force=True)
        assert published_versions(store, "demo") == ["v1"]
        assert read_manifest(store, "demo", "v1").published_at == old.published_at
        assert verify_published(store, "demo", "v1") == []
        promote(store, stage(store, index), index, force=True)
        assert verify_published(store, "demo", "v1") == []
        assert read_manifest(store, "demo", "v1").published_at > old.published_at
        assert store.list(f"demo/{PREVIOUS_DIR}") == [] and store.list(f"demo/{NEXT_DIR}") == []
        assert all(f.stored_at is None for f in read_manifest(store, "demo", "v1").files)

    def test_unlisted_file_is_reported_by_verify(self, store):
        index = small_index(store)
        promote(store, stage(store, index), index)
        store.put_bytes(f"{version_prefix('demo', 'v1')}/benchmarks/extra.py", b"import os\n")
        store.put_bytes(f"{version_prefix('demo', 'v1')}/{GALLERY_DIR}/index.html", b"<html></html>")
        assert verify_published(store, "demo", "v1") == [
            "benchmarks/extra.py: present in the version but not listed in its manifest"
        ]

    def test_malformed_manifest_is_one_line(self, store):
        index = small_index(store)
        promote(store, stage(store, index), index)
        store.put_bytes(f"{version_prefix('demo', 'v1')}/{MANIFEST_FILE}", b'{"format": 1, "name": "demo"')
        with pytest.raises(ManifestError) as raised:
            read_manifest(store, "demo", "v1")
        message = str(raised.value)
        assert "\n" not in message and "is not a valid manifest" in message
        assert "--name demo --version v1 --force" in message

    def test_gallery_folder_name_matches_the_gallery(self):
        from benchgen.gallery.site import GALLERY_DIR as SITE_GALLERY_DIR

        assert GALLERY_DIR == SITE_GALLERY_DIR

    def test_publish_to_s3(self, s3_store):
        index = small_index(s3_store)
        published = promote(s3_store, stage(s3_store, index), index)
        assert published.url.startswith("s3://")
        assert verify_published(s3_store, "demo", "v1") == []
        assert published_versions(s3_store, "demo") == ["v1"]


class TestNearDuplicates:
    """Two identical scripts in one build: the first (in theme, seed order) stays, the second is rejected."""

    @staticmethod
    def generation(theme: str, seed: int, example: str) -> SessionOutcome:
        return SessionOutcome(
            theme=theme,
            seed=seed,
            session_id=None,
            status=SessionStatus.ACCEPTED,
            family=example,
            script=(EXAMPLES / f"{example}.py").read_text(),
        )

    @classmethod
    def rendered(cls, theme: str, seed: int, example: str) -> pipeline.Candidate:
        generation = cls.generation(theme, seed, example)
        evidence = pipeline.Evidence(
            files=[],
            difficulty_score=0.5,
            definition=build_spec(generation.script, 0, 1.0),
            seed=0,
            scale=1.0,
        )
        return pipeline.Candidate(theme=theme, seed=seed, generation=generation, evidence=evidence)

    def test_second_identical_script_is_named_as_a_duplicate_of_the_first(self):
        params = pipeline.BuildParameters(themes=["gaps", "steps"], dataset_name="demo", dataset_version="v1")
        first = self.rendered("gaps", 0, "gap_crossing")
        same = self.rendered("gaps", 1, "gap_crossing")
        other = self.rendered("steps", 0, "step_climb")
        kept: list[pipeline.KeptFingerprint] = []
        assert pipeline.near_duplicate_reason(first, kept, params) is None
        reason = pipeline.near_duplicate_reason(same, kept, params)
        first_id = pipeline.benchmark_id_for("demo", "v1", "gaps", 0)
        assert reason is not None and reason.startswith(
            f"near duplicate of benchmark {first_id} (theme 'gaps' seed 0)"
        )
        assert pipeline.near_duplicate_reason(other, kept, params) is None
        assert [(k.theme, k.seed) for k in kept] == [("gaps", 0), ("steps", 0)]

    @pytest.mark.slow
    def test_direct_build_persists_the_first_and_rejects_the_copy(self, tmp_path):
        settings = get_settings(data_dir=tmp_path / "data", database_url=None, store_url=None)
        # About near duplicates: the example script comes without its witness, so none is required.
        no_witness = GateThresholds(require_witness=False)
        params = pipeline.BuildParameters(
            themes=["gaps"], variant_seeds=[0], dataset_name="demo", thresholds=no_witness
        )
        steps = pipeline.DirectSteps(params, settings, tmp_path / "docs")
        candidates = [
            pipeline.Candidate(
                theme="gaps", seed=seed, generation=self.generation("gaps", seed, "gap_crossing")
            )
            for seed in (0, 1)
        ]
        for step in (pipeline.Step.VALIDATE, pipeline.Step.RENDER):
            candidates = steps.run(step, candidates)
        first, copy = steps.run(pipeline.Step.PERSIST, pipeline.reject_near_duplicates(candidates, params))
        assert first.accepted and first.entry is not None
        assert not copy.accepted and copy.reason.startswith(
            f"near duplicate of benchmark {first.entry.benchmark_id}"
        )
        engine = db.get_engine(settings)
        try:
            assert [str(a.benchmark_id) for a in db.list_assets(engine, dataset_version="demo/v1")] == [
                first.entry.benchmark_id
            ]
        finally:
            engine.dispose()


def test_dataset_list_names_a_bad_manifest_in_one_line_and_lists_the_good_versions(tmp_path):
    """`benchgen dataset list` as a user runs it: one line for the bad version, the good ones listed."""
    import subprocess
    import sys

    store = ArtifactStore.from_url((tmp_path / "data" / "store").as_uri())
    for version in ("v1", "v2", "v3"):
        index = small_index(store, version=version)
        promote(store, stage(store, index), index)
    store.put_bytes(f"{version_prefix('demo', 'v2')}/{MANIFEST_FILE}", b"not json")
    benchgen = Path(sys.executable).with_name("benchgen")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "BENCHGEN_DATA_DIR": str(tmp_path / "data")}
    env["COLUMNS"] = "300"  # one line per version whatever the terminal
    result = subprocess.run(
        [str(benchgen), "dataset", "list", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["v1", "v3"]
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: dataset 'demo' version 'v2':") and "Traceback" not in result.stderr
    verify = subprocess.run(
        [str(benchgen), "dataset", "verify", "demo", "v2"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert verify.returncode == 2 and len(verify.stderr.splitlines()) == 1, verify.stderr
