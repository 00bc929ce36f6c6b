"""One Prefect task per step of `benchgen.pipeline`; the policy lives on the decorators.

Expensive, deterministic steps (agent session, sandboxed validation, renders) are cached across runs
on their inputs, their source and the explicit `versions` input; writing steps are not cached but are
idempotent, so a re-run after a crash converges on the same rows and files.

The tasks carry no tags: Prefect asks the server for tag-based concurrency slots at the start of every
tagged task run, cached or not, and on the ephemeral server that round trip took about 2 s per tag,
most of a warm re-run. The LLM and sandbox limits are global concurrency limits held inside the tasks
(`tasks.policies.slots`).
"""

import tempfile
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.filesystems import WritableFileSystem
from prefect.futures import PrefectFuture
from prefect.runtime import task_run

from benchgen import pipeline
from benchgen.agents.schemas import SessionOutcome
from benchgen.dataset.gate import GateThresholds
from benchgen.dataset.index import AcceptedBenchmark, DatasetIndex
from benchgen.dataset.publish import PublishedDataset
from benchgen.pipeline import Step
from benchgen.settings import Settings
from benchgen.validation.report import ValidationReport
from benchgen.versions import current_versions
from tasks.faults import InfrastructureFault, fail_abandoned_sessions, infrastructure_cause
from tasks.policies import (
    CACHE_POLICY,
    LLM_CALLS_LIMIT,
    RETRY_DELAYS,
    RETRY_JITTER_FACTOR,
    SANDBOX_WORKERS_LIMIT,
    TRANSIENT_RETRIES,
    retry_transient,
    slots,
)

TRANSIENT_RETRY_OPTIONS = {
    "retries": TRANSIENT_RETRIES,
    "retry_delay_seconds": RETRY_DELAYS(TRANSIENT_RETRIES),
    "retry_jitter_factor": RETRY_JITTER_FACTOR,
    "retry_condition_fn": retry_transient,
}
CACHED = {"cache_policy": CACHE_POLICY, "persist_result": True}
UNCACHED = {"cache_policy": NO_CACHE}


@task(
    name="generate",
    task_run_name="generate[theme={theme}, seed={seed}]",
    **CACHED,
    **TRANSIENT_RETRY_OPTIONS,
)
def generate(
    theme: str,
    seed: int,
    model: str,
    require_witness: bool,
    versions: dict[str, str],
    database: str,
    settings: Settings,
) -> SessionOutcome:
    """An agent session; `database` is in the cache key because the session row lives there.

    The session records this task run's id, so the flow can fail it if this process dies mid-session."""
    with slots(LLM_CALLS_LIMIT):
        result = pipeline.generate_benchmark(
            theme, seed, model=model, settings=settings, require_witness=require_witness, run_id=task_run.id
        )
    get_run_logger().info(
        "session=%s theme=%r seed=%d accepted=%s", result.session_id, theme, seed, result.accepted
    )
    return result


@task(
    name="validate",
    task_run_name="validate[theme={theme}, seed={seed}]",
    **CACHED,
    **TRANSIENT_RETRY_OPTIONS,
)
def validate(
    theme: str,
    seed: int,
    generation: SessionOutcome,
    variant_seeds: list[int],
    scales: list[float],
    require_witness: bool,
    versions: dict[str, str],
) -> ValidationReport:
    """Every (seed, scale) variant (the session's report when it validated this grid, else in the
    sandbox) and the witness on them; a failing report is a result, never retried."""
    with slots(SANDBOX_WORKERS_LIMIT):
        return pipeline.validate_variants(generation, variant_seeds, scales, require_witness=require_witness)


@task(
    name="render",
    task_run_name="render[theme={theme}, seed={seed}]",
    **CACHED,
    **TRANSIENT_RETRY_OPTIONS,
)
def render(
    theme: str,
    seed: int,
    script: str,
    witness: str | None,
    variant_seed: int,
    scale: float,
    report: ValidationReport,
    versions: dict[str, str],
    store: str,
    settings: Settings,
) -> pipeline.Evidence:
    """Definition, MJCF, review renders and the witness stored by content under `store` (in the cache key)."""
    with slots(SANDBOX_WORKERS_LIMIT):
        return pipeline.render_evidence(
            script, variant_seed, scale, report, pipeline.open_store(settings), witness
        )


@task(
    name="persist",
    task_run_name="persist[theme={generation.theme}, seed={generation.seed}]",
    **UNCACHED,
    **TRANSIENT_RETRY_OPTIONS,
)
def persist(
    generation: SessionOutcome,
    report: ValidationReport,
    evidence: pipeline.Evidence,
    dataset_name: str,
    dataset_version: str,
    seal_witness: bool,
    settings: Settings,
) -> AcceptedBenchmark:
    return pipeline.persist_benchmark(
        generation,
        report,
        evidence,
        dataset_name=dataset_name,
        dataset_version=dataset_version,
        settings=settings,
        seal_witness=seal_witness,
    )


