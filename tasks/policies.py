"""Retry, cache and concurrency policy shared by the dataset-build tasks.

Transient failures (store, database, network) are retried with exponential backoff and jitter;
everything else, above all a deterministic validation verdict, fails at once. LLM calls are not
retried here: `benchgen.agents.transport` is their one retry layer, inside the session.
"""

from contextlib import AbstractContextManager, nullcontext

from prefect.cache_policies import INPUTS, TASK_SOURCE
from prefect.concurrency.sync import concurrency
from prefect.settings import PREFECT_API_URL
from prefect.tasks import exponential_backoff

from benchgen.errors import DatabaseError, StoreError
from benchgen.store import ObjectNotFound

TRANSIENT_RETRIES = 3  # attempts after the first for store and database errors
RETRY_BACKOFF_S = 2.0  # seconds before the first retry; doubles each time
RETRY_JITTER_FACTOR = 0.5  # each delay varies by up to +-50% so workers do not retry in lockstep

LLM_CALLS_LIMIT = "benchgen-llm-calls"  # global concurrency limit held while an agent session runs
SANDBOX_WORKERS_LIMIT = "benchgen-sandbox-workers"  # held while scripts build or simulate in the sandbox
DEFAULT_LLM_SLOTS = 2  # concurrent agent sessions; LLM providers rate-limit beyond a few
DEFAULT_SANDBOX_SLOTS = 2  # concurrent sandboxed builds/simulations; about one per core

# What a cached result depends on besides the task's own source: its inputs (which carry the explicit
# `versions` of code, validator, renderer and prompts) minus the settings object, which holds secrets
# and paths that do not change what is computed.
CACHE_POLICY = (INPUTS - "settings") + TASK_SOURCE

RETRY_DELAYS = exponential_backoff(backoff_factor=RETRY_BACKOFF_S)


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    StoreError,
    DatabaseError,
    ConnectionError,
    TimeoutError,
)


def slots(limit: str) -> AbstractContextManager:
    """Hold one slot of a global concurrency limit; a no-op in ephemeral mode (no server, no limits)."""
    return concurrency(limit, occupy=1) if PREFECT_API_URL.value() else nullcontext()


def is_transient(exc: BaseException) -> bool:
    """True for failures that may pass on a second try; a missing object or a bad script never does."""
    if isinstance(exc, ObjectNotFound):
        return False
    return isinstance(exc, TRANSIENT_ERRORS)


def retry_transient(task, task_run, state) -> bool:
    """Prefect `retry_condition_fn`: retry only when the task failed with a transient error."""
    outcome = state.result(raise_on_failure=False)
    return isinstance(outcome, BaseException) and is_transient(outcome)
