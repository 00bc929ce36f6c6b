"""Difficulty of a built scenario in [0, 1], from its geometry alone.

The score is a weighted sum of six terms, each in [0, 1) and each growing with what makes the task
harder for a solver. Lengths are measured in payload widths (w, the payload's larger horizontal
extent) or payload heights (h), so the score does not change with `scale`:

- distance: horizontal distance start -> goal centre, saturating as d / (d + DISTANCE_HALF * w);
- rise: how far the goal's floor is above the payload's bottom at start, r / (r + RISE_HALF * h);
- forbid crossing: length of the straight start -> goal path (in plan view) that lies over forbid zones
  whose height band meets the path's band (from one payload height below the lower end to the payload's
  top at the higher end), c / (c + CROSSING_HALF * w);
- obstacle: the tallest fixture standing in the straight corridor (the path widened by half a payload
  width) that is not overhead (its bottom below the path's top), measured above the payload's bottom,
  o / (o + OBSTACLE_HALF * h);
- proximity: how close the nearest forbid zone is to a payload resting in the goal, PROXIMITY_HALF * w /
  (PROXIMITY_HALF * w + distance);
- goal tightness: payload width over the goal's smaller horizontal side, capped at 1.

Each term is monotone in the geometric quantity it reads, so a family is monotone in a difficulty
parameter when that parameter moves the quantities one way (the families place goals by their centre
for this reason); `tests/test_offline.py` checks every family's difficulty parameters.

`difficulty_with_witness` adds what a witness (the benchmark's reference solution) needed, averaged over
the variants it solved: parts, movers, the slowest start's time to goal and the jitter spread (how much
later the slowest start reached the goal than the nominal one). The scene score keeps most of the weight
(`COMBINED_WEIGHTS`), so the combined score stays monotone in a family's difficulty parameters on
average; docs/scenario-contract.md states the formula and what is guaranteed.
"""

import math
from enum import StrEnum

from pydantic import BaseModel, Field

from benchgen.evaluation.report import EvaluationReport, VariantEvaluation
from benchgen.kit.spec import ScenarioSpec, Vec3, ZoneSpec

DISTANCE_HALF = 8.0  # payload widths of start -> goal distance that score 0.5 on the distance term
RISE_HALF = 2.0  # payload heights of climb that score 0.5 on the rise term
CROSSING_HALF = 3.0  # payload widths of path over forbid zones that score 0.5
OBSTACLE_HALF = 2.0  # payload heights of obstacle that score 0.5
PROXIMITY_HALF = 2.0  # payload widths between goal and forbid zone that score 0.5

# The witness's evidence, each a mean over the variants the witness solved.
PARTS_HALF = 4.0  # witness parts (fixed and moving solids) that score 0.5 on the parts term
MOVERS_HALF = 1.0  # witness movers (driven joints) that score 0.5 on the movers term
TIME_TO_GOAL_HALF_S = 3.0  # s of simulated time for the slowest start to reach the goal that score 0.5


class DifficultyTier(StrEnum):
    """The band a difficulty score falls in; `difficulty_tier` is the only place that decides it."""

    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


# Upper bounds of each band's score (in [0, 1]): the score range split in three equal thirds.
TIER_UPPER_BOUNDS: tuple[tuple[DifficultyTier, float], ...] = (
    (DifficultyTier.EASY, 1 / 3),
    (DifficultyTier.MEDIUM, 2 / 3),
    (DifficultyTier.HARD, 1.0),
)

WEIGHTS: dict[str, float] = {
    "distance": 0.20,
    "rise": 0.20,
    "forbid_crossing": 0.20,
    "obstacle": 0.15,
    "proximity": 0.10,
    "goal_tightness": 0.15,
}


# The combined score: the scene score and each witness term, weights summing to 1. The scene keeps most of
# the weight because it is what the families' difficulty parameters move; the witness terms together can
# move the score by at most their total weight (0.4).
COMBINED_WEIGHTS: dict[str, float] = {
    "scene": 0.60,
    "parts": 0.10,
    "movers": 0.10,
    "time_to_goal": 0.10,
    "jitter_spread": 0.10,
}


class UnsolvedWitness(ValueError):
    """The witness solved no variant, so it is no evidence of what solving the benchmark takes."""


class WitnessEvidence(BaseModel):
    """What the witness needed, each a mean over the variants it solved."""

    variants: int = Field(ge=1, description="Variants the witness solved, that the means are over.")
    parts: float = Field(ge=0, description="Parts the witness placed (fixed and moving solids).")
    movers: float = Field(ge=0, description="Movers (driven joints) the witness used.")
    time_to_goal_s: float = Field(ge=0, description="Simulated s for the slowest start to reach the goal.")
    jitter_spread: float = Field(
        ge=0, le=1, description="1 - nominal start's time to goal / slowest start's; 0: every start as fast."
    )


def _jitter_spread(variant: VariantEvaluation) -> float:
    nominal = next((s.time_to_goal_s for s in variant.starts if s.index == 0), None)
    slowest = variant.time_to_goal_s
    if nominal is None or slowest is None or slowest <= 0:
        return 0.0
    return min(max(1.0 - nominal / slowest, 0.0), 1.0)


