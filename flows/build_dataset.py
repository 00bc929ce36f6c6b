"""Build one dataset version: generate -> validate -> render -> dedupe -> persist -> check (GX) -> publish
-> gallery. The order is `benchgen.pipeline`'s (the direct runner uses it too); here each step is a task.

Run the default small offline build with an ephemeral Prefect (no server needed):

    benchgen build          (or: python -m flows.build_dataset)

or a chosen one: `benchgen build --theme "ball must cross a gap" --seeds-per-theme 3 --version v2`.
With a Prefect server, deployments in prefect.yaml run the same flow.
"""

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from benchgen import pipeline
from benchgen.dataset.gate import MIN_ACCEPTED_PER_THEME, MIN_DIFFICULTY_STDEV, GateError
from benchgen.store import ArtifactStore
from flows.parameters import check_parameters, load_settings, refuse_local_defaults
from flows.prefect_setup import ensure_concurrency_limits, result_storage_for, task_runner
from flows.reporting import browser_link, summary_markdown, theme_table
from tasks.build_steps import PrefectSteps


@flow(name="build-dataset", log_prints=True, task_runner=task_runner())
def build_dataset(
    themes: list[str] | None = None,
    themes_file: str | None = None,
    seeds_per_theme: int = pipeline.DEFAULT_SEEDS_PER_THEME,
    variant_seeds: list[int] | None = None,
    scales: list[float] | None = None,
    model: str | None = None,
    dataset_name: str = pipeline.DEFAULT_DATASET_NAME,
    dataset_version: str | None = None,
    store_url: str | None = None,
    force: bool = False,
    seal_witnesses: bool = False,
    min_accepted_per_theme: int = MIN_ACCEPTED_PER_THEME,
    min_difficulty_stdev: float = MIN_DIFFICULTY_STDEV,
    require_witness: bool | None = None,
    settings_block: str | None = None,
    allow_local_defaults: bool = False,
) -> pipeline.BuildSummary:
    """Generate `seeds_per_theme` benchmarks per theme, validate each on variant_seeds x scales with its
    witness (which every benchmark needs unless `require_witness` is False: both backends' Coders write
    one with every script), check the dataset with Great Expectations and publish it to
    `<store>/<dataset_name>/<version>/` (with `seal_witnesses`, each witness's hash and numbers only;
    its files go to `<store>/<dataset_name>/_witnesses/<version>/`).

    Settings come from the BenchgenSettings block `settings_block` when given, else from BENCHGEN_*
    variables; `store_url` overrides the store of either, `model` the settings' llm_model. A deployment's
    run whose store or database would be the worker's local default refuses to start unless
    `allow_local_defaults`."""
    logger = get_run_logger()
    settings = load_settings(settings_block, store_url)
    params = check_parameters(
        themes=themes,
        themes_file=themes_file,
        seeds_per_theme=seeds_per_theme,
        variant_seeds=variant_seeds,
        scales=scales,
        model=model or settings.llm_model,
        dataset_name=dataset_name,
        dataset_version=dataset_version,
        force=force,
        seal_witnesses=seal_witnesses,
        min_accepted_per_theme=min_accepted_per_theme,
        min_difficulty_stdev=min_difficulty_stdev,
        require_witness=require_witness,
    )
    if not allow_local_defaults:
        refuse_local_defaults(settings, settings_block)
    pipeline.probe_services(settings)
    ensure_concurrency_limits()
    steps = PrefectSteps(params, settings, result_storage_for(settings))
    store = ArtifactStore.from_settings(settings)

    # generate -> validate -> render, each step in parallel over the candidates still in the build
    candidates = pipeline.make_candidates(params, steps)

    # dedupe -> persist -> index -> check (GX gate) -> publish -> gallery, in order
    try:
        summary = pipeline.admit(candidates, params, settings, steps)
    except GateError as failed:
        create_markdown_artifact(
            key="dataset-gate-failures",
            markdown="# Great Expectations gate failed\n\n"
            + "\n".join(f"- {f.message()}" for f in failed.gate.failures)
            + f"\n\n[Data Docs]({browser_link(store, failed.data_docs_url)})\n\nNothing was published.",
        )
        logger.error(str(failed))
        raise
    create_table_artifact(
        key="accepted-per-theme",
        table=theme_table(summary.candidates, params.themes),
        description=f"Accepted and rejected benchmarks per theme, {params.dataset_name} {params.dataset_version}",
    )
    if summary.unchanged:
        logger.info(
            "%s/%s is already published with identical contents at %s; nothing to publish",
            summary.name,
            summary.version,
            summary.dataset_url,
        )
    create_markdown_artifact(key="dataset-summary", markdown=summary_markdown(summary, store))
    return summary


if __name__ == "__main__":
    from flows.main_job import main

    main()
