"""Score a solution (a mechanism) against a benchmark: sandboxed solve, static checks, MuJoCo run.

The report types load eagerly; the evaluator (sandbox, MuJoCo) loads on first use, because the
validation report holds a witness's EvaluationReport and must not pull the evaluator, which imports
validation, in with it.
"""

from importlib import import_module

from benchgen.evaluation.report import EvaluationReport, StartResult, VariantEvaluation

EVALUATOR_NAMES = frozenset({"EvaluationSettings", "evaluate_files", "evaluate_sources"})

__all__ = [
    "EvaluationReport",
    "EvaluationSettings",
    "StartResult",
    "VariantEvaluation",
    "evaluate_files",
    "evaluate_sources",
]


def __getattr__(name: str):
    if name in EVALUATOR_NAMES:
        return getattr(import_module("benchgen.evaluation.evaluator"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
