"""LLM implementations of the Planner, Coder and Reviewer roles over any LangChain chat model."""

import base64
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from langchain.chat_models import init_chat_model
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from benchgen.agents import prompts
from benchgen.agents.model_client import ModelClient, ModelReply, OutputMode, output_modes
from benchgen.agents.replies import ReplyProblem, parse_draft, parse_structured
from benchgen.agents.roles import RoleFailure
from benchgen.agents.schemas import ReviewEvidence, ScriptDraft
from benchgen.agents.transport import ModelRequestRefused, RetryPolicy
from benchgen.decisions import (
    NonBlank,
    Plan,
    PlannedFixture,
    RandomizedDimension,
    ReviewDecision,
    ReviewVerdict,
    TokenUsage,
)
from benchgen.errors import ConfigError
from benchgen.settings import mask_url
from benchgen.validation.report import ValidationReport

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 120.0  # seconds one HTTP request to the model may take
DEFAULT_REPLY_ATTEMPTS = 3  # replies one role may give per request before its session fails: 1 + 2 repairs
MAX_ECHOED_REPLY_CHARS = 4_000  # characters of a bad reply sent back to the model with the problem
TOKENS_PER_PRICE_UNIT = 1_000_000  # prices are quoted in USD per million tokens
# OpenAI-compatible local servers (vLLM, llama.cpp, LM Studio) ignore the key, but the client requires one.
LOCAL_SERVER_PLACEHOLDER_KEY = "EMPTY"

Reply = TypeVar("Reply")
Schema = TypeVar("Schema", bound=BaseModel)


class ModelConfig(BaseModel):
    """Which chat model plays the roles and how to reach it. The key is never logged or sent to the sandbox."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="LangChain model string 'provider:name', e.g. 'openai:gpt-4o'.")
    base_url: str | None = Field(default=None, description="Base URL of an OpenAI-compatible server.")
    api_key: SecretStr | None = Field(default=None, description="Provider key; else the provider's env var.")
    supports_images: bool | None = Field(
        default=None, description="Send renders as images; None asks the model's profile (unknown: no)."
    )
    output_mode: OutputMode | None = Field(
        default=None,
        description="Structured-output mode to start with; None: the provider's best (docs/llm.md).",
    )
    retry: RetryPolicy = Field(default_factory=RetryPolicy, description="The one retry layer of model calls.")
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0, description="s one HTTP request may take.")
    reply_attempts: int = Field(
        default=DEFAULT_REPLY_ATTEMPTS,
        ge=1,
        description="Replies per request, repairs of unusable ones included.",
    )
    input_price_per_mtok: float = Field(default=0.0, ge=0, description="USD per million input tokens.")
    output_price_per_mtok: float = Field(default=0.0, ge=0, description="USD per million output tokens.")

    @property
    def provider(self) -> str:
        return self.model.split(":", 1)[0] if ":" in self.model else ""

    @property
    def server(self) -> str:
        """Where requests go, for messages: the base URL, or the provider's own API."""
        return mask_url(self.base_url) if self.base_url else f"the {self.provider} API"

    def with_limits(self, *, timeout_s: float | None = None, tries: int | None = None) -> "ModelConfig":
        """A copy with the request timeout and the tries per request changed where given."""
        changes: dict[str, object] = {}
        if timeout_s is not None:
            changes["timeout_s"] = timeout_s
        if tries is not None:
            changes["retry"] = self.retry.model_copy(update={"attempts": tries})
        return self.model_copy(update=changes)

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
    """Build the chat model with `init_chat_model`; provider packages read their own key variables.

    The client itself never retries (`max_retries=0`): `transport.call_with_retries` is the one retry layer.
    """
    if not config.provider:
        raise ConfigError(
            f"model {config.model!r} must be 'provider:name', e.g. 'openai:gpt-4o' or 'ollama:llama3'"
        )
    kwargs: dict[str, object] = {"max_retries": 0, "timeout": config.timeout_s}
    if config.base_url:
        kwargs["base_url"] = config.base_url
    if config.api_key is not None:
        kwargs["api_key"] = config.api_key.get_secret_value()
    elif config.provider == "openai" and config.base_url and not os.environ.get("OPENAI_API_KEY"):
        kwargs["api_key"] = LOCAL_SERVER_PLACEHOLDER_KEY
    try:
        return init_chat_model(config.model, **kwargs)
    except (ImportError, ValueError) as exc:
        raise ConfigError(f"cannot create chat model {config.model!r}: {exc}") from exc


def model_client(model: BaseChatModel, config: ModelConfig) -> ModelClient:
    """The client the roles of one session share: retry policy and structured-output modes from `config`."""
    return ModelClient(
        model, config.model, config.server, config.retry, output_modes(config.provider, config.output_mode)
    )


def accepts_images(model: BaseChatModel, config: ModelConfig) -> bool:
    """Explicit setting first, then the model's LangChain profile; unknown models get text only."""
    if config.supports_images is not None:
        return config.supports_images
    profile = getattr(model, "profile", None) or {}
    return bool(profile.get("image_inputs", False))


