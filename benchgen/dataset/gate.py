"""The Great Expectations gate: a dataset version is published only when every expectation holds.

The gate checks four tables built from the index: benchmarks (with each staged script re-checked
against the scenario language, since users run published scripts outside any sandbox), variants,
per-theme counts and files (with checksums recomputed from the store). Each table has its own GX checkpoint because a checkpoint
feeds one dataframe to all its validation definitions.
"""

from pathlib import Path

import pandas as pd
from pydantic import BaseModel, Field

from benchgen.dataset.data_docs import make_offline
from benchgen.dataset.index import DatasetIndex
from benchgen.errors import BenchgenError
from benchgen.validation.static_checks import check_source

MIN_ACCEPTED_PER_THEME = 1  # benchmarks; a theme with fewer accepted benchmarks fails the gate
MIN_DIFFICULTY_STDEV = 0.02  # standard deviation of difficulty scores in [0, 1]; below it all are alike
MAX_REPORTED_ROWS = 10  # failing row ids listed per expectation in messages

ROW_ID = "row_id"  # column every gated table carries so failures name the rows they concern
SCRIPT_VIOLATION = "script_violation"  # benchmarks column: why the staged script is not publishable, or null
EXPLAINED_COLUMNS = frozenset({SCRIPT_VIOLATION})  # failures on these columns quote the offending values
SCRIPT_MISSING = "the script is missing from the staged copy"
SCRIPT_NOT_UTF8 = "the script is not UTF-8 text"
DATA_DOCS_SITE = "benchgen"

BENCHMARK_REQUIRED = (
    "benchmark_id",
    "session_id",
    "theme",
    "family",
    "seed",
    "difficulty_score",
    "script_file",
    "script_sha256",
    "definition_file",
    "definition_sha256",
    "mjcf_file",
    "mjcf_sha256",
    "preview_file",
    "preview_sha256",
    "created_at",
)
CAP_COLUMNS = ("cost_cap", "weight_cap_kg")  # the targets a witness sets; present and positive
WITNESS_REQUIRED = ("witness_sha256", "witness_solved", *CAP_COLUMNS)  # not null when witnesses are required
VARIANT_REQUIRED = ("variant_id", "benchmark_id", "seed", "scale", "ok")

FAILED_EXPECTATION = "{table}: {expectation}{column} failed{observed}{rows}{values}"


class GateError(BenchgenError):
    """The dataset failed its Great Expectations suite; it must not be published."""

    def __init__(self, gate: "GateResult", data_docs_url: str | None = None) -> None:
        super().__init__(gate.summary() + "\nFix the rows named above, or rebuild; nothing was published.")
        self.gate = gate
        self.data_docs_url = data_docs_url  # where the failed validation's Data Docs are, when stored


class GateThresholds(BaseModel):
    """Tunable limits of the gate; the defaults suit a small nightly build."""

    min_accepted_per_theme: int = Field(default=MIN_ACCEPTED_PER_THEME, ge=0)
    min_difficulty_stdev: float = Field(default=MIN_DIFFICULTY_STDEV, ge=0)
    require_witness: bool = Field(
        default=False, description="Every benchmark must carry a witness that solved every variant."
    )


class FailedExpectation(BaseModel):
    """One expectation that did not hold, with the rows it concerns."""

    table: str
    expectation: str
    column: str | None = None
    observed: str | None = None
    rows: list[str] = Field(default_factory=list, description="row ids (benchmark, variant, theme or path).")
    values: list[str] = Field(
        default_factory=list, description="The offending values, for columns that explain themselves."
    )

    def message(self) -> str:
        shown = self.rows[:MAX_REPORTED_ROWS]
        more = f" (+{len(self.rows) - len(shown)} more)" if len(self.rows) > len(shown) else ""
        return FAILED_EXPECTATION.format(
            table=self.table,
            expectation=self.expectation,
            column=f" on column {self.column!r}" if self.column else "",
            observed=f", observed {self.observed}" if self.observed is not None else "",
            rows=f" for {', '.join(shown)}{more}" if shown else "",
            values=f": {'; '.join(self.values[:MAX_REPORTED_ROWS])}" if self.values else "",
        )


