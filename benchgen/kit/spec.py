"""Plain-data description of a built scenario: what crosses the sandbox boundary and what the dataset stores.

All lengths are millimetres. Geometry of fixtures travels separately as BREP bytes (see `exchange`).
A spec comes from untrusted code, so every field is checked here, where the host parses it, whatever the
kit checked in the sandbox: known materials, valid and unique labels and names, finite numbers of sane
magnitude, positive sizes, non-negative jitter, the fields each payload shape needs. Models passed in as
instances are validated again (`revalidate_instances`), so a spec changed after construction fails too.
"""

import itertools
import math
import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from benchgen.kit.materials import MATERIALS, material_names

LABEL_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
MAX_LABEL_LENGTH = 48
# The scenario's own parts. The MJCF prefixes fixture names (`fixture_<label>`), so no label can collide
# there; these stay reserved because reports, review bundles and prompts name those parts by these words,
# and a fixture called `goal` would make "the payload rests on goal" ambiguous.
RESERVED_LABELS = frozenset({"payload", "goal", "build_zone", "bounds"})
# mm: the largest coordinate or length a spec may hold (100 m). Real scenes are a few hundred mm; past this
# the physics (metres, float64) and the meshing lose their precision, and volumes overflow.
MAX_COORDINATE_MM = 1e5
MAX_NAME_LENGTH = 64  # characters of a zone name (forbid_<name> becomes an MJCF site name)
MAX_ERRORS_QUOTED = 3  # validation errors quoted in one message


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    return value


def _coordinate(value: float) -> float:
    if not math.isfinite(value) or abs(value) > MAX_COORDINATE_MM:
        raise ValueError(f"{value!r} is not a finite number within +-{MAX_COORDINATE_MM:g} mm")
    return value


def _positive_length(value: float) -> float:
    if not math.isfinite(value) or not 0 < value <= MAX_COORDINATE_MM:
        raise ValueError(f"{value!r} is not a length in (0, {MAX_COORDINATE_MM:g}] mm")
    return value


def _jitter(value: float) -> float:
    if not math.isfinite(value) or not 0 <= value <= MAX_COORDINATE_MM:
        raise ValueError(f"{value!r} is not a jitter in [0, {MAX_COORDINATE_MM:g}] mm")
    return value


def _material(name: str) -> str:
    if name not in MATERIALS:
        raise ValueError(f"unknown material {name!r}; use one of {', '.join(material_names())}")
    return name


def _label(label: str) -> str:
    if not LABEL_PATTERN.fullmatch(label) or len(label) > MAX_LABEL_LENGTH or label in RESERVED_LABELS:
        raise ValueError(
            f"fixture label {label!r} is invalid; use at most {MAX_LABEL_LENGTH} lower case letters, digits "
            f"and '_', starting with a letter, and none of {', '.join(sorted(RESERVED_LABELS))}"
        )
    return label


def _zone_name(name: str | None) -> str | None:
    if name is not None and (not name or len(name) > MAX_NAME_LENGTH or not name.isprintable()):
        raise ValueError(f"zone name {name!r} must be 1 to {MAX_NAME_LENGTH} printable characters")
    return name


Finite = Annotated[float, AfterValidator(_finite)]
Coordinate = Annotated[float, AfterValidator(_coordinate)]
Length = Annotated[float, AfterValidator(_positive_length)]
Vec3 = tuple[float, float, float]
Finite3 = tuple[Finite, Finite, Finite]
Point3 = tuple[Coordinate, Coordinate, Coordinate]
Size3 = tuple[Length, Length, Length]
Jitter3 = tuple[
    Annotated[float, AfterValidator(_jitter)],
    Annotated[float, AfterValidator(_jitter)],
    Annotated[float, AfterValidator(_jitter)],
]
MaterialName = Annotated[str, AfterValidator(_material)]
SPEC_CONFIG = ConfigDict(frozen=True, revalidate_instances="always")


def describe_validation_error(error: ValidationError) -> str:
    """The first errors of a spec's validation as 'field.path: message', for one-line reports."""
    parts = []
    for item in error.errors()[:MAX_ERRORS_QUOTED]:
        where = ".".join(str(part) for part in item["loc"]) or "spec"
        parts.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
    more = error.error_count() - MAX_ERRORS_QUOTED
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


class ZoneSpec(BaseModel):
    """Axis-aligned box in millimetres. Boxes derived on the host (envelopes) may reach past
    MAX_COORDINATE_MM; the zones of a scenario may not (ScenarioSpec checks them)."""

    model_config = SPEC_CONFIG

    min: Finite3
    max: Finite3
    name: Annotated[str | None, AfterValidator(_zone_name)] = None

    @property
    def size(self) -> Vec3:
        return (self.max[0] - self.min[0], self.max[1] - self.min[1], self.max[2] - self.min[2])

    @property
    def center(self) -> Vec3:
        return (
            (self.min[0] + self.max[0]) / 2,
            (self.min[1] + self.max[1]) / 2,
            (self.min[2] + self.max[2]) / 2,
        )

    def contains_point(self, p: Vec3, tol: float = 0.0) -> bool:
        return all(self.min[i] - tol <= p[i] <= self.max[i] + tol for i in range(3))

    def contains(self, other: "ZoneSpec", tol: float = 1e-6) -> bool:
        """True when `other` lies entirely inside this box."""
        return all(self.min[i] - tol <= other.min[i] and other.max[i] <= self.max[i] + tol for i in range(3))

    def overlap_depths(self, other: "ZoneSpec") -> Vec3:
        """Per-axis overlap length (negative where the boxes are apart on that axis)."""
        return tuple(min(self.max[i], other.max[i]) - max(self.min[i], other.min[i]) for i in range(3))  # type: ignore[return-value]

    def intersects(self, other: "ZoneSpec", tol: float = 0.0) -> bool:
        """True when the boxes share a volume thicker than `tol` on every axis."""
        return all(d > tol for d in self.overlap_depths(other))


