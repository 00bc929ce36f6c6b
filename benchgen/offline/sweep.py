"""Pass rates of the offline families: plan, render, validate, repair (capped), per (seed, scale) variant.

One case is one (family, seed, scale): the planner draws the plan for the family's title with that seed,
the Coder renders it, and the validator runs that seed at every scale. A failing script gets up to
`max_repairs` repair moves (each re-validated); a case passes when its variant passes in the last report.
"""

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from pydantic import BaseModel, Field

from benchgen.offline.coder import OfflineCoder
from benchgen.offline.families import FAMILIES
from benchgen.offline.planner import OfflinePlanner
from benchgen.sandbox import SandboxRunner
from benchgen.validation.validator import validate_source

SWEEP_SEEDS = tuple(range(20))
SWEEP_SCALES = (0.5, 1.0, 2.0)
SWEEP_MAX_REPAIRS = 2  # repair moves a script may receive before its cases count as failed


class FamilyPassRate(BaseModel):
    family: str
    cases: int
    passed: int
    repairs: int = Field(description="Repair moves applied over the family's plans.")
    failures: list[str] = Field(default_factory=list, description="'seed/scale: CODE' of each failed case.")

    @property
    def rate(self) -> float:
        return self.passed / self.cases if self.cases else 0.0


def family_pass_rate(
    key: str,
    runner: SandboxRunner,
    seeds: Sequence[int] = SWEEP_SEEDS,
    scales: Sequence[float] = SWEEP_SCALES,
    max_repairs: int = SWEEP_MAX_REPAIRS,
    planner: OfflinePlanner | None = None,
) -> FamilyPassRate:
    """Validate the family's plans for every seed at every scale, with up to `max_repairs` moves each."""
    planner = planner or OfflinePlanner()
    coder = OfflineCoder(max_repair_moves=max_repairs)
    theme = FAMILIES[key].title
    result = FamilyPassRate(family=key, cases=0, passed=0, repairs=0)
    for seed in seeds:
        plan = planner.plan(theme, seed)
        draft = coder.write(plan, attempt=1)
        report = validate_source(draft.source, f"{key}-{seed}.py", seeds=(seed,), scales=scales, runner=runner)
        for attempt in range(2, max_repairs + 2):
            if report.ok:
                break
            draft = coder.write(plan, attempt, previous=draft, report=report)
            result.repairs += 1
            report = validate_source(draft.source, f"{key}-{seed}.py", seeds=(seed,), scales=scales, runner=runner)
        for variant in report.variants:
            result.cases += 1
            if variant.ok:
                result.passed += 1
            else:
                codes = ", ".join(sorted({f.code.value for f in variant.failures})) or "cross-variant failure"
                result.failures.append(f"{variant.seed}/{variant.scale:g}: {codes}")
    return result


def _family_in_worker(key: str, options: dict) -> FamilyPassRate:
    with SandboxRunner() as runner:
        return family_pass_rate(key, runner, **options)


def pass_rates(
    keys: Sequence[str] | None = None,
    progress: Callable[[FamilyPassRate], None] | None = None,
    workers: int = 1,
    **options,
) -> list[FamilyPassRate]:
    """`family_pass_rate` for each family (all by default), in catalogue order.

    With `workers` > 1, families run in that many spawned processes, each with its own sandbox.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    keys = list(keys or FAMILIES)
    results: dict[str, FamilyPassRate] = {}
    if workers == 1:
        planner = OfflinePlanner()
        with SandboxRunner() as runner:
            for key in keys:
                results[key] = family_pass_rate(key, runner, planner=planner, **options)
                if progress:
                    progress(results[key])
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {pool.submit(_family_in_worker, key, options): key for key in keys}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if progress:
                    progress(results[futures[future]])
    return [results[key] for key in keys]
