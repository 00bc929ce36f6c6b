"""`benchgen evaluate SCRIPT SOLUTION`: score a solution against a scenario script, variant by variant."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchgen.cli.validate import DEFAULT_SCALES_OPTION, _parse_list, failure_table
from benchgen.contract import DEFAULT_EVALUATION_SEEDS, SCALE_RANGE

NOT_SOLVED_EXIT = 1  # some variant is not solved
DEFAULT_EVALUATE_SEEDS_OPTION = ",".join(str(seed) for seed in DEFAULT_EVALUATION_SEEDS)


def _variant_line(report) -> str:
    if report.solved:
        timing = f", goal at {report.time_to_goal_s:.1f} s" if report.time_to_goal_s is not None else ""
        return (
            f"  seed {report.seed} scale {report.scale:g}: [green]solved[/] "
            f"(cost {report.cost:.2f}, weight {report.weight_kg:.3f} kg{timing})"
        )
    codes = ", ".join(sorted({f.code.value for f in report.failures}))
    return f"  seed {report.seed} scale {report.scale:g}: [red]NOT SOLVED[/] {codes}"


def _summary(console: Console, report) -> None:
    if report.solved:
        costs = [v.cost for v in report.variants]
        weights = [v.weight_kg for v in report.variants]
        console.print(
            f"[bold green]solved[/] {report.script} with {report.solution} ({len(report.variants)} variants; "
            f"cost {min(costs):.2f}..{max(costs):.2f}, weight {min(weights):.3f}..{max(weights):.3f} kg)",
            highlight=False,
        )
        return
    console.print(failure_table(f"{report.solution}: {len(report.failures)} failure(s)", report.failures))


def evaluate(
    script: Annotated[Path, typer.Argument(help="Scenario script, e.g. examples/gap_crossing.py")],
    solution: Annotated[Path, typer.Argument(help="Solution file defining solve(scenario) -> Solution")],
    seeds: Annotated[str, typer.Option(help="Comma-separated seeds.")] = DEFAULT_EVALUATE_SEEDS_OPTION,
    scales: Annotated[
        str, typer.Option(help=f"Comma-separated scales in {SCALE_RANGE}.")
    ] = DEFAULT_SCALES_OPTION,
    json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    render: Annotated[
        Path | None,
        typer.Option("--render", help="Write views and a clip of the solution run per variant here."),
    ] = None,
) -> None:
    """Evaluate a solution: sandboxed build + solve, static checks and a MuJoCo run from every start."""
    from benchgen.evaluation.evaluator import EvaluationSettings, evaluate_files, read_source

    settings = EvaluationSettings(
        seeds=_parse_list(seeds, int, "--seeds"), scales=_parse_list(scales, float, "--scales")
    )
    settings.variants()  # seeds and scales checked before any work starts
    read_source(script, "script")
    read_source(solution, "solution")
    on_variant = None
    if render is not None:
        from benchgen.evaluation.render import VariantFilm

        film = VariantFilm(render)
        on_variant = film.record
    console = Console(stderr=json)
    total = len(settings.seeds) * len(settings.scales)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"evaluating {solution}", total=total)

        def on_report(report) -> None:
            progress.console.print(_variant_line(report), highlight=False)
            progress.advance(task)

        report = evaluate_files(script, solution, settings, progress=on_report, on_variant=on_variant)
    if json:
        typer.echo(report.model_dump_json())
    else:
        _summary(console, report)
        if render is not None:
            console.print(f"renders in {render}", highlight=False)
    if not report.solved:
        raise typer.Exit(code=NOT_SOLVED_EXIT)


def register(app: typer.Typer) -> None:
    app.command(name="evaluate")(evaluate)
