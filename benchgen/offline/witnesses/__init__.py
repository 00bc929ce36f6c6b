"""The offline families' witnesses: one self-contained solution file per family, `<family key>.py`.

A witness is a reference mechanism (see the solution contract) that reads everything it needs from the
scenario it is given (fixtures by label, zones, the payload's jitter envelope), so one file solves
every plan of its family. The Coder hands the file's text over with the family's script; it runs in
the sandbox like any solution, never imported by the host.

A `WitnessTuning` rewrites the file's named module constants (speeds, settle times, end play, margins,
clearances, start times) by its factors, so a repaired witness is still a plain file of constants.
"""

import ast
from importlib.resources import files

from benchgen.offline.repair_state import WitnessTuning

# The module constants each tuning factor multiplies (a witness defines some of them).
TIMES_FACTOR: dict[str, tuple[str, ...]] = {
    "pace": ("SPEED", "SPEED_MAX_MM_S"),
    "settle": ("HORIZON_MARGIN_S", "SETTLE_S", "SETTLE_TIME_S"),
    "reach": ("PUSH_ONTO_PLATFORM", "PUSH_OVER_PEAK"),
    "margin": ("SPAN_MARGIN", "CHANNEL_MARGIN", "PLATFORM_MARGIN_RATIO", "V_MARGIN_RATIO", "CREST_COVER",
               "BRIDGE_MARGIN"),
    "clearance": ("CLEARANCE", "GAP_RATIO"),
    "start": ("START_S", "START_TIME_S"),
}
# The module constants each tuning factor divides: a slower pace lengthens stroke times, a longer reach
# leaves less play at a stroke's end.
OVER_FACTOR: dict[str, tuple[str, ...]] = {
    "pace": ("STROKE_TIME_S", "PUSH_TIME_S", "LIFT_TIME_S", "LOWER_TIME_S", "MAX_STROKE_S"),
    "reach": ("HOLD_GAP", "PIN_GAP_RATIO", "PIN_PLAY_RATIO"),
}


def witness_source(family: str, tuning: WitnessTuning | None = None) -> str | None:
    """The witness file of `family` with `tuning` rendered into its constants, or None when it has none."""
    path = files(__package__).joinpath(f"{family}.py")
    if not path.is_file():
        return None
    source = path.read_text(encoding="utf-8")
    return source if tuning is None or tuning == WitnessTuning() else _tuned(source, tuning)


def tuned_constants(source: str, knob: str) -> list[str]:
    """The constants of a witness `source` that the tuning factor `knob` changes."""
    names = set(TIMES_FACTOR.get(knob, ())) | set(OVER_FACTOR.get(knob, ()))
    return [name for name in _numeric_constants(source) if name in names]


def _numeric_constants(source: str) -> dict[str, ast.Constant]:
    """Top-level `NAME = number` assignments of a module, by name."""
    constants: dict[str, ast.Constant] = {}
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and type(node.value.value) in (int, float)
        ):
            constants[node.targets[0].id] = node.value
    return constants


def _tuned(source: str, tuning: WitnessTuning) -> str:
    factors: dict[str, float] = {}
    for knob, factor in tuning.model_dump().items():
        for name in TIMES_FACTOR.get(knob, ()):
            factors[name] = factors.get(name, 1.0) * factor
        for name in OVER_FACTOR.get(knob, ()):
            factors[name] = factors.get(name, 1.0) / factor
    lines = source.splitlines(keepends=True)
    for name, value in _numeric_constants(source).items():
        if factors.get(name, 1.0) == 1.0:
            continue
        line = lines[value.lineno - 1]
        new = f"{value.value * factors[name]:.6g}"
        lines[value.lineno - 1] = line[: value.col_offset] + new + line[value.end_col_offset :]
    return "".join(lines)
