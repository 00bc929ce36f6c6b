"""The offline Coder: render the plan's family script and its witness, and repair them by failure code.

The first attempt renders the plan's parameters and the family's witness as written. Each later attempt
starts from the previous draft's typed state (`ScriptDraft.offline`: parameters, witness tuning, moves so
far), picks the failure code that occurs most often in the report (ties: the report's order) and applies
the repair move mapped to it: one move per attempt, written to `ScriptDraft.notes`. When the scene is
valid but its witness failed (WITNESS_FAILED), the code is the most frequent of the witness's evaluation
failures and the move retunes the witness (slower push, longer settle, longer travel, ...), trying each
move the code allows before strengthening one again. A reviewer's feedback can ask for a move as
`repair: <MOVE>`. After MAX_REPAIR_MOVES moves the Coder stops changing the draft and says so; the graph
caps attempts too.
"""

import re
from collections import Counter

from pydantic import BaseModel, Field

from benchgen.agents.schemas import ScriptDraft
from benchgen.codes import FailureCode
from benchgen.decisions import Plan
from benchgen.evaluation.report import EvaluationReport
from benchgen.offline.families import FAMILIES, Family, get_family
from benchgen.offline.families.base import FamilyParams
from benchgen.offline.repair_state import (
    AppliedMove,
    OfflineDraftState,
    RepairMove,
    WitnessTuning,
    tuning_range,
)
from benchgen.offline.witnesses import tuned_constants, witness_source
from benchgen.validation.report import ValidationReport

# Moves (script and witness) one plan may receive before the Coder stops changing its draft.
MAX_REPAIR_MOVES = 4

# Step of each move (mm unless noted).
START_RAISE_MM = 4.0  # lift of the payload's start above its support
GOAL_SHIFT_MM = 60.0  # extra distance of the goal along the payload's path
SUPPORT_WIDEN_MM = 20.0  # extra size of the payload's support on each side
BOUNDS_GROW_MM = 120.0  # extra room between the scene and its bounds
VARIATION_FACTOR = 2.0  # variation is multiplied (more variety) or divided (fewer extreme draws) by this
MIN_INCREASED_VARIATION = 0.05  # relative; INCREASE_VARIATION never leaves less than this


REPAIR_FOR_CODE: dict[FailureCode, RepairMove] = {
    FailureCode.PAYLOAD_OVERLAPS_FIXTURE: RepairMove.RAISE_START,
    FailureCode.PHYSICS_UNSTABLE: RepairMove.RAISE_START,
    FailureCode.GOAL_REACHED_UNAIDED: RepairMove.MOVE_GOAL,
    FailureCode.PAYLOAD_IN_GOAL: RepairMove.MOVE_GOAL,
    FailureCode.GOAL_OVERLAPS_FORBID: RepairMove.MOVE_GOAL,
    FailureCode.FORBID_ZONE_HIT: RepairMove.WIDEN_SUPPORT,
    FailureCode.NOT_SETTLED: RepairMove.WIDEN_SUPPORT,
    FailureCode.OUT_OF_BOUNDS: RepairMove.WIDEN_SUPPORT,
    FailureCode.PAYLOAD_IN_FORBID: RepairMove.WIDEN_SUPPORT,
    FailureCode.FIXTURE_OUT_OF_BOUNDS: RepairMove.GROW_BOUNDS,
    FailureCode.PAYLOAD_OUT_OF_BOUNDS: RepairMove.GROW_BOUNDS,
    FailureCode.GOAL_OUT_OF_BOUNDS: RepairMove.GROW_BOUNDS,
    FailureCode.BUILD_ZONE_OUT_OF_BOUNDS: RepairMove.GROW_BOUNDS,
    FailureCode.GOAL_OUTSIDE_BUILD_ZONE: RepairMove.GROW_BOUNDS,
    FailureCode.NO_VARIATION: RepairMove.INCREASE_VARIATION,
    FailureCode.FIXTURE_INTERSECTION: RepairMove.REDUCE_VARIATION,
    FailureCode.INVALID_GEOMETRY: RepairMove.REDUCE_VARIATION,
    FailureCode.ZONE_INVALID: RepairMove.REDUCE_VARIATION,
}
# The witness moves for each evaluation failure code of a failed witness, in the order they are tried.
WITNESS_REPAIRS_FOR_CODE: dict[FailureCode, tuple[RepairMove, ...]] = {
    FailureCode.GOAL_NOT_REACHED: (
        RepairMove.LONGER_SETTLE,
        RepairMove.SLOWER_PUSH,
        RepairMove.LONGER_TRAVEL,
        RepairMove.EARLIER_START,
    ),
    FailureCode.FORBID_ZONE_HIT: (RepairMove.SLOWER_PUSH, RepairMove.WIDER_MARGIN),
    FailureCode.OUT_OF_BOUNDS: (RepairMove.SLOWER_PUSH, RepairMove.WIDER_MARGIN),
    FailureCode.PHYSICS_UNSTABLE: (RepairMove.SLOWER_PUSH,),
    FailureCode.PART_OVERLAPS_PAYLOAD: (RepairMove.WIDER_CLEARANCE,),
}


