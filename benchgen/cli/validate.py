"""`benchgen validate SCRIPT...`: validate scenario scripts and print a report (or JSON lines)."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from benchgen.contract import DEFAULT_SCALES, DEFAULT_SEEDS, SCALE_RANGE
from benchgen.errors import UsageError
from benchgen.failures import Failure
from benchgen.validation.report import Solvability, ValidationReport, VariantReport

INVALID_EXIT = 1  # at least one script is not a valid scenario
DEFAULT_SEEDS_OPTION = ",".join(str(seed) for seed in DEFAULT_SEEDS)
DEFAULT_SCALES_OPTION = ",".join(str(scale) for scale in DEFAULT_SCALES)


def _parse_list(text: str, kind: type, option: str) -> tuple:
    items = [item.strip() for item in text.split(",") if item.strip()]
    try:
        return tuple(kind(item) for item in items)
    except ValueError:
        raise UsageError(
            f"{option} takes comma-separated {kind.__name__} values like {option} 0,1,2; got {text!r}"
        ) from None


def _variant_line(report: VariantReport) -> str:
    status = (
        "[green]ok[/]"
        if report.ok
        else "[red]FAIL[/] " + ", ".join(sorted({f.code.value for f in report.failures}))
    )
    return f"  seed {report.seed} scale {report.scale:g}: {status}"


def failure_table(title: str, failures: list[Failure]) -> Table:
    """One row per failure: code, seed, scale and what to change."""
    table = Table(title=title, show_lines=True, expand=True)
    table.add_column("code", style="bold red", no_wrap=True)
    table.add_column("seed", justify="right")
    table.add_column("scale", justify="right")
    table.add_column("what to change")
    for failure in failures:
        table.add_row(
            failure.code.value,
            "-" if failure.seed is None else str(failure.seed),
            "-" if failure.scale is None else f"{failure.scale:g}",
            failure.message,
        )
    return table


def _witness_line(report) -> str:
    """One witness-evaluated variant, as `benchgen validate --witness` prints it."""
    if report.solved:
        cost = f"cost {report.cost:.2f}"
        return f"  witness seed {report.seed} scale {report.scale:g}: [green]solved[/] ({cost})"
    codes = ", ".join(sorted({f.code.value for f in report.failures}))
    return f"  witness seed {report.seed} scale {report.scale:g}: [red]NOT SOLVED[/] {codes}"


def _summary(console: Console, report: ValidationReport) -> None:
    variants = f"{report.script} ({len(report.variants)} variants)"
    if report.ok and report.solvability is Solvability.PROVEN:
        console.print(
            f"[bold green]valid, solved by witness[/] {report.witness.solution}: {variants}",
            highlight=False,
            soft_wrap=True,
        )
        return
    if report.ok:
        console.print(
            f"[bold green]valid[/], solvability unproven: {variants}; prove it with "
            f"`benchgen validate {report.script} --witness SOLUTION`",
            highlight=False,
            soft_wrap=True,
        )
        return
    console.print(failure_table(f"{report.script}: {len(report.failures)} failure(s)", report.failures))
    skipped = sorted({note for v in report.variants for note in v.metrics.skipped})
    for note in skipped:
        console.print(f"[yellow]note:[/] {note}", highlight=False)


def validate(
    scripts: Annotated[list[Path], typer.Argument(help="Scenario scripts, e.g. examples/*.py")],
    seeds: Annotated[str, typer.Option(help="Comma-separated seeds.")] = DEFAULT_SEEDS_OPTION,
    scales: Annotated[
        str, typer.Option(help=f"Comma-separated scales in {SCALE_RANGE}.")
    ] = DEFAULT_SCALES_OPTION,
    json: Annotated[
        bool, typer.Option("--json", help="Print one JSON report per script, one per line.")
    ] = False,
    witness: Annotated[
        Path | None,
        typer.Option(
            "--witness",
            help="A solution file evaluated on the same variants; solving them all proves the script "
            "solvable.",
        ),
    ] = None,
    require_witness: Annotated[
        bool,
        typer.Option(
            "--require-witness",
            help="Without --witness, report NO_WITNESS (default: the require_witness setting, "
            "BENCHGEN_REQUIRE_WITNESS).",
        ),
    ] = False,
) -> None:
    """Validate scenario scripts: sandboxed build, static checks, MJCF and settle for every variant,
    then the witness, if one is given, on the same variants."""
    from benchgen.evaluation.evaluator import read_source
    from benchgen.sandbox import SandboxRunner
    from benchgen.settings import get_settings
    from benchgen.validation.validator import ValidationSettings, validate_source
    from benchgen.validation.witness import check_witness, read_witness

    settings = ValidationSettings(
        seeds=_parse_list(seeds, int, "--seeds"), scales=_parse_list(scales, float, "--scales")
    )
    sources = {script: read_source(script, "script") for script in scripts}  # every file before any work
    if witness is not None and len(scripts) > 1:
        raise UsageError(
            f"--witness answers one script, got {len(scripts)}; validate each script with its own witness, "
            f"e.g. benchgen validate {scripts[0]} --witness {witness}"
        )
    given = None if witness is None else read_witness(witness)
    required = require_witness or get_settings().require_witness
    console = Console()
    all_ok = True
    with SandboxRunner(limits=settings.sandbox_limits) as runner:
        for script in scripts:
            source = sources[script]
            if json:
                report = validate_source(
                    source, str(script), settings.seeds, settings.scales, runner=runner, settings=settings
                )
                report = check_witness(report, source, given, required=required, runner=runner)
                typer.echo(report.model_dump_json())
            else:
                report = _validate_with_progress(console, source, script, settings, runner)
                report = _check_witness_with_progress(console, report, source, given, required, runner)
                _summary(console, report)
            all_ok = all_ok and report.ok
    if not all_ok:
        raise typer.Exit(code=INVALID_EXIT)


def _validate_with_progress(
    console: Console, source: str, script: Path, settings, runner
) -> ValidationReport:
    from benchgen.validation.validator import validate_source

    total = len(settings.seeds) * len(settings.scales)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"validating {script}", total=total)

        def on_variant(report: VariantReport) -> None:
            progress.console.print(_variant_line(report), highlight=False)
            progress.advance(task)

        return validate_source(
            source,
            str(script),
            settings.seeds,
            settings.scales,
            runner=runner,
            settings=settings,
            progress=on_variant,
        )


def _check_witness_with_progress(
    console: Console, report: ValidationReport, source: str, witness, required: bool, runner
) -> ValidationReport:
    from benchgen.validation.witness import check_witness

    if witness is None or not report.ok:
        return check_witness(report, source, witness, required=required, runner=runner)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"evaluating witness {witness.name}", total=len(report.variants))

        def on_variant(evaluated) -> None:
            progress.console.print(_witness_line(evaluated), highlight=False)
            progress.advance(task)

        return check_witness(report, source, witness, required=required, runner=runner, progress=on_variant)


def register(app: typer.Typer) -> None:
    app.command(name="validate")(validate)