class GateResult(BaseModel):
    """Outcome of the gate: success, every failing expectation, and where Data Docs were built."""

    success: bool
    evaluated: int = Field(description="Number of expectations evaluated over all tables.")
    failures: list[FailedExpectation]
    data_docs_dir: Path | None

    def summary(self) -> str:
        if self.success:
            return f"Great Expectations gate passed: {self.evaluated} expectations hold."
        lines = [f"Great Expectations gate failed: {len(self.failures)} of {self.evaluated} expectations:"]
        lines += [f"  - {f.message()}" for f in self.failures]
        return "\n".join(lines)

    def raise_for_failure(self, data_docs_url: str | None = None) -> None:
        if not self.success:
            raise GateError(self, data_docs_url)


def script_violation(script: bytes | None) -> str | None:
    """Why a staged script may not be published (the strict scenario-language check), or None."""
    if script is None:
        return SCRIPT_MISSING
    try:
        source = script.decode()
    except UnicodeDecodeError:
        return SCRIPT_NOT_UTF8
    failures = check_source(source)
    return "; ".join(f.message for f in failures) if failures else None


def gate_tables(
    index: DatasetIndex, actual_sha256: dict[str, str | None], scripts: dict[str, bytes | None]
) -> dict[str, pd.DataFrame]:
    """The four tables the gate checks, each with a `row_id` column naming its rows.

    `actual_sha256` maps a file path (relative to the version folder) to the checksum of the stored
    bytes, or None when the file is missing; `scripts` maps a benchmark id to its staged script.
    """
    benchmarks = index.benchmarks_frame()
    benchmarks[ROW_ID] = benchmarks["benchmark_id"]
    benchmarks[SCRIPT_VIOLATION] = [script_violation(scripts.get(b)) for b in benchmarks["benchmark_id"]]
    variants = index.variants_frame()
    variants[ROW_ID] = variants["variant_id"]
    accepted = benchmarks.groupby("theme").size() if len(benchmarks) else pd.Series(dtype=int)
    themes = pd.DataFrame(
        {"theme": index.themes, "accepted": [int(accepted.get(t, 0)) for t in index.themes]}
    )
    themes[ROW_ID] = themes["theme"]
    files = index.files_frame()
    files["sha256_actual"] = [actual_sha256.get(p) for p in files["path"]]
    files["present"] = files["sha256_actual"].notna()
    files[ROW_ID] = files["path"]
    return {"benchmarks": benchmarks, "variants": variants, "themes": themes, "files": files}


def _expectations(table: str, index: DatasetIndex, thresholds: GateThresholds) -> list:
    import great_expectations.expectations as gxe

    if table == "benchmarks":
        return [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in BENCHMARK_REQUIRED],
            gxe.ExpectColumnValuesToBeUnique(column="benchmark_id"),
            gxe.ExpectColumnValuesToBeUnique(column="script_sha256"),
            gxe.ExpectColumnValuesToBeNull(column=SCRIPT_VIOLATION),
            gxe.ExpectColumnValuesToBeBetween(column="difficulty_score", min_value=0.0, max_value=1.0),
            *(
                [
                    gxe.ExpectColumnStdevToBeBetween(
                        column="difficulty_score", min_value=thresholds.min_difficulty_stdev
                    )
                ]
                if thresholds.min_difficulty_stdev > 0  # 0 asks for no spread (e.g. a one-benchmark build)
                else []
            ),
            *(_witness_expectations() if thresholds.require_witness else []),
        ]
    if table == "variants":
        benchmark_ids = [b.benchmark_id for b in index.benchmarks]
        return [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in VARIANT_REQUIRED],
            gxe.ExpectColumnValuesToBeUnique(column="variant_id"),
            gxe.ExpectColumnValuesToBeInSet(column="ok", value_set=[True]),
            gxe.ExpectColumnValuesToBeInSet(column="benchmark_id", value_set=benchmark_ids),
        ]
    if table == "themes":
        return [
            gxe.ExpectColumnValuesToBeBetween(column="accepted", min_value=thresholds.min_accepted_per_theme)
        ]
    if table == "files":
        return [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToBeUnique(column="path"),
            gxe.ExpectColumnValuesToBeInSet(column="present", value_set=[True]),
            gxe.ExpectColumnPairValuesToBeEqual(column_A="sha256", column_B="sha256_actual"),
        ]
    raise ValueError(f"unknown gate table {table!r}")


