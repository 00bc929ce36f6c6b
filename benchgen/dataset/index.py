"""The dataset index: one row per benchmark (`index.parquet`) and one per variant (`variants.parquet`).

Rows are built from what the pipeline persisted (`AcceptedBenchmark`); file paths in rows are relative to
the dataset version's folder so a published version can be copied anywhere and still resolve.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, Field, field_validator

from benchgen.codes import FailureCode
from benchgen.contract import TARGET_CAP_FACTOR
from benchgen.evaluation.report import EvaluationReport
from benchgen.measures.difficulty import difficulty_tier
from benchgen.validation.report import VariantReport

INDEX_FILE = "index.parquet"  # one row per benchmark
VARIANTS_FILE = "variants.parquet"  # one row per validated (seed, scale) variant
# One row per contact sheet with the image's bytes, typed as a Hugging Face `Image` feature so the Hub's
# viewer and `datasets` show it as an image (a parquet dataset cannot point at image files by path).
PREVIEWS_FILE = "previews.parquet"
HF_SCHEMA_KEY = b"huggingface"  # parquet schema metadata key `datasets` reads its features from
BENCHMARKS_DIR = "benchmarks"  # per-benchmark folders inside a dataset version
CAP_DIGITS = 6  # decimals kept of a cost or weight cap (1e-6 of a unit)
CODES_TYPE = pa.list_(pa.string())  # parquet type of `failure_codes`, also when every list is empty


class FileKind(StrEnum):
    """What a benchmark file is; the index points at one file of each required kind."""

    SCRIPT = "script"
    DEFINITION = "definition"
    MJCF = "mjcf"
    MESH = "mesh"
    PREVIEW = "preview"
    REVIEW = "review"
    WITNESS = "witness"  # the witness solution, solution.py (absent when the build sealed it)
    WITNESS_REPORT = "witness_report"  # the witness's evaluation on the variant grid
    WITNESS_CLIP = "witness_clip"  # the witness solving the nominal variant, review/witness.gif


REQUIRED_FILE_KINDS = (FileKind.SCRIPT, FileKind.DEFINITION, FileKind.MJCF, FileKind.PREVIEW)


class ArtifactFile(BaseModel):
    """One persisted file of a benchmark: where it sits in the store and what it must hash to."""

    kind: FileKind
    name: str = Field(description="Path inside the benchmark's folder, e.g. 'mjcf/scene.xml'.")
    key: str = Field(description="Store key the file was persisted under.")
    sha256: str
    size: int = Field(ge=0)


class WitnessSummary(BaseModel):
    """What the benchmark's witness needed to solve every variant, and the targets a solver must meet.

    Cost, weight and time are the worst over the variant grid; the caps are TARGET_CAP_FACTOR times them."""

    solved: bool = Field(description="The witness solved every variant from every start.")
    sha256: str = Field(description="sha256 of the witness's solution file.")
    sealed: bool = Field(description="Only the hash is published; the file stays in the build's store.")
    cost: float
    weight_kg: float
    parts: int
    movers: int
    time_to_goal_s: float
    cost_cap: float
    weight_cap_kg: float
    difficulty: float = Field(
        ge=0,
        le=1,
        description="The benchmark's difficulty with the witness's evidence (the contract's formula).",
    )

    @classmethod
    def from_report(
        cls, report: EvaluationReport, source: str, *, sealed: bool, difficulty: float
    ) -> "WitnessSummary":
        def worst(values: list[float | int | None]) -> float:
            return max((v for v in values if v is not None), default=0.0)

        variants = report.variants
        cost = worst([v.cost for v in variants])
        weight = worst([v.weight_kg for v in variants])
        return cls(
            solved=report.solved,
            sha256=hashlib.sha256(source.encode()).hexdigest(),
            sealed=sealed,
            cost=cost,
            weight_kg=weight,
            parts=int(worst([v.parts for v in variants])),
            movers=int(worst([v.movers for v in variants])),
            time_to_goal_s=worst([v.time_to_goal_s for v in variants]),
            cost_cap=round(TARGET_CAP_FACTOR * cost, CAP_DIGITS),
            weight_cap_kg=round(TARGET_CAP_FACTOR * weight, CAP_DIGITS),
            difficulty=difficulty,
        )


class AcceptedBenchmark(BaseModel):
    """An accepted benchmark as the build persisted it, before publication (full variant reports, store
    keys): the input of the dataset layer. Read back from a published version it is a `PublishedBenchmark`."""

    benchmark_id: str
    session_id: str | None = Field(
        description="The generating agent session; None only for a script built outside one."
    )
    theme: str
    family: str
    seed: int = Field(description="Generation seed of the agent session.")
    difficulty_score: float | None
    scene_seed: int = Field(description="Seed of the variant the definition and the MJCF scene describe.")
    scene_scale: float = Field(description="Scale of the variant the definition and the MJCF scene describe.")
    variants: list[VariantReport]
    files: list[ArtifactFile]
    versions: dict[str, str] = Field(default_factory=dict, description="Code/validator/prompt versions used.")
    created_at: datetime
    witness: WitnessSummary | None = Field(default=None, description="None when the script came without one.")
    sealed_files: list[ArtifactFile] = Field(
        default_factory=list,
        description="The witness's files when the build seals it: kept out of the version.",
    )

    def file(self, kind: FileKind) -> ArtifactFile | None:
        """The first file of `kind` (the main one: script, scene.xml, contact sheet), if persisted."""
        return next((f for f in self.files if f.kind is kind), None)


class IndexRow(BaseModel):
    """An accepted benchmark's row of `index.parquet` (its database row is a `BenchmarkAsset`)."""

    benchmark_id: str
    session_id: str | None
    dataset_name: str
    dataset_version: str
    theme: str
    family: str
    seed: int
    difficulty_score: float | None
    difficulty: str | None = None  # the score's tier; absent from indexes published before it was recorded
    variant_count: int
    variants_ok: int
    script_file: str | None
    script_sha256: str | None
    definition_file: str | None
    definition_sha256: str | None
    mjcf_file: str | None
    mjcf_sha256: str | None
    # The (seed, scale) variant the definition and the MJCF scene describe; absent from older indexes.
    scene_seed: int | None = None
    scene_scale: float | None = None
    preview_file: str | None
    preview_sha256: str | None
    code_version: str | None
    kit_version: str | None = None  # absent from indexes published before it was recorded
    validator_version: str | None
    created_at: datetime
    # The witness and the targets it sets; absent when the benchmark has none (and in older indexes).
    witness_sha256: str | None = None
    witness_solved: bool | None = None
    witness_sealed: bool | None = None
    witness_cost: float | None = None
    witness_weight_kg: float | None = None
    witness_parts: int | None = None
    witness_movers: int | None = None
    witness_time_to_goal_s: float | None = None
    cost_cap: float | None = None
    weight_cap_kg: float | None = None
    witness_difficulty: float | None = None  # difficulty_score with the witness's evidence


