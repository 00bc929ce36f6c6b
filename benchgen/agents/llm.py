"""LLM implementations of the Planner, Coder and Reviewer roles over any LangChain chat model."""

import base64
import logging
import os
import re
from pathlib import Path
from typing import TypeVar

import httpx
import openai
from langchain.chat_models import init_chat_model
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from benchgen.agents import prompts
from benchgen.agents.schemas import (
    Plan,
    PlannedFixture,
    RandomizedDimension,
    ReviewDecision,
    ReviewEvidence,
    ReviewVerdict,
    ScriptDraft,
    TokenUsage,
)
from benchgen.errors import BenchgenError, ConfigError
from benchgen.settings import mask_url
from benchgen.validation.report import ValidationReport

log = logging.getLogger(__name__)

DEFAULT_MAX_RETRIES = 3  # retries inside the provider client (it honours Retry-After on rate limits)
DEFAULT_RETRY_ATTEMPTS = 3  # calls of the whole request when the client gives up on a transient error
DEFAULT_TIMEOUT_S = 120.0  # seconds one HTTP request to the model may take
TOKENS_PER_PRICE_UNIT = 1_000_000  # prices are quoted in USD per million tokens
# OpenAI-compatible local servers (vLLM, llama.cpp, LM Studio) ignore the key, but the client requires one.
LOCAL_SERVER_PLACEHOLDER_KEY = "EMPTY"
# Errors worth another try: connection drops, timeouts, rate limits and 5xx answers.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    openai.APIConnectionError,
    openai.RateLimitError,
    openai.InternalServerError,
    httpx.TransportError,
)

CODE_BLOCK = re.compile(r"```(?P<lang>[a-zA-Z0-9_+-]*)[ \t]*\n(?P<body>.*?)```", re.DOTALL)
# "12\t", "12: ", "12 | ", "12→": how tools print line numbers; written into a file they break the script.
LINE_NUMBER_PREFIX = re.compile(r"^[ \t]*(?P<number>\d+)(?:\t|: ?|[ \t]*\|[ \t]?|→)")


Reply = TypeVar("Reply", bound=BaseModel)


class RoleReplyError(BenchgenError):
    """A model's reply could not be used (no structured answer where one is required)."""


class ModelConfig(BaseModel):
    """Which chat model plays the roles and how to reach it. The key is never logged or sent to the sandbox."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="LangChain model string 'provider:name', e.g. 'openai:gpt-4o'.")
    base_url: str | None = Field(default=None, description="Base URL of an OpenAI-compatible server.")
    api_key: SecretStr | None = Field(default=None, description="Provider key; else the provider's env var.")
    supports_images: bool | None = Field(
        default=None, description="Send renders as images; None asks the model's profile (unknown: no)."
    )
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    retry_attempts: int = Field(default=DEFAULT_RETRY_ATTEMPTS, ge=1)
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0)
    input_price_per_mtok: float = Field(default=0.0, ge=0, description="USD per million input tokens.")
    output_price_per_mtok: float = Field(default=0.0, ge=0, description="USD per million output tokens.")

    def usage_of(self, message: AIMessage) -> TokenUsage:
        """Tokens (and their cost) of one reply, from LangChain's `usage_metadata`."""
        metadata = message.usage_metadata or {}
        input_tokens = int(metadata.get("input_tokens", 0))
        output_tokens = int(metadata.get("output_tokens", 0))
        cost = (
            input_tokens * self.input_price_per_mtok + output_tokens * self.output_price_per_mtok
        ) / TOKENS_PER_PRICE_UNIT
        return TokenUsage(input_tokens=input_tokens, output_tokens=output_tokens, cost_usd=cost)


