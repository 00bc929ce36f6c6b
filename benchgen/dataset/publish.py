"""Atomic publication of a dataset version to `<store>/<name>/<version>/`.

A version is staged under a hidden prefix (`<name>/.staging/<version>/`), checked there, then copied
into place with `manifest.json` (the sha256 of every file) written last. Readers trust only versions
that have a manifest, so a crash at any point leaves either the old state or a complete version.

Replacing a published version (force) keeps the old one complete, listed and verifying until the new
manifest is in place, and the new one so from then on, whatever step a crash interrupts. A manifest
entry may say where its bytes are (`stored_at`, outside the version folder) while a replacement runs:
1. the old files are copied to `<name>/.previous/<version>/` and the old manifest is rewritten (one
   atomic write) to point there; files only the old version has leave the version folder;
2. the new files are copied to `<name>/.next/<version>/` and the new manifest, pointing there, replaces
   the old one (the switch);
3. the new files are copied to their canonical paths, the manifest is rewritten without `stored_at`,
   and `.previous/` and `.next/` are removed.
The version folder never holds a file whose path the current manifest does not list.
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
SEALED_DIR = "_witnesses"  # <name>/_witnesses/<version>/: sealed witnesses, kept out of the version
PREVIOUS_DIR = ".previous"  # <name>/.previous/<version>/: the old files while a forced re-publish runs
NEXT_DIR = ".next"  # <name>/.next/<version>/: the new files until they are at their canonical paths
GALLERY_DIR = "gallery"  # inside a version: the gallery (benchgen.gallery), a view of the sealed files
MANIFEST_FORMAT = 1

VERSION_EXISTS = (
    "dataset {name!r} version {version!r} is already published at {url} ({files} files); "
    "choose a new version or pass force to replace it"
)
CHECKSUM_MISMATCH = (
    "{path} in {url} hashes to {actual}, its manifest says {expected}; the stored copy is corrupted: publish "
    "it again with `python -m flows.build_dataset --name {name} --version {version} --force`"
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
        description="Where the bytes are (a key under the dataset's folder) when not at `path` in the version "
        "folder: only while a forced re-publish runs.",
    )


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


def staged_scripts(
    store: ArtifactStore, staged: StagedDataset, index: DatasetIndex
) -> dict[str, bytes | None]:
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

    Refuses an existing published version unless `force`; a forced replacement keeps a complete version
    in place at every step (see the module docstring). Any failure before the switch leaves the old
    version (or none) and raises PublishError; the staging copy is removed in every case.
    """
    name, version = staged.name, staged.version
    target = version_prefix(name, version)
    try:
        check_publishable(store, name, version, force=force)
    except VersionExists:
        discard_staging(store, staged)
        raise
    old = _readable_manifest(store, name, version)
    manifest = Manifest(
        name=name,
        version=version,
        published_at=datetime.now(UTC),
        benchmarks=len(index.benchmarks),
        variants=len(index.variants),
        themes=index.themes,
        files=staged.files,
    )
    try:
        if old is None:
            _clear_version(store, target, keep=set())
        else:
            _set_aside(store, name, old, keep={f.path for f in staged.files})
            _switch(store, staged, manifest)
        _copy_staged(store, staged, target)
        store.put_bytes(manifest_key(name, version), manifest.model_dump_json(indent=2).encode())
    except Exception as exc:  # clean up whatever failed, then report it: a partial version must not stay
        if old is None:
            store.delete(target)
        raise PublishError(
            f"publishing {name}/{version} failed and was rolled back "
            f"({'nothing was published' if old is None else 'a complete version stays published'}): {exc}"
        ) from exc
    finally:
        discard_staging(store, staged)
    if old is not None:
        _remove_asides(store, name, version)
    return PublishedDataset(
        name=name, version=version, prefix=target, url=store.url_for(target), manifest=manifest
    )


def _aside_prefix(folder: str, name: str, version: str) -> str:
    return f"{name}/{folder}/{version}"


def _location(name: str, version: str, f: ManifestFile) -> str:
    """The store key of a manifest entry's bytes."""
    return f"{name}/{f.stored_at}" if f.stored_at else f"{version_prefix(name, version)}/{f.path}"


def _readable_manifest(store: ArtifactStore, name: str, version: str) -> Manifest | None:
    """The published manifest, or None when there is none or it is unreadable (nothing to keep then)."""
    try:
        return read_manifest(store, name, version) if is_published(store, name, version) else None
    except ManifestError:
        return None


