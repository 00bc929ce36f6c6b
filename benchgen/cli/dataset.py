"""`benchgen dataset ...`: list published dataset versions and verify their checksums.

Building a dataset is the Prefect flow's job (`benchgen build`); these commands only read what was
published, so they work anywhere the store is reachable.
"""

from typing import Annotated

import typer
from rich.console import Console

from benchgen.errors import StoreError

dataset_app = typer.Typer(help="Look at published datasets.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


UNREADABLE_EXIT = 1  # `dataset list` found a version whose manifest cannot be read

StoreUrlOption = Annotated[
    str | None,
    typer.Option(help="file:///path or s3://bucket/prefix, as given to `benchgen build` (default: settings)"),
]


def _store(store_url: str | None):
    from benchgen.settings import get_settings
    from benchgen.store import ArtifactStore

    return ArtifactStore.from_settings(get_settings(**({"store_url": store_url} if store_url else {})))


@dataset_app.command("list")
def list_versions(
    name: Annotated[str, typer.Argument(help="Dataset name, e.g. benchgen.")] = "benchgen",
    store_url: StoreUrlOption = None,
) -> None:
    """Published versions of a dataset (only versions with a manifest count).

    A version whose manifest cannot be read gets one line on stderr and the exit status is 1; the
    others are listed all the same."""
    from benchgen.dataset.publish import (
        MANIFEST_FILE,
        ManifestError,
        published_versions,
        read_manifest,
        version_prefix,
    )

    store = _store(store_url)
    versions = published_versions(store, name)
    if not versions:
        manifests = [key for key in store.list() if key.count("/") == 2 and key.endswith(f"/{MANIFEST_FILE}")]
        others = sorted({key.split("/")[0] for key in manifests})  # <name>/<version>/manifest.json
        option = f" --store-url {store_url}" if store_url else ""
        found = (
            f"published datasets there: {', '.join(others)} (`benchgen dataset list {others[0]}{option}`)"
            if others
            else "nothing is published there"
        )
        console.print(f"no published versions of {name!r} in {store.url}; {found}", highlight=False)
        return
    unreadable = 0
    for version in versions:
        try:
            manifest = read_manifest(store, name, version)
        except ManifestError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            unreadable += 1
            continue
        console.print(
            f"{version}  {manifest.benchmarks} benchmarks, {manifest.variants} variants, "
            f"published {manifest.published_at:%Y-%m-%d %H:%M} UTC  {store.url_for(version_prefix(name, version))}",
            highlight=False,
        )
    if unreadable:
        raise typer.Exit(UNREADABLE_EXIT)


@dataset_app.command("verify")
def verify(
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    version: Annotated[str, typer.Argument(help="Dataset version.")],
    store_url: StoreUrlOption = None,
) -> None:
    """Re-hash every file of a published version against its manifest; files it does not list fail too."""
    from benchgen.dataset.publish import read_manifest, verify_published

    store = _store(store_url)
    problems = verify_published(store, name, version)
    if problems:
        raise StoreError(
            f"{name} {version}: {len(problems)} problem(s) against the manifest: " + "; ".join(problems)
        )
    files = len(read_manifest(store, name, version).files)
    console.print(f"[green]ok[/] {name} {version}: {files} files match manifest.json", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(dataset_app, name="dataset")