class VariantRow(BaseModel):
    """One row of `variants.parquet`: a (seed, scale) variant of a benchmark and what validation measured."""

    variant_id: str
    benchmark_id: str
    theme: str | None = None  # absent from variants tables published before they were recorded
    family: str | None = None
    seed: int
    scale: float
    ok: bool
    failure_codes: list[FailureCode] = Field(
        description="Sorted distinct failure codes; empty when the variant is ok (parquet: list<string>)"
    )
    geometry_hash: str | None
    settle_time_s: float | None
    final_drift_mm: float | None
    max_speed_m_s: float | None
    payload_mass_kg: float | None

    @field_validator("failure_codes", mode="before")
    @classmethod
    def _joined_codes(cls, value: object) -> object:
        """Parquet readers give an array; tables published before the codes became a list joined them."""
        if isinstance(value, str):
            return [code for code in value.split(",") if code]
        return value if isinstance(value, list) or value is None else list(value)


class PreviewRow(BaseModel):
    """One row of `previews.parquet`: a benchmark's contact sheet and what it shows."""

    benchmark_id: str
    theme: str
    family: str
    difficulty_score: float | None
    difficulty: str | None
    image_file: str = Field(description="The contact sheet, relative to the version folder.")
    image: bytes = Field(description="The contact sheet's PNG bytes.")


