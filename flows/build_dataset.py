"""Build one dataset version: generate -> validate -> render -> persist -> check (GX) -> publish.

Run the default small offline build with an ephemeral Prefect (no server needed):

    benchgen build          (or: python -m flows.build_dataset)

or a chosen one: `benchgen build --theme "ball must cross a gap" --seeds-per-theme 3 --version v2`.
With a Prefect server, deployments in prefect.yaml run the same flow.
"""

import argparse
import atexit
import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.blocks.core import Block
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.events.worker import EventsWorker
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.filesystems import LocalFileSystem, WritableFileSystem
from prefect.futures import PrefectFuture
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.settings import PREFECT_SERVER_ANALYTICS_ENABLED as ANALYTICS
from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as EPHEMERAL_STARTUP
from pydantic import ValidationError

from benchgen import pipeline
from benchgen.contract import SCALE_RANGE
from benchgen.dataset.gate import MIN_ACCEPTED_PER_THEME, MIN_DIFFICULTY_STDEV, GateError
from benchgen.dataset.index import FileKind, benchmark_folder
from benchgen.dataset.publish import CARD_FILE
from benchgen.errors import BenchgenError, UsageError
from benchgen.settings import Settings, get_settings
from benchgen.store import ArtifactStore
from benchgen.versions import current_versions
from tasks import build_steps
from tasks.faults import InfrastructureFault, fail_abandoned_sessions, infrastructure_cause
from tasks.policies import DEFAULT_LLM_SLOTS, DEFAULT_SANDBOX_SLOTS, LLM_CALLS_LIMIT, SANDBOX_WORKERS_LIMIT

RESULTS_FOLDER = "_prefect/results"  # under the store root: persisted task results and cache records
RESULTS_BLOCK_PREFIX = "benchgen-results"  # result storage blocks are saved as <prefix>-<hash of store URL>
DASK_ADDRESS_ENV = "BENCHGEN_DASK_ADDRESS"  # scheduler address; when set, tasks run on that Dask cluster
ARTIFACT_LINK_EXPIRY_S = 7 * 24 * 3600  # s; the longest S3 (SigV4) allows a presigned link to live
VERSION_DATE_FORMAT = "%Y.%m.%d"  # default version: the UTC date, so each nightly is a new version
EPHEMERAL_STARTUP_ENV = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
ANALYTICS_ENV = "PREFECT_SERVER_ANALYTICS_ENABLED"
HEARTBEAT_ENV = "PREFECT_FLOWS_HEARTBEAT_FREQUENCY"
HEARTBEAT = "flows.heartbeat_frequency"
EPHEMERAL_STARTUP_TIMEOUT_S = 120  # s; the temporary server needs more than Prefect's 20 s on a busy machine
USAGE_EXIT = 2  # exit status for a benchgen error, as the benchgen CLI uses
RECORDS_TIMEOUT_S = 10.0  # s the temporary server gets to record a finished run's task runs
RECORDS_QUIET_S = 0.5  # s without change in those records after which recording is taken as done
RECORDS_POLL_S = 0.1  # s between two reads of them
SERVER_GUARD = Path(__file__).with_name("server_guard.py")  # stops the temporary server if this job dies
# The command-line option of each flow parameter, for messages that name both.
PARAMETER_OPTIONS = {
    "themes": "--theme",
    "seeds_per_theme": "--seeds-per-theme",
    "variant_seeds": "--variant-seeds",
    "scales": "--scales",
    "model": "--model",
    "dataset_name": "--name",
    "dataset_version": "--version",
    "min_accepted_per_theme": "--min-accepted-per-theme",
    "min_difficulty_stdev": "--min-difficulty-stdev",
}
PARAMETER_HINTS = {
    ("model", "string_pattern_mismatch"): "give 'offline' or an LLM model as 'provider:name', e.g. openai:gpt-4o",
    ("dataset_name", "string_pattern_mismatch"): "use lower-case letters, digits, '.', '_' and '-'",
    ("dataset_version", "string_pattern_mismatch"): "use letters, digits, '.', '_' and '-'",
}


# --- setup ---------------------------------------------------------------------------------------------


