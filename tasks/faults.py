"""Which task failures are the infrastructure's fault: they fail the whole run, never count as a rejection.

A script that fails validation is a result (a report), and a model that gives no usable reply ends its
session `failed` inside the graph: both stay rejections. What reaches the flow as a task failure of one
of these types means the build itself cannot work (no sandbox, no database or store, no model access),
and so does a task whose process died.
"""

from prefect.client.schemas.objects import State

from benchgen.agents.session import SessionInterrupted
from benchgen.agents.transport import ModelCallError
from benchgen.errors import BenchgenError, ConfigError, DatabaseError, SandboxUnavailable, StoreError

INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    SandboxUnavailable,
    DatabaseError,
    StoreError,
    ConfigError,  # includes a refused API key, an unknown model and an unreachable model server
    ModelCallError,
    SessionInterrupted,
)


class InfrastructureFault(BenchgenError):
    """A task failed for a reason that is not the script's or the model's: the run fails with that cause."""


def infrastructure_cause(state: State) -> str | None:
    """'Type: message' of a failed task state caused by the infrastructure, or None for any other state."""
    if state.is_crashed():
        return f"the task's process died ({state.message or state.name})"
    if not state.is_failed():
        return None
    error = state.result(raise_on_failure=False)
    if isinstance(error, INFRASTRUCTURE_ERRORS):
        return f"{type(error).__name__}: {error}"
    return None
