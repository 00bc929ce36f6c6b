"""Commands for settings, the database and stored records: `config`, `db`, `sessions`, `benchmarks`.

Database and store modules are imported inside the commands so that `benchgen --help` and other
commands do not pay for SQLAlchemy and Alembic at start-up.
"""

from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from benchgen.errors import UsageError

console = Console()

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
sessions_app = typer.Typer(help="Generation sessions.", no_args_is_help=True)
benchmarks_app = typer.Typer(help="Stored benchmarks.", no_args_is_help=True)

LimitOption = Annotated[int, typer.Option(min=1, help="Show at most this many rows, newest first.")]


def short_time(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def list_time(value) -> str:
    """A list row's time: date and minute on two lines, so the column stays narrow."""
    return value.strftime("%Y-%m-%d\n%H:%M")


THEME_RATIO = 3  # the theme column takes this many shares of the room left by the fixed columns


def list_table(title: str, columns: dict[str, bool], caption: str | None = None) -> Table:
    """A listing that fits 80 columns: a rule under the header, no borders, long cells wrap at spaces.

    `columns` maps each header to whether its cells may wrap; short cells (ids from
    `benchgen.db.short_id`, statuses, numbers) should not, so the free text gets the room.
    """
    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))
    for column, wraps in columns.items():
        table.add_column(
            column, no_wrap=not wraps, overflow="fold", ratio=THEME_RATIO if column == "theme" else None
        )
    return table


def config(
    check: Annotated[
        bool, typer.Option("--check", help="Also connect to the database and the artifact store.")
    ] = False,
) -> None:
    """Print the effective settings (secrets masked) and where each comes from."""
    from benchgen.settings import config_file_path, get_settings, settings_rows

    settings = get_settings()
    config_file = config_file_path()
    table = Table(title=f"benchgen settings (config file: {config_file or 'none'})")
    table.add_column("setting")
    table.add_column("value", overflow="fold")
    table.add_column("source")
    for row in settings_rows(settings):
        table.add_row(row.name, row.value, row.source)
    console.print(table)
    if check:
        from benchgen.db import create_engine as create_db_engine
        from benchgen.db import current_revision, head_revision
        from benchgen.store import ArtifactStore

        engine = create_db_engine(settings.resolved_database_url)
        revision = current_revision(engine)
        engine.dispose()
        console.print(
            f"database: reachable, at migration {revision or 'none'} (benchgen needs {head_revision()})"
        )
        ArtifactStore.from_settings(settings).check()
        console.print(f"store: reachable at {settings.resolved_store_url}")


@db_app.command("upgrade")
def db_upgrade(
    url: Annotated[
        str | None, typer.Option(help="Database URL; default: BENCHGEN_DATABASE_URL or the SQLite file.")
    ] = None,
) -> None:
    """Apply all migrations to the database (safe to repeat)."""
    from benchgen.db import upgrade
    from benchgen.settings import get_settings, mask_url

    target = url or get_settings().resolved_database_url
    revision = upgrade(target)
    console.print(f"database {mask_url(target)} is at migration {revision}")


@sessions_app.command("list")
def sessions_list(
    theme: Annotated[str | None, typer.Option(help="Only sessions of this theme.")] = None,
    status: Annotated[str | None, typer.Option(help="Only sessions with this status, e.g. accepted.")] = None,
    limit: LimitOption = 50,
) -> None:
    """List generation sessions, newest first."""
    from benchgen.db import get_engine, list_sessions, short_id
    from benchgen.models import SessionStatus
    from benchgen.settings import get_settings

    wanted = None
    if status is not None:
        try:
            wanted = SessionStatus(status)
        except ValueError:
            raise UsageError(
                f"unknown status {status!r}; use one of {', '.join(s.value for s in SessionStatus)}"
            ) from None
    sessions = list_sessions(get_engine(get_settings()), theme=theme, status=wanted, limit=limit)
    table = list_table(
        f"{len(sessions)} generation session(s)",
        {
            "id": False,
            "theme": True,
            "status": False,
            "model": True,
            "tries": False,
            "tokens": True,
            "cost $": False,
            "created": False,
        },
        caption="tries: coder attempts/review rounds/plan rounds; tokens: in/out",
    )
    for s in sessions:
        table.add_row(
            short_id(s.id),
            s.theme,
            s.status.value,
            s.model if s.model == s.backend else f"{s.backend}:{s.model}",  # as `--model` takes it
            f"{s.coder_attempts}/{s.review_rounds}/{s.plan_rounds}",
            f"{s.input_tokens} / {s.output_tokens}",
            f"{s.cost_usd:.4f}",
            list_time(s.created_at),
        )
    console.print(table)


