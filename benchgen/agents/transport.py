"""The one retry layer for model calls, and what each server error means for the user.

The provider client is built with `max_retries=0` and Prefect does not retry LLM errors: every wait
and retry of a model call happens in `call_with_retries`, and each one is logged.
"""

import email.utils
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

import openai
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from pydantic import BaseModel, ConfigDict, Field

from benchgen.errors import BenchgenError, ConfigError

log = logging.getLogger(__name__)

DEFAULT_CALL_ATTEMPTS = 4  # tries of one model request on rate limits, 5xx, timeouts and dropped connections
DEFAULT_BACKOFF_S = 2.0  # s before the second try; doubles on each further try
MAX_BACKOFF_S = 30.0  # s, longest wait between two tries without a Retry-After header
BACKOFF_JITTER = 0.25  # each backoff varies by up to +-25% so parallel sessions do not retry in lockstep
DEFAULT_MAX_RETRY_AFTER_S = 120.0  # s; a server asking for a longer wait ends the call instead
MAX_ERROR_CHARS = 300  # characters of a server's error message quoted in ours

RETRY_AFTER_MS_HEADER = "retry-after-ms"  # OpenAI's millisecond variant, read first
RETRY_AFTER_HEADER = "retry-after"  # seconds or an HTTP date (RFC 9110)
RETRY_AFTER_STATUSES = (429, 503)  # answers whose Retry-After header says how long to wait

T = TypeVar("T")


class ServerFault(StrEnum):
    """What a failed model request means, which decides whether it is tried again."""

    ACCESS_DENIED = "access denied"  # 401, 403: wrong or missing key
    UNKNOWN_MODEL = "unknown model"  # 404: the model (or the endpoint) does not exist there
    REFUSED = "request refused"  # 400, 422: the server will not take this request as it is
    RATE_LIMITED = "rate limited"  # 429
    SERVER_ERROR = "server error"  # 5xx
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"  # connection refused, DNS, reset before an answer
    OTHER = "other"

    @property
    def transient(self) -> bool:
        return self in (
            ServerFault.RATE_LIMITED,
            ServerFault.SERVER_ERROR,
            ServerFault.TIMEOUT,
            ServerFault.UNREACHABLE,
        )


class ModelCallError(BenchgenError):
    """A model request failed for good; `fault` says why."""

    def __init__(self, message: str, fault: ServerFault, status: int | None = None) -> None:
        super().__init__(message)
        self.fault = fault
        self.status = status

    def __reduce__(self):  # Prefect pickles a failed task's exception: keep every argument
        return (type(self), (str(self), self.fault, self.status))


class ModelAccessError(ModelCallError, ConfigError):
    """The key is refused (401/403) or the model is unknown (404): a configuration error, never retried."""


class ModelUnreachable(ModelCallError, ConfigError):
    """No connection to the server at all after every try: the URL or the server is wrong."""


class ModelUnavailable(ModelCallError):
    """Rate limits, 5xx answers or timeouts outlasted every try."""


class ModelRequestRefused(ModelCallError):
    """The server answered 400/422 to this request (e.g. a structured-output mode it does not support)."""


class RetryPolicy(BaseModel):
    """How long and how often one model request is tried."""

    model_config = ConfigDict(frozen=True)

    attempts: int = Field(
        default=DEFAULT_CALL_ATTEMPTS, ge=1, description="Tries per request, the first included."
    )
    backoff_s: float = Field(default=DEFAULT_BACKOFF_S, ge=0, description="s before the second try; doubles.")
    max_backoff_s: float = Field(default=MAX_BACKOFF_S, ge=0)
    max_retry_after_s: float = Field(
        default=DEFAULT_MAX_RETRY_AFTER_S, ge=0, description="Longest Retry-After wait honoured, s."
    )

    def backoff(self, retry: int) -> float:
        """Seconds before retry number `retry` (1 = the second try), with jitter."""
        base = min(self.backoff_s * 2 ** (retry - 1), self.max_backoff_s)
        return base * random.uniform(1 - BACKOFF_JITTER, 1 + BACKOFF_JITTER)


# LangChain's provider-independent model errors (provider packages raise subclasses of them).
LANGCHAIN_FAULTS: tuple[tuple[type[BaseException], ServerFault], ...] = (
    (ModelAuthenticationError, ServerFault.ACCESS_DENIED),
    (ModelPermissionDeniedError, ServerFault.ACCESS_DENIED),
    (ModelNotFoundError, ServerFault.UNKNOWN_MODEL),
    (ModelInvalidRequestError, ServerFault.REFUSED),
    (ContextOverflowError, ServerFault.REFUSED),
    (ModelRateLimitError, ServerFault.RATE_LIMITED),
    (ModelAPIError, ServerFault.SERVER_ERROR),
    (ModelTimeoutError, ServerFault.TIMEOUT),
    (ModelConnectionError, ServerFault.UNREACHABLE),
)


