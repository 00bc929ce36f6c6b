"""Build scripts this package rendered, in this process, for the planner's and reviewer's measurements.

Only for trusted sources: the offline families' own scripts, which the validator has also run in the
sandbox. Anything else goes through `benchgen.sandbox.SandboxRunner`.
"""

from benchgen.errors import BenchgenError
from benchgen.kit.spec import ScenarioSpec
from benchgen.sandbox import BuildFailure, build_in_process


class OfflineBuildError(BenchgenError):
    """An offline family script failed to build; the message carries the failure code and what to change."""


def build_spec(source: str, seed: int, scale: float = 1.0) -> ScenarioSpec:
    """The spec of variant (seed, scale) of a trusted script, or OfflineBuildError."""
    outcome = build_in_process(source, seed, scale)
    if isinstance(outcome, BuildFailure):
        raise OfflineBuildError(f"build({seed}, {scale:g}) failed with {outcome.code.value}: {outcome.message}")
    return outcome.spec
