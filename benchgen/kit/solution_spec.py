"""Plain-data description of a solution: what crosses the sandbox boundary back to the host.

Lengths are millimetres, angles degrees, times seconds. Geometry travels separately as BREP bytes keyed
by label. The host re-checks everything here with `solution_problems` before it trusts a number.
"""

import math
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from benchgen.codes import FailureCode
from benchgen.kit.errors import KitError
from benchgen.kit.materials import MATERIALS, material_names
from benchgen.kit.scenario import LABEL_PATTERN, MAX_LABEL_LENGTH, RESERVED_LABELS
from benchgen.kit.solution_limits import (
    MAX_ANGLE_DEG,
    MAX_ANGULAR_SPEED_DEG_S,
    MAX_FORCE_N,
    MAX_HORIZON_S,
    MAX_MOVERS,
    MAX_PARTS,
    MAX_SPEED_MM_S,
    MAX_TORQUE_NM,
    MAX_TRAVEL_MM,
    MOVER_PRICE,
)
from benchgen.kit.spec import Vec3, ZoneSpec

AXIS_NORM_TOLERANCE = 1e-6  # |axis| may differ from 1 by this much after normalisation round trips


class SolutionError(KitError):
    """`solve` used the kit against the solution contract (bad label, material, shape or type)."""

    code = FailureCode.SOLUTION_ERROR


class OverLimits(KitError):
    """A solution asks for more parts, movers, force, torque, speed, travel or time than the limits allow."""

    code = FailureCode.OVER_LIMITS


class MoverKind(StrEnum):
    SLIDER = "slider"
    HINGE = "hinge"


class SolidSpec(BaseModel):
    """A labelled solid of the solution: its identity and summary; the exact shape is a BREP blob."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    label: str
    material: str
    volume_mm3: float
    bbox_min: Vec3
    bbox_max: Vec3

    @property
    def bbox(self) -> ZoneSpec:
        return ZoneSpec(min=self.bbox_min, max=self.bbox_max, name=self.label)

    @property
    def mass_kg(self) -> float:
        return self.volume_mm3 * 1e-9 * MATERIALS[self.material].density_kg_m3

    @property
    def material_cost(self) -> float:
        return self.mass_kg * MATERIALS[self.material].price_per_kg


class PartSpec(SolidSpec):
    """A static part, welded in place."""


class MoverSpec(SolidSpec):
    """A Slider (prismatic joint along `axis`) or a Hinge (revolute joint through `pivot` about `axis`).

    `stroke` is the slider's travel in mm or the hinge's signed angle in degrees; `speed` is mm/s or
    deg/s; `effort` is the motor's force limit in N or torque limit in N*m.
    """

    kind: MoverKind
    axis: Vec3
    pivot: Vec3 | None = None
    stroke: float
    speed: float
    start_time_s: float
    effort: float

    @property
    def duration_s(self) -> float:
        """Seconds the motion takes once it starts."""
        return abs(self.stroke) / self.speed

    @property
    def end_time_s(self) -> float:
        return self.start_time_s + self.duration_s

    def displacement(self, time_s: float) -> float:
        """The motion profile: 0 before start_time, then `speed` toward `stroke`, then `stroke`."""
        moved = max(0.0, time_s - self.start_time_s) * self.speed
        return math.copysign(min(moved, abs(self.stroke)), self.stroke)

    @property
    def unit(self) -> str:
        return "mm" if self.kind is MoverKind.SLIDER else "deg"


class SolutionSpec(BaseModel):
    """Everything about a solution except the exact shapes."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    parts: list[PartSpec] = Field(default_factory=list)
    movers: list[MoverSpec] = Field(default_factory=list)
    horizon_s: float

    @property
    def labels(self) -> list[str]:
        return [p.label for p in self.parts] + [m.label for m in self.movers]

    @property
    def weight_kg(self) -> float:
        return sum(s.mass_kg for s in (*self.parts, *self.movers))

    @property
    def cost(self) -> float:
        return sum(s.material_cost for s in (*self.parts, *self.movers)) + MOVER_PRICE * len(self.movers)


# --- checks shared by the kit (inside the sandbox) and the host (on the data that came back) --------


def check_label(label: object, owner: str) -> str:
    if not isinstance(label, str) or not LABEL_PATTERN.fullmatch(label):
        raise SolutionError(
            f"{owner} label {label!r} is invalid; use lower case letters, digits and '_', starting with a letter"
        )
    if len(label) > MAX_LABEL_LENGTH:
        raise SolutionError(f"{owner} label {label!r} is longer than {MAX_LABEL_LENGTH} characters")
    if label in RESERVED_LABELS:
        raise SolutionError(
            f"{owner} label {label!r} is reserved; pick another (reserved: {', '.join(sorted(RESERVED_LABELS))})"
        )
    return label


def check_material(name: object, owner: str) -> str:
    if name not in MATERIALS:
        raise SolutionError(f"{owner}: unknown material {name!r}; use one of {', '.join(material_names())}")
    return str(name)


