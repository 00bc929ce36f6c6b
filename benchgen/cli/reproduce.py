"""`benchgen reproduce BENCHMARK_ID...`: rebuild benchmarks from their records and report every difference."""

from typing import Annotated

import typer
from rich.console import Console

console = Console(soft_wrap=True)  # one line per difference, never wrapped (easy to grep)

DIFFERENT_EXIT = 1  # some benchmark did not reproduce


def reproduce_command(
    benchmark_ids: Annotated[
        list[str] | None,
        typer.Argument(help="Benchmark ids, or their first hex digits as `benchgen benchmarks list` shows them."),
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(
            "--dataset", help="Also every benchmark the database records for this version, e.g. benchgen/v1."
        ),
    ] = None,
    published: Annotated[
        str | None,
        typer.Option(
            "--published",
            help="Read the records from this published version folder instead of the database "
            "(every benchmark, or the ids given), e.g. file:///data/store/benchgen/v1.",
        ),
    ] = None,
) -> None:
    """Re-run each stored script in the sandbox for every recorded variant; exit 1 on any difference."""
    from benchgen.reproduce import parse_benchmark_id, reproduce
    from benchgen.settings import get_settings

    settings = get_settings()
    if published is None and benchmark_ids:
        from benchgen.db import get_engine, resolve_id
        from benchgen.models import BenchmarkAsset

        engine = get_engine(settings)
        ids = [resolve_id(engine, BenchmarkAsset, text) for text in benchmark_ids]
    else:  # a published version's records are read from its files: full ids only
        ids = [parse_benchmark_id(text) for text in benchmark_ids or []]
    results = reproduce(ids, settings, dataset_version=dataset, published_url=published)
    for result in results:
        for note in result.notes:
            console.print(f"{result.benchmark_id}: note: {note}", highlight=False)
        if result.identical:
            console.print(f"{result.benchmark_id}: identical ({result.variants} variants)", highlight=False)
            continue
        for difference in result.differences:
            console.print(f"{result.benchmark_id}: [red]differs[/] {difference.line()}", highlight=False)
    if any(not r.identical for r in results):
        raise typer.Exit(DIFFERENT_EXIT)


def register(app: typer.Typer) -> None:
    app.command("reproduce")(reproduce_command)
