"""Migrations and repository functions against a fresh SQLite file and a fresh PostgreSQL 15 database."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from benchgen.db import (
    DuplicateBenchmarkError,
    current_revision,
    get_asset,
    get_engine,
    get_session,
    head_revision,
    list_assets,
    list_sessions,
    save_asset,
    save_session,
    unfinished_sessions,
    upgrade,
)
from benchgen.errors import ConfigError, DatabaseError, NotFoundError
from benchgen.models import JournalEntry, SessionStatus, ValidationAttempt
from benchgen.validation.report import ValidationReport


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> str:
    """A fresh, empty database of each supported kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return request.getfixturevalue("fresh_postgres_url")


def test_upgrade_creates_schema_matching_the_models(database_url):
    assert upgrade(database_url) == head_revision()
    assert upgrade(database_url) == head_revision()  # idempotent
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
        tables = set(sa.inspect(connection).get_table_names())
    engine.dispose()
    assert {"generation_session", "benchmark_asset", "alembic_version"} <= tables


def test_sessions_round_trip(database_url, make_session):
    upgrade(database_url)
    engine = get_engine(database_url)
    report = ValidationReport(
        script="gap.py", ok=False, failures=[{"code": "TIMEOUT", "message": "slow", "seed": 0}]
    )
    session = make_session(plan_rounds=1, validation_logs=[{"attempt": 1, "report": report}])
    saved = save_session(engine, session)
    saved.status = SessionStatus.ACCEPTED
    saved.journal = [*saved.journal, JournalEntry(stage="review", message="approved")]
    save_session(engine, saved)

    loaded = get_session(engine, session.id)
    assert loaded.status is SessionStatus.ACCEPTED
    assert loaded.validation_logs == [ValidationAttempt(attempt=1, report=report)]
    assert loaded.journal[0].message == "approved"
    assert loaded.created_at == session.created_at
    assert loaded.updated_at >= loaded.created_at
    assert [s.id for s in list_sessions(engine, status=SessionStatus.ACCEPTED)] == [session.id]
    assert list_sessions(engine, theme="another theme") == []
    engine.dispose()


def test_unfinished_sessions_are_those_not_accepted_rejected_or_failed(database_url, make_session):
    upgrade(database_url)
    engine = get_engine(database_url)
    saved = {status: save_session(engine, make_session(status=status)).id for status in SessionStatus}
    unfinished = {row.id for row in unfinished_sessions(engine)}
    engine.dispose()
    assert unfinished == {saved[status] for status in SessionStatus if not status.is_final}


def test_assets_round_trip_and_unique_script_per_version(database_url, make_session, make_asset):
    upgrade(database_url)
    engine = get_engine(database_url)
    session = save_session(engine, make_session())
    first = save_asset(
        engine,
        make_asset(
            session_id=session.id,
            provenance={"seeds": [0, 1], "scales": [1.0]},
            variants=[{"seed": 1, "scale": 1.0, "ok": False, "failure_codes": ["NOT_SETTLED"]}],
        ),
    )
    other_version = save_asset(engine, make_asset(dataset_version="v2", theme="ramp"))

    loaded = get_asset(engine, first.benchmark_id)
    assert loaded == first
    assert loaded.definition.payload.radius == 20
    assert loaded.provenance.seeds == [0, 1] and loaded.variants[0].failure_codes == ["NOT_SETTLED"]
    assert [a.benchmark_id for a in list_assets(engine, dataset_version="v1")] == [first.benchmark_id]
    assert [a.benchmark_id for a in list_assets(engine, theme="ramp")] == [other_version.benchmark_id]
    with pytest.raises(DuplicateBenchmarkError, match="dataset version 'v1' already holds a benchmark"):
        save_asset(engine, make_asset())
    engine.dispose()


def test_get_engine_upgrades_a_fresh_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'sub' / 'auto.db'}"
    engine = get_engine(url)
    assert current_revision(engine) == head_revision()
    with pytest.raises(NotFoundError, match="no benchmark with id"):
        get_asset(engine, uuid.uuid4())
    engine.dispose()


def test_get_engine_refuses_an_unmigrated_postgres(fresh_postgres_url):
    with pytest.raises(
        DatabaseError, match="is at migration none, benchgen needs .*run `benchgen db upgrade`"
    ):
        get_engine(fresh_postgres_url)


def test_unreachable_postgres_is_one_clear_line():
    with pytest.raises(DatabaseError) as caught:
        upgrade("postgresql+psycopg://bench:secret@127.0.0.1:1/bench")
    message = str(caught.value)
    assert "\n" not in message
    assert (
        "127.0.0.1:1" in message and "secret" not in message and "check that the server is running" in message
    )


def test_malformed_database_url_is_a_config_error():
    with pytest.raises(ConfigError, match="malformed database URL 'not a url'"):
        upgrade("not a url")
    with pytest.raises(ConfigError, match="unsupported database backend 'mysql'"):
        get_engine("mysql://u@h/db")


def test_asset_with_unknown_session_is_refused(tmp_path, make_asset):
    engine = get_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    with pytest.raises(DatabaseError, match="check that its session_id names a saved session"):
        save_asset(engine, make_asset(session_id=uuid.uuid4()))
    engine.dispose()


def test_in_memory_sqlite_is_migrated_on_first_use(make_session):
    engine = get_engine("sqlite://")
    session = save_session(engine, make_session())
    assert get_session(engine, session.id).theme == session.theme
    engine.dispose()


def test_parallel_first_use_of_one_sqlite_file_migrates_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with ThreadPoolExecutor(max_workers=4) as pool:
        engines = list(pool.map(lambda _: get_engine(url), range(4)))
    assert {current_revision(engine) for engine in engines} == {head_revision()}
    for engine in engines:
        engine.dispose()
