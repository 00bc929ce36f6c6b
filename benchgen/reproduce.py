"""Rebuild benchmarks from their records: re-run the stored script for every recorded variant and compare.

A benchmark is trustworthy only if anyone can rebuild it bit for bit: the script must still hash to the
recorded sha256, and every (seed, scale) variant must give the recorded geometry hash and outcome.
"""

import hashlib
import uuid
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from benchgen import db
from benchgen.codes import FailureCode
from benchgen.contract import WITNESS_FILE
from benchgen.errors import NotFoundError, UsageError
from benchgen.models import BenchmarkAsset
from benchgen.sandbox import SandboxRunner
from benchgen.settings import Settings
from benchgen.store import ArtifactStore
from benchgen.validation.report import ValidationReport
from benchgen.versions import current_versions

if TYPE_CHECKING:
    from benchgen.dataset.index import IndexRow
    from benchgen.dataset.published import PublishedVersion

REPRODUCED_VERSIONS = ("code", "kit", "validator")  # the versions that decide a script's geometry and outcome
OUTSIDE_STORE = (
    "benchmark {benchmark_id} keeps its script at {url}, outside the configured store {store}; "
    "set BENCHGEN_STORE_URL (and the S3 settings) to the store the dataset was built with"
)
VERSION_NOTE = (
    "recorded with {name} version {recorded}, running {current}: a difference may come from that change"
)


class Difference(BaseModel):
    """One way the rebuild disagrees with the record."""

    seed: int | None = Field(default=None, description="None for differences of the whole benchmark.")
    scale: float | None = None
    what: str
    recorded: str
    reproduced: str

    def line(self) -> str:
        where = "" if self.seed is None else f"seed {self.seed} scale {self.scale:g}: "
        return f"{where}{self.what} recorded {self.recorded}, reproduced {self.reproduced}"


class RecordedVariant(BaseModel):
    """What the record says one (seed, scale) variant gave."""

    seed: int
    scale: float
    ok: bool
    geometry_hash: str | None
    failure_codes: list[FailureCode] | None = Field(
        description="Sorted codes; None when the record does not keep them."
    )


class RecordedBenchmark(BaseModel):
    """What a rebuild is compared against: the record of a benchmark in either store (a `BenchmarkAsset`
    row or a `PublishedBenchmark`), reduced to what both keep, with its stored script."""

    benchmark_id: uuid.UUID
    name: str = Field(description="How reports name the script, e.g. 'theme (id)'.")
    script: str
    script_source: str = Field(description="Where the script was read from.")
    script_sha256: str
    variants: list[RecordedVariant]
    notes: list[str] = Field(default_factory=list)
    witness: str | None = Field(
        default=None, description="The published witness, evaluated again when given."
    )
    witness_sha256: str | None = None
    witness_solved: bool | None = Field(default=None, description="Whether the witness solved every variant.")


class Reproduction(BaseModel):
    """The outcome of rebuilding one benchmark."""

    benchmark_id: uuid.UUID
    script_source: str
    variants: int = Field(description="Variants re-run.")
    differences: list[Difference]
    notes: list[str] = Field(default_factory=list, description="Version changes since the record was made.")

    @property
    def identical(self) -> bool:
        return not self.differences


def parse_benchmark_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise UsageError(
            f"{text!r} is not a benchmark id; ids are UUIDs, list them with `benchgen benchmarks list`"
        ) from None


def fetch_script(store: ArtifactStore, asset: BenchmarkAsset) -> str:
    """The stored script of a benchmark, read from the configured store."""
    prefix = f"{store.url}/"
    if not asset.script_url.startswith(prefix):
        raise UsageError(
            OUTSIDE_STORE.format(benchmark_id=asset.benchmark_id, url=asset.script_url, store=store.url)
        )
    return store.get_bytes(asset.script_url.removeprefix(prefix)).decode("utf-8")


def version_notes(recorded: Mapping[str, str | None]) -> list[str]:
    """Where recorded code, kit or validator versions differ from the running ones (unknown ones say so)."""
    running_versions = current_versions()
    notes = []
    for name in REPRODUCED_VERSIONS:
        running = running_versions[name]
        if recorded.get(name) is None:
            notes.append(f"the record does not say which {name} version made it")
        elif recorded[name] != running:
            notes.append(VERSION_NOTE.format(name=name, recorded=recorded[name], current=running))
    return notes


