"""The SQL database: engines, Alembic migrations run from the installed package, and small repository functions."""

import fcntl
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, col, select

from benchgen.errors import BenchgenError, ConfigError, DatabaseError, NotFoundError, UsageError
from benchgen.models import BenchmarkAsset, GenerationSession, SessionStatus, utc_now
from benchgen.settings import Settings, check_database_url, mask_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT_S = 5  # seconds to wait for a PostgreSQL server before reporting it unreachable
DEFAULT_LIST_LIMIT = 50  # rows returned by the list functions unless asked otherwise
SHORT_ID_DIGITS = 8  # leading hex digits of an id shown in tables; unique among millions of records
MIN_ID_PREFIX_DIGITS = 4  # fewer leading digits than this are refused as too ambiguous to look up
ID_PREFIX = re.compile(r"[0-9a-f]+")

# Alembic's `context` and `op` are module-level proxies: two migrations in one process must not overlap.
MIGRATION_THREAD_LOCK = threading.Lock()


class DuplicateBenchmarkError(BenchgenError):
    """A benchmark with the same script sha256 already exists in this dataset version."""


def database_url_of(settings_or_url: Settings | str) -> str:
    if isinstance(settings_or_url, Settings):
        return settings_or_url.resolved_database_url
    try:
        return check_database_url(settings_or_url)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str) -> Engine:
    """An engine with benchgen's connection options; SQLite files get their folder created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        if not in_memory:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # One shared connection for an in-memory database, or each connection would see an empty one.
        pool = {"poolclass": StaticPool} if in_memory else {}
        engine = sa.create_engine(url, connect_args={"check_same_thread": False}, **pool)
        sa.event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})


def unreachable(url: str, exc: OperationalError) -> DatabaseError:
    """One line naming the server and what to check, from a driver's connection error."""
    parsed = make_url(url)
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
    if parsed.get_backend_name() == "sqlite":
        return DatabaseError(
            f"cannot open SQLite database {parsed.database!r}: {reason}; "
            "check that the folder exists and is writable (BENCHGEN_DATA_DIR / BENCHGEN_DATABASE_URL)"
        )
    return DatabaseError(
        f"cannot reach database {mask_url(url)!r} at {parsed.host or 'localhost'}:{parsed.port or 5432}: "
        f"{reason}; check that the server is running and accepts connections, and that "
        "BENCHGEN_DATABASE_URL has the right host, port, user, password and database"
    )


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """Open a connection, turning connection failures into DatabaseError."""
    url = engine.url.render_as_string(hide_password=False)
    try:
        connection = engine.connect()
    except OperationalError as exc:
        raise unreachable(url, exc) from None
    with connection:
        yield connection


def alembic_config(url: str) -> Config:
    """An Alembic config built in code, pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, f"no migrations found in {MIGRATIONS_DIR}"
    return head


def current_revision(engine: Engine) -> str | None:
    with connect(engine) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Apply migrations through this engine's own connection (so in-memory SQLite works too)."""
    with MIGRATION_THREAD_LOCK, connect(engine) as connection:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()


def upgrade(settings_or_url: Settings | str, revision: str = "head") -> str:
    """Apply migrations up to `revision`; return the revision the database is at afterwards."""
    engine = create_engine(database_url_of(settings_or_url))
    try:
        migrate(engine, revision)
        return current_revision(engine) or ""
    finally:
        engine.dispose()