def make_chat_model(config: ModelConfig) -> BaseChatModel:
    """Build the chat model with `init_chat_model`; provider packages read their own key variables."""
    provider = config.model.split(":", 1)[0] if ":" in config.model else ""
    if not provider:
        raise ConfigError(
            f"model {config.model!r} must be 'provider:name', e.g. 'openai:gpt-4o' or 'ollama:llama3'"
        )
    kwargs: dict[str, object] = {"max_retries": config.max_retries, "timeout": config.timeout_s}
    if config.base_url:
        kwargs["base_url"] = config.base_url
    if config.api_key is not None:
        kwargs["api_key"] = config.api_key.get_secret_value()
    elif provider == "openai" and config.base_url and not os.environ.get("OPENAI_API_KEY"):
        kwargs["api_key"] = LOCAL_SERVER_PLACEHOLDER_KEY
    try:
        return init_chat_model(config.model, **kwargs)
    except (ImportError, ValueError) as exc:
        raise ConfigError(f"cannot create chat model {config.model!r}: {exc}") from exc


def with_retries(runnable: Runnable, config: ModelConfig) -> Runnable:
    """Retry the whole call with exponential backoff and jitter on transient API errors only."""
    return runnable.with_retry(
        retry_if_exception_type=TRANSIENT_ERRORS,
        wait_exponential_jitter=True,
        stop_after_attempt=config.retry_attempts,
    )


def accepts_images(model: BaseChatModel, config: ModelConfig) -> bool:
    """Explicit setting first, then the model's LangChain profile; unknown models get text only."""
    if config.supports_images is not None:
        return config.supports_images
    profile = getattr(model, "profile", None) or {}
    return bool(profile.get("image_inputs", False))


def strip_line_numbers(source: str) -> str:
    """Remove line-number prefixes when every non-blank line carries one and they count up by one."""
    lines = source.splitlines()
    matches = [LINE_NUMBER_PREFIX.match(line) for line in lines if line.strip()]
    if not matches or any(match is None for match in matches):
        return source
    numbers = [int(match["number"]) for match in matches]
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return source
    stripped = [LINE_NUMBER_PREFIX.sub("", line, count=1) for line in lines]
    return "\n".join(stripped) + ("\n" if source.endswith("\n") else "")


def extract_script(reply: str) -> tuple[str, str]:
    """(script, note) from a Coder reply: the first ```python block (else the first block, else the text)."""
    blocks = list(CODE_BLOCK.finditer(reply))
    chosen = next((b for b in blocks if b["lang"].lower() in ("python", "py")), blocks[0] if blocks else None)
    if chosen is None:
        body, note = reply, ""
    else:
        body, note = chosen["body"], reply[: chosen.start()].strip()
    script = strip_line_numbers(body.strip("\n") + "\n")
    return script, note


def image_block(path: Path) -> dict[str, object]:
    """One PNG as an OpenAI-style image part; LangChain converts it for other providers."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}}


class PlanReply(BaseModel):
    """The part of a Plan the model writes; usage and parameters are filled in by benchgen."""

    family: str = Field(description="Short slug for the kind of scenario, e.g. 'gap_crossing'.")
    puzzle_idea: str
    fixtures: list[PlannedFixture]
    payload: str = Field(description="Payload shape, size and material, e.g. 'steel sphere r=15-25 mm'.")
    zones: str = Field(description="Where goal, forbid zones, build zone and bounds go.")
    randomization: list[RandomizedDimension]
    scale_policy: str = Field(description="How `scale` applies, e.g. 'every length is multiplied by scale'.")
    difficulty_intent: float = Field(ge=0, le=1, description="Target difficulty in [0, 1].")
    notes: str = Field(description="Anything the Coder must know; may be empty.")


class ReviewReply(BaseModel):
    """The model's verdict; who reviewed, whether images were seen and the usage are filled in by benchgen."""

    verdict: ReviewVerdict
    reasons: list[str] = Field(min_length=1)
    feedback: str = Field(
        description="Concrete instructions for the Coder (REJECT_CODE) or Planner (REJECT_PLAN)."
    )


