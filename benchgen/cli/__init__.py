"""The `benchgen` command line. Each concern registers its commands from its own module."""

import sys
from typing import Annotated

import typer
from rich.console import Console
from typer._click.exceptions import ClickException, NoArgsIsHelpError  # typer vendors click

from benchgen.cli import build, dataset, evaluate, foundation, gallery, generate, render, reproduce, validate
from benchgen.errors import BenchgenError

app = typer.Typer(
    name="benchgen",
    help="Generate, validate, render and publish mechanical-engineering benchmark scenarios.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True)

USAGE_EXIT = 2

for commands in (foundation, validate, evaluate, render, generate, build, dataset, gallery, reproduce):
    commands.register(app)


def _print_version(wanted: bool) -> None:
    if wanted:
        from benchgen.versions import CODE_VERSION

        typer.echo(f"benchgen {CODE_VERSION}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Generate, validate, render and publish mechanical-engineering benchmark scenarios."""


def main() -> None:
    """Entry point: run the app and turn benchgen errors into one clear line and exit status 2."""
    try:
        result = app(standalone_mode=False)
    except BenchgenError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(USAGE_EXIT)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except NoArgsIsHelpError as exc:  # `benchgen` or a command group without a subcommand
        typer.echo(exc.ctx.get_help() if exc.ctx else "")
        sys.exit(USAGE_EXIT)
    except ClickException as exc:  # usage errors arrive here in non-standalone mode
        err_console.print(f"[bold red]error:[/] {exc.format_message()}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code if exc.exit_code else USAGE_EXIT)
    sys.exit(result if isinstance(result, int) else 0)
