"""`benchgen generate`: run one agent session (plan, code, validate, render, review) for a theme.

The agent modules are imported inside the command so that other commands do not pay for LangChain.
"""

from typing import Annotated

import typer
from rich.console import Console

console = Console()

NOT_ACCEPTED_EXIT = 1  # the session ended rejected or failed, or stopped resumable; 2: usage errors


def generate(
    theme: Annotated[
        str | None, typer.Option(help="What the benchmark is about, e.g. 'ball must cross a gap'.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Session seed, passed to the Planner.")] = 0,
    model: Annotated[
        str | None,
        typer.Option(help="'offline' or an LLM as 'provider:name' (e.g. openai:gpt-4o); default: settings."),
    ] = None,
    base_url: Annotated[str | None, typer.Option(help="Base URL of an OpenAI-compatible server.")] = None,
    images: Annotated[
        bool | None,
        typer.Option(
            "--images/--no-images", help="Send renders to the Reviewer as images (default: model profile)."
        ),
    ] = None,
    max_attempts: Annotated[int | None, typer.Option(min=1, help="Most scripts the Coder may write.")] = None,
    max_tokens: Annotated[int | None, typer.Option(min=1, help="Token budget of the session.")] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Seconds one request to the model may take (docs/llm.md).")
    ] = None,
    tries: Annotated[
        int | None,
        typer.Option(
            min=1, help="Tries per model request on rate limits, 5xx answers, timeouts (docs/llm.md)."
        ),
    ] = None,
    price_in: Annotated[float, typer.Option(min=0, help="USD per million input tokens, for the cost.")] = 0.0,
    price_out: Annotated[
        float, typer.Option(min=0, help="USD per million output tokens, for the cost.")
    ] = 0.0,
    render: Annotated[
        bool, typer.Option("--render/--no-render", help="Render views for the Reviewer.")
    ] = True,
    require_witness: Annotated[
        bool,
        typer.Option(
            "--require-witness/--no-require-witness",
            help="A script is accepted only with a witness that solves every variant (docs/solution-contract.md).",
        ),
    ] = True,
    resume: Annotated[
        str | None, typer.Option(help="Continue an interrupted session from its last node.")
    ] = None,
) -> None:
    """Generate one benchmark scenario; ends with the accepted script or the reason it was not accepted."""
    from dataclasses import replace

    from benchgen.agents.context import GeneratorContext
    from benchgen.agents.llm import ModelConfig
    from benchgen.agents.session import SessionInterrupted, SessionOptions, backend_from_options, run_session
    from benchgen.errors import BenchgenError
    from benchgen.settings import get_settings

    settings = get_settings()
    backend = backend_from_options(
        model or settings.llm_model, settings, base_url=base_url, images=images, prices=(price_in, price_out)
    )
    if isinstance(backend, ModelConfig):
        backend = backend.with_limits(timeout_s=timeout, tries=tries)
    context = GeneratorContext(render=render, require_witness=require_witness)
    if max_attempts is not None:
        context = replace(context, max_coder_attempts=max_attempts)
    if max_tokens is not None:
        context = replace(context, max_total_tokens=max_tokens)

    def progress(node: str, message: str) -> None:
        console.print(f"[bold]{node:>9}[/] {message}", highlight=False, soft_wrap=True)

    options = SessionOptions(context=context, on_progress=progress)
    session_id = None
    if resume:
        from benchgen.db import get_engine, resolve_id
        from benchgen.models import GenerationSession

        session_id = resolve_id(get_engine(settings), GenerationSession, resume)
    try:
        outcome = run_session(
            theme, seed, backend=backend, settings=settings, resume=session_id, options=options
        )
    except SessionInterrupted as exc:
        console.print(f"[red]stopped[/]: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=NOT_ACCEPTED_EXIT) from None
    except BenchgenError:
        raise  # usage and configuration errors: one line and exit 2 from the CLI's entry point
    except Exception as exc:  # noqa: BLE001  (run_session marked the session failed with this cause)
        console.print(f"[red]failed[/]: {type(exc).__name__}: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=NOT_ACCEPTED_EXIT) from None
    usage = outcome.usage
    console.print(f"tokens: {usage.input_tokens} in, {usage.output_tokens} out, ${usage.cost_usd:.4f}")
    if outcome.accepted:
        witness = outcome.report.solvability.value if outcome.report is not None else "unproven"
        console.print(
            f"[green]accepted[/]: session {outcome.session_id}; script {outcome.script_path}; solvability {witness}",
            soft_wrap=True,
        )
        return
    console.print(
        f"[red]{outcome.status.value}[/]: {outcome.reason}; session {outcome.session_id}", soft_wrap=True
    )
    raise typer.Exit(code=NOT_ACCEPTED_EXIT)


def register(app: typer.Typer) -> None:
    app.command(name="generate")(generate)
