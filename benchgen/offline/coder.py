"""The offline Coder: render the plan's family script and repair it by failure code.

The first attempt renders the plan's parameters. Each later attempt reads the parameters back from the
previous script's constants (the script is the state), picks the failure code that occurs most often in
the report (ties: the report's order) and applies the repair move mapped to it: one move per attempt,
written to `ScriptDraft.notes`. A reviewer's feedback can ask for a move as `repair: <MOVE>`. After
MAX_REPAIR_MOVES moves the Coder stops changing the script and says so; the graph caps attempts too.
"""

import ast
import re
from collections import Counter
from enum import StrEnum

from benchgen.agents.schemas import ScriptDraft
from benchgen.codes import FailureCode
from benchgen.decisions import Plan
from benchgen.errors import BenchgenError
from benchgen.offline.families import FAMILIES, Family, get_family
from benchgen.offline.families.base import FIXTURE_MATERIALS, PAYLOAD_MATERIALS, PAYLOAD_SHAPES, FamilyParams
from benchgen.offline.witnesses import witness_source
from benchgen.validation.report import ValidationReport

MAX_REPAIR_MOVES = 4  # moves one plan may receive before the Coder stops changing its script

# Step of each move (mm unless noted).
START_RAISE_MM = 4.0  # lift of the payload's start above its support
GOAL_SHIFT_MM = 60.0  # extra distance of the goal along the payload's path
SUPPORT_WIDEN_MM = 20.0  # extra size of the payload's support on each side
BOUNDS_GROW_MM = 120.0  # extra room between the scene and its bounds
VARIATION_FACTOR = 2.0  # variation is multiplied (more variety) or divided (fewer extreme draws) by this
MIN_INCREASED_VARIATION = 0.05  # relative; INCREASE_VARIATION never leaves less than this


class RepairMove(StrEnum):
    """What the Coder changes for a failure code."""

    RAISE_START = "RAISE_START"
    MOVE_GOAL = "MOVE_GOAL"
    WIDEN_SUPPORT = "WIDEN_SUPPORT"
    GROW_BOUNDS = "GROW_BOUNDS"
    INCREASE_VARIATION = "INCREASE_VARIATION"
    REDUCE_VARIATION = "REDUCE_VARIATION"


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
REPAIR_NOTE = "repair move "  # each applied move is one line of the draft's notes starting with this
FEEDBACK_MOVE = re.compile(r"repair:\s*([A-Z_]+)")


class ScriptStateError(BenchgenError):
    """A previous draft's constants cannot be read back as the family's parameters."""


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


def read_parameters(source: str, family: Family) -> FamilyParams:
    """The family parameters a rendered script carries as upper-case module constants."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ScriptStateError(f"previous {family.key!r} script does not parse: {exc}") from exc
    constants: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                constants[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    values: dict[str, object] = {}
    for name in family.params_model.model_fields:
        if name == "payload_shape_index":
            values[name] = [s.value for s in PAYLOAD_SHAPES].index(constants.get("PAYLOAD_SHAPE"))
        elif name == "payload_material_index":
            values[name] = PAYLOAD_MATERIALS.index(constants.get("PAYLOAD_MATERIAL"))
        elif name == "fixture_material_index":
            values[name] = FIXTURE_MATERIALS.index(constants.get("FIXTURE_MATERIAL"))
        elif name.upper() in constants:
            values[name] = constants[name.upper()]
        else:
            raise ScriptStateError(f"previous {family.key!r} script has no constant {name.upper()}; re-render it")
    return family.params_model(**values)


def choose_move(report: ValidationReport | None, feedback: str | None) -> tuple[RepairMove | None, str]:
    """The move for the report's most frequent repairable code (or the feedback's request), and why."""
    if report is not None and report.failures:
        counts = Counter(f.code for f in report.failures if f.code in REPAIR_FOR_CODE)
        if counts:
            code, count = counts.most_common(1)[0]
            return REPAIR_FOR_CODE[code], f"{code.value} in {count} of {len(report.failures)} failures"
        codes = ", ".join(sorted({f.code.value for f in report.failures}))
        return None, f"no repair move for {codes}"
    if feedback:
        requested = FEEDBACK_MOVE.search(feedback)
        if requested and requested.group(1) in RepairMove.__members__:
            return RepairMove(requested.group(1)), f"reviewer asked: {feedback}"
        return None, f"reviewer feedback names no repair move: {feedback}"
    return None, "no failures to repair"


class OfflineCoder:
    """Coder role without a model: family templates plus repair moves chosen by failure code."""

    name = "offline"

    def __init__(self, families: dict[str, Family] = FAMILIES, max_repair_moves: int = MAX_REPAIR_MOVES) -> None:
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
        if previous is None:
            params = family.params_from(plan.parameters)
            return ScriptDraft(
                source=family.render_script(params),
                attempt=attempt,
                notes=f"rendered family {family.key!r} from the plan's parameters",
                witness=witness_source(family.key),
            )
        params = read_parameters(previous.source, family)
        earlier_moves = [line for line in previous.notes.splitlines() if line.startswith(REPAIR_NOTE)]
        move, why = choose_move(report, feedback)
        if move is None:
            notes = f"{why}; script unchanged"
        elif len(earlier_moves) >= self.max_repair_moves:
            notes = f"{why}; repair cap of {self.max_repair_moves} moves reached, script unchanged"
            move = None
        else:
            before = params
            params = apply_move(params, move)
            changed = [
                f"{name} {getattr(before, name):g} -> {getattr(params, name):g}"
                for name in type(params).model_fields
                if getattr(before, name) != getattr(params, name)
            ]
            notes = f"{REPAIR_NOTE}{move.value} for {why}: {', '.join(changed) or 'already at its limit'}"
        return ScriptDraft(
            source=family.render_script(params),
            attempt=attempt,
            notes="\n".join(earlier_moves + [notes]),
            witness=witness_source(family.key),
        )