def read_themes_file(themes_file: str) -> list[str]:
    """The themes of a file with one theme per line ('#' starts a comment); a file without any is an error."""
    path = Path(themes_file)
    if path.is_dir():
        raise UsageError(f"themes file {themes_file!r} is a directory; give a file with one theme per line")
    if not path.exists():
        raise UsageError(f"themes file {themes_file!r} does not exist; give a file with one theme per line")
    try:
        text = path.read_bytes().decode()
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"themes file {themes_file!r} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read themes file {themes_file!r}: {exc.strerror}") from None
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    themes = [line for line in lines if line]
    if not themes:
        raise UsageError(
            f"themes file {themes_file!r} lists no themes (only blank lines or comments); write one theme "
            "per line, or leave out --themes-file to build the default themes"
        )
    return themes


def read_themes(themes: Sequence[str] | None, themes_file: str | None) -> list[str]:
    """Themes from the list and/or a file with one theme per line; the default themes when neither is given."""
    found = [t.strip() for t in themes or [] if t.strip()]
    if themes_file:
        found += read_themes_file(themes_file)
    if not found:
        return list(pipeline.DEFAULT_THEMES)
    duplicates = sorted({t for t in found if found.count(t) > 1})
    if duplicates:
        raise UsageError(f"themes listed more than once: {', '.join(map(repr, duplicates))}; list each once")
    return found


def check_parameters(
    *,
    themes: list[str] | None,
    themes_file: str | None,
    seeds_per_theme: int,
    variant_seeds: list[int] | None,
    scales: list[float] | None,
    model: str,
    dataset_name: str,
    dataset_version: str | None,
    force: bool,
    min_accepted_per_theme: int,
    min_difficulty_stdev: float,
) -> pipeline.BuildParameters:
    """The build's parameters, or one UsageError with one line per mistake; called before any work."""
    mistakes = []
    try:
        found_themes = read_themes(themes, themes_file)
    except UsageError as exc:
        mistakes.append(str(exc))
        found_themes = list(pipeline.DEFAULT_THEMES)
    values = {
        "themes": found_themes,
        "seeds_per_theme": seeds_per_theme,
        "variant_seeds": list(pipeline.DEFAULT_VARIANT_SEEDS) if variant_seeds is None else variant_seeds,
        "scales": list(pipeline.DEFAULT_SCALES) if scales is None else scales,
        "model": model,
        "dataset_name": dataset_name,
        "dataset_version": dataset_version or datetime.now(UTC).strftime(VERSION_DATE_FORMAT),
        "force": force,
        "thresholds": {
            "min_accepted_per_theme": min_accepted_per_theme,
            "min_difficulty_stdev": min_difficulty_stdev,
        },
    }
    try:
        params = pipeline.BuildParameters.model_validate(values)
    except ValidationError as exc:
        mistakes += [parameter_mistake(error) for error in exc.errors()]
    if mistakes:
        raise UsageError("\n".join(mistakes))
    return params


def parameter_mistake(error: dict) -> str:
    """One line for one invalid parameter: its flow name, its command-line option, its value and why."""
    name = str(error["loc"][-1]) if error["loc"] else "parameters"
    option = PARAMETER_OPTIONS.get(name, name)
    reason = PARAMETER_HINTS.get((name, error["type"])) or error["msg"].removeprefix("Value error, ")
    return f"invalid {option} ({name}={error['input']!r}): {reason}"


def load_settings(settings_block: str | None, store_url: str | None) -> Settings:
    if settings_block is None:
        return get_settings(**({"store_url": store_url} if store_url else {}))
    from blocks.benchgen_settings import BenchgenSettings

    try:
        block = BenchgenSettings.load(settings_block)
    except ValueError:  # Prefect's "Unable to find block document named ..."
        raise UsageError(
            f"settings block {settings_block!r} is not registered on this Prefect server; run "
            f"`python -m blocks.register --name {settings_block}` with the BENCHGEN_* settings runs should use"
        ) from None
    settings = block.to_settings()
    return settings.model_copy(update={"store_url": store_url}) if store_url else settings


