"""One chat model as the roles use it: calls through the retry layer, structured output negotiated per model.

Structured output is asked for in the best mode the provider's profile lists (`OUTPUT_MODES_BY_PROVIDER`);
when the server refuses a mode (HTTP 400/422), the client falls back to the next one, and keeps using it
for the rest of the session. docs/llm.md lists the modes per provider.
"""

import json
import logging
from dataclasses import dataclass
from enum import StrEnum

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import Runnable
from pydantic import BaseModel

from benchgen.agents.transport import ModelRequestRefused, RetryPolicy, call_with_retries

log = logging.getLogger(__name__)

PREFLIGHT_PROMPT = "Reply with the single word OK."  # the request that checks key, model and URL first
CUT_OFF = "length"  # finish_reason of a reply the server stopped at its output-token limit


class OutputMode(StrEnum):
    """How a role's structured reply (plan, review) is asked for."""

    JSON_SCHEMA = "json_schema"  # response_format json_schema: the server constrains the reply to the schema
    TOOL_CALLING = "tool_calling"  # one forced tool call whose arguments are the reply
    JSON_MODE = "json_mode"  # response_format json_object, the schema in the prompt
    FENCED_TEXT = "fenced_text"  # plain text: one ```json fenced block, the schema in the prompt


MODE_ORDER = tuple(OutputMode)  # best first; every fallback goes further down this order
OPENAI_MODES = MODE_ORDER  # OpenAI and OpenAI-compatible servers (vLLM, llama.cpp, LM Studio, Ollama /v1)
# Which modes each LangChain provider is asked for, best first. Only OpenAI's API has response_format;
# every LangChain chat model with tools supports tool calling, and any model can write a fenced block.
OUTPUT_MODES_BY_PROVIDER: dict[str, tuple[OutputMode, ...]] = {
    "openai": OPENAI_MODES,
    "azure_openai": OPENAI_MODES,
}
DEFAULT_OUTPUT_MODES = (OutputMode.TOOL_CALLING, OutputMode.FENCED_TEXT)


def output_modes(provider: str, first: OutputMode | None = None) -> list[OutputMode]:
    """The provider's modes, best first; `first` (a setting) starts the list, later modes stay fallbacks."""
    modes = list(OUTPUT_MODES_BY_PROVIDER.get(provider, DEFAULT_OUTPUT_MODES))
    if first is None:
        return modes
    later = [
        m
        for m in MODE_ORDER
        if MODE_ORDER.index(m) > MODE_ORDER.index(first) and (m in modes or m is OutputMode.FENCED_TEXT)
    ]
    return [first, *later]


def format_instructions(schema: type[BaseModel], mode: OutputMode) -> list[BaseMessage]:
    """What the prompt must add in modes where the server does not carry the schema."""
    if mode in (OutputMode.JSON_SCHEMA, OutputMode.TOOL_CALLING):
        return []
    schema_text = json.dumps(schema.model_json_schema())
    if mode is OutputMode.JSON_MODE:
        return [
            HumanMessage(
                f"Answer with one JSON object, nothing else, matching this JSON schema:\n{schema_text}"
            )
        ]
    return [
        HumanMessage(
            "Answer with one JSON object in a ```json fenced block, nothing else, matching this JSON schema:\n"
            f"{schema_text}"
        )
    ]


@dataclass(frozen=True)
class ModelReply:
    """A reply and the structured-output mode it was asked in (None for a plain-text request)."""

    message: AIMessage
    mode: OutputMode | None = None

    @property
    def cut_off(self) -> bool:
        return self.message.response_metadata.get("finish_reason") == CUT_OFF


def cut_off_reply(exc: openai.LengthFinishReasonError) -> AIMessage:
    """The reply the OpenAI SDK refused to parse because it hit the token limit, kept with its usage."""
    completion = exc.completion
    content = completion.choices[0].message.content if completion.choices else ""
    usage = completion.usage
    metadata = (
        {
            "input_tokens": usage.prompt_tokens,
            "output_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        }
        if usage is not None
        else None
    )
    return AIMessage(
        content=content or "", response_metadata={"finish_reason": CUT_OFF}, usage_metadata=metadata
    )


class ModelClient:
    """The chat model shared by the three roles of a session, with its negotiated structured-output mode."""

    def __init__(
        self, model: BaseChatModel, name: str, server: str, retry: RetryPolicy, modes: list[OutputMode]
    ):
        self.model = model
        self.name = name
        self.server = server
        self.retry = retry
        self.modes = modes
        """Modes still to use, the current one first; a refused mode is dropped for the session."""

    def invoke(self, messages: list[BaseMessage], runnable: Runnable | None = None) -> AIMessage:
        """One request through the retry layer."""
        target = runnable or self.model

        def request() -> AIMessage:
            try:
                return target.invoke(messages)
            except openai.LengthFinishReasonError as exc:
                return cut_off_reply(exc)

        return call_with_retries(request, self.retry, model=self.name, server=self.server)

    def check(self) -> None:
        """Raise ModelAccessError or ModelUnreachable now, before a session does any work."""
        self.invoke([HumanMessage(PREFLIGHT_PROMPT)])

    def invoke_structured(self, schema: type[BaseModel], messages: list[BaseMessage]) -> ModelReply:
        """A request for `schema` in the current mode, falling back once per mode the server refuses."""
        while True:
            mode = self.modes[0]
            try:
                runnable = self._bind(schema, mode)
                return ModelReply(
                    self.invoke([*messages, *format_instructions(schema, mode)], runnable), mode
                )
            except (ModelRequestRefused, NotImplementedError) as exc:
                if len(self.modes) == 1:
                    raise
                self.modes.pop(0)
                log.warning(
                    "%s at %s does not take structured output as %s (%s); using %s for the rest of the session",
                    self.name,
                    self.server,
                    mode.value,
                    exc,
                    self.modes[0].value,
                )

    def _bind(self, schema: type[BaseModel], mode: OutputMode) -> Runnable:
        if mode is OutputMode.JSON_SCHEMA:
            json_schema = {"name": schema.__name__, "schema": schema.model_json_schema()}
            return self.model.bind(response_format={"type": "json_schema", "json_schema": json_schema})
        if mode is OutputMode.TOOL_CALLING:
            return self.model.bind_tools([schema], tool_choice=schema.__name__)
        if mode is OutputMode.JSON_MODE:
            return self.model.bind(response_format={"type": "json_object"})
        return self.model
