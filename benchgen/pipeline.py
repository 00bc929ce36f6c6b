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
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, Field, field_validator

from benchgen import db
from benchgen.agents.schemas import SessionOutcome
from benchgen.contract import MAX_SCALE, MIN_SCALE, WITNESS_FILE
from benchgen.dataset.card import render_card
from benchgen.dataset.gate import GateResult, GateThresholds, run_gate
from benchgen.dataset.index import AcceptedBenchmark, ArtifactFile, DatasetIndex, FileKind, WitnessSummary
from benchgen.dataset.publish import (
    PublishedDataset,
    StagedDataset,
    discard_staging,
    matches_published,
    promote,
    seal_witnesses,
    stage_dataset,
    staged_checksums,
    staged_scripts,
    upload_data_docs,
    version_prefix,
)
from benchgen.errors import (
    BenchgenError,
    ConfigError,
    DatabaseError,
    NotFoundError,
    SandboxUnavailable,
    StoreError,
)
from benchgen.gallery import publish_gallery
from benchgen.gallery.site import gallery_index_key
from benchgen.kit.spec import ScenarioSpec
from benchgen.measures.difficulty import difficulty_with_witness
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
OFFLINE_MODEL = "offline"  # the procedural backend's name where a model is asked for
DEFINITION_FILE = "definition.json"  # the nominal variant's ScenarioSpec
WITNESS_REPORT_FILE = "solution_report.json"  # the witness's evaluation on the variant grid
WITNESS_KINDS = (FileKind.WITNESS, FileKind.WITNESS_REPORT, FileKind.WITNESS_CLIP)  # sealing keeps these out
REVIEW_DIR = "review"  # renders, contact sheet, clip and reports of the nominal variant
ARTIFACTS_PREFIX = "artifacts"  # benchmark files: artifacts/<script sha256>/<evidence id>/...
EVIDENCE_ID_CHARS = 16  # hex digits of the evidence inputs' sha256 naming an evidence folder
BENCHMARK_ID_NAMESPACE = uuid.UUID("6f1c2b4e-8f0a-4c39-9d52-2b7a1f6c0e11")  # uuid5 namespace of benchmark ids