class LLMRole:
    """A role played by a chat model; `name` is what sessions record as the role's author."""

    def __init__(self, model: BaseChatModel, config: ModelConfig) -> None:
        self.model = model
        self.config = config
        self.name = config.model

    def structured(self, schema: type[Reply], messages: list[BaseMessage]) -> tuple[Reply, TokenUsage]:
        """Call with structured output; return (reply, usage) or raise RoleReplyError naming the problem."""
        runnable = with_retries(self.model.with_structured_output(schema, include_raw=True), self.config)
        result = runnable.invoke(messages)
        usage = self.config.usage_of(result["raw"])
        if result["parsed"] is None:
            raise RoleReplyError(
                f"{self.config.model} did not return a valid {schema.__name__}: {result['parsing_error']}; "
                "use a model that supports structured output or retry"
            )
        return result["parsed"], usage


class LLMPlanner(LLMRole):
    """Planner backed by a chat model with structured output."""

    def plan(self, theme: str, seed: int, feedback: str | None = None) -> Plan:
        messages = [
            SystemMessage(prompts.planner_system_prompt()),
            HumanMessage(prompts.planner_request(theme, seed, feedback)),
        ]
        reply, usage = self.structured(PlanReply, messages)
        return Plan(theme=theme, usage=usage, **reply.model_dump())


class LLMCoder(LLMRole):
    """Coder backed by a chat model: answers with a complete script in a fenced block."""

    def write(
        self,
        plan: Plan,
        attempt: int,
        previous: ScriptDraft | None = None,
        report: ValidationReport | None = None,
        feedback: str | None = None,
        lessons: list[str] | None = None,
    ) -> ScriptDraft:
        messages = [
            SystemMessage(prompts.coder_system_prompt(lessons)),
            HumanMessage(prompts.coder_request(plan, attempt, previous, report, feedback)),
        ]
        reply: AIMessage = with_retries(self.model, self.config).invoke(messages)
        source, note = extract_script(reply.text)
        return ScriptDraft(source=source, attempt=attempt, notes=note, usage=self.config.usage_of(reply))


class LLMReviewer(LLMRole):
    """Reviewer backed by a chat model; sends the renders as images only to models that accept them."""

    def __init__(self, model: BaseChatModel, config: ModelConfig) -> None:
        super().__init__(model, config)
        self.images = accepts_images(model, config)

    def review(self, plan: Plan, draft: ScriptDraft, evidence: ReviewEvidence) -> ReviewDecision:
        text = prompts.reviewer_request(plan, draft.source, evidence.report, evidence.bundle)
        bundle = evidence.bundle
        images = []
        if self.images and bundle is not None:
            images = [image_block(bundle.contact_sheet)] + [image_block(p) for p in bundle.views.values()]
        content: list[dict[str, object]] = [{"type": "text", "text": text}, *images]
        messages = [SystemMessage(prompts.REVIEWER_SYSTEM), HumanMessage(content=content)]
        reply, usage = self.structured(ReviewReply, messages)
        reasons = list(reply.reasons)
        if not images:
            reasons.append(self._text_only_reason(bundle is not None))
        return ReviewDecision(
            verdict=reply.verdict,
            reasons=reasons,
            feedback=reply.feedback,
            reviewer=self.name,
            saw_images=bool(images),
            usage=usage,
        )

    def _text_only_reason(self, rendered: bool) -> str:
        if not rendered:
            return "text-only review: no renders were made for this session; judged from the machine report"
        return (
            f"text-only review: {self.name} is not known to accept images (set supports_images to send them); "
            "judged from the machine report and render metrics"
        )


def llm_roles(config: ModelConfig) -> tuple[LLMPlanner, LLMCoder, LLMReviewer]:
    """The three roles sharing one chat model."""
    model = make_chat_model(config)
    log.info(
        "LLM roles use %s%s", config.model, f" at {mask_url(config.base_url)}" if config.base_url else ""
    )
    return LLMPlanner(model, config), LLMCoder(model, config), LLMReviewer(model, config)
