"""The scenario-script API: `Scenario`, `Fixture`, `Payload`, `Zone`, exactly as the contract describes.

Scripts build geometry in millimetres. Every constructor checks its arguments and raises a `KitError`
whose message names the bad value and how to fix it; the validator reports it under the error's code.
"""

import math
from collections.abc import Sequence
from typing import Any

from benchgen.kit.errors import ContractViolation, InvalidGeometry, ZoneInvalid
from benchgen.kit.materials import MATERIALS, material_names
from benchgen.kit.spec import (
    LABEL_PATTERN,
    MAX_LABEL_LENGTH,
    RESERVED_LABELS,
    FixtureSpec,
    PayloadShape,
    PayloadSpec,
    ScenarioSpec,
    Vec3,
    ZoneSpec,
)

MIN_FIXTURE_VOLUME_MM3 = 1e-3  # a solid smaller than this is degenerate


def _vec3(value: Any, what: str) -> Vec3:
    """Coerce a 3-sequence of finite numbers, or raise a ContractViolation naming `what`."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 3:
        raise ContractViolation(f"{what} must be a 3-tuple of numbers (x, y, z) in mm, got {value!r}")
    try:
        out = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise ContractViolation(f"{what} must be a 3-tuple of numbers (x, y, z) in mm, got {value!r}") from None
    if not all(math.isfinite(v) for v in out):
        raise ContractViolation(f"{what} must be finite, got {value!r}")
    return out  # type: ignore[return-value]


def _positive(value: Any, what: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ContractViolation(f"{what} must be a number in mm, got {value!r}") from None
    if not math.isfinite(out) or out <= 0:
        raise ContractViolation(f"{what} must be > 0 mm, got {value!r}")
    return out


def _material(name: Any, owner: str) -> str:
    if name not in MATERIALS:
        raise ContractViolation(
            f"{owner}: unknown material {name!r}; use one of {', '.join(material_names())}"
        )
    return str(name)


class Zone:
    """Axis-aligned box `min`..`max` in millimetres, optionally named."""

    def __init__(self, min: Sequence[float], max: Sequence[float], name: str | None = None) -> None:
        self.min = _vec3(min, "Zone min")
        self.max = _vec3(max, "Zone max")
        if name is not None and not isinstance(name, str):
            raise ContractViolation(f"Zone name must be a string, got {name!r}")
        self.name = name
        for axis, lo, hi in zip("xyz", self.min, self.max):
            if not lo < hi:
                label = f"zone {name!r}" if name else "zone"
                raise ZoneInvalid(
                    f"{label} has min {axis}={lo:g} >= max {axis}={hi:g}; min must be below max on every axis"
                )

    def spec(self, name: str | None = None) -> ZoneSpec:
        return ZoneSpec(min=self.min, max=self.max, name=name if name is not None else self.name)

    def __repr__(self) -> str:
        return f"Zone({self.min}, {self.max}, name={self.name!r})"


class Payload:
    """The object a solver must move. Declared only: the simulator spawns it at `start` (its centre)."""

    def __init__(self, spec: PayloadSpec) -> None:
        self._spec = spec

    @staticmethod
    def _common(start: Any, jitter: Any, material: Any) -> tuple[Vec3, Vec3, str]:
        start_v = _vec3(start, "Payload start")
        jitter_v = _vec3(jitter, "Payload jitter")
        if any(j < 0 for j in jitter_v):
            raise ContractViolation(f"Payload jitter must be >= 0 on every axis, got {jitter!r}")
        return start_v, jitter_v, _material(material, "Payload")

    @classmethod
    def sphere(
        cls, radius: float, start: Sequence[float], jitter: Sequence[float] = (0, 0, 0), material: str = "abs"
    ) -> "Payload":
        start_v, jitter_v, mat = cls._common(start, jitter, material)
        return cls(
            PayloadSpec(
                shape=PayloadShape.SPHERE,
                radius=_positive(radius, "Payload.sphere radius"),
                start=start_v,
                jitter=jitter_v,
                material=mat,
            )
        )

    @classmethod
    def box(
        cls,
        size: Sequence[float],
        start: Sequence[float],
        jitter: Sequence[float] = (0, 0, 0),
        material: str = "abs",
    ) -> "Payload":
        start_v, jitter_v, mat = cls._common(start, jitter, material)
        size_v = _vec3(size, "Payload.box size")
        for axis, s in zip("xyz", size_v):
            _positive(s, f"Payload.box size {axis}")
        return cls(PayloadSpec(shape=PayloadShape.BOX, size=size_v, start=start_v, jitter=jitter_v, material=mat))

    @classmethod
    def cylinder(
        cls,
        radius: float,
        height: float,
        start: Sequence[float],
        jitter: Sequence[float] = (0, 0, 0),
        material: str = "abs",
    ) -> "Payload":
        """An upright cylinder (axis along z)."""
        start_v, jitter_v, mat = cls._common(start, jitter, material)
        return cls(
            PayloadSpec(
                shape=PayloadShape.CYLINDER,
                radius=_positive(radius, "Payload.cylinder radius"),
                height=_positive(height, "Payload.cylinder height"),
                start=start_v,
                jitter=jitter_v,
                material=mat,
            )
        )

    def spec(self) -> PayloadSpec:
        return self._spec

    def __repr__(self) -> str:
        return f"Payload({self._spec.size_label} at {self._spec.start}, material={self._spec.material!r})"


class Fixture:
    """A static, labelled solid, already placed with `Pos`/`Rot`/`Location`."""

    def __init__(self, label: str, shape: Any, material: str = "abs") -> None:
        if not isinstance(label, str) or not LABEL_PATTERN.fullmatch(label):
            raise ContractViolation(
                f"fixture label {label!r} is invalid; use lower case letters, digits and '_', starting with a letter"
            )
        if len(label) > MAX_LABEL_LENGTH:
            raise ContractViolation(
                f"fixture label {label!r} has {len(label)} characters; at most {MAX_LABEL_LENGTH} are allowed"
            )
        if label in RESERVED_LABELS:
            raise ContractViolation(
                f"fixture label {label!r} is reserved; pick another (reserved: {', '.join(sorted(RESERVED_LABELS))})"
            )
        self.label = label
        self.material = _material(material, f"fixture {label!r}")
        self.shape = _check_shape(label, shape)

    def spec(self) -> FixtureSpec:
        bb = self.shape.bounding_box()
        return FixtureSpec(
            label=self.label,
            material=self.material,
            volume_mm3=float(self.shape.volume),
            bbox_min=(bb.min.X, bb.min.Y, bb.min.Z),
            bbox_max=(bb.max.X, bb.max.Y, bb.max.Z),
        )

    def __repr__(self) -> str:
        return f"Fixture({self.label!r}, material={self.material!r})"


def _check_shape(label: str, shape: Any) -> Any:
    """Accept a build123d Part, Solid or Compound with real volume; reject sketches, faces, wires."""
    from build123d import Compound, Part, Solid

    if not isinstance(shape, (Part, Solid, Compound)):
        hint = ""
        if hasattr(shape, "part"):
            hint = " (pass the builder's `.part`, not the builder)"
        raise ContractViolation(
            f"fixture {label!r}: shape must be a build123d Part, Solid or Compound, got {type(shape).__name__}{hint}"
        )
    if not shape.solids():
        raise InvalidGeometry(f"fixture {label!r} has no solids; extrude faces or sketches into a 3D part")
    if not shape.is_valid:
        raise InvalidGeometry(f"fixture {label!r} is not a valid B-rep solid; check booleans and fillets")
    volume = float(shape.volume)
    if not math.isfinite(volume) or volume < MIN_FIXTURE_VOLUME_MM3:
        raise InvalidGeometry(
            f"fixture {label!r} has volume {volume:g} mm^3; a fixture needs a positive volume"
        )
    return shape


class Scenario:
    """A benchmark environment: fixtures, a payload at rest, a goal, forbid zones, a build zone and bounds."""

    def __init__(
        self,
        *,
        fixtures: Sequence[Fixture],
        payload: Payload,
        goal: Zone,
        build_zone: Zone,
        bounds: Zone,
        forbid: Sequence[Zone] = (),
    ) -> None:
        if isinstance(fixtures, (str, bytes)) or not isinstance(fixtures, Sequence) or not fixtures:
            raise ContractViolation(
                "Scenario needs fixtures=[Fixture(...), ...]: at least one fixture must support the payload"
            )
        for item in fixtures:
            if not isinstance(item, Fixture):
                raise ContractViolation(f"Scenario fixtures must be Fixture objects, got {type(item).__name__}")
        labels = [f.label for f in fixtures]
        duplicates = sorted({label for label in labels if labels.count(label) > 1})
        if duplicates:
            raise ContractViolation(f"duplicate fixture labels {duplicates}; every label must be unique")
        if not isinstance(payload, Payload):
            raise ContractViolation(
                f"Scenario payload must be Payload.sphere/box/cylinder(...), got {type(payload).__name__}"
            )
        for what, zone in (("goal", goal), ("build_zone", build_zone), ("bounds", bounds)):
            if not isinstance(zone, Zone):
                raise ContractViolation(f"Scenario {what} must be a Zone, got {type(zone).__name__}")
        if isinstance(forbid, (str, bytes)) or not isinstance(forbid, Sequence):
            raise ContractViolation(f"Scenario forbid must be a list of Zone, got {type(forbid).__name__}")
        for zone in forbid:
            if not isinstance(zone, Zone):
                raise ContractViolation(f"Scenario forbid entries must be Zone objects, got {type(zone).__name__}")
        forbid_names = [z.name or f"forbid_{i}" for i, z in enumerate(forbid)]
        dup_forbid = sorted({n for n in forbid_names if forbid_names.count(n) > 1})
        if dup_forbid:
            raise ContractViolation(f"duplicate forbid zone names {dup_forbid}; name each forbid zone uniquely")
        self.fixtures = list(fixtures)
        self.payload = payload
        self.goal = goal
        self.forbid = list(forbid)
        self.build_zone = build_zone
        self.bounds = bounds
        self._forbid_names = forbid_names

    def spec(self) -> ScenarioSpec:
        return ScenarioSpec(
            fixtures=[f.spec() for f in self.fixtures],
            payload=self.payload.spec(),
            goal=self.goal.spec("goal"),
            forbid=[z.spec(n) for z, n in zip(self.forbid, self._forbid_names)],
            build_zone=self.build_zone.spec("build_zone"),
            bounds=self.bounds.spec("bounds"),
        )