@contextmanager
def sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    """Serialize first-use migrations of one SQLite file across processes and threads (parallel tasks)."""
    database = engine.url.database
    if database in (None, "", ":memory:"):
        yield
        return
    with open(f"{database}.migrate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def get_engine(settings_or_url: Settings | str) -> Engine:
    """An engine for a migrated database. A SQLite file is created or upgraded on first use;
    any other database must have been upgraded with `benchgen db upgrade`."""
    url = database_url_of(settings_or_url)
    engine = create_engine(url)
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return engine
    if engine.dialect.name == "sqlite":
        with sqlite_migration_lock(engine):
            if current_revision(engine) != head:  # another process may have migrated while we waited
                migrate(engine)
        return engine
    engine.dispose()
    raise DatabaseError(
        f"database {mask_url(url)!r} is at migration {current or 'none'}, benchgen needs {head}; "
        "run `benchgen db upgrade`"
    )


Record = TypeVar("Record", GenerationSession, BenchmarkAsset)


def _save(engine: Engine, record: Record) -> Record:
    with Session(engine, expire_on_commit=False) as db:
        merged = db.merge(record)
        db.commit()
        return merged


def save_session(engine: Engine, session: GenerationSession) -> GenerationSession:
    """Insert or update a session, stamping `updated_at`."""
    session.updated_at = utc_now()
    return _save(engine, session)


def _get(engine: Engine, model: type[Record], record_id: uuid.UUID, missing: str) -> Record:
    with Session(engine) as db:
        found = db.get(model, record_id)
    if found is None:
        raise NotFoundError(missing)
    return found


def short_id(record_id: uuid.UUID) -> str:
    """The leading hex digits of an id that tables show; `resolve_id` takes them back."""
    return record_id.hex[:SHORT_ID_DIGITS]


def resolve_id(engine: Engine, model: type[Record], text: str) -> uuid.UUID:
    """A full id, or the one record whose id starts with the hex digits `text` (as tables show them)."""
    what, command = ("session", "sessions") if model is GenerationSession else ("benchmark", "benchmarks")
    try:
        return uuid.UUID(text)
    except ValueError:
        pass
    prefix = text.strip().lower().replace("-", "")
    if len(prefix) < MIN_ID_PREFIX_DIGITS or not ID_PREFIX.fullmatch(prefix):
        raise UsageError(
            f"{text!r} is not a {what} id; give the id or at least its first {MIN_ID_PREFIX_DIGITS} hex "
            f"digits, as `benchgen {command} list` shows them"
        )
    key = model.id if model is GenerationSession else model.benchmark_id
    digits = sa.func.replace(sa.cast(key, sa.String), "-", "")  # PostgreSQL's text form has dashes
    query = select(key).where(sa.func.lower(digits).like(f"{prefix}%")).limit(2)
    with Session(engine) as db:
        found = [v if isinstance(v, uuid.UUID) else uuid.UUID(str(v)) for v in db.exec(query)]
    if not found:
        raise NotFoundError(f"no {what} id starts with {text!r}; list them with `benchgen {command} list`")
    if len(found) > 1:
        raise UsageError(
            f"{text!r} starts more than one {what} id ({', '.join(map(str, found))}); give more digits"
        )
    return found[0]


def get_session(engine: Engine, session_id: uuid.UUID) -> GenerationSession:
    return _get(
        engine,
        GenerationSession,
        session_id,
        f"no generation session with id {session_id}; list them with `benchgen sessions list`",
    )


def list_sessions(
    engine: Engine,
    *,
    theme: str | None = None,
    status: SessionStatus | None = None,
    limit: int = DEFAULT_LIST_LIMIT,
) -> list[GenerationSession]:
    """Newest first."""
    query = select(GenerationSession).order_by(col(GenerationSession.created_at).desc()).limit(limit)
    if theme is not None:
        query = query.where(GenerationSession.theme == theme)
    if status is not None:
        query = query.where(GenerationSession.status == status)
    with Session(engine) as db:
        return list(db.exec(query))


def unfinished_sessions(engine: Engine) -> list[GenerationSession]:
    """Sessions not (yet) accepted, rejected or failed: running, resumable, or abandoned by a dead process."""
    final = [status for status in SessionStatus if status.is_final]
    query = select(GenerationSession).where(col(GenerationSession.status).not_in(final))
    with Session(engine) as db:
        return list(db.exec(query))


def save_asset(engine: Engine, asset: BenchmarkAsset) -> BenchmarkAsset:
    """Insert or update a benchmark; a second script with the same sha256 in one dataset version is refused."""
    try:
        return _save(engine, asset)
    except IntegrityError as exc:
        if "script_sha256" in str(exc.orig) or "uq_benchmark_asset_version_script" in str(exc.orig):
            raise DuplicateBenchmarkError(
                f"dataset version {asset.dataset_version!r} already holds a benchmark with script sha256 "
                f"{asset.script_sha256[:12]}...; skip this duplicate or use a new dataset version"
            ) from None
        raise DatabaseError(
            f"cannot save benchmark {asset.benchmark_id}: {str(exc.orig).splitlines()[0]}; "
            "check that its session_id names a saved session"
        ) from None


def get_asset(engine: Engine, benchmark_id: uuid.UUID) -> BenchmarkAsset:
    return _get(
        engine,
        BenchmarkAsset,
        benchmark_id,
        f"no benchmark with id {benchmark_id}; list them with `benchgen benchmarks list`",
    )


def list_assets(
    engine: Engine,
    *,
    theme: str | None = None,
    dataset_version: str | None = None,
    limit: int | None = DEFAULT_LIST_LIMIT,
) -> list[BenchmarkAsset]:
    """Newest first; `limit=None` returns all (e.g. to export a dataset version)."""
    query = select(BenchmarkAsset).order_by(col(BenchmarkAsset.created_at).desc())
    if theme is not None:
        query = query.where(BenchmarkAsset.theme == theme)
    if dataset_version is not None:
        query = query.where(BenchmarkAsset.dataset_version == dataset_version)
    if limit is not None:
        query = query.limit(limit)
    with Session(engine) as db:
        return list(db.exec(query))