@benchmarks_app.command("list")
def benchmarks_list(
    theme: Annotated[str | None, typer.Option(help="Only benchmarks of this theme.")] = None,
    dataset_version: Annotated[
        str | None, typer.Option(help="Only benchmarks of this dataset version.")
    ] = None,
    limit: LimitOption = 50,
) -> None:
    """List stored benchmarks, newest first."""
    from benchgen.db import get_engine, list_assets, short_id
    from benchgen.settings import get_settings

    assets = list_assets(
        get_engine(get_settings()), theme=theme, dataset_version=dataset_version, limit=limit
    )
    table = list_table(
        f"{len(assets)} benchmark(s)",
        {
            "id": False,
            "dataset": True,
            "theme": True,
            "family": True,
            "difficulty": True,
            "ok": False,
            "created": False,
        },
        caption="ok: variants validated ok/variants",
    )
    for a in assets:
        table.add_row(
            short_id(a.benchmark_id),
            a.dataset_version,
            a.theme,
            a.family,
            f"{a.difficulty_score:.2f} {a.tier.value}",
            f"{sum(v.ok for v in a.variants)}/{len(a.variants)}",
            list_time(a.created_at),
        )
    console.print(table)


@benchmarks_app.command("show")
def benchmarks_show(
    benchmark_id: Annotated[
        str, typer.Argument(metavar="ID", help="Benchmark id, or its first hex digits as lists show them.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole record as JSON.")] = False,
) -> None:
    """Show one benchmark: files, scenario zones, variants and metadata."""
    from benchgen.db import get_asset, get_engine, resolve_id
    from benchgen.models import BenchmarkAsset
    from benchgen.settings import get_settings

    engine = get_engine(get_settings())
    asset = get_asset(engine, resolve_id(engine, BenchmarkAsset, benchmark_id))
    if as_json:
        typer.echo(asset.model_dump_json(indent=2))
        return
    spec = asset.definition
    details = Table(title=f"benchmark {asset.benchmark_id}", show_header=False)
    details.add_column("field")
    details.add_column("value", overflow="fold")
    rows = {
        "dataset version": asset.dataset_version,
        "theme": asset.theme,
        "family": asset.family,
        "session": str(asset.session_id or ""),
        "difficulty": f"{asset.difficulty_score:.2f} ({asset.tier.value})",
        "tags": ", ".join(asset.meta.tags),
        "script": f"{asset.script_url} (sha256 {asset.script_sha256})",
        "mjcf": asset.mjcf_url or "",
        "preview": asset.preview_url or "",
        "fixtures": ", ".join(f"{f.label} ({f.material})" for f in spec.fixtures),
        "payload": f"{spec.payload.size_label} {spec.payload.material} at {spec.payload.start} +- {spec.payload.jitter}",
        "goal": f"{spec.goal.min} .. {spec.goal.max}",
        "forbid": "; ".join(f"{z.name or '-'}: {z.min} .. {z.max}" for z in spec.forbid),
        "build zone": f"{spec.build_zone.min} .. {spec.build_zone.max}",
        "bounds": f"{spec.bounds.min} .. {spec.bounds.max}",
        "created": short_time(asset.created_at),
    }
    for name, value in rows.items():
        details.add_row(name, value)
    console.print(details)
    variants = Table(title="variants")
    for column in ("seed", "scale", "ok", "settle s", "drift mm"):
        variants.add_column(column)
    for v in asset.variants:
        settle = v.metrics.settle_time_s
        drift = v.metrics.final_drift_mm
        variants.add_row(
            str(v.seed),
            f"{v.scale:g}",
            "yes" if v.ok else "no",
            "" if settle is None else f"{settle:.2f}",
            "" if drift is None else f"{drift:.1f}",
        )
    console.print(variants)


def register(app: typer.Typer) -> None:
    app.command("config")(config)
    app.add_typer(db_app, name="db")
    app.add_typer(sessions_app, name="sessions")
    app.add_typer(benchmarks_app, name="benchmarks")
