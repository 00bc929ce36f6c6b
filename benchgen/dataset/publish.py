"""Atomic publication of a dataset version to `<store>/<name>/<version>/`.

A version is staged under a hidden prefix (`<name>/.staging/<version>/`), checked there, then copied
into place with `manifest.json` (the sha256 of every file) written last. Readers trust only versions
that have a manifest, so a crash at any point leaves either the old state or a complete version.

Replacing a published version (force) keeps the old one complete and listed until the new manifest is
in place: its files are first copied aside into the version's `.previous/` folder and its manifest is
rewritten (one atomic write) to point there; only then are the canonical paths overwritten, the new
manifest written, and `.previous/` removed.
"""

import hashlib
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from benchgen.dataset.index import DatasetIndex
from benchgen.errors import BenchgenError, NotFoundError, StoreError
from benchgen.store import ArtifactStore

MANIFEST_FILE = "manifest.json"
CARD_FILE = "README.md"
STAGING_DIR = ".staging"  # hidden prefix under the dataset name; never trusted by readers
CHECKS_DIR = "_checks"  # Data Docs of each build, kept next to the versions (outside them)
PREVIOUS_DIR = ".previous"  # inside a version: its old files while a forced re-publish replaces it
GALLERY_DIR = "gallery"  # inside a version: the gallery (benchgen.gallery), a view of the sealed files
MANIFEST_FORMAT = 1

VERSION_EXISTS = (
    "dataset {name!r} version {version!r} is already published at {url} ({files} files); "
    "choose a new version or pass force to replace it"
)
CHECKSUM_MISMATCH = (
    "{path}: stored bytes hash to {actual}, expected {expected}; the copy was corrupted, publish again"
)
UNLISTED_FILE = "{path}: present in the version but not listed in its manifest"
MANIFEST_MALFORMED = (
    "dataset {name!r} version {version!r}: {url} is not a valid manifest ({reason}); the version cannot be "
    "trusted: publish it again with `python -m flows.build_dataset --name {name} --version {version} --force`"
)


class PublishError(BenchgenError):
    """Publication failed; the version was cleaned up and has no manifest."""


class VersionExists(PublishError):
    """The version is already published and force was not given."""


class ManifestError(BenchgenError):
    """A version's manifest.json cannot be read as a manifest."""


class ManifestFile(BaseModel):
    path: str = Field(description="Path relative to the version folder.")
    sha256: str
    size: int
    stored_at: str | None = Field(
        default=None,
        description="Where the bytes are, relative to the version folder, when not at `path`: only while a "
        "forced re-publish has moved the old version aside.",
    )

    @property
    def location(self) -> str:
        return self.stored_at or self.path


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

    Refuses an existing published version unless `force`; a forced replacement keeps the old version
    complete and listed until the new manifest is written (see the module docstring). Any failure
    leaves the old version (or none) and raises PublishError; the staging copy is removed in every case.
    """
    name, version = staged.name, staged.version
    target = version_prefix(name, version)
    try:
        check_publishable(store, name, version, force=force)
    except VersionExists:
        discard_staging(store, staged)
        raise
    old = _readable_manifest(store, name, version)
    try:
        if old is not None:
            _set_aside(store, target, old)
        _clear_canonical(store, target)
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
        if old is None:
            store.delete(target)
        kept = "the old version is unchanged" if old is not None else "nothing was published"
        raise PublishError(f"publishing {name}/{version} failed and was rolled back ({kept}): {exc}") from exc
    finally:
        discard_staging(store, staged)
    store.delete(f"{target}/{PREVIOUS_DIR}")
    return PublishedDataset(
        name=name, version=version, prefix=target, url=store.url_for(target), manifest=manifest
    )


def _readable_manifest(store: ArtifactStore, name: str, version: str) -> Manifest | None:
    """The published manifest, or None when there is none or it is unreadable (nothing to keep then)."""
    try:
        return read_manifest(store, name, version) if is_published(store, name, version) else None
    except ManifestError:
        return None


def _set_aside(store: ArtifactStore, target: str, manifest: Manifest) -> None:
    """Copy the version's files into `<target>/.previous/` and point its manifest there (one write)."""
    if all(f.stored_at for f in manifest.files):
        return  # already aside: an earlier replacement was interrupted after this step
    store.delete(f"{target}/{PREVIOUS_DIR}")  # leftovers of an interrupted copy, referenced by nothing
    aside = []
    for f in manifest.files:
        location = f"{PREVIOUS_DIR}/{f.path}"
        store.put_bytes(f"{target}/{location}", store.get_bytes(f"{target}/{f.location}"))
        aside.append(f.model_copy(update={"stored_at": location}))
    resealed = manifest.model_copy(update={"files": aside})
    store.put_bytes(f"{target}/{MANIFEST_FILE}", resealed.model_dump_json(indent=2).encode())


def _clear_canonical(store: ArtifactStore, target: str) -> None:
    """Remove every file of the version but its manifest and `.previous/` (what the manifest may use)."""
    for key in store.list(target):
        relative = _relative(target, key)
        if relative != MANIFEST_FILE and not relative.startswith(f"{PREVIOUS_DIR}/"):
            store.delete(key)


def read_manifest(store: ArtifactStore, name: str, version: str) -> Manifest:
    """The manifest of a published version; a version without one is not published."""
    key = manifest_key(name, version)
    if not store.exists(key):
        raise NotFoundError(
            f"dataset {name!r} version {version!r} is not published at {store.url_for(version_prefix(name, version))} "
            f"(no {MANIFEST_FILE}); run `benchgen build` or list versions with `benchgen datasets`"
        )
    try:
        return Manifest.model_validate_json(store.get_bytes(key))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        reason = f"{first['msg']}{f' at {where}' if where else ''}"
        raise ManifestError(
            MANIFEST_MALFORMED.format(name=name, version=version, url=store.url_for(key), reason=reason)
        ) from None


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
    """Re-hash every file listed in the manifest and look for files it does not list; one message per
    problem (empty when sound). The gallery folder is a view built after the manifest and not listed."""
    manifest = read_manifest(store, name, version)
    prefix = version_prefix(name, version)
    present = {_relative(prefix, key) for key in store.list(prefix)}
    problems = []
    for f in manifest.files:
        if f.location not in present:
            problems.append(f"{f.path}: listed in the manifest but missing")
            continue
        actual = hashlib.sha256(store.get_bytes(f"{prefix}/{f.location}")).hexdigest()
        if actual != f.sha256:
            problems.append(CHECKSUM_MISMATCH.format(path=f.path, actual=actual, expected=f.sha256))
    listed = {f.location for f in manifest.files} | {MANIFEST_FILE}
    problems += [
        UNLISTED_FILE.format(path=path)
        for path in sorted(present - listed)
        if not path.startswith(f"{GALLERY_DIR}/")
    ]
    return problems


def upload_data_docs(store: ArtifactStore, name: str, version: str, docs_dir: Path) -> str:
    """Upload the GX Data Docs of a build next to the versions; return the URL of their index page."""
    prefix = f"{checks_prefix(name, version)}/data_docs"
    store.delete(prefix)
    store.put_dir(prefix, docs_dir)
    return store.url_for(f"{prefix}/index.html")
