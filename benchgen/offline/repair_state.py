"""What the offline Coder carries from one draft to the next: the parameters its script was rendered
from, the witness tuning, and the repair moves applied so far (the state its next repair starts from).

It travels with the draft (`ScriptDraft.offline`), so the Coder never reads its own notes or script back.
"""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

MIN_PACE = 0.25  # slowest witness pace: a quarter of the witness's own speeds
MAX_FACTOR = 4.0  # the most any other witness factor may grow
MIN_FACTOR = 0.01  # the least any other witness factor may shrink (tests inject weakened witnesses)


class RepairMove(StrEnum):
    """What the Coder changes for a failure code: the scene (first six) or its witness (the rest)."""

    RAISE_START = "RAISE_START"
    MOVE_GOAL = "MOVE_GOAL"
    WIDEN_SUPPORT = "WIDEN_SUPPORT"
    GROW_BOUNDS = "GROW_BOUNDS"
    INCREASE_VARIATION = "INCREASE_VARIATION"
    REDUCE_VARIATION = "REDUCE_VARIATION"
    SLOWER_PUSH = "SLOWER_PUSH"
    LONGER_SETTLE = "LONGER_SETTLE"
    LONGER_TRAVEL = "LONGER_TRAVEL"
    WIDER_MARGIN = "WIDER_MARGIN"
    WIDER_CLEARANCE = "WIDER_CLEARANCE"
    EARLIER_START = "EARLIER_START"


class WitnessTuning(BaseModel):
    """Named factors on a witness file's constants; 1.0 everywhere is the witness as written.

    `witness_source(family, tuning)` renders them into the file's module constants, so the published
    witness stays a self-contained file with plain numbers.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    pace: float = Field(1.0, ge=MIN_PACE, le=1.0, description="speeds times this, stroke times over it")
    settle: float = Field(1.0, ge=MIN_FACTOR, le=MAX_FACTOR, description="time left to come to rest, times")
    reach: float = Field(1.0, ge=MIN_FACTOR, le=MAX_FACTOR, description="end play over this: longer travel")
    margin: float = Field(1.0, ge=MIN_FACTOR, le=MAX_FACTOR, description="guide and span margins, times")
    clearance: float = Field(1.0, ge=MIN_FACTOR, le=MAX_FACTOR, description="room to the payload at t = 0")
    start: float = Field(1.0, ge=MIN_FACTOR, le=MAX_FACTOR, description="movers' first start time, times")


def tuning_range(knob: str) -> tuple[float, float]:
    """The (low, high) range of a `WitnessTuning` factor."""
    return (MIN_PACE, 1.0) if knob == "pace" else (MIN_FACTOR, MAX_FACTOR)


class AppliedMove(BaseModel):
    """One repair move the Coder applied, with the note saying why and what changed."""

    move: RepairMove
    note: str


class OfflineDraftState(BaseModel):
    """The offline Coder's state of one plan's draft."""

    parameters: dict[str, float] = Field(description="The family parameters the script was rendered from.")
    tuning: WitnessTuning = Field(default_factory=WitnessTuning, description="The witness's tuning.")
    moves: list[AppliedMove] = Field(default_factory=list, description="Moves applied so far, in order")
