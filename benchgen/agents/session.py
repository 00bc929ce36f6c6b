"""Run one generation session end to end: roles from a backend, real tools, a checkpointer on the database."""

import logging
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Engine, make_url

from benchgen import db, decisions, tracing
from benchgen.agents import lessons as lessons_module
from benchgen.agents import schemas, state
from benchgen.agents.context import GeneratorContext
from benchgen.agents.graph import GraphTools, Roles, build_graph
from benchgen.agents.lessons import LessonStore
from benchgen.agents.llm import ModelConfig, llm_roles
from benchgen.agents.recorder import SessionRecorder
from benchgen.agents.schemas import ScriptDraft, SessionOutcome
from benchgen.agents.transport import ModelUnavailable, ModelUnreachable
from benchgen.codes import FailureCode
from benchgen.contract import WITNESS_FILE
from benchgen.errors import BenchgenError, ConfigError, NotFoundError, UsageError
from benchgen.models import Provenance, SessionStatus
from benchgen.offline.repair_state import RepairMove
from benchgen.offline.roles import offline_roles
from benchgen.render import types as render_types
from benchgen.settings import Settings
from benchgen.validation import report as report_module
from benchgen.validation.report import ValidationReport

if TYPE_CHECKING:
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg import Connection

log = logging.getLogger(__name__)

OFFLINE = "offline"
RENDERS_FOLDER_NAME = "renders"  # in the data folder: renders/<session id>/attempt_<n>/
ACCEPTED_FOLDER_NAME = "sessions"  # in the data folder: sessions/<session id>/scenario.py
SCRIPT_NAME = "scenario.py"  # how drafts are named in reports, renders and the accepted folder
CHECKPOINT_SETUP_LOCK = 0x62656E63  # PostgreSQL advisory lock key held while LangGraph's setup runs
CHECKPOINT_SETUP_POLL_S = 0.2  # s between attempts to take that lock

# The model server stayed unavailable past the retry layer: the session stops where it is, resumable.
MODEL_OUTAGES: tuple[type[BaseException], ...] = (ModelUnavailable, ModelUnreachable)
# Types stored in checkpoints, allowed back on load (LangGraph refuses or warns on unlisted types).
CHECKPOINT_TYPES: tuple[type, ...] = (
    decisions.Plan,
    schemas.ScriptDraft,
    decisions.ReviewDecision,
    decisions.ReviewVerdict,
    decisions.TokenUsage,
    report_module.ValidationReport,
    report_module.Solvability,
    render_types.RenderBundle,
    state.AttemptEntry,
    state.AttemptStage,
    state.StopKind,
    lessons_module.Lesson,
    FailureCode,
    RepairMove,
)


class SessionInterrupted(BenchgenError):
    """The model server failed mid-session; the session keeps its checkpoint and can be resumed."""

    def __init__(self, message: str, session_id: UUID) -> None:
        super().__init__(message)
        self.session_id = session_id

    def __reduce__(self):  # Prefect pickles a failed task's exception: keep the session id
        return (type(self), (str(self), self.session_id))