class PayloadShape(StrEnum):
    SPHERE = "sphere"
    BOX = "box"
    CYLINDER = "cylinder"


class PayloadSpec(BaseModel):
    """The payload as declared: a primitive spawned by the simulator at `start` (its centre)."""

    model_config = SPEC_CONFIG

    shape: PayloadShape
    radius: Length | None = Field(default=None, description="Sphere or cylinder radius, mm.")
    size: Size3 | None = Field(default=None, description="Box edge lengths (x, y, z), mm.")
    height: Length | None = Field(default=None, description="Cylinder height along z, mm.")
    start: Point3
    jitter: Jitter3 = (0.0, 0.0, 0.0)
    material: MaterialName

    @model_validator(mode="after")
    def _check_shape_fields(self) -> "PayloadSpec":
        needed = {
            PayloadShape.SPHERE: ("radius",),
            PayloadShape.BOX: ("size",),
            PayloadShape.CYLINDER: ("radius", "height"),
        }[self.shape]
        given = {name for name in ("radius", "size", "height") if getattr(self, name) is not None}
        if given != set(needed):
            raise ValueError(
                f"a {self.shape.value} payload has exactly {', '.join(needed)}, got {sorted(given)}"
            )
        return self

    @property
    def half_extents(self) -> Vec3:
        """Half size of the payload's axis-aligned bounding box at rest, mm."""
        if self.shape is PayloadShape.SPHERE:
            r = float(self.radius or 0)
            return (r, r, r)
        if self.shape is PayloadShape.BOX:
            sx, sy, sz = self.size or (0, 0, 0)
            return (sx / 2, sy / 2, sz / 2)
        r = float(self.radius or 0)
        return (r, r, float(self.height or 0) / 2)

    @property
    def volume_mm3(self) -> float:
        import math

        if self.shape is PayloadShape.SPHERE:
            return 4.0 / 3.0 * math.pi * float(self.radius) ** 3
        if self.shape is PayloadShape.BOX:
            sx, sy, sz = self.size  # type: ignore[misc]
            return sx * sy * sz
        return math.pi * float(self.radius) ** 2 * float(self.height)

    @property
    def mass_kg(self) -> float:
        return self.volume_mm3 * 1e-9 * MATERIALS[self.material].density_kg_m3

    @property
    def size_label(self) -> str:
        """Short human description for messages, e.g. 'sphere r=20'."""
        if self.shape is PayloadShape.SPHERE:
            return f"sphere r={self.radius:g}"
        if self.shape is PayloadShape.BOX:
            return "box {:g}x{:g}x{:g}".format(*self.size)  # type: ignore[misc]
        return f"cylinder r={self.radius:g} h={self.height:g}"

    def start_positions(self) -> list[Vec3]:
        """Nominal start first, then every distinct corner of the jitter envelope."""
        positions: list[Vec3] = [self.start]
        offsets = [sorted({-j, j}) for j in self.jitter]
        for dx, dy, dz in itertools.product(*offsets):
            p = (self.start[0] + dx, self.start[1] + dy, self.start[2] + dz)
            if p not in positions:
                positions.append(p)
        return positions

    def envelope(self) -> ZoneSpec:
        """Box the payload may occupy at start: start +- jitter +- half extents."""
        h = self.half_extents
        return ZoneSpec(
            min=tuple(self.start[i] - self.jitter[i] - h[i] for i in range(3)),  # type: ignore[arg-type]
            max=tuple(self.start[i] + self.jitter[i] + h[i] for i in range(3)),  # type: ignore[arg-type]
            name="payload_envelope",
        )


class FixtureSpec(BaseModel):
    """A fixture's identity and summary; its exact shape travels as BREP bytes keyed by label."""

    model_config = SPEC_CONFIG

    label: Annotated[str, AfterValidator(_label)]
    material: MaterialName
    volume_mm3: float = Field(gt=0, allow_inf_nan=False)
    bbox_min: Point3
    bbox_max: Point3

    @property
    def bbox(self) -> ZoneSpec:
        return ZoneSpec(min=self.bbox_min, max=self.bbox_max, name=self.label)


class ScenarioSpec(BaseModel):
    """Everything about a built scenario except the fixtures' exact geometry."""

    model_config = SPEC_CONFIG

    fixtures: list[FixtureSpec] = Field(min_length=1)
    payload: PayloadSpec
    goal: ZoneSpec
    forbid: list[ZoneSpec]
    build_zone: ZoneSpec
    bounds: ZoneSpec

    @model_validator(mode="after")
    def _check_zone_magnitudes(self) -> "ScenarioSpec":
        zones = {"goal": self.goal, "build_zone": self.build_zone, "bounds": self.bounds}
        zones |= {f"forbid.{i}": zone for i, zone in enumerate(self.forbid)}
        for where, zone in zones.items():
            for corner, point in (("min", zone.min), ("max", zone.max)):
                if any(abs(value) > MAX_COORDINATE_MM for value in point):
                    raise ValueError(f"{where}.{corner} {point} reaches past +-{MAX_COORDINATE_MM:g} mm")
        return self

    @model_validator(mode="after")
    def _check_unique_names(self) -> "ScenarioSpec":
        for what, names in (
            ("fixture labels", [f.label for f in self.fixtures]),
            ("forbid zone names", [z.name for z in self.forbid]),
        ):
            duplicates = sorted({str(n) for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(f"duplicate {what} {duplicates}; each must be unique")
        return self

    def fixture(self, label: str) -> FixtureSpec:
        for f in self.fixtures:
            if f.label == label:
                return f
        raise KeyError(label)