# `previews.parquet` as `datasets` types it: strings and floats as values, the image as an Image.
PREVIEW_FEATURES = {
    "benchmark_id": {"dtype": "string", "_type": "Value"},
    "theme": {"dtype": "string", "_type": "Value"},
    "family": {"dtype": "string", "_type": "Value"},
    "difficulty_score": {"dtype": "float64", "_type": "Value"},
    "difficulty": {"dtype": "string", "_type": "Value"},
    "image": {"_type": "Image"},
}
PREVIEW_SCHEMA = pa.schema(
    [
        ("benchmark_id", pa.string()),
        ("theme", pa.string()),
        ("family", pa.string()),
        ("difficulty_score", pa.float64()),
        ("difficulty", pa.string()),
        ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
    ],
    metadata={HF_SCHEMA_KEY: json.dumps({"info": {"features": PREVIEW_FEATURES}}).encode()},
)


class FileRow(BaseModel):
    """A file of the dataset version with the checksum recorded when it was persisted."""

    benchmark_id: str
    kind: FileKind
    path: str = Field(description="Path relative to the dataset version folder.")
    source_key: str = Field(description="Store key the file is copied from.")
    sha256: str
    size: int


def benchmark_folder(benchmark_id: str) -> str:
    """Folder of one benchmark inside a dataset version."""
    return f"{BENCHMARKS_DIR}/{benchmark_id}"


def variant_id(benchmark_id: str, seed: int, scale: float) -> str:
    return f"{benchmark_id}-s{seed}-x{scale:g}"


class DatasetIndex(BaseModel):
    """The whole index of one dataset version, before or after publication."""

    name: str
    version: str
    themes: list[str] = Field(description="Themes the build asked for, including ones with nothing accepted.")
    benchmarks: list[IndexRow]
    variants: list[VariantRow]
    files: list[FileRow]
    previews: list[PreviewRow] = Field(default_factory=list, description="Contact sheets, with their bytes.")
    sealed: list[FileRow] = Field(
        default_factory=list,
        description="Sealed witness files, paths relative to the version's sealed folder; never published.",
    )

    @classmethod
    def from_entries(
        cls,
        name: str,
        version: str,
        themes: list[str],
        entries: list[AcceptedBenchmark],
        sheets: Mapping[str, bytes] | None = None,
    ) -> "DatasetIndex":
        """The index of `entries`; `sheets` (benchmark id -> contact sheet PNG) fills `previews.parquet`."""
        benchmarks: list[IndexRow] = []
        variants: list[VariantRow] = []
        files: list[FileRow] = []
        sealed: list[FileRow] = []
        for entry in sorted(entries, key=lambda e: (e.theme, e.seed, e.benchmark_id)):
            folder = benchmark_folder(entry.benchmark_id)
            for rows, kept in ((files, entry.files), (sealed, entry.sealed_files)):
                rows += [
                    FileRow(
                        benchmark_id=entry.benchmark_id,
                        kind=f.kind,
                        path=f"{folder}/{f.name}",
                        source_key=f.key,
                        sha256=f.sha256,
                        size=f.size,
                    )
                    for f in kept
                ]
            script_file, script_sha = _main_file(entry, FileKind.SCRIPT)
            definition_file, definition_sha = _main_file(entry, FileKind.DEFINITION)
            mjcf_file, mjcf_sha = _main_file(entry, FileKind.MJCF)
            preview_file, preview_sha = _main_file(entry, FileKind.PREVIEW)
            benchmarks.append(
                IndexRow(
                    benchmark_id=entry.benchmark_id,
                    session_id=entry.session_id,
                    dataset_name=name,
                    dataset_version=version,
                    theme=entry.theme,
                    family=entry.family,
                    seed=entry.seed,
                    difficulty_score=entry.difficulty_score,
                    difficulty=_tier_of(entry.difficulty_score),
                    variant_count=len(entry.variants),
                    variants_ok=sum(v.ok for v in entry.variants),
                    script_file=script_file,
                    script_sha256=script_sha,
                    definition_file=definition_file,
                    definition_sha256=definition_sha,
                    mjcf_file=mjcf_file,
                    mjcf_sha256=mjcf_sha,
                    scene_seed=entry.scene_seed,
                    scene_scale=entry.scene_scale,
                    preview_file=preview_file,
                    preview_sha256=preview_sha,
                    code_version=entry.versions.get("code"),
                    kit_version=entry.versions.get("kit"),
                    validator_version=entry.versions.get("validator"),
                    created_at=entry.created_at,
                    **witness_columns(entry.witness),
                )
            )
            for v in entry.variants:
                variants.append(
                    VariantRow(
                        variant_id=variant_id(entry.benchmark_id, v.seed, v.scale),
                        benchmark_id=entry.benchmark_id,
                        theme=entry.theme,
                        family=entry.family,
                        seed=v.seed,
                        scale=v.scale,
                        ok=v.ok,
                        failure_codes=sorted({f.code for f in v.failures}),
                        geometry_hash=v.metrics.geometry_hash,
                        settle_time_s=v.metrics.settle_time_s,
                        final_drift_mm=v.metrics.final_drift_mm,
                        max_speed_m_s=v.metrics.max_speed_m_s,
                        payload_mass_kg=v.metrics.payload_mass_kg,
                    )
                )
        sheets = sheets or {}
        previews = [
            PreviewRow(
                benchmark_id=b.benchmark_id,
                theme=b.theme,
                family=b.family,
                difficulty_score=b.difficulty_score,
                difficulty=b.difficulty,
                image_file=b.preview_file,
                image=sheets[b.benchmark_id],
            )
            for b in benchmarks
            if b.preview_file is not None and b.benchmark_id in sheets
        ]
        return cls(
            name=name,
            version=version,
            themes=themes,
            benchmarks=benchmarks,
            variants=variants,
            files=files,
            previews=previews,
            sealed=sealed,
        )

    def benchmarks_frame(self) -> pd.DataFrame:
        return _frame(IndexRow, self.benchmarks)

    def variants_frame(self) -> pd.DataFrame:
        return _frame(VariantRow, self.variants)

    def files_frame(self) -> pd.DataFrame:
        return _frame(FileRow, self.files)

    def write_parquet(self, directory: Path) -> list[Path]:
        """Write `index.parquet`, `variants.parquet` and `previews.parquet` into `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        index_path = directory / INDEX_FILE
        variants_path = directory / VARIANTS_FILE
        previews_path = directory / PREVIEWS_FILE
        self.benchmarks_frame().to_parquet(index_path, index=False)
        previews = [
            p.model_dump(exclude={"image", "image_file"})
            | {"image": {"bytes": p.image, "path": p.image_file}}
            for p in self.previews
        ]
        pq.write_table(pa.Table.from_pylist(previews, schema=PREVIEW_SCHEMA), previews_path)
        variants = pa.Table.from_pandas(self.variants_frame(), preserve_index=False)
        codes = variants.schema.get_field_index("failure_codes")  # list<null> when no variant failed
        variants = variants.set_column(codes, "failure_codes", variants["failure_codes"].cast(CODES_TYPE))
        pq.write_table(variants, variants_path)
        return [index_path, variants_path, previews_path]


def _tier_of(score: float | None) -> str | None:
    """The score's tier; none for a missing or out-of-range score, which the gate then reports."""
    return difficulty_tier(score).value if score is not None and 0.0 <= score <= 1.0 else None