@task(
    name="check", task_run_name="check[{index.name}/{index.version}]", **UNCACHED, **TRANSIENT_RETRY_OPTIONS
)
def check(
    index: DatasetIndex, card: str, thresholds: GateThresholds, settings: Settings, docs_dir: Path
) -> pipeline.CheckedDataset:
    return pipeline.check_dataset(index, card, thresholds, settings, docs_dir)


@task(
    name="publish",
    task_run_name="publish[{index.name}/{index.version}]",
    **UNCACHED,
    **TRANSIENT_RETRY_OPTIONS,
)
def publish(
    checked: pipeline.CheckedDataset, index: DatasetIndex, force: bool, settings: Settings
) -> PublishedDataset:
    return pipeline.publish_dataset(checked, index, force=force, settings=settings)


@task(
    name="gallery",
    task_run_name="gallery[{published.name}/{published.version}]",
    **UNCACHED,
    **TRANSIENT_RETRY_OPTIONS,
)
def gallery(published: PublishedDataset, candidates: list[pipeline.Candidate], settings: Settings) -> str:
    """The version's gallery, with settle clips and the build's rejected candidates; its index URL."""
    with slots(SANDBOX_WORKERS_LIMIT):
        return pipeline.publish_version_gallery(published, candidates, settings)


class PrefectSteps:
    """The pipeline's steps as the tasks above: submitted in parallel over candidates, cached and retried
    per step. A failed task rejects its candidate; an infrastructure fault fails the run once every task
    of the step has settled, so no session is left running half-recorded."""

    def __init__(
        self, params: pipeline.BuildParameters, settings: Settings, storage: WritableFileSystem
    ) -> None:
        self.params, self.settings = params, settings
        self.versions = current_versions()
        self.generate, self.validate, self.render = (
            t.with_options(result_storage=storage) for t in (generate, validate, render)
        )

    def run(self, step: Step, candidates: list[pipeline.Candidate]) -> list[pipeline.Candidate]:
        logger = get_run_logger()
        futures = {i: self._submit(step, c) for i, c in enumerate(candidates) if c.open}
        settled, faults = list(candidates), []
        for i, future in futures.items():
            future.wait()
            candidate = candidates[i]
            cause = infrastructure_cause(future.state)
            if cause is not None:
                faults.append(f"{step.value}[theme={candidate.theme}, seed={candidate.seed}] failed: {cause}")
                logger.error(faults[-1])
                continue
            if future.state.is_failed():
                result = pipeline.StepError(step=step, message=future.state.message or future.state.name)
            else:
                result = future.result()
            settled[i] = pipeline.settle(step, candidate, result)
            if not settled[i].open:
                logger.warning("theme %r seed %d: %s", candidate.theme, candidate.seed, settled[i].reason)
        if step is Step.GENERATE:
            for line in fail_abandoned_sessions(futures.values(), self.settings):
                logger.error(line)
        if faults:
            more = f" (and {len(faults) - 1} more like it)" if len(faults) > 1 else ""
            raise InfrastructureFault(f"{faults[0]}{more}; nothing was published")
        return settled

    def _submit(self, step: Step, c: pipeline.Candidate) -> PrefectFuture:
        params, settings, versions = self.params, self.settings, self.versions
        if step is Step.GENERATE:
            database = settings.resolved_database_url
            require = params.thresholds.require_witness
            return self.generate.submit(c.theme, c.seed, params.model, require, versions, database, settings)
        if step is Step.VALIDATE:
            require = params.thresholds.require_witness
            return self.validate.submit(
                c.theme, c.seed, c.generation, params.variant_seeds, params.scales, require, versions
            )
        if step is Step.RENDER:
            nominal = params.variant_seeds[0], params.scales[0]
            store = settings.resolved_store_url
            return self.render.submit(
                c.theme,
                c.seed,
                c.generation.script,
                c.generation.witness,
                *nominal,
                c.report,
                versions,
                store,
                settings,
            )
        return persist.submit(
            c.generation,
            c.report,
            c.evidence,
            params.dataset_name,
            params.dataset_version,
            params.seal_witnesses,
            settings,
        )

    def check(self, index: DatasetIndex, card: str) -> pipeline.CheckedDataset:
        with tempfile.TemporaryDirectory(prefix="benchgen-data-docs-") as docs_dir:
            return check(index, card, self.params.thresholds, self.settings, Path(docs_dir))

    def publish(self, checked: pipeline.CheckedDataset, index: DatasetIndex) -> PublishedDataset:
        return publish(checked, index, self.params.force, self.settings)

    def gallery(self, published: PublishedDataset, candidates: list[pipeline.Candidate]) -> str:
        return gallery(published, candidates, self.settings)