def refuse_local_defaults(settings: Settings, settings_block: str | None) -> None:
    """A deployment's run must not quietly fall back to a data folder and SQLite on whichever worker took it.

    Only deployment runs are checked: a build started by hand is meant to use the machine it runs on.
    """
    from prefect.runtime import deployment, flow_run

    if deployment.id is None:
        return
    local = {
        "store_url": settings.resolved_store_url,
        "database_url": settings.resolved_database_url,
    }
    defaulted = [f"{name}={value}" for name, value in local.items() if getattr(settings, name) is None]
    if not defaulted:
        return
    where = (
        f"settings block {settings_block!r} leaves"
        if settings_block
        else "it names no settings_block and no BENCHGEN_* variable sets"
    )
    raise UsageError(
        f"deployment {flow_run.flow_name}/{deployment.name} would write to this worker's local defaults "
        f"({', '.join(defaulted)}): {where} them; pass settings_block=benchgen (saved by "
        "`python -m blocks.register`), or allow_local_defaults=true to use these on purpose"
    )


def result_storage_for(settings: Settings) -> WritableFileSystem:
    """Where task results (and so cache records) persist: a folder of the artifact store.

    Prefect needs the storage saved as a block; it is saved under a name derived from the store URL.
    """
    url = settings.resolved_store_url
    storage = _storage_block(url, settings)
    name = f"{RESULTS_BLOCK_PREFIX}-{hashlib.sha256(url.encode()).hexdigest()[:12]}"
    try:
        saved = type(storage).load(name)
    except ValueError:  # no such block yet
        saved = None
    if saved is not None and block_values(saved) == block_values(storage):
        return saved  # saving an unchanged block costs a few server round trips on every run
    storage.save(name, overwrite=True)
    return storage


def block_values(block: Block) -> object:
    """A block's field values, secrets included, without the ids Prefect adds to a saved block."""

    def without_ids(value: object) -> object:
        if isinstance(value, dict):
            return {k: without_ids(v) for k, v in value.items() if not k.startswith("_")}
        return value

    return without_ids(block.model_dump(mode="json", context={"include_secrets": True}))


def _storage_block(url: str, settings: Settings) -> WritableFileSystem:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalFileSystem(basepath=str(Path(parts.path) / RESULTS_FOLDER))
    from prefect_aws import S3Bucket

    from blocks.benchgen_settings import aws_credentials_from

    folder = f"{parts.path.strip('/')}/{RESULTS_FOLDER}".strip("/")
    return S3Bucket(
        bucket_name=parts.netloc, bucket_folder=folder, credentials=aws_credentials_from(settings)
    )


def ensure_concurrency_limits() -> None:
    """On a Prefect server, create the LLM and sandbox limits with default slots unless they exist.

    Not in ephemeral mode: its temporary server does not run the service that frees the slots of a
    killed run, so a re-run after a crash would wait forever. There, the thread pool's size bounds
    the parallel work instead.
    """
    if not PREFECT_API_URL.value():
        return
    with get_client(sync_client=True) as client:
        for name, slots in (
            (LLM_CALLS_LIMIT, DEFAULT_LLM_SLOTS),
            (SANDBOX_WORKERS_LIMIT, DEFAULT_SANDBOX_SLOTS),
        ):
            try:
                client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                # another run starting at the same time may create it between the read and the create
                with contextlib.suppress(ObjectAlreadyExists):
                    client.create_global_concurrency_limit(
                        GlobalConcurrencyLimitCreate(name=name, limit=slots)
                    )


def task_runner():
    """Threads by default; a Dask cluster when BENCHGEN_DASK_ADDRESS names its scheduler."""
    address = os.environ.get(DASK_ADDRESS_ENV)
    if not address:
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=DEFAULT_SANDBOX_SLOTS)
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(address=address)


# --- reporting -----------------------------------------------------------------------------------------


def theme_table(outcomes: list[pipeline.BenchmarkOutcome], themes: list[str]) -> list[dict]:
    rows = []
    for theme in themes:
        mine = [o for o in outcomes if o.theme == theme]
        reasons = sorted({o.reason for o in mine if o.reason})
        rows.append(
            {
                "theme": theme,
                "accepted": sum(o.accepted for o in mine),
                "rejected": sum(not o.accepted for o in mine),
                "rejection reasons": "; ".join(reasons),
            }
        )
    return rows


def browser_link(store: ArtifactStore, url: str) -> str:
    """A link the Prefect UI can follow to a stored file: presigned on S3, the local path otherwise."""
    key = url.removeprefix(f"{store.url}/")
    return store.browser_url(key, ARTIFACT_LINK_EXPIRY_S) if key != url else url


