"""Run untrusted scenario scripts under bubblewrap in a warm worker; results cross back as data only."""

from benchgen.sandbox.bwrap import ensure_bubblewrap
from benchgen.sandbox.limits import SandboxLimits
from benchgen.sandbox.outcome import BuildFailure, BuildOutcome, BuildResult
from benchgen.sandbox.runner import SandboxRunner, build_in_process

__all__ = [
    "BuildFailure",
    "BuildOutcome",
    "BuildResult",
    "SandboxLimits",
    "SandboxRunner",
    "build_in_process",
    "ensure_bubblewrap",
]