def recorded_from_asset(store: ArtifactStore, asset: BenchmarkAsset) -> RecordedBenchmark:
    """A database record; its versions come from the asset's provenance (recorded when it was persisted)."""
    provenance = asset.provenance
    return RecordedBenchmark(
        benchmark_id=asset.benchmark_id,
        name=f"{asset.theme} ({asset.benchmark_id})",
        script=fetch_script(store, asset),
        script_source=asset.script_url,
        script_sha256=asset.script_sha256,
        variants=[
            RecordedVariant(
                seed=v.seed,
                scale=v.scale,
                ok=v.ok,
                geometry_hash=v.metrics.geometry_hash,
                failure_codes=sorted(v.failure_codes),
            )
            for v in asset.variants
        ],
        notes=version_notes(
            {
                "code": provenance.code_version,
                "kit": provenance.kit_version,
                "validator": provenance.validator_version,
            }
        ),
    )


def recorded_from_published(
    url: str, settings: Settings, benchmark_ids: list[uuid.UUID]
) -> list[RecordedBenchmark]:
    """Records of a published version (`<store>/<name>/<version>`): all benchmarks, or those named.

    Scripts are read as stored, without the manifest check, so a changed script is reported as a difference.
    """
    from benchgen.dataset.published import PublishedVersion

    version = PublishedVersion(url, settings)
    published = version.benchmarks()
    known = {uuid.UUID(b.row.benchmark_id) for b in published}
    unknown = [str(i) for i in benchmark_ids if i not in known]
    if unknown:
        raise NotFoundError(
            f"no benchmark {', '.join(unknown)} in {version.url}; its index lists {len(published)}"
        )
    records = []
    for benchmark in published:
        row = benchmark.row
        if benchmark_ids and uuid.UUID(row.benchmark_id) not in benchmark_ids:
            continue
        if row.script_file is None or row.script_sha256 is None:
            raise NotFoundError(
                f"benchmark {row.benchmark_id} of {version.url} has no script in its index row"
            )
        records.append(
            RecordedBenchmark(
                benchmark_id=uuid.UUID(row.benchmark_id),
                name=f"{row.theme} ({row.benchmark_id})",
                script=version.store.get_bytes(row.script_file).decode("utf-8"),
                script_source=version.store.url_for(row.script_file),
                script_sha256=row.script_sha256,
                variants=[
                    RecordedVariant(
                        seed=v.seed,
                        scale=v.scale,
                        ok=v.ok,
                        geometry_hash=v.geometry_hash,
                        failure_codes=sorted(v.failure_codes),
                    )
                    for v in benchmark.variants
                ],
                notes=version_notes(
                    {"code": row.code_version, "validator": row.validator_version, "kit": row.kit_version}
                ),
                witness=_published_witness(version, row),
                witness_sha256=row.witness_sha256,
                witness_solved=row.witness_solved,
            )
        )
    return records


def _published_witness(version: "PublishedVersion", row: "IndexRow") -> str | None:
    """The witness the version publishes beside the script or, sealed, keeps in its sealed folder of the
    same store (its hash is compared with the index's); None when the benchmark has none."""
    from benchgen.dataset.publish import SEALED_DIR

    path = f"{PurePosixPath(row.script_file).parent.as_posix()}/{WITNESS_FILE}"
    if row.witness_sealed:
        sealed = f"{SEALED_DIR}/{version.manifest.version}/{path}"
        if not version.dataset_store.exists(sealed):
            raise NotFoundError(
                f"benchmark {row.benchmark_id} of {version.url} has a sealed witness, but its file is not at "
                f"{version.dataset_store.url_for(sealed)}; reproduce it with access to the store it was built in"
            )
        return version.dataset_store.get_bytes(sealed).decode("utf-8")
    return version.store.get_bytes(path).decode("utf-8") if version.has(path) else None


def compare(recorded: RecordedBenchmark, report: ValidationReport) -> list[Difference]:
    """Differences between the record and a fresh validation of its script on the recorded variants."""
    differences = []
    actual_sha = hashlib.sha256(recorded.script.encode()).hexdigest()
    if actual_sha != recorded.script_sha256:
        differences.append(
            Difference(what="script sha256", recorded=recorded.script_sha256, reproduced=actual_sha)
        )
    rebuilt = {(v.seed, v.scale): v for v in report.variants}
    for expected in recorded.variants:
        variant = rebuilt.get((expected.seed, expected.scale))
        where = {"seed": expected.seed, "scale": expected.scale}
        if variant is None:
            differences.append(Difference(**where, what="variant", recorded="present", reproduced="not run"))
            continue
        codes = sorted({f.code for f in variant.failures})
        if variant.ok != expected.ok:
            differences.append(
                Difference(
                    **where,
                    what="validation outcome",
                    recorded="valid" if expected.ok else "invalid",
                    reproduced="valid" if variant.ok else f"invalid ({', '.join(codes) or 'no codes'})",
                )
            )
        elif expected.failure_codes is not None and expected.failure_codes != codes:
            differences.append(
                Difference(
                    **where,
                    what="failure codes",
                    recorded=", ".join(expected.failure_codes) or "none",
                    reproduced=", ".join(codes) or "none",
                )
            )
        if variant.metrics.geometry_hash != expected.geometry_hash:
            differences.append(
                Difference(
                    **where,
                    what="geometry hash",
                    recorded=str(expected.geometry_hash),
                    reproduced=str(variant.metrics.geometry_hash),
                )
            )
    return differences + _witness_differences(recorded, report)