def summary_markdown(summary: pipeline.BuildSummary, store: ArtifactStore) -> str:
    """The summary artifact: counts, the gate, and links a browser opens (see `browser_link`)."""
    accepted, rejected = summary.counts()
    dataset_url = summary.dataset_url
    card = f"{dataset_url}/{CARD_FILE}" if dataset_url else None
    lines = [
        f"# Dataset {summary.name} {summary.version}",
        "",
        f"- published at: `{dataset_url}` ([dataset card]({browser_link(store, card)}))"
        if card
        else "- not published",
        f"- accepted: {sum(accepted.values())}, rejected: {sum(rejected.values())}",
        f"- gate: {summary.gate.summary()}",
        f"- [Great Expectations Data Docs]({browser_link(store, summary.data_docs_url)})"
        if summary.data_docs_url
        else "",
        f"- [gallery]({browser_link(store, summary.gallery_url)})" if summary.gallery_url else "",
        f"- links to S3 objects are presigned and expire after {ARTIFACT_LINK_EXPIRY_S // 86400} days"
        if not store.is_local
        else "",
        "",
        "| theme | seed | difficulty | preview sheet |",
        "| --- | ---: | ---: | --- |",
    ]
    for outcome in summary.outcomes:
        if outcome.entry is None:
            continue
        preview = outcome.entry.file(FileKind.PREVIEW)
        link = ""
        if preview and dataset_url:
            sheet = f"{dataset_url}/{benchmark_folder(outcome.entry.benchmark_id)}/{preview.name}"
            link = f"[{preview.name}]({browser_link(store, sheet)})"
        lines.append(f"| {outcome.theme} | {outcome.seed} | {outcome.entry.difficulty_score:.2f} | {link} |")
    return "\n".join(lines)


# --- the flow ------------------------------------------------------------------------------------------


def fail_on_infrastructure_faults(faults: list[str]) -> None:
    """Fail the run once a step's tasks have all settled, so no session is left running half-recorded."""
    if faults:
        more = f" (and {len(faults) - 1} more like it)" if len(faults) > 1 else ""
        raise InfrastructureFault(f"{faults[0]}{more}; nothing was published")


