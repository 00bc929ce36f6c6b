"""`benchgen build [OPTIONS]`: the main job, one dataset version built and published by the Prefect flow
`build-dataset`.

The flow is the Prefect shell's (`flows/`); it is imported only when this command runs, so the domain
core never imports Prefect. Its options are the flow's, parsed by the flow module itself
(`python -m flows.build_dataset` takes the same ones).
"""

import typer

PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def build(ctx: typer.Context) -> None:
    """Build, check and publish one dataset version (the Prefect flow `build-dataset`); see --help."""
    from flows.main_job import main as run_build

    run_build(ctx.args, prog="benchgen build")


def register(app: typer.Typer) -> None:
    app.command("build", context_settings=PASS_THROUGH, add_help_option=False)(build)