class OfflineBackend(BaseModel):
    """The procedural roles of `benchgen.offline`: no model, no network, no tokens."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["offline"] = OFFLINE


Backend = OfflineBackend | ModelConfig


def backend_from_options(
    model: str,
    settings: Settings,
    base_url: str | None = None,
    images: bool | None = None,
    prices: tuple[float, float] = (0.0, 0.0),
) -> Backend:
    """'offline' or a 'provider:name' model string, with the key from the settings (or the provider's env).

    `prices` are (input, output) USD per million tokens, for the session's cost.
    """
    if model == OFFLINE:
        if base_url:
            raise UsageError("--base-url only applies to an LLM model, not to the offline backend")
        return OfflineBackend()
    return ModelConfig(
        model=model,
        base_url=base_url or settings.llm_base_url,
        api_key=settings.llm_api_key,
        supports_images=images,
        input_price_per_mtok=prices[0],
        output_price_per_mtok=prices[1],
    )


def backend_names(backend: Backend) -> tuple[str, str]:
    """(backend, model) as the session row stores them, e.g. ('openai', 'openai:gpt-4o')."""
    if isinstance(backend, OfflineBackend):
        return OFFLINE, OFFLINE
    return backend.model.split(":", 1)[0], backend.model


def roles_for(backend: Backend, *, check_access: bool = True) -> Roles:
    """The backend's roles; for a model, first one small request that fails fast on a wrong key, model
    or URL."""
    if isinstance(backend, OfflineBackend):
        planner, coder, reviewer = offline_roles()
        return Roles(planner=planner, coder=coder, reviewer=reviewer)
    planner, coder, reviewer = llm_roles(backend)
    if check_access:
        planner.client.check()
    return Roles(planner=planner, coder=coder, reviewer=reviewer)


@contextmanager
def real_tools(settings: Settings) -> Iterator[GraphTools]:
    """Sandboxed validation and MuJoCo rendering sharing one warm sandbox runner for the whole session."""
    # Imported here: they load build123d and MuJoCo, which the CLI must not pay for on every command.
    from benchgen.evaluation.render import WITNESS_CLIP_FILE, WITNESS_STRIP_FILE, witness_clip, witness_strip
    from benchgen.render.bundle import render_bundle
    from benchgen.sandbox.pool import warm_runner
    from benchgen.validation.validator import validate_source
    from benchgen.validation.witness import Witness, validate_with_witness

    with warm_runner() as runner:

        def validate(
            source: str, witness: str | None, seeds, scales, require_witness: bool
        ) -> ValidationReport:
            given = Witness(name=WITNESS_FILE, source=witness) if witness is not None else None
            return validate_with_witness(
                source, SCRIPT_NAME, seeds, scales, given, required=require_witness, runner=runner
            )

        def render(
            source: str,
            witness: str | None,
            seed: int,
            scale: float,
            out_dir: Path,
            report: ValidationReport,
            film_witness: bool,
        ) -> render_types.RenderBundle:
            variant = report.variant(seed, scale)
            if variant is None or variant.built is None:  # a report restored from a checkpoint keeps no build
                variant = validate_source(source, SCRIPT_NAME, [seed], [scale], runner=runner).variants[0]
                report = report.model_copy(update={"variants": [variant]})
            # No settle clip: the Reviewer reads the still views and the contact sheet.
            bundle = render_bundle(
                source, report, seed, scale, out_dir, script_name=SCRIPT_NAME, clip_seconds=None
            )
            if not film_witness or witness is None:
                return bundle
            clip = witness_clip(source, witness, seed, scale, built_alone=variant.built)
            if clip is None:
                return bundle.model_copy(
                    update={"notes": [*bundle.notes, "the witness's run could not be filmed"]}
                )
            clip_path = out_dir / WITNESS_CLIP_FILE
            clip_path.write_bytes(clip)
            strip = witness_strip(clip, out_dir / WITNESS_STRIP_FILE)
            return bundle.model_copy(update={"witness_clip": clip_path, "witness_strip": strip})

        yield GraphTools(
            validate=validate, render=render, render_dir=settings.resolved_data_dir / RENDERS_FOLDER_NAME
        )


def checkpoint_serializer() -> JsonPlusSerializer:
    return JsonPlusSerializer(allowed_msgpack_modules=[(t.__module__, t.__name__) for t in CHECKPOINT_TYPES])


@contextmanager
def open_checkpointer(database_url: str) -> Iterator[BaseCheckpointSaver]:
    """LangGraph's saver on the session database: SqliteSaver for sqlite URLs, PostgresSaver for postgresql."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ConfigError(
                "checkpoints need a SQLite file, not an in-memory database; set BENCHGEN_DATABASE_URL"
            )
        from langgraph.checkpoint.sqlite import SqliteSaver

        connection = sqlite3.connect(url.database, check_same_thread=False)
        try:
            saver = SqliteSaver(connection, serde=checkpoint_serializer())
            saver.setup()
            yield saver
        finally:
            connection.close()
    elif backend == "postgresql":
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg import Connection
        from psycopg.rows import dict_row

        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with Connection.connect(
            plain, autocommit=True, prepare_threshold=0, row_factory=dict_row
        ) as connection:
            saver = PostgresSaver(connection, serde=checkpoint_serializer())
            setup_postgres_checkpoints(saver, connection)
            yield saver
    else:
        raise ConfigError(
            f"no LangGraph checkpointer for database backend {backend!r}; use sqlite or postgresql"
        )


