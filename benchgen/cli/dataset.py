"""`benchgen dataset ...`: list published dataset versions and verify their checksums.

Building a dataset is the Prefect flow's job (`python -m flows.build_dataset`); these commands only
read what was published, so they work anywhere the store is reachable.
"""

from typing import Annotated

import typer
from rich.console import Console

from benchgen.errors import StoreError

dataset_app = typer.Typer(help="Look at published datasets.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


UNREADABLE_EXIT = 1  # `dataset list` found a version whose manifest cannot be read


@dataset_app.command("list")
def list_versions(
    name: Annotated[str, typer.Argument(help="Dataset name, e.g. benchgen.")] = "benchgen",
) -> None:
    """Published versions of a dataset (only versions with a manifest count).

    A version whose manifest cannot be read gets one line on stderr and the exit status is 1; the
    others are listed all the same."""
    from benchgen.dataset.publish import ManifestError, published_versions, read_manifest, version_prefix
    from benchgen.settings import get_settings
    from benchgen.store import ArtifactStore

    store = ArtifactStore.from_settings(get_settings())
    versions = published_versions(store, name)
    if not versions:
        console.print(f"no published versions of {name!r} in {store.url}")
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
) -> None:
    """Re-hash every file of a published version against its manifest; files it does not list fail too."""
    from benchgen.dataset.publish import read_manifest, verify_published
    from benchgen.settings import get_settings
    from benchgen.store import ArtifactStore

    store = ArtifactStore.from_settings(get_settings())
    problems = verify_published(store, name, version)
    if problems:
        raise StoreError(
            f"{name} {version}: {len(problems)} problem(s) against the manifest: " + "; ".join(problems)
        )
    files = len(read_manifest(store, name, version).files)
    console.print(f"[green]ok[/] {name} {version}: {files} files match manifest.json", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(dataset_app, name="dataset")