def response_of(exc: BaseException):
    """The HTTP response an error carries (provider SDKs bundle their own httpx, so by its attributes)."""
    response = getattr(exc, "response", None)
    return response if hasattr(response, "status_code") and hasattr(response, "headers") else None


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a provider error."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status
    response = response_of(exc)
    return response.status_code if response is not None else None


def classify(exc: BaseException) -> ServerFault:
    if isinstance(exc, (openai.APITimeoutError, TimeoutError)):
        return ServerFault.TIMEOUT
    if isinstance(exc, (openai.APIConnectionError, ConnectionError)):
        return ServerFault.UNREACHABLE
    status = status_of(exc)
    if status is None:
        return next((fault for kind, fault in LANGCHAIN_FAULTS if isinstance(exc, kind)), ServerFault.OTHER)
    if status in (401, 403):
        return ServerFault.ACCESS_DENIED
    if status == 404:
        return ServerFault.UNKNOWN_MODEL
    if status in (400, 422):
        return ServerFault.REFUSED
    if status == 429:
        return ServerFault.RATE_LIMITED
    if status >= 500:
        return ServerFault.SERVER_ERROR
    return ServerFault.OTHER


def retry_after_s(exc: BaseException) -> float | None:
    """The wait a 429 (or 503) answer asks for, from its Retry-After headers; None without one."""
    response = response_of(exc)
    if response is None:
        return None
    headers = response.headers
    try:
        if RETRY_AFTER_MS_HEADER in headers:
            return max(float(headers[RETRY_AFTER_MS_HEADER]) / 1000, 0.0)
        if RETRY_AFTER_HEADER in headers:
            value = headers[RETRY_AFTER_HEADER]
            try:
                return max(float(value), 0.0)
            except ValueError:
                when = email.utils.parsedate_to_datetime(value)
                return max((when - datetime.now(UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None
    return None


def server_message(exc: BaseException) -> str:
    """The server's own words, shortened: the error body's message, else the exception's."""
    body = getattr(exc, "body", None)
    said = body.get("message") if isinstance(body, dict) else None
    text = said or getattr(exc, "message", None) or str(exc) or type(exc).__name__
    cause = exc.__cause__
    if isinstance(exc, openai.APIConnectionError) and cause is not None and str(cause):
        text = f"{text} ({cause})"
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def call_with_retries(call: Callable[[], T], policy: RetryPolicy, *, model: str, server: str) -> T:
    """Run one model request: rate limits wait per Retry-After, 5xx, timeouts and dropped connections
    back off and try again, everything else fails at once as a ModelCallError naming the cause."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except Exception as exc:
            fault = classify(exc)
            if fault is ServerFault.OTHER:
                raise
            status = status_of(exc)
            if not fault.transient:
                raise final_error(exc, fault, status, model=model, server=server, tries=attempt) from exc
            wait = retry_after_s(exc) if status in RETRY_AFTER_STATUSES else None
            if wait is not None and wait > policy.max_retry_after_s:
                raise ModelUnavailable(
                    f"{model} at {server} is rate limited and asks to wait {wait:.0f} s, more than the "
                    f"{policy.max_retry_after_s:.0f} s benchgen waits; try again later",
                    fault,
                    status,
                ) from exc
            if attempt == policy.attempts:
                raise final_error(exc, fault, status, model=model, server=server, tries=attempt) from exc
            delay = wait if wait is not None else policy.backoff(attempt)
            log.warning(
                "%s at %s: %s (%s); try %d of %d in %.1f s",
                model,
                server,
                fault.value,
                server_message(exc),
                attempt + 1,
                policy.attempts,
                delay,
            )
            time.sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises on its last try")


def final_error(
    exc: BaseException, fault: ServerFault, status: int | None, *, model: str, server: str, tries: int
) -> ModelCallError:
    """One line for the user: what failed, the server's words, and what to change."""
    said = server_message(exc)
    code = f"HTTP {status}: " if status is not None else ""
    counted = f"{tries} {'try' if tries == 1 else 'tries'}"
    if fault is ServerFault.ACCESS_DENIED:
        return ModelAccessError(
            f"the server at {server} refused the API key for {model} ({code}{said}); set BENCHGEN_LLM_API_KEY "
            "or the provider's key variable (e.g. OPENAI_API_KEY)",
            fault,
            status,
        )
    if fault is ServerFault.UNKNOWN_MODEL:
        return ModelAccessError(
            f"the server at {server} does not know model {model!r} ({code}{said}); check the name after "
            "'provider:' and the base URL (OpenAI-compatible servers list their models at <base URL>/models)",
            fault,
            status,
        )
    if fault is ServerFault.REFUSED:
        return ModelRequestRefused(f"{server} refused the request for {model} ({code}{said})", fault, status)
    if fault is ServerFault.UNREACHABLE:
        return ModelUnreachable(
            f"cannot connect to the model server at {server} after {counted} ({said}); start the server "
            "or fix --base-url / BENCHGEN_LLM_BASE_URL",
            fault,
            status,
        )
    return ModelUnavailable(
        f"{model} at {server} failed {counted} in a row, the last with {fault.value} ({code}{said}); "
        "try again later",
        fault,
        status,
    )