def setup_postgres_checkpoints(saver: "PostgresSaver", connection: "Connection") -> None:
    """Run LangGraph's checkpoint migrations, one process at a time.

    Two flow runs starting together on a fresh database would both insert the same migration rows
    (UniqueViolation). The lock is polled: waiting on it would deadlock with the migrations'
    CREATE INDEX CONCURRENTLY, which waits for every other open transaction.
    """
    while not connection.execute(
        "SELECT pg_try_advisory_lock(%s) AS held", (CHECKPOINT_SETUP_LOCK,)
    ).fetchone()["held"]:
        time.sleep(CHECKPOINT_SETUP_POLL_S)
    try:
        saver.setup()
    finally:
        connection.execute("SELECT pg_advisory_unlock(%s)", (CHECKPOINT_SETUP_LOCK,))


ProgressCallback = Callable[[str, str], None]
"""Called after each node with (node name, what it did)."""


@dataclass(frozen=True)
class SessionOptions:
    """What a caller may swap out: tests inject fake-model roles and interruption points, the CLI progress."""

    context: GeneratorContext = field(default_factory=GeneratorContext)
    roles: Roles | None = None
    tools: GraphTools | None = None
    interrupt_before: list[str] | None = None
    on_progress: ProgressCallback | None = None
    resumable: bool = True
    """False (the flow): a model outage ends the session `failed` instead of leaving it to --resume."""
    run_id: str | None = None
    """The flow's task run starting the session, kept in its provenance (see `fail_abandoned_sessions`)."""


def run_session(
    theme: str | None,
    seed: int,
    *,
    backend: Backend,
    settings: Settings,
    resume: UUID | None = None,
    options: SessionOptions = SessionOptions(),
) -> SessionOutcome:
    """Start a session for `theme` (or continue session `resume` from its last completed node)."""
    if resume is None and (not theme or not theme.strip()):
        raise UsageError("give a theme, e.g. --theme 'ball must cross a gap', or --resume SESSION_ID")
    engine = db.get_engine(settings)
    try:
        return _run_session(engine, theme, seed, backend, settings, resume, options)
    finally:
        engine.dispose()


def _run_session(
    engine: Engine,
    theme: str | None,
    seed: int,
    backend: Backend,
    settings: Settings,
    resume: UUID | None,
    options: SessionOptions,
) -> SessionOutcome:
    recorder = SessionRecorder(engine)
    store = LessonStore(settings.resolved_data_dir)
    context = options.context
    roles = options.roles or roles_for(backend)
    if resume is None:
        assert theme is not None, "run_session checked the theme"
        session_id = uuid.uuid4()
        backend_name, model_name = backend_names(backend)
        provenance = Provenance(
            seeds=list(context.validation_seeds),
            scales=list(context.validation_scales),
            run_id=options.run_id,
        )
        recorder.create(session_id, theme, backend_name, model_name, provenance)
        graph_input: Any = state.GeneratorInput(
            session_id=session_id, theme=theme, seed=seed, lessons=store.for_prompt()
        )
    else:
        session_id = resume
        graph_input = None
        if db.get_session(engine, session_id).status.is_final:
            raise UsageError(f"session {session_id} has already finished; start a new one with --theme")
    config: dict[str, Any] = {"configurable": {"thread_id": str(session_id)}}
    traced_theme = theme if resume is None else db.get_session(engine, session_id).theme
    try:
        final = _run_graph(graph_input, config, session_id, traced_theme, roles, recorder, settings, options)
    except MODEL_OUTAGES as exc:
        cause = f"the model failed ({type(exc).__name__}: {exc})"
        if not options.resumable:
            _record_failure(recorder, session_id, cause)
            raise
        recorder.note(session_id, f"stopped: {cause}; resumable")
        raise SessionInterrupted(
            f"session {session_id} stopped: {cause}; fix the cause and continue with --resume {session_id}",
            session_id,
        ) from exc
    except Exception as exc:
        _record_failure(recorder, session_id, f"{type(exc).__name__}: {exc}")
        raise
    row = db.get_session(engine, session_id)
    if row.status.is_final:  # an interrupted session adds its lessons when it finishes
        store.add(final.learned)
    accepted = row.status is SessionStatus.ACCEPTED and final.draft is not None
    return SessionOutcome(
        theme=final.theme,
        seed=final.seed,
        session_id=session_id,
        status=row.status,
        reason=final.stop_reason,
        family=final.plan.family if final.plan else None,
        script=final.draft.source if accepted else None,
        witness=final.draft.witness if accepted else None,
        report=final.report,
        script_path=_write_accepted(settings, session_id, final.draft) if accepted else None,
        usage=final.usage,
    )