def check_number(value: object, what: str, unit: str, *, positive: bool = True) -> float:
    """A finite float (> 0 when `positive`, else >= 0), or a SolutionError naming `what`."""
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SolutionError(f"{what} must be a number in {unit}, got {value!r}") from None
    if not math.isfinite(out) or (out <= 0 if positive else out < 0):
        raise SolutionError(f"{what} must be {'> 0' if positive else '>= 0'} {unit}, got {value!r}")
    return out


def check_unit_axis(axis: Vec3, owner: str) -> Vec3:
    norm = math.sqrt(sum(c * c for c in axis))
    if not math.isfinite(norm) or norm == 0:
        raise SolutionError(f"{owner}: axis {axis!r} has no direction; give a unit vector such as (1, 0, 0)")
    return tuple(c / norm for c in axis)  # type: ignore[return-value]


def check_counts(parts: int, movers: int) -> None:
    if parts > MAX_PARTS:
        raise OverLimits(f"the solution has {parts} parts; at most {MAX_PARTS} are allowed: merge some parts")
    if movers > MAX_MOVERS:
        raise OverLimits(f"the solution has {movers} movers; at most {MAX_MOVERS} are allowed")


def check_mover_limits(mover: MoverSpec, horizon_s: float) -> None:
    """OverLimits when the mover asks beyond its motor, stroke or the horizon."""
    name = f"{mover.kind.value} {mover.label!r}"
    if mover.kind is MoverKind.SLIDER:
        limits = (
            (abs(mover.stroke), MAX_TRAVEL_MM, "travel", "mm"),
            (mover.speed, MAX_SPEED_MM_S, "speed", "mm/s"),
            (mover.effort, MAX_FORCE_N, "force", "N"),
        )
    else:
        limits = (
            (abs(mover.stroke), MAX_ANGLE_DEG, "angle", "deg"),
            (mover.speed, MAX_ANGULAR_SPEED_DEG_S, "speed", "deg/s"),
            (mover.effort, MAX_TORQUE_NM, "torque", "N*m"),
        )
    for value, limit, what, unit in limits:
        if value > limit:
            raise OverLimits(f"{name} asks for {what} {value:g} {unit}; the limit is {limit:g} {unit}")
    if mover.end_time_s > horizon_s:
        raise OverLimits(
            f"{name} ends its motion at t = {mover.end_time_s:.2f} s, after the horizon of {horizon_s:g} s; "
            "start it earlier, move faster, or ask for a longer horizon"
        )


def check_horizon(horizon_s: float) -> float:
    if horizon_s > MAX_HORIZON_S:
        raise OverLimits(f"horizon {horizon_s:g} s is longer than the limit of {MAX_HORIZON_S:g} s")
    return horizon_s


def solution_problems(
    solution: SolutionSpec, fixture_labels: list[str], shape_labels: list[str]
) -> list[KitError]:
    """Everything wrong with a solution that came back from the sandbox, as kit errors (code + message)."""
    problems: list[KitError] = []

    def collect(check, *args, **kwargs) -> None:
        try:
            check(*args, **kwargs)
        except KitError as error:
            problems.append(error)

    collect(check_counts, len(solution.parts), len(solution.movers))
    collect(check_number, solution.horizon_s, "horizon", "s")
    collect(check_horizon, solution.horizon_s)
    labels = solution.labels
    for item in (*solution.parts, *solution.movers):
        owner = "mover" if isinstance(item, MoverSpec) else "part"
        collect(check_label, item.label, owner)
        collect(check_material, item.material, f"{owner} {item.label!r}")
        collect(check_number, item.volume_mm3, f"{owner} {item.label!r} volume", "mm^3")
    for mover in solution.movers:
        owner = f"mover {mover.label!r}"
        before = len(problems)
        collect(check_number, abs(mover.stroke), f"{owner} travel/angle", mover.unit)
        collect(check_number, mover.speed, f"{owner} speed", f"{mover.unit}/s")
        collect(check_number, mover.effort, f"{owner} force/torque", "N or N*m")
        collect(check_number, mover.start_time_s, f"{owner} start_time", "s", positive=False)
        if abs(math.sqrt(sum(c * c for c in mover.axis)) - 1) > AXIS_NORM_TOLERANCE:
            problems.append(SolutionError(f"{owner}: axis {mover.axis} is not a unit vector"))
        if (mover.kind is MoverKind.HINGE) != (mover.pivot is not None):
            problems.append(SolutionError(f"{owner}: a hinge has a pivot and a slider has none"))
        if len(problems) == before:
            collect(check_mover_limits, mover, solution.horizon_s)
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        problems.append(SolutionError(f"duplicate solution labels {duplicates}; every label must be unique"))
    taken = sorted(set(labels) & set(fixture_labels))
    if taken:
        problems.append(
            SolutionError(f"solution labels {taken} are fixture labels of the scenario; rename them")
        )
    if shape_labels != labels:
        problems.append(
            SolutionError(f"the sandbox sent geometry for {shape_labels} but the solution lists {labels}")
        )
    return problems
