"""Atomic publication of a dataset version to `<store>/<name>/<version>/`.

A version is staged under a hidden prefix (`<name>/.staging/<version>/`), checked there, then copied
into place with `manifest.json` (the sha256 of every file) written last. Readers trust only versions
that have a manifest, so a crash at any point leaves either the old state or a complete version.
"""

import hashlib
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from benchgen.dataset.index import DatasetIndex
from benchgen.errors import BenchgenError, NotFoundError, StoreError
from benchgen.store import ArtifactStore

MANIFEST_FILE = "manifest.json"
CARD_FILE = "README.md"
STAGING_DIR = ".staging"  # hidden prefix under the dataset name; never trusted by readers
CHECKS_DIR = "_checks"  # Data Docs of each build, kept next to the versions (outside them)
MANIFEST_FORMAT = 1

VERSION_EXISTS = (
    "dataset {name!r} version {version!r} is already published at {url} ({files} files); "
    "choose a new version or pass force to replace it"
)
CHECKSUM_MISMATCH = (
    "{path}: stored bytes hash to {actual}, expected {expected}; the copy was corrupted, publish again"
)


class PublishError(BenchgenError):
    """Publication failed; the version was cleaned up and has no manifest."""


class VersionExists(PublishError):
    """The version is already published and force was not given."""


class ManifestFile(BaseModel):
    path: str = Field(description="Path relative to the version folder.")
    sha256: str
    size: int


class Manifest(BaseModel):
    """The seal of a published version: what it holds and what every file must hash to."""

    format: int = MANIFEST_FORMAT
    name: str
    version: str
    published_at: datetime
    benchmarks: int
    variants: int
    themes: list[str]
    files: list[ManifestFile]


class StagedDataset(BaseModel):
    """A complete dataset version sitting under the staging prefix, not yet visible to readers."""

    name: str
    version: str
    prefix: str = Field(description="Store key prefix of the staged version.")
    files: list[ManifestFile]

    def key(self, path: str) -> str:
        return f"{self.prefix}/{path}"


class PublishedDataset(BaseModel):
    name: str
    version: str
    prefix: str
    url: str
    manifest: Manifest


def version_prefix(name: str, version: str) -> str:
    return f"{name}/{version}"


def staging_prefix(name: str, version: str) -> str:
    return f"{name}/{STAGING_DIR}/{version}"


def checks_prefix(name: str, version: str) -> str:
    return f"{name}/{CHECKS_DIR}/{version}"


def manifest_key(name: str, version: str) -> str:
    return f"{version_prefix(name, version)}/{MANIFEST_FILE}"


def is_published(store: ArtifactStore, name: str, version: str) -> bool:
    return store.exists(manifest_key(name, version))


def _relative(prefix: str, key: str) -> str:
    return key[len(prefix) + 1 :] if key.startswith(prefix + "/") else key


def check_publishable(store: ArtifactStore, name: str, version: str, *, force: bool = False) -> None:
    """Raise VersionExists when the version is published and `force` is not set; call before any work."""
    if force or not is_published(store, name, version):
        return
    target = version_prefix(name, version)
    raise VersionExists(
        VERSION_EXISTS.format(
            name=name, version=version, url=store.url_for(target), files=len(store.list(target))
        )
    )


def stage_dataset(store: ArtifactStore, index: DatasetIndex, card: str) -> StagedDataset:
    """Copy every benchmark file and write the index and card under the staging prefix.

    Leftovers of an earlier, interrupted staging of the same version are removed first.
    """
    prefix = staging_prefix(index.name, index.version)
    store.delete(prefix)
    files: list[ManifestFile] = []
    for row in index.files:
        data = store.get_bytes(row.source_key)
        stored = store.put_bytes(f"{prefix}/{row.path}", data)
        files.append(ManifestFile(path=row.path, sha256=stored.sha256, size=stored.size))
    with tempfile.TemporaryDirectory(prefix="benchgen-index-") as tmp:
        for path in _write_tables(index, card, Path(tmp)):
            stored = store.put_file(f"{prefix}/{path.name}", path)
            files.append(ManifestFile(path=path.name, sha256=stored.sha256, size=stored.size))
    return StagedDataset(name=index.name, version=index.version, prefix=prefix, files=files)


def _write_tables(index: DatasetIndex, card: str, directory: Path) -> list[Path]:
    """The version's own files (index, variants, card) written locally; their paths."""
    card_path = directory / CARD_FILE
    card_path.write_text(card)
    return [*index.write_parquet(directory), card_path]


def matches_published(store: ArtifactStore, index: DatasetIndex, card: str) -> Manifest | None:
    """The manifest of the published version when it holds exactly these files and bytes, else None.

    Lets a re-run of an unchanged build succeed without publishing again.
    """
    if not is_published(store, index.name, index.version):
        return None
    manifest = read_manifest(store, index.name, index.version)
    expected = {(f.path, f.sha256) for f in index.files}
    with tempfile.TemporaryDirectory(prefix="benchgen-index-") as tmp:
        for path in _write_tables(index, card, Path(tmp)):
            expected.add((path.name, hashlib.sha256(path.read_bytes()).hexdigest()))
    return manifest if {(f.path, f.sha256) for f in manifest.files} == expected else None