@flow(name="build-dataset", log_prints=True, task_runner=task_runner())
def build_dataset(
    themes: list[str] | None = None,
    themes_file: str | None = None,
    seeds_per_theme: int = pipeline.DEFAULT_SEEDS_PER_THEME,
    variant_seeds: list[int] | None = None,
    scales: list[float] | None = None,
    model: str = "offline",
    dataset_name: str = pipeline.DEFAULT_DATASET_NAME,
    dataset_version: str | None = None,
    store_url: str | None = None,
    force: bool = False,
    min_accepted_per_theme: int = MIN_ACCEPTED_PER_THEME,
    min_difficulty_stdev: float = MIN_DIFFICULTY_STDEV,
    settings_block: str | None = None,
    allow_local_defaults: bool = False,
) -> pipeline.BuildSummary:
    """Generate `seeds_per_theme` benchmarks per theme, validate each on variant_seeds x scales,
    check the dataset with Great Expectations and publish it to `<store>/<dataset_name>/<version>/`.

    Settings come from the BenchgenSettings block `settings_block` when given, else from BENCHGEN_*
    variables; `store_url` overrides the store of either. A deployment's run whose store or database
    would be the worker's local default refuses to start unless `allow_local_defaults`."""
    logger = get_run_logger()
    params = check_parameters(
        themes=themes,
        themes_file=themes_file,
        seeds_per_theme=seeds_per_theme,
        variant_seeds=variant_seeds,
        scales=scales,
        model=model,
        dataset_name=dataset_name,
        dataset_version=dataset_version,
        force=force,
        min_accepted_per_theme=min_accepted_per_theme,
        min_difficulty_stdev=min_difficulty_stdev,
    )
    settings = load_settings(settings_block, store_url)
    if not allow_local_defaults:
        refuse_local_defaults(settings, settings_block)
    pipeline.probe_services(settings)
    ensure_concurrency_limits()
    storage = result_storage_for(settings)
    generate, validate, render = (
        t.with_options(result_storage=storage)
        for t in (build_steps.generate, build_steps.validate, build_steps.render)
    )
    versions = current_versions()
    store = settings.resolved_store_url

    # generate: one agent session per (theme, seed)
    generations: dict[tuple[str, int], PrefectFuture] = {
        unit: generate.submit(*unit, params.model, versions, settings.resolved_database_url, settings)
        for unit in params.units()
    }
    outcomes: dict[tuple[str, int], pipeline.BenchmarkOutcome] = {}
    faults: list[str] = []

    def settled(unit: tuple[str, int], future: PrefectFuture, step: str):
        """The task's result, or None after recording the unit as rejected with the task's error, or
        (infrastructure faults: no sandbox, database, store or model access) as a fault of the run."""
        future.wait()
        cause = infrastructure_cause(future.state)
        if cause is not None:
            faults.append(f"{step}[theme={unit[0]}, seed={unit[1]}] failed: {cause}")
            logger.error(faults[-1])
            return None
        if future.state.is_failed():
            outcomes[unit] = pipeline.BenchmarkOutcome(
                theme=unit[0],
                seed=unit[1],
                accepted=False,
                reason=f"{step} failed: {future.state.message or future.state.name}",
            )
            logger.warning("%s: %s", unit, outcomes[unit].reason)
            return None
        return future.result()

    accepted: dict[tuple[str, int], pipeline.GenerationResult] = {}
    for unit, future in generations.items():
        generation = settled(unit, future, "generate")
        if generation is None:
            continue
        if generation.accepted:
            accepted[unit] = generation
        else:
            outcomes[unit] = pipeline.rejected(
                generation, generation.reason or "the session did not accept a script"
            )
    for line in fail_abandoned_sessions(generations.values(), settings):
        logger.error(line)

    fail_on_infrastructure_faults(faults)

    # validate: every accepted script on the dataset's variant grid
    reports = {
        unit: validate.submit(*unit, g.script, params.variant_seeds, params.scales, versions)
        for unit, g in accepted.items()
    }
    valid = {}
    for unit, future in reports.items():
        report = settled(unit, future, "validate")
        if report is None:
            continue
        if report.ok:
            valid[unit] = report
        else:
            outcomes[unit] = pipeline.rejected(accepted[unit], pipeline.variants_failed_reason(report))

    fail_on_infrastructure_faults(faults)

    # render evidence; drop near duplicates in (theme, seed) order; persist rows and files
    evidence = {
        unit: render.submit(
            *unit,
            accepted[unit].script,
            params.variant_seeds[0],
            params.scales[0],
            report,
            versions,
            store,
            settings,
        )
        for unit, report in valid.items()
    }
    kept: list[pipeline.KeptBenchmark] = []
    persisted = {}
    for unit, future in evidence.items():
        rendered = settled(unit, future, "render")
        if rendered is None:
            continue
        duplicate = pipeline.near_duplicate_reason(accepted[unit], rendered, kept, params)
        if duplicate is not None:
            outcomes[unit] = pipeline.rejected(accepted[unit], duplicate)
            logger.warning("%s: %s", unit, duplicate)
            continue
        persisted[unit] = build_steps.persist.submit(
            accepted[unit], valid[unit], rendered, params.dataset_name, params.dataset_version, settings
        )
    for unit, future in persisted.items():
        entry = settled(unit, future, "persist")
        if entry is not None:
            outcomes[unit] = pipeline.accepted(accepted[unit], entry)
    fail_on_infrastructure_faults(faults)
    ordered = [outcomes[unit] for unit in params.units()]
    create_table_artifact(
        key="accepted-per-theme",
        table=theme_table(ordered, params.themes),
        description=f"Accepted and rejected benchmarks per theme, {params.dataset_name} {params.dataset_version}",
    )

    # check and publish
    index, card = pipeline.assemble_index(params, ordered, settings)
    unchanged = pipeline.unchanged_summary(params, ordered, index, card, settings)
    if unchanged is not None:
        logger.info(
            "%s/%s is already published with identical contents at %s; nothing to publish",
            index.name,
            index.version,
            unchanged.dataset_url,
        )
        create_markdown_artifact(
            key="dataset-summary", markdown=summary_markdown(unchanged, ArtifactStore.from_settings(settings))
        )
        return unchanged
    with tempfile.TemporaryDirectory(prefix="benchgen-data-docs-") as docs_dir:
        checked = build_steps.check(index, card, params.thresholds, settings, Path(docs_dir))
    if not checked.gate.success:
        logger.error(checked.gate.summary())
        create_markdown_artifact(
            key="dataset-gate-failures",
            markdown="# Great Expectations gate failed\n\n"
            + "\n".join(f"- {f.message()}" for f in checked.gate.failures)
            + f"\n\n[Data Docs]({browser_link(ArtifactStore.from_settings(settings), checked.data_docs_url)})"
            + "\n\nNothing was published.",
        )
        raise GateError(checked.gate.summary() + "\nNothing was published.")
    published = build_steps.publish(checked, index, params.force, settings)
    gallery_url = build_steps.gallery(published, ordered, settings)
    summary = pipeline.published_summary(ordered, checked, published, gallery_url)
    create_markdown_artifact(
        key="dataset-summary", markdown=summary_markdown(summary, ArtifactStore.from_settings(settings))
    )
    return summary


