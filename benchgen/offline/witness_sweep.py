"""How often each offline family's witness solves its family's scenarios: the witness share of the sweep.

One case is one (family, seed, scale): the planner draws the family's plan for that seed, the Coder
writes the script, and the family's witness is evaluated on variant (seed, scale) from every start.
"""

from collections.abc import Callable, Sequence

from pydantic import BaseModel, Field

from benchgen.evaluation.evaluator import EvaluationSettings, evaluate_sources
from benchgen.offline.coder import OfflineCoder
from benchgen.offline.families import FAMILIES
from benchgen.offline.planner import OfflinePlanner
from benchgen.offline.sweep import SWEEP_SCALES, SWEEP_SEEDS
from benchgen.offline.witnesses import witness_source
from benchgen.sandbox import SandboxRunner


class FamilyWitnessRate(BaseModel):
    family: str
    cases: int
    solved: int
    failures: list[str] = Field(default_factory=list, description="'seed/scale: CODE' of each unsolved case.")

    @property
    def rate(self) -> float:
        return self.solved / self.cases if self.cases else 0.0


def family_witness_rate(
    key: str,
    runner: SandboxRunner,
    seeds: Sequence[int] = SWEEP_SEEDS,
    scales: Sequence[float] = SWEEP_SCALES,
    planner: OfflinePlanner | None = None,
    progress: Callable[[str], None] | None = None,
) -> FamilyWitnessRate:
    """Evaluate the family's witness on the family's plan for every seed, at every scale."""
    planner = planner or OfflinePlanner()
    witness = witness_source(key)
    result = FamilyWitnessRate(family=key, cases=0, solved=0)
    for seed in seeds:
        draft = OfflineCoder().write(planner.plan(FAMILIES[key].title, seed), attempt=1)
        if witness is None:
            result.cases += len(scales)
            result.failures += [f"{seed}/{scale:g}: no witness" for scale in scales]
            continue
        settings = EvaluationSettings(seeds=(seed,), scales=tuple(scales))
        report = evaluate_sources(
            draft.source, witness, f"{key}-{seed}.py", f"{key}/solution.py", settings, runner=runner
        )
        for variant in report.variants:
            result.cases += 1
            if variant.solved:
                result.solved += 1
            else:
                codes = ", ".join(sorted({f.code.value for f in variant.failures})) or "not solved"
                result.failures.append(f"{variant.seed}/{variant.scale:g}: {codes}")
                if progress:
                    progress(
                        f"{key} {variant.seed}/{variant.scale:g}: "
                        + "; ".join(f.message for f in variant.failures[:2])
                    )
    return result
