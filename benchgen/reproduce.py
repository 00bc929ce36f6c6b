"""Rebuild benchmarks from their records: re-run the stored script for every recorded variant and compare.

A benchmark is trustworthy only if anyone can rebuild it bit for bit: the script must still hash to the
recorded sha256, and every (seed, scale) variant must give the recorded geometry hash and outcome.
"""

import hashlib
import uuid

from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from benchgen import db
from benchgen.errors import NotFoundError, UsageError
from benchgen.models import BenchmarkAsset
from benchgen.sandbox import SandboxRunner
from benchgen.settings import Settings
from benchgen.store import ArtifactStore
from benchgen.validation.report import ValidationReport
from benchgen.versions import CODE_VERSION, KIT_VERSION, VALIDATOR_VERSION

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


class Reproduction(BaseModel):
    """The outcome of rebuilding one benchmark."""

    benchmark_id: uuid.UUID
    script_url: str
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
    """The stored script bytes of a benchmark, read from the configured store."""
    prefix = f"{store.url}/"
    if not asset.script_url.startswith(prefix):
        raise UsageError(
            OUTSIDE_STORE.format(benchmark_id=asset.benchmark_id, url=asset.script_url, store=store.url)
        )
    return store.get_bytes(asset.script_url.removeprefix(prefix)).decode("utf-8")


def version_notes(engine: Engine, asset: BenchmarkAsset) -> list[str]:
    """Where the versions recorded with the benchmark's session differ from the running ones."""
    if asset.session_id is None:
        return ["no session recorded: code, kit and validator versions of the record are unknown"]
    provenance = db.get_session(engine, asset.session_id).provenance
    current = {"code": CODE_VERSION, "kit": KIT_VERSION, "validator": VALIDATOR_VERSION}
    recorded = {
        "code": provenance.code_version,
        "kit": provenance.kit_version,
        "validator": provenance.validator_version,
    }
    return [
        VERSION_NOTE.format(name=name, recorded=recorded[name], current=current[name])
        for name in current
        if recorded[name] != current[name]
    ]


def compare(asset: BenchmarkAsset, script: str, report: ValidationReport) -> list[Difference]:
    """Differences between the record and a fresh validation of `script` on the recorded variants."""
    differences = []
    actual_sha = hashlib.sha256(script.encode()).hexdigest()
    if actual_sha != asset.script_sha256:
        differences.append(
            Difference(what="script sha256", recorded=asset.script_sha256, reproduced=actual_sha)
        )
    rebuilt = {(v.seed, v.scale): v for v in report.variants}
    for recorded in asset.variants:
        variant = rebuilt.get((recorded.seed, recorded.scale))
        where = {"seed": recorded.seed, "scale": recorded.scale}
        if variant is None:
            differences.append(Difference(**where, what="variant", recorded="present", reproduced="not run"))
            continue
        if variant.ok != recorded.ok:
            codes = ", ".join(sorted({f.code.value for f in variant.failures})) or "no codes"
            differences.append(
                Difference(
                    **where,
                    what="validation outcome",
                    recorded="valid" if recorded.ok else "invalid",
                    reproduced="valid" if variant.ok else f"invalid ({codes})",
                )
            )
        if variant.metrics.geometry_hash != recorded.metrics.geometry_hash:
            differences.append(
                Difference(
                    **where,
                    what="geometry hash",
                    recorded=str(recorded.metrics.geometry_hash),
                    reproduced=str(variant.metrics.geometry_hash),
                )
            )
    return differences


def _ordered_unique(values: list) -> list:
    return list(dict.fromkeys(values))


def reproduce_asset(
    asset: BenchmarkAsset, store: ArtifactStore, runner: SandboxRunner, notes: list[str]
) -> Reproduction:
    """Re-run the stored script of `asset` in the sandbox on exactly its recorded seeds and scales."""
    from benchgen.validation.validator import validate_source

    script = fetch_script(store, asset)
    seeds = _ordered_unique([v.seed for v in asset.variants])
    scales = _ordered_unique([v.scale for v in asset.variants])
    if not seeds:
        raise UsageError(f"benchmark {asset.benchmark_id} records no variants; there is nothing to reproduce")
    report = validate_source(script, f"{asset.theme} ({asset.benchmark_id})", seeds, scales, runner=runner)
    return Reproduction(
        benchmark_id=asset.benchmark_id,
        script_url=asset.script_url,
        variants=len(report.variants),
        differences=compare(asset, script, report),
        notes=notes,
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
    benchmark_ids: list[uuid.UUID], settings: Settings, dataset_version: str | None = None
) -> list[Reproduction]:
    """Rebuild each named benchmark (and every benchmark of `dataset_version`) from the database records."""
    engine = db.get_engine(settings)
    try:
        assets = records_for(engine, benchmark_ids, dataset_version)
        notes = {asset.benchmark_id: version_notes(engine, asset) for asset in assets}
    finally:
        engine.dispose()
    store = ArtifactStore.from_settings(settings)
    with SandboxRunner() as runner:
        return [reproduce_asset(asset, store, runner, notes[asset.benchmark_id]) for asset in assets]
