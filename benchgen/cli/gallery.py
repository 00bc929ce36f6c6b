"""`benchgen gallery DATASET_URL --out DIR`: a static HTML site of a published dataset version."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()


def gallery(
    dataset_url: Annotated[
        str,
        typer.Argument(
            help="Published version folder, e.g. file:///data/store/benchgen/v1 or s3://bucket/benchgen/v1."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the site into (created).")],
    clips: Annotated[
        bool,
        typer.Option(
            "--clips/--no-clips", help="Film settle clips from the published MJCF when the version has none."
        ),
    ] = True,
) -> None:
    """Write a self-contained HTML gallery: index with filters, a page per benchmark, rejected candidates."""
    from benchgen.gallery import build_gallery
    from benchgen.settings import get_settings

    site = build_gallery(dataset_url, out, settings=get_settings(), render_clips=clips)
    console.print(
        f"{site.benchmarks} benchmark(s), {site.rejected} rejected candidate(s); {site.sessions_note}",
        highlight=False,
    )
    console.print(f"open {site.index}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("gallery")(gallery)
