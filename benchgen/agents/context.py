"""Tunables of one generation session: caps, validation variants and rendering."""

from dataclasses import dataclass, field

from benchgen.contract import MAX_SCALE, MIN_SCALE, SCALE_RANGE
from benchgen.errors import UsageError

DEFAULT_MAX_CODER_ATTEMPTS = 6  # scripts written per session, repairs included
DEFAULT_MAX_REVIEW_ROUNDS = 3  # reviewer calls per session
DEFAULT_MAX_PLAN_ROUNDS = 2  # plans per session: the first one plus one REJECT_PLAN re-plan
DEFAULT_MAX_TOTAL_TOKENS = 400_000  # input + output tokens over every LLM call of a session
DEFAULT_VALIDATION_SEEDS = (0, 1, 2)  # seeds every draft is validated on
DEFAULT_VALIDATION_SCALES = (1.0,)  # scales every draft is validated on


@dataclass(kw_only=True, frozen=True)
class GeneratorContext:
    """Per-run limits the graph enforces; pass as `context=` when invoking the graph."""

    max_coder_attempts: int = field(
        default=DEFAULT_MAX_CODER_ATTEMPTS,
        metadata={"description": "Most scripts the Coder may write in one session (first try and repairs)."},
    )
    max_review_rounds: int = field(
        default=DEFAULT_MAX_REVIEW_ROUNDS,
        metadata={"description": "Most times the Reviewer is asked; past it a rejection ends the session."},
    )
    max_plan_rounds: int = field(
        default=DEFAULT_MAX_PLAN_ROUNDS,
        metadata={"description": "Most plans the Planner may write, the first included."},
    )
    max_total_tokens: int = field(
        default=DEFAULT_MAX_TOTAL_TOKENS,
        metadata={"description": "Session budget of LLM tokens (input + output); past it the session fails."},
    )
    validation_seeds: tuple[int, ...] = field(
        default=DEFAULT_VALIDATION_SEEDS,
        metadata={"description": "Seeds each draft is validated on; the first one is also rendered."},
    )
    validation_scales: tuple[float, ...] = field(
        default=DEFAULT_VALIDATION_SCALES,
        metadata={"description": "Scales each draft is validated on; the first one is also rendered."},
    )
    require_witness: bool = field(
        default=False,
        metadata={
            "description": "A draft without a witness fails NO_WITNESS; the pipeline requires one. A draft's "
            "witness is evaluated whenever the Coder wrote one."
        },
    )
    render: bool = field(
        default=True,
        metadata={
            "description": "Render views and a contact sheet for the Reviewer after validation passes."
        },
    )

    def __post_init__(self) -> None:
        for name in ("max_coder_attempts", "max_review_rounds", "max_plan_rounds", "max_total_tokens"):
            value = getattr(self, name)
            if value < 1:
                raise UsageError(f"{name} must be >= 1, got {value}")
        if not self.validation_seeds:
            raise UsageError("validation_seeds must name at least one seed, got ()")
        if not self.validation_scales:
            raise UsageError("validation_scales must name at least one scale, got ()")
        for scale in self.validation_scales:
            if not MIN_SCALE <= scale <= MAX_SCALE:
                raise UsageError(f"validation_scales must lie in {SCALE_RANGE}, got {scale}")
