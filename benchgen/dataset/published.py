"""Reading one published dataset version: its manifest, index tables and files, each file checked against
the sha256 its manifest records. The gallery and reproduce both read versions through this module."""

import hashlib
import io

import pandas as pd
from pydantic import BaseModel

from benchgen.dataset.index import INDEX_FILE, VARIANTS_FILE, IndexRow, VariantRow
from benchgen.dataset.publish import CARD_FILE, CHECKSUM_MISMATCH, MANIFEST_FILE, Manifest
from benchgen.errors import NotFoundError, StoreError
from benchgen.settings import Settings
from benchgen.store import ArtifactStore


class PublishedBenchmark(BaseModel):
    """An accepted benchmark read back from a published version: its index row and its variants' rows
    (the pipeline's `AcceptedBenchmark` before publication keeps full reports and store keys instead)."""

    row: IndexRow
    variants: list[VariantRow]


class PublishedVersion:
    """Read files of one published version, checking each against the sha256 its manifest records."""

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url.rstrip("/")
        # The version folder is opened as a store root with the settings' S3 endpoint and credentials.
        self.store = ArtifactStore.from_settings(settings.model_copy(update={"store_url": self.url}))
        if not self.store.exists(MANIFEST_FILE):
            raise NotFoundError(
                f"{self.url} is not a published dataset version (no {MANIFEST_FILE}); give the version folder, "
                "e.g. file:///data/store/benchgen/v1, as printed by `benchgen build` or `benchgen dataset list`"
            )
        self.manifest = Manifest.model_validate_json(self.store.get_bytes(MANIFEST_FILE))
        self.checksums = {f.path: f.sha256 for f in self.manifest.files}
        # While a forced re-publish runs, some bytes live outside the version folder, under the dataset's.
        self.stored_at = {f.path: f.stored_at for f in self.manifest.files if f.stored_at}
        dataset_url = self.url.rsplit("/", 1)[0]
        self.dataset_store = ArtifactStore.from_settings(
            settings.model_copy(update={"store_url": dataset_url})
        )

    def has(self, path: str) -> bool:
        return path in self.checksums

    def paths_under(self, folder: str) -> list[str]:
        return sorted(p for p in self.checksums if p.startswith(f"{folder}/"))

    def read(self, path: str) -> bytes:
        if path not in self.checksums:
            raise NotFoundError(f"{path} is not listed in the manifest of {self.url}")
        moved = self.stored_at.get(path)
        data = self.dataset_store.get_bytes(moved) if moved else self.store.get_bytes(path)
        actual = hashlib.sha256(data).hexdigest()
        if actual != self.checksums[path]:
            raise StoreError(
                CHECKSUM_MISMATCH.format(
                    path=path,
                    url=self.url,
                    actual=actual,
                    expected=self.checksums[path],
                    name=self.manifest.name,
                    version=self.manifest.version,
                )
            )
        return data

    def table(self, path: str) -> list[dict]:
        """Rows of a parquet table, with missing values as None."""
        frame = pd.read_parquet(io.BytesIO(self.read(path)))
        return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")

    def benchmarks(self) -> list[PublishedBenchmark]:
        """The published benchmarks in index order, each with its validated (seed, scale) variants."""
        rows = [IndexRow.model_validate(r) for r in self.table(INDEX_FILE)]
        variants: dict[str, list[VariantRow]] = {}
        for record in self.table(VARIANTS_FILE):
            variant = VariantRow.model_validate(record)
            variants.setdefault(variant.benchmark_id, []).append(variant)
        return [PublishedBenchmark(row=row, variants=variants.get(row.benchmark_id, [])) for row in rows]

    def card(self) -> str:
        """The dataset card, empty when the version has none."""
        return self.read(CARD_FILE).decode("utf-8") if self.has(CARD_FILE) else ""