def witness_evidence(witness: EvaluationReport) -> WitnessEvidence:
    """Means over the solved variants; a report with none solved raises UnsolvedWitness."""
    solved = [v for v in witness.variants if v.solved]
    if not solved:
        raise UnsolvedWitness(
            f"witness {witness.solution!r} solved none of the {len(witness.variants)} variants of "
            f"{witness.script!r}: it says nothing about difficulty; evaluate it with "
            f"`benchgen evaluate {witness.script} {witness.solution}`"
        )
    count = len(solved)
    return WitnessEvidence(
        variants=count,
        parts=sum(v.parts or 0 for v in solved) / count,
        movers=sum(v.movers or 0 for v in solved) / count,
        time_to_goal_s=sum(v.time_to_goal_s or 0.0 for v in solved) / count,
        jitter_spread=sum(_jitter_spread(v) for v in solved) / count,
    )


def witness_terms(evidence: WitnessEvidence) -> dict[str, float]:
    """Each witness term of the combined score, in [0, 1]; see the module docstring."""
    return {
        "parts": _saturate(evidence.parts, PARTS_HALF),
        "movers": _saturate(evidence.movers, MOVERS_HALF),
        "time_to_goal": _saturate(evidence.time_to_goal_s, TIME_TO_GOAL_HALF_S),
        "jitter_spread": evidence.jitter_spread,
    }


def _saturate(value: float, half: float) -> float:
    """0 at 0, 0.5 at `half`, towards 1 beyond; negative values count as 0."""
    value = max(value, 0.0)
    return value / (value + half)


def _clip_segment(p0: tuple[float, float], p1: tuple[float, float], lo: tuple[float, float],
                  hi: tuple[float, float]) -> float:
    """Length of the plan-view segment p0 -> p1 inside the rectangle lo..hi (Liang-Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    d = (p1[0] - p0[0], p1[1] - p0[1])
    for axis in range(2):
        if abs(d[axis]) < 1e-12:
            if not lo[axis] <= p0[axis] <= hi[axis]:
                return 0.0
            continue
        a = (lo[axis] - p0[axis]) / d[axis]
        b = (hi[axis] - p0[axis]) / d[axis]
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
        if t0 >= t1:
            return 0.0
    return (t1 - t0) * math.hypot(*d)


def _point_box_distance(p: Vec3, box: ZoneSpec) -> float:
    return math.sqrt(sum(max(box.min[i] - p[i], 0.0, p[i] - box.max[i]) ** 2 for i in range(3)))


def difficulty_terms(spec: ScenarioSpec) -> dict[str, float]:
    """Each term of the score, in [0, 1); see the module docstring."""
    payload = spec.payload
    hx, hy, hz = payload.half_extents
    width, height = 2 * max(hx, hy), 2 * hz
    start = payload.start
    bottom = start[2] - hz
    goal = spec.goal
    target = (goal.center[0], goal.center[1])
    path = ((start[0], start[1]), target)
    band_low = min(bottom, goal.min[2]) - height
    band_high = max(bottom, goal.min[2]) + height

    distance = math.hypot(target[0] - start[0], target[1] - start[1])
    rise = goal.min[2] - bottom
    crossing = sum(
        _clip_segment(*path, zone.min[:2], zone.max[:2])
        for zone in spec.forbid
        if zone.min[2] < band_high and zone.max[2] > band_low
    )
    obstacle = 0.0
    for fixture in spec.fixtures:
        lo = (fixture.bbox_min[0] - width / 2, fixture.bbox_min[1] - width / 2)
        hi = (fixture.bbox_max[0] + width / 2, fixture.bbox_max[1] + width / 2)
        if fixture.bbox_min[2] < band_high and _clip_segment(*path, lo, hi) > 0:
            obstacle = max(obstacle, fixture.bbox_max[2] - bottom)
    resting = (goal.center[0], goal.center[1], goal.min[2] + height / 2)
    nearest = min((_point_box_distance(resting, zone) for zone in spec.forbid), default=math.inf)
    goal_side = min(goal.size[0], goal.size[1])
    return {
        "distance": _saturate(distance, DISTANCE_HALF * width),
        "rise": _saturate(rise, RISE_HALF * height),
        "forbid_crossing": _saturate(crossing, CROSSING_HALF * width),
        "obstacle": _saturate(obstacle, OBSTACLE_HALF * height),
        "proximity": 0.0 if math.isinf(nearest) else PROXIMITY_HALF * width / (PROXIMITY_HALF * width + nearest),
        "goal_tightness": min(width / goal_side, 1.0),
    }


def difficulty_score(spec: ScenarioSpec) -> float:
    """Weighted sum of `difficulty_terms`, in [0, 1]."""
    terms = difficulty_terms(spec)
    return min(max(sum(WEIGHTS[name] * value for name, value in terms.items()), 0.0), 1.0)


def difficulty_with_witness(spec: ScenarioSpec, witness: EvaluationReport | None) -> float:
    """The scene score combined with what the witness needed, in [0, 1]; the scene score alone without one."""
    scene = difficulty_score(spec)
    if witness is None:
        return scene
    terms = {"scene": scene, **witness_terms(witness_evidence(witness))}
    return min(max(sum(COMBINED_WEIGHTS[name] * value for name, value in terms.items()), 0.0), 1.0)


def difficulty_tier(score: float) -> DifficultyTier:
    """The band of a score in [0, 1]; every label benchgen shows comes from here."""
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"difficulty score must be in [0, 1], got {score}")
    return next(tier for tier, upper in TIER_UPPER_BOUNDS if score <= upper)
