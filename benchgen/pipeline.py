"""The dataset build as plain Python steps: generate -> validate -> evidence -> persist -> check -> publish.

Prefect tasks in `tasks/` wrap these functions one to one; `build_dataset_directly` chains them
without Prefect (the overhead benchmark compares the two). Every step takes and returns pydantic
values, so results can be cached and persisted by an orchestrator.
"""

import hashlib
import tempfile
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from benchgen import db
from benchgen.contract import MAX_SCALE, MIN_SCALE
from benchgen.dataset.card import render_card
from benchgen.dataset.gate import GateResult, GateThresholds, run_gate
from benchgen.dataset.index import ArtifactFile, BenchmarkEntry, DatasetIndex, FileKind
from benchgen.dataset.publish import (
    PublishedDataset,
    StagedDataset,
    discard_staging,
    matches_published,
    promote,
    stage_dataset,
    staged_checksums,
    staged_scripts,
    upload_data_docs,
    version_prefix,
)
from benchgen.errors import BenchgenError, NotFoundError
from benchgen.gallery import publish_gallery
from benchgen.gallery.site import gallery_index_key
from benchgen.kit.spec import ScenarioSpec
from benchgen.measures.fingerprint import GeometryFingerprint, fingerprint, is_near_duplicate
from benchgen.models import AssetMeta, AssetVariant, BenchmarkAsset, Provenance, utc_now
from benchgen.settings import Settings
from benchgen.store import ArtifactStore
from benchgen.validation.report import ValidationReport
from benchgen.versions import current_versions

DEFAULT_THEMES = ("ball must cross a gap", "puck up a ramp")
DEFAULT_SEEDS_PER_THEME = 2
DEFAULT_VARIANT_SEEDS = (0, 1, 2)
DEFAULT_SCALES = (1.0,)
DEFAULT_DATASET_NAME = "benchgen"
DEFINITION_FILE = "definition.json"  # the nominal variant's ScenarioSpec
REVIEW_DIR = "review"  # renders, contact sheet, clip and reports of the nominal variant
ARTIFACTS_PREFIX = "artifacts"  # content-addressed benchmark files: artifacts/<script sha256>/...
BENCHMARK_ID_NAMESPACE = uuid.UUID("6f1c2b4e-8f0a-4c39-9d52-2b7a1f6c0e11")  # uuid5 namespace of benchmark ids


