"""The dataset-build tasks' retry policy on Prefect's real engine: a transient error (store, database)
is retried with backoff, anything else, above all a script's fault, fails at once. LLM API errors are
not retried by Prefect: the session's transport layer is their one retry layer."""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from benchgen.errors import DatabaseError, StoreError
from benchgen.store import ObjectNotFound

REPO = Path(__file__).resolve().parents[1]
SERVER_STARTUP_TIMEOUT_S = 180  # Prefect's temporary test server on a busy machine
HOLD_S = 1.0  # s each task holds its sandbox slot


@pytest.fixture(scope="module")
def prefect_engine() -> Iterator[None]:
    """A temporary Prefect server and database for this module, and tasks/ importable."""
    from prefect.testing.utilities import prefect_test_harness

    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(REPO))
        with prefect_test_harness(server_startup_timeout=SERVER_STARTUP_TIMEOUT_S):
            yield


def rate_limited() -> openai.RateLimitError:
    request = httpx.Request("POST", "https://api.example.com/v1/chat/completions")
    return openai.RateLimitError("rate limited", response=httpx.Response(429, request=request), body=None)


def attempts_until_done(error: BaseException, failures: int) -> tuple[int, bool]:
    """Run a task with the build tasks' retry options that raises `error` `failures` times, then
    succeeds; return how often its body ran and whether the flow completed."""
    from prefect import flow, task

    from tasks.build_steps import TRANSIENT_RETRY_OPTIONS

    calls = []

    @task(**TRANSIENT_RETRY_OPTIONS)
    def step() -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise error
        return "done"

    @flow
    def build() -> str:
        return step()

    state = build(return_state=True)
    return len(calls), state.is_completed()


@pytest.mark.parametrize(
    "error",
    [
        StoreError("s3://bucket/key: connection reset by peer"),
        DatabaseError("server closed the connection unexpectedly"),
        ConnectionError("connection refused"),
    ],
    ids=["store", "database", "connection"],
)
def test_transient_errors_are_retried(prefect_engine, error):
    assert attempts_until_done(error, failures=1) == (2, True)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("build() returned None instead of a Scenario"),
        ObjectNotFound("s3://bucket/missing.json"),
        rate_limited(),
    ],
    ids=["script_fault", "missing_object", "llm_rate_limit_has_its_own_retry_layer"],
)
def test_other_errors_fail_at_once(prefect_engine, error):
    assert attempts_until_done(error, failures=1) == (1, False)


def test_sandbox_slots_bound_parallel_work_across_tasks(prefect_engine):
    """The global limit the flow creates on a server holds the sandboxed steps to its slots."""
    from prefect import flow, task
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows.prefect_setup import ensure_concurrency_limits
    from tasks.policies import DEFAULT_SANDBOX_SLOTS, SANDBOX_WORKERS_LIMIT, slots

    tasks = DEFAULT_SANDBOX_SLOTS + 2
    spans: list[tuple[float, float]] = []

    @task
    def sandboxed_step() -> None:
        with slots(SANDBOX_WORKERS_LIMIT):
            started = time.monotonic()
            time.sleep(HOLD_S)
            spans.append((started, time.monotonic()))

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=tasks))
    def build() -> None:
        for future in [sandboxed_step.submit() for _ in range(tasks)]:
            future.wait()

    ensure_concurrency_limits()
    build()
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = [sum(step for _, step in edges[: i + 1]) for i in range(len(edges))]
    assert len(spans) == tasks
    assert max(running) == DEFAULT_SANDBOX_SLOTS