# --- main job ------------------------------------------------------------------------------------------


def how_to_look(summary: pipeline.BuildSummary, store_url: str | None = None) -> str:
    """What the main job prints: where the dataset is and how to look at it, with the user's own store."""
    accepted, rejected = summary.counts()
    url = summary.dataset_url or ""
    local = urlsplit(url).path if url.startswith("file://") else None
    count = sum(accepted.values())
    lines = [
        f"dataset {summary.name} {summary.version}: {count} benchmark{'' if count == 1 else 's'} accepted, "
        f"{sum(rejected.values())} rejected"
        + (" (already published, unchanged)" if summary.unchanged else ""),
        f"  published at  {url}",
    ]
    if local:
        lines += [
            f"  card          {local}/README.md",
            f"  index         python -c \"import pandas as pd; print(pd.read_parquet('{local}/index.parquet'))\"",
            f"  a preview     {local}/benchmarks/<benchmark_id>/review/",
        ]
    if summary.gallery_url:
        gallery = summary.gallery_url
        lines.append(
            f"  gallery       {urlsplit(gallery).path if gallery.startswith('file://') else gallery}"
        )
    if summary.data_docs_url:
        lines.append(f"  data docs     {summary.data_docs_url}")
    store_option = f" --store-url {store_url}" if store_url else ""
    lines.append(f"  verify        benchgen dataset verify {summary.name} {summary.version}{store_option}")
    return "\n".join(lines)


def local_run_settings() -> dict:
    """Prefect settings for a build started from this process; a variable the user set wins.

    Without a Prefect server (no PREFECT_API_URL), Prefect starts a temporary one that lives and dies
    with this process: it gets longer to start, sends no telemetry (only SQLite lock noise), and the
    flow run sends no heartbeats, which only a server's crash detection reads (stopping the heartbeat
    thread costs up to a second per run).
    """
    updates: dict = {}
    if EPHEMERAL_STARTUP_ENV not in os.environ:
        updates[EPHEMERAL_STARTUP] = EPHEMERAL_STARTUP_TIMEOUT_S
    if PREFECT_API_URL.value():
        return updates
    if ANALYTICS_ENV not in os.environ:
        updates[ANALYTICS] = False
    if HEARTBEAT_ENV not in os.environ:
        updates[HEARTBEAT] = None
    return updates


def wait_until_recorded(flow_run_id: UUID) -> None:
    """Let Prefect's temporary server record a finished run's task runs before it stops with this process.

    It records them from events, after the run; stopped mid-way it logs the events it drops as errors,
    and a later `prefect server start` on the same database would show those task runs as running.
    Done when every task run it knows is final and nothing changed for RECORDS_QUIET_S.
    """
    EventsWorker.drain_all()  # every event of the run is on the server
    deadline = time.monotonic() + RECORDS_TIMEOUT_S
    runs_filter = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
    seen, quiet_since = None, time.monotonic()
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_task_runs(flow_run_filter=runs_filter)
            now = {(run.id, run.state_type) for run in runs}
            final = all(run.state is not None and run.state.is_final() for run in runs)
            if now != seen:
                seen, quiet_since = now, time.monotonic()
            elif final and time.monotonic() - quiet_since >= RECORDS_QUIET_S:
                return
            time.sleep(RECORDS_POLL_S)