def _witness_differences(recorded: RecordedBenchmark, report: ValidationReport) -> list[Difference]:
    if recorded.witness is None:
        return []
    differences = []
    actual_sha = hashlib.sha256(recorded.witness.encode()).hexdigest()
    if recorded.witness_sha256 is not None and actual_sha != recorded.witness_sha256:
        differences.append(
            Difference(what="witness sha256", recorded=recorded.witness_sha256, reproduced=actual_sha)
        )
    solved = report.witness is not None and report.witness.solved
    if recorded.witness_solved is not None and solved != recorded.witness_solved:
        unsolved = [
            f"seed {v.seed} scale {v.scale:g}"
            for v in (report.witness.variants if report.witness else [])
            if not v.solved
        ]
        differences.append(
            Difference(
                what="witness",
                recorded="solved every variant" if recorded.witness_solved else "did not solve every variant",
                reproduced="solved every variant"
                if solved
                else f"unsolved on {', '.join(unsolved) or 'no variant'}",
            )
        )
    return differences


def _ordered_unique(values: list) -> list:
    return list(dict.fromkeys(values))


def reproduce_record(recorded: RecordedBenchmark, runner: SandboxRunner) -> Reproduction:
    """Re-run the recorded script in the sandbox on exactly its recorded seeds and scales."""
    from benchgen.validation.validator import validate_source
    from benchgen.validation.witness import Witness, check_witness

    seeds = _ordered_unique([v.seed for v in recorded.variants])
    scales = _ordered_unique([v.scale for v in recorded.variants])
    if not seeds:
        raise UsageError(
            f"benchmark {recorded.benchmark_id} records no variants; there is nothing to reproduce"
        )
    report = validate_source(recorded.script, recorded.name, seeds, scales, runner=runner)
    if recorded.witness is not None:
        witness = Witness(name=f"{recorded.name} {WITNESS_FILE}", source=recorded.witness)
        report = check_witness(report, recorded.script, witness, required=False, runner=runner)
    return Reproduction(
        benchmark_id=recorded.benchmark_id,
        script_source=recorded.script_source,
        variants=len(report.variants),
        differences=compare(recorded, report),
        notes=recorded.notes,
    )


def records_for(
    engine: Engine, benchmark_ids: list[uuid.UUID], dataset_version: str | None
) -> list[BenchmarkAsset]:
    """The benchmarks named by id, then every benchmark of `dataset_version` ('name/version')."""
    assets = [db.get_asset(engine, benchmark_id) for benchmark_id in benchmark_ids]
    if dataset_version is not None:
        found = db.list_assets(engine, dataset_version=dataset_version, limit=None)
        if not found:
            raise NotFoundError(
                f"no benchmarks recorded for dataset version {dataset_version!r}; give it as 'name/version', "
                "e.g. benchgen/v1"
            )
        assets += sorted(found, key=lambda a: (a.theme, str(a.benchmark_id)))
    if not assets:
        raise UsageError("give at least one benchmark id or --dataset name/version")
    return assets


def reproduce(
    benchmark_ids: list[uuid.UUID],
    settings: Settings,
    dataset_version: str | None = None,
    published_url: str | None = None,
) -> list[Reproduction]:
    """Rebuild benchmarks from their records: the published version at `published_url` when given (all of
    its benchmarks, or those named), else the database (the named ids and every one of `dataset_version`)."""
    if published_url is not None:
        if dataset_version is not None:
            raise UsageError("give either --dataset (database records) or --published (a published version)")
        records = recorded_from_published(published_url, settings, benchmark_ids)
    else:
        store = ArtifactStore.from_settings(settings)
        engine = db.get_engine(settings)
        try:
            records = [
                recorded_from_asset(store, asset)
                for asset in records_for(engine, benchmark_ids, dataset_version)
            ]
        finally:
            engine.dispose()
    with SandboxRunner() as runner:
        return [reproduce_record(record, runner) for record in records]
