"""Which task failures are the infrastructure's fault: they fail the whole run, never count as a rejection.

A script that fails validation is a result (a report), and a model that gives no usable reply ends its
session `failed` inside the graph: both stay rejections. What reaches the flow as a task failure of one
of these types means the build itself cannot work (no sandbox, no database or store, no model access),
and so does a task whose process died. A session whose generate task's process died never recorded its
end; the flow marks it `failed` with that cause once the generate step has settled.
"""

from collections.abc import Iterable

from prefect.client.schemas.objects import State
from prefect.futures import PrefectFuture

from benchgen.agents import session
from benchgen.errors import BenchgenError
from benchgen.pipeline import is_infrastructure_error
from benchgen.settings import Settings


class InfrastructureFault(BenchgenError):
    """A task failed for a reason that is not the script's or the model's: the run fails with that cause."""


def process_death(state: State) -> str | None:
    """Why a settled task run's process died, or None when the run recorded its own end.

    A killed Dask worker leaves the run in the state it last reported (Running): Dask, not Prefect,
    notices the loss, and the future's wait returns without a final state."""
    if state.is_crashed():
        return f"the task's process died ({state.message or state.name})"
    if not state.is_final():
        return f"the task's process died (its run was left {state.name})"
    return None


def infrastructure_cause(state: State) -> str | None:
    """'Type: message' of a failed task state caused by the infrastructure, or None for any other state."""
    died = process_death(state)
    if died is not None:
        return died
    if not state.is_failed():
        return None
    error = state.result(raise_on_failure=False)
    if isinstance(error, BaseException) and is_infrastructure_error(error):
        return f"{type(error).__name__}: {error}"
    return None


def abandoned_cause(state: State) -> str:
    """Why a session its task run started never ended, given the run's settled state.

    A run that settled otherwise (a Dask worker killed, the task run again elsewhere) still lost the
    process of that session."""
    return process_death(state) or (
        f"the session's process stopped before it ended (its task run then ended {state.name})"
    )


def fail_abandoned_sessions(futures: Iterable[PrefectFuture], settings: Settings) -> list[str]:
    """Once these generate task runs have settled, mark `failed` with the cause every session one of them
    started that never ended; one line per session marked."""
    causes = {str(future.task_run_id): abandoned_cause(future.state) for future in futures}
    marked = session.fail_abandoned_sessions(settings, causes)
    return [f"session {session_id} failed: {cause}" for session_id, cause in marked.items()]