def guard_temporary_server() -> None:
    """Start Prefect's temporary server now, with a guard process that stops it if this job dies.

    Prefect stops its temporary server at exit, which a SIGKILL skips: the server (about 300 MB) stayed
    running. The guard asks the kernel to signal it when this process dies (PR_SET_PDEATHSIG) and then
    stops the server. Prefect reuses the server started here (one per process).
    """
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()
    guard = subprocess.Popen(
        [sys.executable, str(SERVER_GUARD), str(os.getpid()), str(server.server_process.pid)],
        stdin=subprocess.DEVNULL,
    )
    atexit.register(guard.kill)  # registered after Prefect's own stop, so it runs before it


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line and exit status 2, like every benchgen error."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_EXIT, f"error: {message}; see `{self.prog} --help`\n")


def int_list(text: str) -> list[int]:
    return [int(item) for item in text.split(",") if item.strip()]


def float_list(text: str) -> list[float]:
    return [float(item) for item in text.split(",") if item.strip()]


def main(argv: Sequence[str] | None = None, prog: str = "python -m flows.build_dataset") -> None:
    parser = OneLineParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--theme", action="append", dest="themes", help="a theme (repeat for several)")
    parser.add_argument("--themes-file", help="file with one theme per line")
    parser.add_argument("--seeds-per-theme", type=int, default=pipeline.DEFAULT_SEEDS_PER_THEME)
    parser.add_argument(
        "--variant-seeds",
        type=int_list,
        default=list(pipeline.DEFAULT_VARIANT_SEEDS),
        help="comma-separated seeds every benchmark is validated on, e.g. 0,1,2",
    )
    parser.add_argument(
        "--scales",
        type=float_list,
        default=list(pipeline.DEFAULT_SCALES),
        help=f"comma-separated scales in {SCALE_RANGE}, e.g. 0.75,1.0",
    )
    parser.add_argument("--min-accepted-per-theme", type=int, default=MIN_ACCEPTED_PER_THEME)
    parser.add_argument(
        "--min-difficulty-stdev",
        type=float,
        default=MIN_DIFFICULTY_STDEV,
        help="0 for no difficulty-spread requirement",
    )
    parser.add_argument("--model", default="offline", help="'offline' or an LLM model as 'provider:name'")
    parser.add_argument("--name", default=pipeline.DEFAULT_DATASET_NAME, help="dataset name")
    parser.add_argument("--version", default=None, help="dataset version (default: today's UTC date)")
    parser.add_argument(
        "--store-url", default=None, help="file:///path or s3://bucket/prefix (default: settings)"
    )
    parser.add_argument("--force", action="store_true", help="replace an already published version")
    args = parser.parse_args(argv)
    try:
        # Before anything starts (the temporary server included): every parameter, the store, the database.
        check_parameters(
            themes=args.themes,
            themes_file=args.themes_file,
            seeds_per_theme=args.seeds_per_theme,
            variant_seeds=args.variant_seeds,
            scales=args.scales,
            model=args.model,
            dataset_name=args.name,
            dataset_version=args.version,
            force=args.force,
            min_accepted_per_theme=args.min_accepted_per_theme,
            min_difficulty_stdev=args.min_difficulty_stdev,
        )
        pipeline.probe_services(load_settings(None, args.store_url))
        with temporary_settings(updates=local_run_settings()):
            temporary_server = not PREFECT_API_URL.value()
            if temporary_server:
                guard_temporary_server()
            state = build_dataset(
                themes=args.themes,
                themes_file=args.themes_file,
                seeds_per_theme=args.seeds_per_theme,
                variant_seeds=args.variant_seeds,
                scales=args.scales,
                min_accepted_per_theme=args.min_accepted_per_theme,
                min_difficulty_stdev=args.min_difficulty_stdev,
                model=args.model,
                dataset_name=args.name,
                dataset_version=args.version,
                store_url=args.store_url,
                force=args.force,
                return_state=True,
            )
            if temporary_server:
                wait_until_recorded(state.state_details.flow_run_id)
            summary = state.result()
    except BenchgenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(USAGE_EXIT)
    # The interpreter's own stdout: concurrent in-process builds swap `sys.stdout` (redirect_stdout is
    # process-wide) and can leave it pointing at a capture buffer.
    sys.__stdout__.write(how_to_look(summary, args.store_url) + "\n")
    sys.__stdout__.flush()


if __name__ == "__main__":
    main()
