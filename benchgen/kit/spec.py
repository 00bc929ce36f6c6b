"""Plain-data description of a built scenario: what crosses the sandbox boundary and what the dataset stores.

All lengths are millimetres. Geometry of fixtures travels separately as BREP bytes (see `exchange`).
"""

import itertools
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from benchgen.kit.materials import MATERIALS

Vec3 = tuple[float, float, float]


class ZoneSpec(BaseModel):
    """Axis-aligned box in millimetres."""

    model_config = ConfigDict(frozen=True)

    min: Vec3
    max: Vec3
    name: str | None = None

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

    model_config = ConfigDict(frozen=True)

    shape: PayloadShape
    radius: float | None = Field(default=None, description="Sphere or cylinder radius, mm.")
    size: Vec3 | None = Field(default=None, description="Box edge lengths (x, y, z), mm.")
    height: float | None = Field(default=None, description="Cylinder height along z, mm.")
    start: Vec3
    jitter: Vec3 = (0.0, 0.0, 0.0)
    material: str

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

    model_config = ConfigDict(frozen=True)

    label: str
    material: str
    volume_mm3: float
    bbox_min: Vec3
    bbox_max: Vec3

    @property
    def bbox(self) -> ZoneSpec:
        return ZoneSpec(min=self.bbox_min, max=self.bbox_max, name=self.label)


class ScenarioSpec(BaseModel):
    """Everything about a built scenario except the fixtures' exact geometry."""

    model_config = ConfigDict(frozen=True)

    fixtures: list[FixtureSpec]
    payload: PayloadSpec
    goal: ZoneSpec
    forbid: list[ZoneSpec]
    build_zone: ZoneSpec
    bounds: ZoneSpec

    def fixture(self, label: str) -> FixtureSpec:
        for f in self.fixtures:
            if f.label == label:
                return f
        raise KeyError(label)