class BuildParameters(BaseModel):
    """What one dataset build makes: the flow's parameters and the direct runner's input."""

    themes: list[str] = Field(default_factory=lambda: list(DEFAULT_THEMES), min_length=1)
    seeds_per_theme: int = Field(default=DEFAULT_SEEDS_PER_THEME, ge=1)
    variant_seeds: list[int] = Field(default_factory=lambda: list(DEFAULT_VARIANT_SEEDS), min_length=1)
    scales: list[float] = Field(default_factory=lambda: list(DEFAULT_SCALES), min_length=1)
    model: str = Field(
        default=OFFLINE_MODEL,
        pattern=r"^(offline|[A-Za-z0-9_.-]+:\S+)$",
        description="'offline' or an LLM model as 'provider:name'.",
    )
    dataset_name: str = Field(default=DEFAULT_DATASET_NAME, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    dataset_version: str = Field(default="v1", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    force: bool = False
    seal_witnesses: bool = Field(
        default=False,
        description="Publish only each witness's hash and numbers; the files stay in the store.",
    )
    thresholds: GateThresholds = Field(
        default_factory=lambda: GateThresholds(require_witness=witness_required(None)),
        description="The gate's limits; a build requires witnesses unless told otherwise.",
    )

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
            raise ValueError(
                f"{', '.join(outside)} outside [{MIN_SCALE:g}, {MAX_SCALE:g}], the contract's range"
            )
        if len(set(scales)) != len(scales):
            raise ValueError(f"scales must be distinct, got {', '.join(f'{s:g}' for s in scales)}")
        return scales

    def units(self) -> list[tuple[str, int]]:
        """(theme, seed) pairs, one agent session each."""
        return [(theme, seed) for theme in self.themes for seed in range(self.seeds_per_theme)]


def witness_required(asked: bool | None) -> bool:
    """Whether every benchmark must carry a witness that solves every variant: as asked, else yes, since
    both backends' Coders write one with every script."""
    return True if asked is None else asked


class Evidence(BaseModel):
    """Files describing a benchmark, stored content-addressed: definition, MJCF, renders."""

    files: list[ArtifactFile]
    difficulty_score: float = Field(ge=0, le=1)
    definition: ScenarioSpec
    seed: int = Field(description="Seed of the variant the definition and the MJCF scene describe.")
    scale: float = Field(description="Scale of the variant the definition and the MJCF scene describe.")


class Step(StrEnum):
    """The per-benchmark steps, in build order; a candidate leaves the build at the first that rejects it."""

    GENERATE = "generate"
    VALIDATE = "validate"
    RENDER = "render"
    PERSIST = "persist"


class Candidate(BaseModel):
    """One (theme, seed) unit on its way into the dataset: what each step made of it, or why it left.

    Accepted when persisted (`entry` set); rejected once `reason` is set, and no later step runs for it."""

    theme: str
    seed: int
    generation: SessionOutcome | None = None
    report: ValidationReport | None = None
    evidence: Evidence | None = None
    entry: AcceptedBenchmark | None = None
    reason: str | None = None

    @property
    def accepted(self) -> bool:
        return self.entry is not None

    @property
    def open(self) -> bool:
        """Still in the build: no step has rejected it."""
        return self.reason is None

    @property
    def session_id(self) -> uuid.UUID | None:
        """The generating agent session; None when generation itself failed."""
        return self.generation.session_id if self.generation else None

    def rejected(self, reason: str) -> "Candidate":
        return self.model_copy(update={"reason": reason})


class BuildSummary(BaseModel):
    """What a dataset build produced; printed by the CLI and returned by the flow."""

    name: str
    version: str
    candidates: list[Candidate]
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
        accepted = Counter(c.theme for c in self.candidates if c.accepted)
        rejected = Counter(c.theme for c in self.candidates if not c.accepted)
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
    theme: str,
    seed: int,
    *,
    model: str,
    settings: Settings,
    require_witness: bool,
    run_id: str | None = None,
) -> SessionOutcome:
    """Run one agent session (plan, code and witness, validate, review) for a theme and seed.

    `model` is 'offline' (the procedural backend) or a 'provider:name' LLM model; with `require_witness`
    the session accepts no script without a witness that solves it; `run_id` names the orchestrator run
    starting it, kept in the session's provenance.
    """
    from benchgen.agents.context import GeneratorContext
    from benchgen.agents.session import SessionOptions, backend_from_options, run_session

    backend = backend_from_options(model, settings)
    # Not resumable: a model outage past the retry layer ends the session `failed`, never left mid-way.
    context = GeneratorContext(require_witness=require_witness)
    options = SessionOptions(context=context, resumable=False, run_id=run_id)
    return run_session(theme, seed, backend=backend, settings=settings, options=options)


# --- validate ----------------------------------------------------------------------------------------


def validate_variants(
    generation: SessionOutcome, seeds: list[int], scales: list[float], *, require_witness: bool
) -> ValidationReport:
    """The accepted script's report on the dataset's variant grid (seeds x scales), with its witness's
    verdict: the session's own validation and witness evaluation when they covered that grid, else
    validation in the sandbox and the witness evaluated on the same grid (NO_WITNESS when one is required
    and the Coder wrote none)."""
    from benchgen.sandbox.pool import warm_runner
    from benchgen.validation.witness import Witness, check_witness, validate_with_witness

    name = f"{generation.theme}#{generation.seed}"
    witness = Witness(name=WITNESS_FILE, source=generation.witness) if generation.witness else None
    script = generation.script
    with warm_runner() as runner:
        if generation.report is None or not generation.report.covers(seeds, scales):
            return validate_with_witness(
                script, name, seeds, scales, witness, required=require_witness, runner=runner
            )
        report = generation.report.model_copy(update={"script": name})
        if report.witness is not None:  # the session evaluated the witness on this grid
            return report.model_copy(update={"witness": report.witness.model_copy(update={"script": name})})
        return check_witness(report, script, witness, required=require_witness, runner=runner)


# --- evidence ----------------------------------------------------------------------------------------


def render_evidence(
    script: str,
    seed: int,
    scale: float,
    report: ValidationReport,
    store: ArtifactStore,
    witness: str | None = None,
) -> Evidence:
    """Render the review bundle of the nominal variant as validation built it, and store script,
    definition, MJCF, renders, and the witness with its evaluation and its clip on the nominal variant
    when validation evaluated one.

    Files are stored under `artifacts/<script sha256>/<evidence id>/`, the id a hash of the render's
    inputs: re-running it writes the same keys, and other inputs never overwrite them.
    """
    from benchgen.evaluation.render import WITNESS_CLIP_FILE, witness_clip
    from benchgen.measures.difficulty import difficulty_score
    from benchgen.physics.mjcf import SCENE_FILE
    from benchgen.render.bundle import MJCF_DIR, SCRIPT_FILE, SHEET_FILE, render_bundle

    # The renders carry the report (its grid, its timings) and the witness: one folder per set of inputs,
    # so evidence rendered for another grid never overwrites files an earlier evidence recorded.
    inputs = hashlib.sha256(f"{seed}|{scale}|{witness or ''}|{report.model_dump_json()}".encode()).hexdigest()
    prefix = f"{ARTIFACTS_PREFIX}/{hashlib.sha256(script.encode()).hexdigest()}/{inputs[:EVIDENCE_ID_CHARS]}"
    report = with_nominal_build(script, seed, scale, report)
    spec = report.variant(seed, scale).built.spec
    with tempfile.TemporaryDirectory(prefix="benchgen-evidence-") as tmp:
        bundle = render_bundle(
            script, report, seed, scale, Path(tmp), script_name=SCRIPT_FILE, clip_seconds=None
        )
        files = [
            _stored(store, prefix, FileKind.SCRIPT, SCRIPT_FILE, script.encode()),
            _stored(
                store, prefix, FileKind.DEFINITION, DEFINITION_FILE, spec.model_dump_json(indent=2).encode()
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
    if witness is not None and report.witness is not None:
        files.append(_stored(store, prefix, FileKind.WITNESS, WITNESS_FILE, witness.encode()))
        evaluation = report.witness.model_dump_json(indent=2).encode()
        files.append(_stored(store, prefix, FileKind.WITNESS_REPORT, WITNESS_REPORT_FILE, evaluation))
        clip = witness_clip(script, witness, seed, scale, built_alone=report.variant(seed, scale).built)
        if clip is not None:
            files.append(
                _stored(store, prefix, FileKind.WITNESS_CLIP, f"{REVIEW_DIR}/{WITNESS_CLIP_FILE}", clip)
            )
    return Evidence(
        files=files,
        difficulty_score=difficulty_score(spec),
        definition=spec,
        seed=seed,
        scale=scale,
    )


def with_nominal_build(script: str, seed: int, scale: float, report: ValidationReport) -> ValidationReport:
    """`report` with variant (seed, scale) built: a report read back from a checkpoint or a task result
    stored before builds were kept has none, and only then is the variant built again."""
    from benchgen.sandbox.pool import warm_runner
    from benchgen.validation.validator import build_variant

    variant = report.variant(seed, scale)
    if variant is None or variant.built is not None:
        return report
    with warm_runner() as runner:
        built = build_variant(script, seed, scale, runner)
    variants = [v.model_copy(update={"built": built}) if v is variant else v for v in report.variants]
    return report.model_copy(update={"variants": variants})


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
    generation: SessionOutcome,
    report: ValidationReport,
    evidence: Evidence,
    *,
    dataset_name: str,
    dataset_version: str,
    settings: Settings,
    seal_witness: bool = False,
) -> AcceptedBenchmark:
    """Upsert the benchmark's database row; its files are already in the store (checked here). A sealed
    witness's files are kept out of the version's files; only their hash and numbers are published."""
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
    return AcceptedBenchmark(
        benchmark_id=str(benchmark_id),
        session_id=str(generation.session_id) if generation.session_id else None,
        theme=generation.theme,
        family=generation.family or "unknown",
        seed=generation.seed,
        difficulty_score=evidence.difficulty_score,
        scene_seed=evidence.seed,
        scene_scale=evidence.scale,
        variants=[v.model_copy(update={"built": None}) for v in report.variants],  # the rows, not the builds
        files=[f for f in evidence.files if not (seal_witness and f.kind in WITNESS_KINDS)],
        sealed_files=[f for f in evidence.files if seal_witness and f.kind in WITNESS_KINDS],
        versions=current_versions(),
        created_at=as_utc(saved.created_at),
        witness=WitnessSummary.from_report(
            report.witness,
            generation.witness,
            sealed=seal_witness,
            difficulty=difficulty_with_witness(evidence.definition, report.witness),
        )
        if report.witness is not None and generation.witness is not None
        else None,
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
    checked.gate.raise_for_failure(checked.data_docs_url)
    store = open_store(settings)
    published = promote(store, checked.staged, index, force=force)
    seal_witnesses(store, index)
    return published


def assemble_index(
    params: BuildParameters, candidates: list[Candidate], settings: Settings
) -> tuple[DatasetIndex, str]:
    """The index of accepted benchmarks (with their contact sheets read from the store) and the card."""
    entries = [c.entry for c in candidates if c.entry is not None]
    store = open_store(settings)
    sheets = {
        e.benchmark_id: store.get_bytes(sheet.key)
        for e in entries
        if (sheet := e.file(FileKind.PREVIEW)) is not None
    }
    index = DatasetIndex.from_entries(
        params.dataset_name, params.dataset_version, params.themes, entries, sheets
    )
    accepted = Counter(c.theme for c in candidates if c.accepted)
    rejected = Counter(c.theme for c in candidates if not c.accepted)
    return index, render_card(index, accepted=dict(accepted), rejected=dict(rejected))


# --- near duplicates ---------------------------------------------------------------------------------


class KeptFingerprint(BaseModel):
    """The geometry fingerprint of the nominal variant of a candidate kept earlier in this build, and
    whose it is: what later candidates are compared with."""

    benchmark_id: uuid.UUID
    theme: str
    seed: int
    fingerprint: GeometryFingerprint


def near_duplicate_reason(
    candidate: Candidate, kept: list[KeptFingerprint], params: BuildParameters
) -> str | None:
    """Why this rendered candidate duplicates one kept earlier in the build, or None after adding it to
    `kept`. Callers go through candidates in (theme, seed) order, so the earlier one always stays."""
    mine = fingerprint(candidate.evidence.definition)
    for other in kept:
        if is_near_duplicate(mine, other.fingerprint):
            return (
                f"near duplicate of benchmark {other.benchmark_id} (theme {other.theme!r} seed {other.seed}): "
                "their nominal variants have near-identical fixtures, zones and payload; a dataset keeps one "
                "of them, so vary the plan or the scenario"
            )
    kept.append(
        KeptFingerprint(
            benchmark_id=benchmark_id_for(
                params.dataset_name, params.dataset_version, candidate.theme, candidate.seed
            ),
            theme=candidate.theme,
            seed=candidate.seed,
            fingerprint=mine,
        )
    )
    return None


def reject_near_duplicates(candidates: list[Candidate], params: BuildParameters) -> list[Candidate]:
    kept: list[KeptFingerprint] = []
    return [
        c.rejected(reason) if c.open and (reason := near_duplicate_reason(c, kept, params)) else c
        for c in candidates
    ]


def variants_failed_reason(report: ValidationReport) -> str:
    failed = [v for v in report.variants if not v.ok]
    codes = sorted({f.code.value for f in report.failures})
    return f"{len(failed)} of {len(report.variants)} variants failed validation ({', '.join(codes) or 'no codes'})"


# --- the build order, once ---------------------------------------------------------------------------


class StepError(BaseModel):
    """A step that failed for one candidate, not for the infrastructure: that candidate is rejected."""

    step: Step
    message: str


StepResult = SessionOutcome | ValidationReport | Evidence | AcceptedBenchmark


def settle(step: Step, candidate: Candidate, result: StepResult | StepError) -> Candidate:
    """The candidate after `step` gave `result`: carried forward, or rejected with the reason."""
    if isinstance(result, StepError):
        return candidate.rejected(f"{step.value} failed: {result.message}")
    field = {
        Step.GENERATE: "generation",
        Step.VALIDATE: "report",
        Step.RENDER: "evidence",
        Step.PERSIST: "entry",
    }
    advanced = candidate.model_copy(update={field[step]: result})
    if isinstance(result, SessionOutcome) and (not result.accepted or result.script is None):
        return advanced.rejected(result.reason or "the session did not accept a script")
    if isinstance(result, ValidationReport) and not result.ok:
        return advanced.rejected(variants_failed_reason(result))
    return advanced


def run_step(step: Step, candidate: Candidate, params: BuildParameters, settings: Settings) -> StepResult:
    """What `step` makes of one candidate, computed here (an orchestrator calls the same functions)."""
    generation, report = candidate.generation, candidate.report
    if step is Step.GENERATE:
        require = params.thresholds.require_witness
        return generate_benchmark(
            candidate.theme, candidate.seed, model=params.model, settings=settings, require_witness=require
        )
    if step is Step.VALIDATE:
        require = params.thresholds.require_witness
        return validate_variants(generation, params.variant_seeds, params.scales, require_witness=require)
    if step is Step.RENDER:
        nominal = params.variant_seeds[0], params.scales[0]
        return render_evidence(generation.script, *nominal, report, open_store(settings), generation.witness)
    return persist_benchmark(
        generation,
        report,
        candidate.evidence,
        dataset_name=params.dataset_name,
        dataset_version=params.dataset_version,
        settings=settings,
        seal_witness=params.seal_witnesses,
    )


class Steps(Protocol):
    """How a build runs its steps: in this process one after another (`DirectSteps`), or as Prefect tasks.

    `run` does `step` for every open candidate (in parallel where it can), settles each with `settle`,
    and returns all candidates in order; an infrastructure error ends the build once the step settled."""

    def run(self, step: Step, candidates: list[Candidate]) -> list[Candidate]: ...

    def check(self, index: DatasetIndex, card: str) -> CheckedDataset: ...

    def publish(self, checked: CheckedDataset, index: DatasetIndex) -> PublishedDataset: ...

    def gallery(self, published: PublishedDataset, candidates: list[Candidate]) -> str: ...


def make_candidates(params: BuildParameters, steps: Steps) -> list[Candidate]:
    """generate -> validate -> render, each step over every candidate still open."""
    candidates = [Candidate(theme=theme, seed=seed) for theme, seed in params.units()]
    for step in (Step.GENERATE, Step.VALIDATE, Step.RENDER):
        candidates = steps.run(step, candidates)
    return candidates


def admit(
    candidates: list[Candidate], params: BuildParameters, settings: Settings, steps: Steps
) -> BuildSummary:
    """dedupe -> persist -> index -> check -> publish -> gallery, in this order.

    A version already published with the same files is left as it is; a failing gate raises GateError."""
    candidates = steps.run(Step.PERSIST, reject_near_duplicates(candidates, params))
    index, card = assemble_index(params, candidates, settings)
    unchanged = unchanged_summary(params, candidates, index, card, settings)
    if unchanged is not None:
        return unchanged
    checked = steps.check(index, card)
    checked.gate.raise_for_failure(checked.data_docs_url)
    published = steps.publish(checked, index)
    gallery_url = steps.gallery(published, candidates)
    return BuildSummary(
        name=published.name,
        version=published.version,
        candidates=candidates,
        gate=checked.gate,
        published=published,
        data_docs_url=checked.data_docs_url,
        gallery_url=gallery_url,
        dataset_url=published.url,
    )


def is_infrastructure_error(error: BaseException) -> bool:
    """A failure of the build itself (no sandbox, database, store or model access), never a rejection."""
    from benchgen.agents.session import SessionInterrupted
    from benchgen.agents.transport import ModelCallError

    infrastructure = (
        SandboxUnavailable,
        DatabaseError,
        StoreError,
        ConfigError,
        ModelCallError,
        SessionInterrupted,
    )
    return isinstance(error, infrastructure)  # ConfigError includes a refused key and an unknown model


class DirectSteps:
    """The steps in this process, one candidate after another, without an orchestrator."""

    def __init__(self, params: BuildParameters, settings: Settings, docs_dir: Path) -> None:
        self.params, self.settings, self.docs_dir = params, settings, docs_dir

    def run(self, step: Step, candidates: list[Candidate]) -> list[Candidate]:
        return [settle(step, c, self._attempt(step, c)) if c.open else c for c in candidates]

    def _attempt(self, step: Step, candidate: Candidate) -> StepResult | StepError:
        try:
            return run_step(step, candidate, self.params, self.settings)
        except (
            Exception
        ) as error:  # as a failed task in the flow: the candidate is rejected, the build goes on
            if is_infrastructure_error(error):
                raise
            return StepError(step=step, message=f"{type(error).__name__}: {error}")

    def check(self, index: DatasetIndex, card: str) -> CheckedDataset:
        return check_dataset(index, card, self.params.thresholds, self.settings, self.docs_dir)

    def publish(self, checked: CheckedDataset, index: DatasetIndex) -> PublishedDataset:
        return publish_dataset(checked, index, force=self.params.force, settings=self.settings)

    def gallery(self, published: PublishedDataset, candidates: list[Candidate]) -> str:
        return publish_version_gallery(published, candidates, self.settings)


def build_dataset_directly(params: BuildParameters, settings: Settings, docs_dir: Path) -> BuildSummary:
    """The `build-dataset` flow's build, in this process and without Prefect."""
    prepare_database(settings)
    steps = DirectSteps(params, settings, docs_dir)
    return admit(make_candidates(params, steps), params, settings, steps)


def publish_version_gallery(
    published: PublishedDataset, candidates: list[Candidate], settings: Settings
) -> str:
    """Build the published version's gallery (with settle clips) into its `gallery/` folder; its index URL."""
    rejected_ids = [c.session_id for c in candidates if not c.accepted and c.session_id is not None]
    return publish_gallery(open_store(settings), published, settings, rejected_session_ids=rejected_ids)


def unchanged_summary(
    params: BuildParameters,
    candidates: list[Candidate],
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
        candidates=candidates,
        gate=GateResult(success=True, evaluated=0, failures=[], data_docs_dir=None),
        published=None,
        data_docs_url=None,
        gallery_url=store.url_for(gallery_index) if store.exists(gallery_index) else None,
        dataset_url=store.url_for(version_prefix(index.name, index.version)),
        unchanged=True,
    )