def _run_graph(
    graph_input: Any,
    config: dict[str, Any],
    session_id: UUID,
    theme: str,
    roles: Roles,
    recorder: SessionRecorder,
    settings: Settings,
    options: SessionOptions,
) -> state.BenchmarkGeneratorState:
    """Stream the graph to its end (or to an interruption point) and return the final state."""
    resume = graph_input is None
    with (
        tracing.traced_session(config, session_id, theme) as traced,
        open_checkpointer(settings.resolved_database_url) as saver,
        _tools(options, settings) as tools,
    ):
        graph = build_graph(
            roles, tools, recorder, checkpointer=saver, interrupt_before=options.interrupt_before
        )
        if resume and not graph.get_state(traced).values:
            raise NotFoundError(f"session {session_id} has no checkpoint to resume from; start a new one")
        validated = None  # the last report as the validate node made it, builds included
        for update in graph.stream(graph_input, traced, context=options.context, stream_mode="updates"):
            _report_progress(update, options.on_progress)
            validated = (update.get("validate") or {}).get("report", validated)
        final = state.BenchmarkGeneratorState(**graph.get_state(traced).values)
        if (
            validated is not None
            and final.report is not None
            and validated.model_dump() == final.report.model_dump()
        ):
            final = replace(final, report=validated)  # the checkpoint's copy kept no builds
        return final


def _record_failure(recorder: SessionRecorder, session_id: UUID, cause: str) -> None:
    """Mark the session `failed` with the cause; a database that is itself the cause is only logged."""
    try:
        recorder.fail(session_id, cause)
    except Exception as exc:  # noqa: BLE001  (the original error is what the caller must see)
        log.error(
            "could not mark session %s failed (%s: %s); cause: %s", session_id, type(exc).__name__, exc, cause
        )


def fail_abandoned_sessions(settings: Settings, causes: Mapping[str, str]) -> dict[UUID, str]:
    """Mark `failed` every unfinished session started by one of these ended runs (run id -> cause), with
    its run's cause: once its run has ended, a session still unfinished lost its process. The ones marked."""
    engine = db.get_engine(settings)
    try:
        recorder = SessionRecorder(engine)
        marked = {}
        for row in db.unfinished_sessions(engine):
            cause = causes.get(row.provenance.run_id or "")
            if cause is not None:
                recorder.fail(row.id, cause)
                marked[row.id] = cause
        return marked
    finally:
        engine.dispose()


@contextmanager
def _tools(options: SessionOptions, settings: Settings) -> Iterator[GraphTools]:
    if options.tools is not None:
        yield options.tools
    else:
        with real_tools(settings) as tools:
            yield tools


def _report_progress(update: dict[str, Any], on_progress: ProgressCallback | None) -> None:
    if on_progress is None:
        return
    for node, values in update.items():
        if node.startswith("__"):  # LangGraph's own entries, e.g. __interrupt__
            continue
        messages = (values or {}).get("messages", []) if isinstance(values, dict) else []
        on_progress(node, messages[-1].content if messages else "")


def _write_accepted(settings: Settings, session_id: UUID, draft: ScriptDraft) -> Path:
    """Write the accepted script, and its witness beside it; return the script's path."""
    path = settings.resolved_data_dir / ACCEPTED_FOLDER_NAME / str(session_id) / SCRIPT_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(draft.source)
    if draft.witness is not None:
        (path.parent / WITNESS_FILE).write_text(draft.witness)
    return path