def _clear_version(store: ArtifactStore, target: str, keep: set[str]) -> None:
    """Remove the version folder's files except its manifest and the paths in `keep`."""
    for key in store.list(target):
        relative = _relative(target, key)
        if relative != MANIFEST_FILE and relative not in keep:
            store.delete(key)


def _set_aside(store: ArtifactStore, name: str, manifest: Manifest, keep: set[str]) -> None:
    """Step 1: the old files to `.previous/`, the old manifest pointing there, and paths only the old
    version has out of the version folder (the new manifest will not list them)."""
    version = manifest.version
    already = f"{PREVIOUS_DIR}/{version}/"
    if not all((f.stored_at or "").startswith(already) for f in manifest.files):  # else done before a crash
        aside = _aside_prefix(PREVIOUS_DIR, name, version)
        store.delete(aside)  # leftovers of an interrupted copy, referenced by nothing
        files = []
        for f in manifest.files:
            store.put_bytes(f"{aside}/{f.path}", store.get_bytes(_location(name, version, f)))
            files.append(f.model_copy(update={"stored_at": f"{PREVIOUS_DIR}/{version}/{f.path}"}))
        resealed = manifest.model_copy(update={"files": files})
        store.put_bytes(manifest_key(name, version), resealed.model_dump_json(indent=2).encode())
    _clear_version(store, version_prefix(name, version), keep=keep)


def _switch(store: ArtifactStore, staged: StagedDataset, manifest: Manifest) -> None:
    """Step 2: the new files to `.next/`, then the new manifest pointing there replaces the old one."""
    name, version = staged.name, staged.version
    following = _aside_prefix(NEXT_DIR, name, version)
    store.delete(following)
    _copy_staged(store, staged, following)
    pointed = manifest.model_copy(
        update={
            "files": [
                f.model_copy(update={"stored_at": f"{NEXT_DIR}/{version}/{f.path}"}) for f in manifest.files
            ]
        }
    )
    store.put_bytes(manifest_key(name, version), pointed.model_dump_json(indent=2).encode())


def _copy_staged(store: ArtifactStore, staged: StagedDataset, prefix: str) -> None:
    for f in staged.files:
        _copy_checked(store, staged.key(f.path), prefix, f.path, f.sha256, staged.name, staged.version)


def _copy_checked(
    store: ArtifactStore, source: str, prefix: str, path: str, sha256: str, name: str, version: str
) -> None:
    """Copy `source` to `<prefix>/<path>`; the stored bytes must hash to `sha256`."""
    stored = store.put_bytes(f"{prefix}/{path}", store.get_bytes(source))
    if stored.sha256 != sha256:
        raise StoreError(
            CHECKSUM_MISMATCH.format(
                path=path,
                url=store.url_for(prefix),
                actual=stored.sha256,
                expected=sha256,
                name=name,
                version=version,
            )
        )


def _remove_asides(store: ArtifactStore, name: str, version: str) -> None:
    """Step 3 done (the manifest points at the canonical paths): `.previous/` and `.next/` go."""
    for folder in (PREVIOUS_DIR, NEXT_DIR):
        store.delete(_aside_prefix(folder, name, version))


def read_manifest(store: ArtifactStore, name: str, version: str) -> Manifest:
    """The manifest of a published version; a version without one is not published."""
    key = manifest_key(name, version)
    if not store.exists(key):
        raise NotFoundError(
            f"dataset {name!r} version {version!r} is not published at {store.url_for(version_prefix(name, version))} "
            f"(no {MANIFEST_FILE}); list its versions with `benchgen dataset list {name}`, or build it with "
            f"`benchgen build --name {name} --version {version}`"
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
        location = _location(name, version, f)
        if not store.exists(location):
            problems.append(f"{f.path}: listed in the manifest but missing")
            continue
        actual = hashlib.sha256(store.get_bytes(location)).hexdigest()
        if actual != f.sha256:
            problems.append(
                CHECKSUM_MISMATCH.format(
                    path=f.path,
                    url=store.url_for(prefix),
                    actual=actual,
                    expected=f.sha256,
                    name=name,
                    version=version,
                )
            )
    listed = {f.path for f in manifest.files} | {MANIFEST_FILE}
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


def sealed_prefix(name: str, version: str) -> str:
    """Store prefix of a version's sealed witnesses: beside the versions, never inside one."""
    return f"{name}/{SEALED_DIR}/{version}"


def seal_witnesses(store: ArtifactStore, index: DatasetIndex) -> None:
    """Copy the version's sealed witness files to its sealed folder, each checked against its sha256."""
    prefix = sealed_prefix(index.name, index.version)
    for f in index.sealed:
        _copy_checked(store, f.source_key, prefix, f.path, f.sha256, index.name, index.version)
