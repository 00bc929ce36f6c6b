"""Score a solution (a mechanism) against a benchmark: sandboxed solve, static checks, MuJoCo run."""

from benchgen.evaluation.evaluator import EvaluationSettings, evaluate_files, evaluate_sources
from benchgen.evaluation.report import EvaluationReport, StartResult, VariantEvaluation

__all__ = [
    "EvaluationReport",
    "EvaluationSettings",
    "StartResult",
    "VariantEvaluation",
    "evaluate_files",
    "evaluate_sources",
]
