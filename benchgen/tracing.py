"""Langfuse tracing of agent sessions: every LLM call is traced with the session id, theme and graph node.

On only when the standard Langfuse variables are set (`LANGFUSE_PUBLIC_KEY`, `LANGFUSE_SECRET_KEY` and
`LANGFUSE_BASE_URL` or `LANGFUSE_HOST`); otherwise the `langfuse` package is never imported and nothing
is sent. Langfuse's LangChain callback handler rides on the graph's run config: LangGraph hands it to each
node (a chain run named after the node), and LangChain hands it on to the chat model calls inside.
"""

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, SecretStr

from benchgen.errors import ConfigError
from benchgen.settings import check_http_url

PUBLIC_KEY_VARIABLE = "LANGFUSE_PUBLIC_KEY"
SECRET_KEY_VARIABLE = "LANGFUSE_SECRET_KEY"
BASE_URL_VARIABLES = ("LANGFUSE_BASE_URL", "LANGFUSE_HOST")  # the first one set wins; HOST is the older name
TRACE_NAME = "benchgen-session"  # name of each session's trace in Langfuse
THEME_METADATA_KEY = "benchgen_theme"  # trace metadata key holding the session's theme
SESSION_METADATA_KEY = "benchgen_session_id"


class LangfuseSettings(BaseModel):
    """Where traces go and the project keys; the secret never appears in logs or reprs."""

    public_key: str
    secret_key: SecretStr
    base_url: str


def langfuse_settings(environ: Mapping[str, str] | None = None) -> LangfuseSettings | None:
    """The Langfuse settings from the environment, None when tracing is off.

    Both keys must be set together, and a base URL must be given: a half-configured tracer is an error,
    not a silent fallback to Langfuse's cloud.
    """
    environ = os.environ if environ is None else environ
    public_key = environ.get(PUBLIC_KEY_VARIABLE, "").strip()
    secret_key = environ.get(SECRET_KEY_VARIABLE, "").strip()
    base_url = next(
        (environ[name].strip() for name in BASE_URL_VARIABLES if environ.get(name, "").strip()), ""
    )
    if not (public_key or secret_key):
        return None
    if not (public_key and secret_key and base_url):
        missing = [
            name
            for name, value in (
                (PUBLIC_KEY_VARIABLE, public_key),
                (SECRET_KEY_VARIABLE, secret_key),
                (" or ".join(BASE_URL_VARIABLES), base_url),
            )
            if not value
        ]
        raise ConfigError(
            f"Langfuse tracing is half configured: {', '.join(missing)} not set; set all of "
            f"{PUBLIC_KEY_VARIABLE}, {SECRET_KEY_VARIABLE} and {BASE_URL_VARIABLES[0]}, or unset the keys"
        )
    try:
        base_url = check_http_url(base_url)
    except ValueError as exc:
        raise ConfigError(f"{BASE_URL_VARIABLES[0]}: {exc}") from None
    return LangfuseSettings(public_key=public_key, secret_key=SecretStr(secret_key), base_url=base_url)


def _langfuse_handler(settings: LangfuseSettings) -> Any:
    """Langfuse's LangChain handler bound to a client for these settings (imported only when tracing is on)."""
    from langfuse import Langfuse
    from langfuse.langchain import CallbackHandler

    Langfuse(
        public_key=settings.public_key,
        secret_key=settings.secret_key.get_secret_value(),
        base_url=settings.base_url,
    )
    return CallbackHandler(public_key=settings.public_key)


def _flush(settings: LangfuseSettings) -> None:
    from langfuse import get_client

    get_client(public_key=settings.public_key).flush()


@contextmanager
def traced_session(
    config: dict[str, Any],
    session_id: uuid.UUID,
    theme: str,
    environ: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """The graph's run `config`, with Langfuse tracing for this session when configured; flushes on exit.

    The trace carries the session id (Langfuse session), the theme (metadata and a tag) and one span per
    graph node, under which each chat model call is a generation.
    """
    settings = langfuse_settings(environ)
    if settings is None:
        yield config
        return
    metadata = {
        **config.get("metadata", {}),
        "langfuse_session_id": str(session_id),
        "langfuse_trace_name": TRACE_NAME,
        "langfuse_tags": [f"theme:{theme}"],
        SESSION_METADATA_KEY: str(session_id),
        THEME_METADATA_KEY: theme,
    }
    callbacks = [*config.get("callbacks", []), _langfuse_handler(settings)]
    try:
        yield {**config, "callbacks": callbacks, "metadata": metadata, "run_name": TRACE_NAME}
    finally:
        _flush(settings)