def image_block(path: Path) -> dict[str, object]:
    """One PNG as an OpenAI-style image part; LangChain converts it for other providers."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}}


class PlanReply(BaseModel):
    """The part of a Plan the model writes; usage and parameters are filled in by benchgen."""

    family: NonBlank = Field(description="Short slug for the kind of scenario, e.g. 'gap_crossing'.")
    puzzle_idea: NonBlank
    fixtures: list[PlannedFixture] = Field(min_length=1)
    payload: NonBlank = Field(description="Payload shape, size and material, e.g. 'steel sphere r=15-25 mm'.")
    zones: NonBlank = Field(description="Where goal, forbid zones, build zone and bounds go.")
    randomization: list[RandomizedDimension] = Field(min_length=1)
    scale_policy: NonBlank = Field(
        description="How `scale` applies, e.g. 'every length is multiplied by scale'."
    )
    difficulty_intent: float = Field(ge=0, le=1, description="Target difficulty in [0, 1].")
    notes: str = Field(description="Anything the Coder must know; may be empty.")


class ReviewReply(BaseModel):
    """The model's verdict; who reviewed, whether images were seen and the usage are filled in by benchgen."""

    verdict: ReviewVerdict
    reasons: list[NonBlank] = Field(min_length=1)
    feedback: str = Field(
        description="Concrete instructions for the Coder (REJECT_CODE) or Planner (REJECT_PLAN)."
    )

    @model_validator(mode="after")
    def rejection_says_what_to_change(self) -> "ReviewReply":
        if self.verdict is not ReviewVerdict.APPROVE and not self.feedback.strip():
            raise ValueError(f"a {self.verdict.value} verdict needs feedback: what the next role must change")
        return self


def echo(message: AIMessage) -> AIMessage:
    """A bad reply as the model sees it again next to the problem: its text, or its tool call's arguments."""
    text = message.text or "".join(str(call["args"]) for call in message.tool_calls)
    if len(text) > MAX_ECHOED_REPLY_CHARS:
        text = text[:MAX_ECHOED_REPLY_CHARS] + " [...]"
    return AIMessage(content=text)


def repair_request(problem: ReplyProblem) -> str:
    return f"Your reply cannot be used: {problem}. Answer the request again, in full, with that fixed."


class LLMRole:
    """A role played by a chat model; `name` is what sessions record as the role's author.

    An unusable reply goes back to the same model with the problem, up to `reply_attempts` replies per
    request; every reply's tokens count. Past that, or when the server refuses the request, RoleFailure.
    """

    role = "role"

    def __init__(self, client: ModelClient, config: ModelConfig) -> None:
        self.client = client
        self.config = config
        self.name = config.model

    def ask(
        self,
        messages: list[BaseMessage],
        request: Callable[[list[BaseMessage]], ModelReply],
        parse: Callable[[ModelReply], Reply],
    ) -> tuple[Reply, TokenUsage]:
        usage = TokenUsage()
        conversation = list(messages)
        problems: list[ReplyProblem] = []
        for attempt in range(1, self.config.reply_attempts + 1):
            try:
                reply = request(conversation)
            except ModelRequestRefused as exc:
                raise RoleFailure(f"{self.role} ({self.name}): {exc}", usage) from exc
            usage += self.config.usage_of(reply.message)
            try:
                return parse(reply), usage
            except ReplyProblem as exc:
                problems.append(exc)
                log.warning(
                    "%s (%s) reply %d of %d unusable: %s",
                    self.role,
                    self.name,
                    attempt,
                    self.config.reply_attempts,
                    exc,
                )
                conversation = [*conversation, echo(reply.message), HumanMessage(repair_request(exc))]
        raise RoleFailure(
            f"{self.role} ({self.name}) gave no usable reply in {self.config.reply_attempts} tries "
            f"(reply_attempts): {problems[-1]}",
            usage,
        )

    def structured(self, schema: type[Schema], messages: list[BaseMessage]) -> tuple[Schema, TokenUsage]:
        return self.ask(
            messages,
            lambda conversation: self.client.invoke_structured(schema, conversation),
            lambda reply: parse_structured(reply, schema),
        )


class LLMPlanner(LLMRole):
    """Planner backed by a chat model with structured output."""

    role = "planner"

    def plan(self, theme: str, seed: int, feedback: str | None = None) -> Plan:
        messages = [
            SystemMessage(prompts.planner_system_prompt()),
            HumanMessage(prompts.planner_request(theme, seed, feedback)),
        ]
        reply, usage = self.structured(PlanReply, messages)
        return Plan(theme=theme, usage=usage, **reply.model_dump())


class LLMCoder(LLMRole):
    """Coder backed by a chat model: answers with a complete script and its witness in two fenced blocks."""

    role = "coder"

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
        (source, note, witness), usage = self.ask(
            messages, lambda conversation: ModelReply(self.client.invoke(conversation)), parse_draft
        )
        return ScriptDraft(source=source, attempt=attempt, notes=note, usage=usage, witness=witness)


class LLMReviewer(LLMRole):
    """Reviewer backed by a chat model; sends the renders as images only to models that accept them."""

    role = "reviewer"

    def __init__(self, client: ModelClient, config: ModelConfig) -> None:
        super().__init__(client, config)
        self.sees_images = accepts_images(client.model, config)

    def review(self, plan: Plan, draft: ScriptDraft, evidence: ReviewEvidence) -> ReviewDecision:
        text = prompts.reviewer_request(plan, draft, evidence.report, evidence.bundle)
        bundle = evidence.bundle
        images = []
        if self.sees_images and bundle is not None:
            images = [image_block(bundle.contact_sheet)] + [image_block(p) for p in bundle.views.values()]
            if bundle.witness_strip is not None:
                images.append(image_block(bundle.witness_strip))
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
    """The three roles sharing one chat model and its negotiated structured-output mode."""
    client = model_client(make_chat_model(config), config)
    log.info("LLM roles use %s at %s", config.model, config.server)
    return LLMPlanner(client, config), LLMCoder(client, config), LLMReviewer(client, config)