def _main_file(entry: AcceptedBenchmark, kind: FileKind) -> tuple[str | None, str | None]:
    """(path in the version, sha256) of the entry's main file of `kind`, or (None, None)."""
    found = entry.file(kind)
    return (f"{benchmark_folder(entry.benchmark_id)}/{found.name}", found.sha256) if found else (None, None)


def _frame(row_type: type[BaseModel], rows: list[BaseModel]) -> pd.DataFrame:
    """A dataframe with one column per model field, typed even when there are no rows."""
    columns = list(row_type.model_fields)
    records = [{k: _plain(v) for k, v in r.model_dump(mode="python").items()} for r in rows]
    return pd.DataFrame(records, columns=columns)


def _plain(value: object) -> object:
    """Enum members (alone or in a list) as their string values: parquet columns hold plain strings."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def witness_columns(witness: WitnessSummary | None) -> dict[str, object]:
    """The index columns of a benchmark's witness; none when it has no witness."""
    if witness is None:
        return {}
    return {
        "witness_sha256": witness.sha256,
        "witness_solved": witness.solved,
        "witness_sealed": witness.sealed,
        "witness_cost": witness.cost,
        "witness_weight_kg": witness.weight_kg,
        "witness_parts": witness.parts,
        "witness_movers": witness.movers,
        "witness_time_to_goal_s": witness.time_to_goal_s,
        "cost_cap": witness.cost_cap,
        "weight_cap_kg": witness.weight_cap_kg,
        "witness_difficulty": witness.difficulty,
    }