class TuningStep(BaseModel):
    """A witness move: the tuning factor it turns and by how much."""

    knob: str
    factor: float = Field(gt=0, description="multiplies the knob; below 1 lowers it (pace, start time)")


# Each witness move's step. A move first brings its knob back to 1.0 if a fault left it on the wrong
# side, then multiplies it, so one move always leaves the witness at least as strong as written.
WITNESS_STEPS: dict[RepairMove, TuningStep] = {
    RepairMove.SLOWER_PUSH: TuningStep(knob="pace", factor=0.7),  # pushes at 70 % of the speed
    RepairMove.LONGER_SETTLE: TuningStep(knob="settle", factor=1.5),  # 50 % more time to come to rest
    RepairMove.LONGER_TRAVEL: TuningStep(knob="reach", factor=2.0),  # half the play at a stroke's end
    RepairMove.WIDER_MARGIN: TuningStep(knob="margin", factor=1.5),  # guides and spans 50 % wider
    RepairMove.WIDER_CLEARANCE: TuningStep(knob="clearance", factor=2.0),  # twice the room at t = 0
    RepairMove.EARLIER_START: TuningStep(knob="start", factor=0.5),  # movers start in half the time
}
REPAIR_NOTE = "repair move "  # each applied move is one line of the draft's notes starting with this
FEEDBACK_MOVE = re.compile(r"repair:\s*([A-Z_]+)")


# The parameter each additive move turns and its step; a faulty (negative) value restarts from 0.
ADDITIVE_MOVES: dict[RepairMove, tuple[str, float]] = {
    RepairMove.RAISE_START: ("start_clearance", START_RAISE_MM),
    RepairMove.MOVE_GOAL: ("goal_shift", GOAL_SHIFT_MM),
    RepairMove.WIDEN_SUPPORT: ("support_margin", SUPPORT_WIDEN_MM),
    RepairMove.GROW_BOUNDS: ("bounds_margin", BOUNDS_GROW_MM),
}


def apply_move(params: FamilyParams, move: RepairMove) -> FamilyParams:
    """The parameters after one repair move, clipped to the parameter's range."""
    model = type(params)
    if move in ADDITIVE_MOVES:
        name, step = ADDITIVE_MOVES[move]
        value = max(getattr(params, name), 0.0) + step
    else:
        name = "variation"
        if move is RepairMove.INCREASE_VARIATION:
            value = max(params.variation * VARIATION_FACTOR, MIN_INCREASED_VARIATION)
        else:
            value = params.variation / VARIATION_FACTOR
    low, high = model.bounds_of(name)
    return model(**{**params.model_dump(), name: min(max(value, low), high)})


def apply_witness_move(tuning: WitnessTuning, move: RepairMove) -> WitnessTuning:
    """The tuning after one witness move, clipped to the knob's range."""
    step = WITNESS_STEPS[move]
    value = getattr(tuning, step.knob)
    base = max(value, 1.0) if step.factor > 1 else min(value, 1.0)
    low, high = tuning_range(step.knob)
    return tuning.model_copy(update={step.knob: min(max(base * step.factor, low), high)})


def choose_move(
    report: ValidationReport | None, feedback: str | None, applied: list[RepairMove], witness: str | None
) -> tuple[RepairMove | None, str]:
    """The move for the report's most frequent repairable code (or the feedback's request), and why.

    A report whose only failures are the witness's (WITNESS_FAILED) gets a witness move, chosen from
    the witness's evaluation failures; `applied` and the `witness` file decide which of its moves.
    """
    if report is not None and report.failures:
        counts = Counter(f.code for f in report.failures if f.code in REPAIR_FOR_CODE)
        if counts:
            code, count = counts.most_common(1)[0]
            return REPAIR_FOR_CODE[code], f"{code.value} in {count} of {len(report.failures)} failures"
        if FailureCode.WITNESS_FAILED in report.codes() and report.witness is not None:
            return choose_witness_move(report.witness, applied, witness)
        codes = ", ".join(sorted({f.code.value for f in report.failures}))
        return None, f"no repair move for {codes}"
    if feedback:
        requested = FEEDBACK_MOVE.search(feedback)
        if requested and requested.group(1) in RepairMove.__members__:
            return RepairMove(requested.group(1)), f"reviewer asked: {feedback}"
        return None, f"reviewer feedback names no repair move: {feedback}"
    return None, "no failures to repair"


