"""What the gallery shows, read from a published dataset version and, when reachable, the session database.

The published version holds the index, variants, definitions, renders and scripts; review decisions,
journals and rejected candidates live only in the session database, so pages say when it was not reachable.
"""

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, Field
from sqlalchemy.engine import make_url

from benchgen import db
from benchgen.codes import FailureCode
from benchgen.contract import WITNESS_FILE
from benchgen.dataset.index import benchmark_folder
from benchgen.dataset.publish import Manifest
from benchgen.dataset.published import PublishedBenchmark, PublishedVersion
from benchgen.decisions import ReviewDecision
from benchgen.errors import DatabaseError, NotFoundError
from benchgen.evaluation.render import WITNESS_CLIP_FILE
from benchgen.kit.spec import ScenarioSpec
from benchgen.models import GenerationSession, JournalEntry, SessionStatus
from benchgen.render.bundle import CLIP_FILE, VIEWS_DIR
from benchgen.render.bundle import MANIFEST_FILE as RENDER_MANIFEST_FILE
from benchgen.settings import Settings

REVIEW_DIR = "review"  # the pipeline's folder of renders inside a benchmark folder
SESSIONS_FILE = "sessions.json"  # optional in a version: the sessions behind it (a SessionsFile)
# How pages name the session database: its kind only, never its URL, host or file (pages are published).
BACKEND_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
SESSION_QUERY_LIMIT = 10_000  # sessions read from the database when looking for a run's rejected candidates


class SessionRecord(BaseModel):
    """A generation session as the gallery shows it: outcome, review, failure codes and journal."""

    session_id: str
    theme: str
    family: str | None = Field(description="The plan's family, when the session got as far as a plan.")
    status: SessionStatus
    backend: str
    model: str
    reason: str | None
    coder_attempts: int
    review_rounds: int
    failure_codes: list[FailureCode] = Field(description="Codes of the last validation attempt, sorted.")
    review_decisions: list[ReviewDecision]
    journal: list[JournalEntry]
    created_at: datetime

    @classmethod
    def from_session(cls, session: GenerationSession) -> "SessionRecord":
        last = session.validation_logs[-1].report if session.validation_logs else None
        return cls(
            session_id=str(session.id),
            theme=session.theme,
            family=session.plan.family if session.plan else None,
            status=session.status,
            backend=session.backend,
            model=session.model,
            reason=session.reason,
            coder_attempts=session.coder_attempts,
            review_rounds=session.review_rounds,
            failure_codes=sorted(last.codes()) if last else [],
            review_decisions=session.review_decisions,
            journal=session.journal,
            created_at=as_utc(session.created_at),
        )


class SessionsFile(BaseModel):
    """`sessions.json`: the sessions behind a version's benchmarks and the run's rejected candidates.

    A pipeline that publishes it makes the gallery independent of the session database.
    """

    accepted: list[SessionRecord]
    rejected: list[SessionRecord]


class BenchmarkPage(PublishedBenchmark):
    """A published benchmark with what its gallery page shows: paths (relative to the version folder) of
    its files, its definition, script and session."""

    definition: ScenarioSpec
    script: str
    views: dict[str, str] = Field(description="View name -> path of its PNG.")
    sheet: str | None
    clip: str | None
    clip_camera: dict | None = Field(description="Camera of the clip view from render_manifest.json.")
    render_size: tuple[int, int] | None = Field(description="Pixels (width, height) of the published views.")
    render_notes: list[str]
    witness_clip: str | None = Field(description="The clip of the witness solving the nominal variant.")
    witness_file: str | None = Field(description="The witness's solution.py; absent when sealed or none.")
    session: SessionRecord | None


class DatasetRecord(BaseModel):
    """Everything the gallery of one dataset version needs."""

    url: str
    manifest: Manifest
    card: str
    benchmarks: list[BenchmarkPage]
    rejected: list[SessionRecord] = Field(
        description="Candidates of the same run that are not in the version."
    )
    sessions_note: str = Field(description="Where sessions were read from, or why they are missing.")


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; benchgen stores UTC, so naive means UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _benchmark_page(
    version: PublishedVersion, published: PublishedBenchmark, session: SessionRecord | None
) -> BenchmarkPage:
    row = published.row
    folder = benchmark_folder(row.benchmark_id)
    if row.definition_file is None or row.script_file is None:
        raise NotFoundError(
            f"benchmark {row.benchmark_id} of {version.url} has no definition or script in its index row"
        )
    views_folder = f"{folder}/{REVIEW_DIR}/{VIEWS_DIR}"
    views = {PurePosixPath(p).stem: p for p in version.paths_under(views_folder) if p.endswith(".png")}
    clip_path = f"{folder}/{REVIEW_DIR}/{CLIP_FILE}"
    witness_clip_path = f"{folder}/{REVIEW_DIR}/{WITNESS_CLIP_FILE}"
    witness_path = f"{folder}/{WITNESS_FILE}"
    render_manifest_path = f"{folder}/{REVIEW_DIR}/{RENDER_MANIFEST_FILE}"
    render_manifest = (
        json.loads(version.read(render_manifest_path)) if version.has(render_manifest_path) else {}
    )
    clip_camera = next(
        (v["camera"] for v in render_manifest.get("views", []) if v["name"] == "isometric"), None
    )
    return BenchmarkPage(
        row=row,
        variants=published.variants,
        definition=ScenarioSpec.model_validate_json(version.read(row.definition_file)),
        script=version.read(row.script_file).decode("utf-8"),
        views=views,
        sheet=row.preview_file,
        clip=clip_path if version.has(clip_path) else None,
        clip_camera=clip_camera,
        render_size=(render_manifest["width"], render_manifest["height"]) if render_manifest else None,
        render_notes=render_manifest.get("notes", []),
        witness_clip=witness_clip_path if version.has(witness_clip_path) and not row.witness_sealed else None,
        witness_file=witness_path if version.has(witness_path) else None,
        session=session,
    )