def staged_checksums(store: ArtifactStore, staged: StagedDataset) -> dict[str, str | None]:
    """sha256 of every staged file as read back from the store (None when missing)."""
    present = {_relative(staged.prefix, key) for key in store.list(staged.prefix)}
    return {f.path: (store.sha256(staged.key(f.path)) if f.path in present else None) for f in staged.files}


def staged_scripts(store: ArtifactStore, staged: StagedDataset, index: DatasetIndex) -> dict[str, bytes | None]:
    """Each benchmark's script as the staged copy holds it (None when missing), for the gate to re-check."""
    present = {_relative(staged.prefix, key) for key in store.list(staged.prefix)}
    return {
        row.benchmark_id: (
            store.get_bytes(staged.key(row.script_file)) if row.script_file in present else None
        )
        for row in index.benchmarks
    }


def discard_staging(store: ArtifactStore, staged: StagedDataset) -> None:
    store.delete(staged.prefix)


def promote(
    store: ArtifactStore, staged: StagedDataset, index: DatasetIndex, *, force: bool = False
) -> PublishedDataset:
    """Copy a staged version into `<name>/<version>/` and write its manifest last.

    Refuses an existing published version unless `force`. Any failure removes the partial version
    (it never got a manifest) and raises PublishError; the staging copy is removed in every case.
    """
    name, version = staged.name, staged.version
    target = version_prefix(name, version)
    try:
        check_publishable(store, name, version, force=force)
    except VersionExists:
        discard_staging(store, staged)
        raise
    store.delete(manifest_key(name, version))  # unseal a forced version first: readers stop trusting it
    try:
        store.delete(target)
        for f in staged.files:
            stored = store.put_bytes(f"{target}/{f.path}", store.get_bytes(staged.key(f.path)))
            if stored.sha256 != f.sha256:
                raise StoreError(
                    CHECKSUM_MISMATCH.format(path=f.path, actual=stored.sha256, expected=f.sha256)
                )
        manifest = Manifest(
            name=name,
            version=version,
            published_at=datetime.now(UTC),
            benchmarks=len(index.benchmarks),
            variants=len(index.variants),
            themes=index.themes,
            files=staged.files,
        )
        store.put_bytes(manifest_key(name, version), manifest.model_dump_json(indent=2).encode())
    except Exception as exc:  # clean up whatever failed, then report it: a partial version must not stay
        store.delete(target)
        raise PublishError(f"publishing {name}/{version} failed and was rolled back: {exc}") from exc
    finally:
        discard_staging(store, staged)
    return PublishedDataset(
        name=name, version=version, prefix=target, url=store.url_for(target), manifest=manifest
    )


def read_manifest(store: ArtifactStore, name: str, version: str) -> Manifest:
    """The manifest of a published version; a version without one is not published."""
    key = manifest_key(name, version)
    if not store.exists(key):
        raise NotFoundError(
            f"dataset {name!r} version {version!r} is not published at {store.url_for(version_prefix(name, version))} "
            f"(no {MANIFEST_FILE}); run `benchgen build` or list versions with `benchgen datasets`"
        )
    return Manifest.model_validate_json(store.get_bytes(key))


def published_versions(store: ArtifactStore, name: str) -> list[str]:
    """Versions of `name` that carry a manifest; staging and half-written versions are skipped."""
    suffix = f"/{MANIFEST_FILE}"
    versions = set()
    for key in store.list(name):
        rest = _relative(name, key)
        if rest.endswith(suffix) and rest.count("/") == 1 and not rest.startswith((STAGING_DIR, CHECKS_DIR)):
            versions.add(rest.removesuffix(suffix))
    return sorted(versions)


def verify_published(store: ArtifactStore, name: str, version: str) -> list[str]:
    """Re-hash every file listed in the manifest; return one message per mismatch (empty when sound)."""
    manifest = read_manifest(store, name, version)
    prefix = version_prefix(name, version)
    problems = []
    for f in manifest.files:
        key = f"{prefix}/{f.path}"
        if not store.exists(key):
            problems.append(f"{f.path}: listed in the manifest but missing")
            continue
        actual = hashlib.sha256(store.get_bytes(key)).hexdigest()
        if actual != f.sha256:
            problems.append(CHECKSUM_MISMATCH.format(path=f.path, actual=actual, expected=f.sha256))
    return problems


def upload_data_docs(store: ArtifactStore, name: str, version: str, docs_dir: Path) -> str:
    """Upload the GX Data Docs of a build next to the versions; return the URL of their index page."""
    prefix = f"{checks_prefix(name, version)}/data_docs"
    store.delete(prefix)
    store.put_dir(prefix, docs_dir)
    return store.url_for(f"{prefix}/index.html")
