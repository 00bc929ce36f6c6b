"""What the Planner and the Reviewer decide (a plan, a review decision) and the tokens a role spent.

The agents exchange them and the database stores them, so they sit below both.
"""

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""Text a reply must fill in: an empty or all-blank string is refused."""


class TokenUsage(BaseModel):
    """Tokens spent by one or more LLM calls (all zero for the offline backend)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: "TokenUsage") -> "TokenUsage":
        return TokenUsage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class RandomizedDimension(BaseModel):
    """One dimension the script draws from its seeded RNG."""

    name: NonBlank = Field(description="What varies, e.g. 'gap width'.")
    low: float
    high: float
    unit: str = "mm"
    scales_with_scale: bool = Field(default=True, description="Multiplied by `scale` in the script.")


class PlannedFixture(BaseModel):
    label: NonBlank = Field(description="Fixture label as it will appear in the script ([a-z][a-z0-9_]*).")
    description: NonBlank


class Plan(BaseModel):
    """The Planner's randomization plan for one theme."""

    theme: str
    family: str = Field(description="Scenario family the plan belongs to (offline family key or a short slug).")
    puzzle_idea: str
    fixtures: list[PlannedFixture]
    payload: str = Field(description="Payload shape, size and material, e.g. 'steel sphere r=15-25 mm'.")
    zones: str = Field(description="Where goal, forbid zones, build zone and bounds go.")
    randomization: list[RandomizedDimension]
    scale_policy: str = "every length is multiplied by scale"
    difficulty_intent: float = Field(ge=0, le=1, description="Target difficulty score in [0, 1].")
    parameters: dict[str, float] = Field(
        default_factory=dict, description="Concrete family parameters chosen for this plan (offline backend)."
    )
    notes: str = ""
    usage: TokenUsage = Field(default_factory=TokenUsage)


class ReviewVerdict(StrEnum):
    APPROVE = "APPROVE"
    REJECT_CODE = "REJECT_CODE"
    REJECT_PLAN = "REJECT_PLAN"


class ReviewDecision(BaseModel):
    """The Reviewer's structured decision; checks decide validity, the reviewer judges the rest."""

    verdict: ReviewVerdict
    reasons: list[str] = Field(min_length=1)
    feedback: str = Field(default="", description="Concrete instructions for the Coder or the Planner.")
    reviewer: str = Field(description="Which reviewer decided, e.g. 'offline' or 'openai:gpt-4o'.")
    saw_images: bool = False
    usage: TokenUsage = Field(default_factory=TokenUsage)