def _missing_sqlite_file(settings: Settings) -> str | None:
    """Why a SQLite session database cannot be read: reading must not create an empty one."""
    parsed = make_url(settings.resolved_database_url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return None if Path(parsed.database).is_file() else "no session database here (SQLite file missing)"


def sessions_file(
    settings: Settings, accepted_ids: list[uuid.UUID], rejected_ids: list[uuid.UUID]
) -> SessionsFile:
    """The `sessions.json` of a run from the session database (every id must name a saved session)."""
    engine = db.get_engine(settings)
    try:
        return SessionsFile(
            accepted=[SessionRecord.from_session(db.get_session(engine, sid)) for sid in accepted_ids],
            rejected=[SessionRecord.from_session(db.get_session(engine, sid)) for sid in rejected_ids],
        )
    finally:
        engine.dispose()


def _read_sessions(
    version: PublishedVersion,
    settings: Settings,
    accepted_ids: list[str],
    rejected_ids: list[uuid.UUID] | None,
) -> tuple[dict[str, SessionRecord], list[SessionRecord], str]:
    """(accepted sessions by id, rejected candidates, where they came from): the version's `sessions.json`,
    else the session database, else nothing with the reason."""
    if version.has(SESSIONS_FILE):
        published = SessionsFile.model_validate_json(version.read(SESSIONS_FILE))
        accepted = {s.session_id: s for s in published.accepted}
        return accepted, published.rejected, f"sessions read from the version's {SESSIONS_FILE}"
    missing = _missing_sqlite_file(settings)
    if missing is not None:
        return {}, [], f"{missing}: review decisions, journals and rejected candidates are not shown"
    try:
        engine = db.get_engine(settings)
    except DatabaseError:  # its message names the host: published pages must not
        return {}, [], "session database not reachable: review decisions and journals are not shown"
    try:
        known = {str(s.id): s for s in (_find_session(engine, sid) for sid in accepted_ids) if s is not None}
        accepted = {sid: SessionRecord.from_session(session) for sid, session in known.items()}
        if rejected_ids is not None:
            rejected = [SessionRecord.from_session(db.get_session(engine, sid)) for sid in rejected_ids]
        else:
            published_at = as_utc(version.manifest.published_at)
            rejected = _run_candidates(engine, accepted, version.manifest.themes, published_at)
    finally:
        engine.dispose()
    backend = make_url(settings.resolved_database_url).get_backend_name()
    kind = BACKEND_NAMES.get(backend, backend)
    return accepted, rejected, f"sessions read from the {kind} session database"


def _find_session(engine, session_id: str) -> GenerationSession | None:
    """The session row, or None for a benchmark recorded without one (its page says so)."""
    try:
        parsed = uuid.UUID(session_id)
    except ValueError:  # the index stores 'None' for a benchmark persisted without a session
        return None
    try:
        return db.get_session(engine, parsed)
    except NotFoundError:
        return None


def _run_candidates(
    engine, accepted: dict[str, SessionRecord], themes: list[str], published_at: datetime
) -> list[SessionRecord]:
    """Sessions of the dataset's themes from the run's first accepted session until publication that did
    not make it into the version (rejected, failed, or accepted but failing the dataset's variant grid)."""
    if not accepted:
        return []
    run_start = min(s.created_at for s in accepted.values())
    found = []
    for theme in themes:
        for session in db.list_sessions(engine, theme=theme, limit=SESSION_QUERY_LIMIT):
            created = as_utc(session.created_at)
            if run_start <= created <= published_at and str(session.id) not in accepted:
                found.append(SessionRecord.from_session(session))
    return sorted(found, key=lambda s: (s.theme, s.created_at))


def read_dataset(
    version: PublishedVersion, settings: Settings, rejected_session_ids: list[uuid.UUID] | None = None
) -> DatasetRecord:
    """Read a published version (checksums checked) and its sessions from the database when reachable."""
    published = version.benchmarks()
    sessions, rejected, note = _read_sessions(
        version, settings, [b.row.session_id for b in published], rejected_session_ids
    )
    benchmarks = [_benchmark_page(version, b, sessions.get(b.row.session_id)) for b in published]
    return DatasetRecord(
        url=version.url,
        manifest=version.manifest,
        card=version.card(),
        benchmarks=benchmarks,
        rejected=rejected,
        sessions_note=note,
    )
