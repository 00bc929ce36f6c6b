"""The dataset-build tasks' retry policy on Prefect's real engine: a transient error (store, database,
LLM API) is retried with backoff, anything else, above all a script's fault, fails at once."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from benchgen.errors import DatabaseError, StoreError
from benchgen.store import ObjectNotFound

REPO = Path(__file__).resolve().parents[1]
SERVER_STARTUP_TIMEOUT_S = 180  # Prefect's temporary test server on a busy machine


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
        rate_limited(),
    ],
    ids=["store", "database", "connection", "llm_rate_limit"],
)
def test_transient_errors_are_retried(prefect_engine, error):
    assert attempts_until_done(error, failures=1) == (2, True)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("build() returned None instead of a Scenario"),
        ObjectNotFound("s3://bucket/missing.json"),
    ],
    ids=["script_fault", "missing_object"],
)
def test_other_errors_fail_at_once(prefect_engine, error):
    assert attempts_until_done(error, failures=1) == (1, False)