class BuildParameters(BaseModel):
    """What one dataset build makes: the flow's parameters and the direct runner's input."""

    themes: list[str] = Field(default_factory=lambda: list(DEFAULT_THEMES), min_length=1)
    seeds_per_theme: int = Field(default=DEFAULT_SEEDS_PER_THEME, ge=1)
    variant_seeds: list[int] = Field(default_factory=lambda: list(DEFAULT_VARIANT_SEEDS), min_length=1)
    scales: list[float] = Field(default_factory=lambda: list(DEFAULT_SCALES), min_length=1)
    model: str = Field(
        default="offline",
        pattern=r"^(offline|[A-Za-z0-9_.-]+:\S+)$",
        description="'offline' or an LLM model as 'provider:name'.",
    )
    dataset_name: str = Field(default=DEFAULT_DATASET_NAME, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    dataset_version: str = Field(default="v1", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    force: bool = False
    thresholds: GateThresholds = Field(default_factory=GateThresholds)

    @field_validator("variant_seeds")
    @classmethod
    def _distinct_seeds(cls, seeds: list[int]) -> list[int]:
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be distinct, got {', '.join(map(str, seeds))}")
        return seeds

    @field_validator("scales")
    @classmethod
    def _scales_in_contract(cls, scales: list[float]) -> list[float]:
        outside = [f"{scale:g}" for scale in scales if not MIN_SCALE <= scale <= MAX_SCALE]
        if outside:
            raise ValueError(f"{', '.join(outside)} outside [{MIN_SCALE:g}, {MAX_SCALE:g}], the contract's range")
        if len(set(scales)) != len(scales):
            raise ValueError(f"scales must be distinct, got {', '.join(f'{s:g}' for s in scales)}")
        return scales

    def units(self) -> list[tuple[str, int]]:
        """(theme, seed) pairs, one agent session each."""
        return [(theme, seed) for theme in self.themes for seed in range(self.seeds_per_theme)]


class GenerationResult(BaseModel):
    """Outcome of one agent session: an accepted script, or why there is none."""

    theme: str
    seed: int
    session_id: uuid.UUID | None
    accepted: bool
    reason: str | None = None
    family: str | None = None
    script: str | None = None


class Evidence(BaseModel):
    """Files describing a benchmark, stored content-addressed: definition, MJCF, renders."""

    files: list[ArtifactFile]
    difficulty_score: float = Field(ge=0, le=1)
    definition: dict
    seed: int = Field(description="Seed of the variant the definition and the MJCF scene describe.")
    scale: float = Field(description="Scale of the variant the definition and the MJCF scene describe.")


class BenchmarkOutcome(BaseModel):
    """Where one (theme, seed) unit ended: accepted into the dataset or rejected with a reason."""

    theme: str
    seed: int
    accepted: bool
    session_id: uuid.UUID | None = Field(
        default=None, description="The generating agent session; None when generation itself failed."
    )
    reason: str | None = None
    entry: BenchmarkEntry | None = None


class BuildSummary(BaseModel):
    """What a dataset build produced; printed by the CLI and returned by the flow."""

    name: str
    version: str
    outcomes: list[BenchmarkOutcome]
    gate: GateResult
    published: PublishedDataset | None
    data_docs_url: str | None
    gallery_url: str | None = Field(default=None, description="The version's gallery index page.")
    dataset_url: str | None = Field(
        default=None, description="Where the version is (published now or before)."
    )
    unchanged: bool = Field(
        default=False, description="The version was already published with these contents."
    )

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """(accepted, rejected) per theme."""
        accepted = Counter(o.theme for o in self.outcomes if o.accepted)
        rejected = Counter(o.theme for o in self.outcomes if not o.accepted)
        return dict(accepted), dict(rejected)


def open_store(settings: Settings) -> ArtifactStore:
    return ArtifactStore.from_settings(settings)


def probe_services(settings: Settings) -> None:
    """Check that the store and the database answer (a StoreError or DatabaseError naming what is
    unreachable) before any work starts; prepares the database too."""
    open_store(settings).check()
    prepare_database(settings)


def prepare_database(settings: Settings) -> None:
    """Check (for SQLite, migrate) the database and create LangGraph's checkpoint tables once, before
    parallel sessions would race to create them."""
    from benchgen.agents.session import open_checkpointer

    db.get_engine(settings).dispose()
    with open_checkpointer(settings.resolved_database_url):
        pass


# --- generate ----------------------------------------------------------------------------------------


def generate_benchmark(
    theme: str, seed: int, *, model: str, settings: Settings, run_id: str | None = None
) -> GenerationResult:
    """Run one agent session (plan, code, validate, review) for a theme and seed.

    `model` is 'offline' (the procedural backend) or a 'provider:name' LLM model; `run_id` names the
    orchestrator run starting it, kept in the session's provenance.
    """
    from benchgen.agents.session import SessionOptions, backend_from_options, run_session

    backend = backend_from_options(model, settings)
    # Not resumable: a model outage past the retry layer ends the session `failed`, never left mid-way.
    options = SessionOptions(resumable=False, run_id=run_id)
    outcome = run_session(theme, seed, backend=backend, settings=settings, options=options)
    return GenerationResult(
        theme=theme,
        seed=seed,
        session_id=outcome.session_id,
        accepted=outcome.accepted,
        reason=outcome.reason,
        family=outcome.plan.family if outcome.plan else None,
        script=outcome.draft.source if outcome.accepted and outcome.draft else None,
    )


# --- validate ----------------------------------------------------------------------------------------


def validate_variants(script: str, name: str, seeds: list[int], scales: list[float]) -> ValidationReport:
    """Validate the accepted script on the dataset's variant grid (seeds x scales) in the sandbox."""
    from benchgen.validation.validator import validate_source

    return validate_source(script, name, seeds, scales)


# --- evidence ----------------------------------------------------------------------------------------


def render_evidence(
    script: str, seed: int, scale: float, report: ValidationReport, store: ArtifactStore
) -> Evidence:
    """Build the nominal variant, render its review bundle, and store script, definition, MJCF and renders.

    Files are stored by content under `artifacts/<script sha256>/`, so re-running this writes the same keys.
    """
    from benchgen.measures.difficulty import difficulty_score
    from benchgen.physics.mjcf import SCENE_FILE
    from benchgen.render.bundle import MJCF_DIR, SCRIPT_FILE, SHEET_FILE, render_bundle
    from benchgen.sandbox import SandboxRunner
    from benchgen.validation.validator import build_variant

    prefix = f"{ARTIFACTS_PREFIX}/{hashlib.sha256(script.encode()).hexdigest()}"
    with SandboxRunner() as runner, tempfile.TemporaryDirectory(prefix="benchgen-evidence-") as tmp:
        built = build_variant(script, seed, scale, runner)
        bundle = render_bundle(
            script,
            seed,
            scale,
            Path(tmp),
            script_name=SCRIPT_FILE,
            runner=runner,
            report=report,
            clip_seconds=None,
        )
        files = [
            _stored(store, prefix, FileKind.SCRIPT, SCRIPT_FILE, script.encode()),
            _stored(
                store,
                prefix,
                FileKind.DEFINITION,
                DEFINITION_FILE,
                built.spec.model_dump_json(indent=2).encode(),
            ),
        ]
        for path in sorted(p for p in bundle.directory.rglob("*") if p.is_file()):
            relative = path.relative_to(bundle.directory).as_posix()
            if relative == SCRIPT_FILE:
                continue
            if relative.startswith(f"{MJCF_DIR}/"):
                kind = FileKind.MJCF if relative == f"{MJCF_DIR}/{SCENE_FILE}" else FileKind.MESH
                name = relative
            else:
                kind = FileKind.PREVIEW if relative == SHEET_FILE else FileKind.REVIEW
                name = f"{REVIEW_DIR}/{relative}"
            files.append(_stored(store, prefix, kind, name, path.read_bytes()))
    return Evidence(
        files=files,
        difficulty_score=difficulty_score(built.spec),
        definition=built.spec.model_dump(mode="json"),
        seed=seed,
        scale=scale,
    )


def _stored(store: ArtifactStore, prefix: str, kind: FileKind, name: str, data: bytes) -> ArtifactFile:
    stored = store.put_bytes(f"{prefix}/{name}", data)
    return ArtifactFile(kind=kind, name=name, key=stored.key, sha256=stored.sha256, size=stored.size)


# --- persist -----------------------------------------------------------------------------------------


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; benchgen stores UTC, so naive means UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def benchmark_id_for(dataset_name: str, dataset_version: str, theme: str, seed: int) -> uuid.UUID:
    """Stable id: re-running a build updates the same row instead of adding a duplicate."""
    return uuid.uuid5(BENCHMARK_ID_NAMESPACE, f"{dataset_name}/{dataset_version}/{theme}/{seed}")


def persist_benchmark(
    generation: GenerationResult,
    report: ValidationReport,
    evidence: Evidence,
    *,
    dataset_name: str,
    dataset_version: str,
    settings: Settings,
) -> BenchmarkEntry:
    """Upsert the benchmark's database row; its files are already in the store (checked here)."""
    store = open_store(settings)
    missing = [f.key for f in evidence.files if not store.exists(f.key)]
    if missing:
        raise BenchgenError(
            f"{len(missing)} evidence files of theme {generation.theme!r} seed {generation.seed} are missing from "
            f"{store.url} (first: {missing[0]}); the store was cleared after they were cached: re-run with "
            "refresh_cache=True"
        )
    benchmark_id = benchmark_id_for(dataset_name, dataset_version, generation.theme, generation.seed)
    engine = db.get_engine(settings)
    try:
        created_at = db.get_asset(engine, benchmark_id).created_at  # a re-run keeps the first date
    except NotFoundError:
        created_at = utc_now()
    script = next(f for f in evidence.files if f.kind is FileKind.SCRIPT)
    mjcf = next((f for f in evidence.files if f.kind is FileKind.MJCF), None)
    preview = next((f for f in evidence.files if f.kind is FileKind.PREVIEW), None)
    asset = BenchmarkAsset.create(
        benchmark_id=benchmark_id,
        session_id=generation.session_id,
        dataset_version=f"{dataset_name}/{dataset_version}",
        theme=generation.theme,
        family=generation.family or "unknown",
        script_url=store.url_for(script.key),
        script_sha256=script.sha256,
        definition=evidence.definition,
        mjcf_url=store.url_for(mjcf.key) if mjcf else None,
        preview_url=store.url_for(preview.key) if preview else None,
        variants=[
            AssetVariant(
                seed=v.seed,
                scale=v.scale,
                ok=v.ok,
                metrics=v.metrics,
                failure_codes=sorted({f.code for f in v.failures}),
            )
            for v in report.variants
        ],
        difficulty_score=evidence.difficulty_score,
        provenance=Provenance(
            seeds=list(dict.fromkeys(v.seed for v in report.variants)),
            scales=list(dict.fromkeys(v.scale for v in report.variants)),
        ),
        meta=AssetMeta(),
        created_at=as_utc(created_at),
    )
    try:
        saved = db.save_asset(engine, asset)
    finally:
        engine.dispose()
    return BenchmarkEntry(
        benchmark_id=str(benchmark_id),
        session_id=str(generation.session_id),
        theme=generation.theme,
        family=generation.family or "unknown",
        seed=generation.seed,
        difficulty_score=evidence.difficulty_score,
        scene_seed=evidence.seed,
        scene_scale=evidence.scale,
        variants=report.variants,
        files=evidence.files,
        versions=current_versions(),
        created_at=as_utc(saved.created_at),
    )


# --- check -------------------------------------------------------------------------------------------


class CheckedDataset(BaseModel):
    """A staged version and the gate's verdict on it."""

    staged: StagedDataset
    gate: GateResult
    data_docs_url: str | None


def check_dataset(
    index: DatasetIndex, card: str, thresholds: GateThresholds, settings: Settings, docs_dir: Path
) -> CheckedDataset:
    """Stage the version, run the GX gate on it (scripts re-checked as staged), and store the Data Docs
    next to the versions.

    A failing gate discards the staging copy, so nothing of the version remains.
    """
    store = open_store(settings)
    staged = stage_dataset(store, index, card)
    gate = run_gate(
        index,
        staged_checksums(store, staged),
        staged_scripts(store, staged, index),
        thresholds=thresholds,
        docs_dir=docs_dir,
    )
    docs_url = upload_data_docs(store, index.name, index.version, docs_dir)
    if not gate.success:
        discard_staging(store, staged)
    return CheckedDataset(staged=staged, gate=gate, data_docs_url=docs_url)


# --- publish -----------------------------------------------------------------------------------------


def publish_dataset(
    checked: CheckedDataset, index: DatasetIndex, *, force: bool, settings: Settings
) -> PublishedDataset:
    """Promote a staged version that passed the gate; raises GateError if it did not."""
    checked.gate.raise_for_failure()
    return promote(open_store(settings), checked.staged, index, force=force)


def assemble_index(
    params: BuildParameters, outcomes: list[BenchmarkOutcome], settings: Settings
) -> tuple[DatasetIndex, str]:
    """The index of accepted benchmarks (with their contact sheets read from the store) and the card."""
    entries = [o.entry for o in outcomes if o.entry is not None]
    store = open_store(settings)
    sheets = {
        e.benchmark_id: store.get_bytes(sheet.key)
        for e in entries
        if (sheet := e.file(FileKind.PREVIEW)) is not None
    }
    index = DatasetIndex.from_entries(
        params.dataset_name, params.dataset_version, params.themes, entries, sheets
    )
    accepted = Counter(o.theme for o in outcomes if o.accepted)
    rejected = Counter(o.theme for o in outcomes if not o.accepted)
    return index, render_card(index, accepted=dict(accepted), rejected=dict(rejected))


def _outcome(
    generation: GenerationResult, *, entry: BenchmarkEntry | None = None, reason: str | None = None
) -> BenchmarkOutcome:
    return BenchmarkOutcome(
        theme=generation.theme,
        seed=generation.seed,
        accepted=entry is not None,
        session_id=generation.session_id,
        reason=reason,
        entry=entry,
    )


def rejected(generation: GenerationResult, reason: str) -> BenchmarkOutcome:
    return _outcome(generation, reason=reason)


def accepted(generation: GenerationResult, entry: BenchmarkEntry) -> BenchmarkOutcome:
    return _outcome(generation, entry=entry)


# --- near duplicates ---------------------------------------------------------------------------------


class KeptBenchmark(BaseModel):
    """A benchmark kept earlier in this build, with the geometry fingerprint of its nominal variant."""

    benchmark_id: uuid.UUID
    theme: str
    seed: int
    fingerprint: GeometryFingerprint


def near_duplicate_reason(
    generation: GenerationResult,
    evidence: Evidence,
    kept: list[KeptBenchmark],
    params: BuildParameters,
) -> str | None:
    """Why this benchmark duplicates one kept earlier in the build, or None after adding it to `kept`.

    Callers go through the benchmarks in (theme, seed) order, so the earlier one always stays.
    """
    mine = fingerprint(ScenarioSpec.model_validate(evidence.definition))
    for other in kept:
        if is_near_duplicate(mine, other.fingerprint):
            return (
                f"near duplicate of benchmark {other.benchmark_id} (theme {other.theme!r} seed {other.seed}): "
                "their nominal variants have near-identical fixtures, zones and payload; a dataset keeps one "
                "of them, so vary the plan or the scenario"
            )
    kept.append(
        KeptBenchmark(
            benchmark_id=benchmark_id_for(
                params.dataset_name, params.dataset_version, generation.theme, generation.seed
            ),
            theme=generation.theme,
            seed=generation.seed,
            fingerprint=mine,
        )
    )
    return None


def variants_failed_reason(report: ValidationReport) -> str:
    failed = [v for v in report.variants if not v.ok]
    codes = sorted({f.code.value for f in report.failures})
    return f"{len(failed)} of {len(report.variants)} variants failed validation ({', '.join(codes) or 'no codes'})"


# --- the whole build without an orchestrator ---------------------------------------------------------


def build_one(
    generation: GenerationResult, params: BuildParameters, settings: Settings, kept: list[KeptBenchmark]
) -> BenchmarkOutcome:
    """Validate, render and persist one generated benchmark; a rejected one (invalid, or a near duplicate
    of one in `kept`) yields its reason."""
    if not generation.accepted or generation.script is None:
        return rejected(generation, generation.reason or "the session did not accept a script")
    name = f"{generation.theme}#{generation.seed}"
    report = validate_variants(generation.script, name, params.variant_seeds, params.scales)
    if not report.ok:
        return rejected(generation, variants_failed_reason(report))
    evidence = render_evidence(
        generation.script, params.variant_seeds[0], params.scales[0], report, open_store(settings)
    )
    duplicate = near_duplicate_reason(generation, evidence, kept, params)
    if duplicate is not None:
        return rejected(generation, duplicate)
    entry = persist_benchmark(
        generation,
        report,
        evidence,
        dataset_name=params.dataset_name,
        dataset_version=params.dataset_version,
        settings=settings,
    )
    return accepted(generation, entry)


def build_dataset_directly(params: BuildParameters, settings: Settings, docs_dir: Path) -> BuildSummary:
    """The same work as the `build-dataset` flow, sequentially and without Prefect."""
    prepare_database(settings)
    outcomes = []
    kept: list[KeptBenchmark] = []
    for theme, seed in params.units():
        generation = generate_benchmark(theme, seed, model=params.model, settings=settings)
        outcomes.append(build_one(generation, params, settings, kept))
    index, card = assemble_index(params, outcomes, settings)
    unchanged = unchanged_summary(params, outcomes, index, card, settings)
    if unchanged is not None:
        return unchanged
    checked = check_dataset(index, card, params.thresholds, settings, docs_dir)
    checked.gate.raise_for_failure()
    published = publish_dataset(checked, index, force=params.force, settings=settings)
    gallery_url = publish_version_gallery(published, outcomes, settings)
    return published_summary(outcomes, checked, published, gallery_url)


def publish_version_gallery(
    published: PublishedDataset, outcomes: list[BenchmarkOutcome], settings: Settings
) -> str:
    """Build the published version's gallery (with settle clips) into its `gallery/` folder; its index URL."""
    rejected_ids = [o.session_id for o in outcomes if not o.accepted and o.session_id is not None]
    return publish_gallery(open_store(settings), published, settings, rejected_session_ids=rejected_ids)


def published_summary(
    outcomes: list[BenchmarkOutcome],
    checked: CheckedDataset,
    published: PublishedDataset,
    gallery_url: str,
) -> BuildSummary:
    return BuildSummary(
        name=published.name,
        version=published.version,
        outcomes=outcomes,
        gate=checked.gate,
        published=published,
        data_docs_url=checked.data_docs_url,
        gallery_url=gallery_url,
        dataset_url=published.url,
    )


def unchanged_summary(
    params: BuildParameters,
    outcomes: list[BenchmarkOutcome],
    index: DatasetIndex,
    card: str,
    settings: Settings,
) -> BuildSummary | None:
    """A summary of the already published version when this build would publish the very same files."""
    if params.force:
        return None
    store = open_store(settings)
    if matches_published(store, index, card) is None:
        return None
    gallery_index = gallery_index_key(version_prefix(index.name, index.version))
    return BuildSummary(
        name=index.name,
        version=index.version,
        outcomes=outcomes,
        gate=GateResult(success=True, evaluated=0, failures=[], data_docs_dir=None),
        published=None,
        data_docs_url=None,
        gallery_url=store.url_for(gallery_index) if store.exists(gallery_index) else None,
        dataset_url=store.url_for(version_prefix(index.name, index.version)),
        unchanged=True,
    )