def choose_witness_move(
    evaluation: EvaluationReport, applied: list[RepairMove], witness: str | None
) -> tuple[RepairMove | None, str]:
    """The witness move for the most frequent evaluation failure code: of the moves that code allows and
    the witness has constants for, the one applied least often so far (ties: the table's order)."""
    failures = [f for v in evaluation.variants if not v.solved for f in v.failures]
    counts = Counter(f.code for f in failures if f.code in WITNESS_REPAIRS_FOR_CODE)
    if not counts:
        codes = ", ".join(sorted({f.code.value for f in failures})) or "no evaluation failure"
        return None, f"witness failed with {codes}: no witness repair move for it"
    code, count = counts.most_common(1)[0]
    why = f"witness {code.value} in {count} of {len(failures)} evaluation failures"
    moves = [
        move
        for move in WITNESS_REPAIRS_FOR_CODE[code]
        if witness and tuned_constants(witness, WITNESS_STEPS[move].knob)
    ]
    if not moves:
        return None, f"{why}: the witness has no constant its moves tune"
    return min(moves, key=applied.count), why


class OfflineCoder:
    """Coder role without a model: family templates and witnesses, and repair moves chosen by failure code."""

    name = "offline"

    def __init__(
        self, families: dict[str, Family] = FAMILIES, max_repair_moves: int = MAX_REPAIR_MOVES
    ) -> None:
        if max_repair_moves < 0:
            raise ValueError(f"max_repair_moves must be >= 0, got {max_repair_moves}")
        self.families = families
        self.max_repair_moves = max_repair_moves

    def write(
        self,
        plan: Plan,
        attempt: int,
        previous: ScriptDraft | None = None,
        report: ValidationReport | None = None,
        feedback: str | None = None,
        lessons: list[str] | None = None,
    ) -> ScriptDraft:
        family = self.families.get(plan.family) or get_family(plan.family)
        if previous is None or previous.offline is None:
            # No state to repair from (a first draft, or one checkpointed before drafts carried it).
            params = family.params_from(plan.parameters)
            state = OfflineDraftState(parameters=params.model_dump())
            rendered = f"rendered family {family.key!r} from the plan's parameters"
            if previous is not None:
                rendered += " again: the previous draft carried no offline Coder state to repair from"
            return self._draft(family, state, attempt, rendered)
        state = previous.offline
        applied = [a.move for a in state.moves]
        move, why = choose_move(report, feedback, applied, witness_source(family.key))
        if move is None:
            return self._draft(family, state, attempt, f"{why}; draft unchanged")
        if len(state.moves) >= self.max_repair_moves:
            capped = f"{why}; repair cap of {self.max_repair_moves} moves reached, draft unchanged"
            return self._draft(family, state, attempt, capped)
        if move in WITNESS_STEPS:
            tuning = apply_witness_move(state.tuning, move)
            changed = _changes(state.tuning, tuning)
            state = state.model_copy(update={"tuning": tuning})
        else:
            before = family.params_from(state.parameters)
            params = apply_move(before, move)
            changed = _changes(before, params)
            state = state.model_copy(update={"parameters": params.model_dump()})
        note = f"{REPAIR_NOTE}{move.value} for {why}: {', '.join(changed) or 'already at its limit'}"
        state = state.model_copy(update={"moves": [*state.moves, AppliedMove(move=move, note=note)]})
        return self._draft(family, state, attempt)

    def _draft(
        self, family: Family, state: OfflineDraftState, attempt: int, note: str | None = None
    ) -> ScriptDraft:
        """The draft rendered from `state`; its notes are the moves so far, then `note`."""
        notes = [a.note for a in state.moves] + ([note] if note else [])
        return ScriptDraft(
            source=family.render_script(family.params_from(state.parameters)),
            attempt=attempt,
            notes="\n".join(notes),
            witness=witness_source(family.key, state.tuning),
            offline=state,
        )


def _changes(before: FamilyParams | WitnessTuning, after: FamilyParams | WitnessTuning) -> list[str]:
    """'name old -> new' for each field that differs."""
    return [
        f"{name} {getattr(before, name):g} -> {getattr(after, name):g}"
        for name in type(before).model_fields
        if getattr(before, name) != getattr(after, name)
    ]