def _witness_expectations() -> list:
    """Solvable means proven: a witness that solved every variant, and the targets it sets."""
    import great_expectations.expectations as gxe

    return [
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in WITNESS_REQUIRED],
        gxe.ExpectColumnValuesToBeInSet(column="witness_solved", value_set=[True]),
        *[gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, strict_min=True) for c in CAP_COLUMNS],
    ]


def _context(docs_dir: Path | None):
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir is not None:
        sites[DATA_DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def run_gate(
    index: DatasetIndex,
    actual_sha256: dict[str, str | None],
    scripts: dict[str, bytes | None],
    *,
    thresholds: GateThresholds | None = None,
    docs_dir: Path | None = None,
) -> GateResult:
    """Check the index with an ephemeral GX context; build Data Docs into `docs_dir` when given.

    `scripts` are the staged scripts by benchmark id: each is checked again against the scenario language.
    """
    import great_expectations as gx

    thresholds = thresholds or GateThresholds()
    context = _context(docs_dir)
    source = context.data_sources.add_pandas(f"{index.name}-{index.version}")
    actions = (
        [gx.checkpoint.UpdateDataDocsAction(name="data-docs", site_names=[DATA_DOCS_SITE])]
        if docs_dir
        else []
    )
    failures: list[FailedExpectation] = []
    evaluated = 0
    for table, frame in gate_tables(index, actual_sha256, scripts).items():
        batch = source.add_dataframe_asset(table).add_batch_definition_whole_dataframe("whole")
        suite = context.suites.add(gx.ExpectationSuite(name=f"benchgen-{table}"))
        for expectation in _expectations(table, index, thresholds):
            suite.add_expectation(expectation)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"validate-{table}", data=batch, suite=suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"gate-{table}",
                validation_definitions=[definition],
                actions=actions,
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]},
            )
        )
        outcome = checkpoint.run(batch_parameters={"dataframe": frame})
        for run in outcome.run_results.values():
            for result in run.results:
                evaluated += 1
                if not result.success:
                    failures.append(_failed(table, result))
    if docs_dir is not None:
        make_offline(docs_dir)
    return GateResult(success=not failures, evaluated=evaluated, failures=failures, data_docs_dir=docs_dir)


def _failed(table: str, result) -> FailedExpectation:
    details = result.result or {}
    rows = [
        str(row.get(ROW_ID)) for row in details.get("unexpected_index_list") or [] if isinstance(row, dict)
    ]
    observed = details.get("observed_value")
    raised = _exception_message(result.exception_info or {})
    if raised:
        observed = f"error: {raised}"
    column = result.expectation_config.kwargs.get("column") or result.expectation_config.kwargs.get(
        "column_A"
    )
    values = (details.get("unexpected_list") or []) if column in EXPLAINED_COLUMNS else []
    return FailedExpectation(
        table=table,
        expectation=result.expectation_config.type,
        column=column,
        observed=None if observed is None else str(observed),
        rows=list(dict.fromkeys(rows)),
        values=[str(v) for v in dict.fromkeys(values)],
    )


def _exception_message(info: dict) -> str | None:
    """The message of an exception GX caught while evaluating; `info` is flat or keyed by metric."""
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    nested = [v for v in info.values() if isinstance(v, dict) and v.get("exception_message")]
    return str(nested[0]["exception_message"]) if nested else None
