"""The solution-script API: `Solution`, `Part`, `Slider`, `Hinge`, and the read-only scenario `solve` sees.

Solutions build geometry in millimetres, placed at its pose at t = 0. Every constructor checks its
arguments and raises a `KitError` (SOLUTION_ERROR or OVER_LIMITS) whose message names the bad value.
"""

import math
from collections.abc import Sequence
from typing import Any

from benchgen.kit.exchange import brep_to_shape, shape_to_brep
from benchgen.kit.scenario import MIN_FIXTURE_VOLUME_MM3, _vec3
from benchgen.kit.solution_limits import DEFAULT_FORCE_N, DEFAULT_HORIZON_S, DEFAULT_TORQUE_NM
from benchgen.kit.solution_spec import (
    MoverKind,
    MoverSpec,
    PartSpec,
    SolutionError,
    SolutionSpec,
    check_counts,
    check_horizon,
    check_label,
    check_material,
    check_mover_limits,
    check_number,
    check_unit_axis,
)
from benchgen.kit.spec import PayloadSpec, ScenarioSpec, ZoneSpec


def _solid(owner: str, shape: Any) -> Any:
    """Accept a build123d Part, Solid or Compound with real volume, placed where it stands at t = 0."""
    from build123d import Compound, Solid
    from build123d import Part as B3dPart

    if not isinstance(shape, (B3dPart, Solid, Compound)):
        hint = " (pass the builder's `.part`, not the builder)" if hasattr(shape, "part") else ""
        raise SolutionError(
            f"{owner}: shape must be a build123d Part, Solid or Compound, got {type(shape).__name__}{hint}"
        )
    if not shape.solids() or not shape.is_valid:
        raise SolutionError(
            f"{owner} is not a valid B-rep solid; extrude it into a 3D part and check booleans"
        )
    volume = float(shape.volume)
    if not math.isfinite(volume) or volume < MIN_FIXTURE_VOLUME_MM3:
        raise SolutionError(f"{owner} has volume {volume:g} mm^3; it needs a positive volume")
    return shape


class _Solid:
    """A labelled solid of a solution: shared checks and summary."""

    owner_kind = "part"

    def __init__(self, label: str, shape: Any, material: str) -> None:
        self.label = check_label(label, self.owner_kind)
        owner = f"{self.owner_kind} {label!r}"
        self.material = check_material(material, owner)
        self.shape = _solid(owner, shape)

    def _summary(self) -> dict:
        bb = self.shape.bounding_box()
        return {
            "label": self.label,
            "material": self.material,
            "volume_mm3": float(self.shape.volume),
            "bbox_min": (bb.min.X, bb.min.Y, bb.min.Z),
            "bbox_max": (bb.max.X, bb.max.Y, bb.max.Z),
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label!r}, material={self.material!r})"


class Part(_Solid):
    """A static solid fixed in place (ramp, bridge, guide, funnel)."""

    def __init__(self, label: str, shape: Any, material: str = "abs") -> None:
        super().__init__(label, shape, material)

    def spec(self) -> PartSpec:
        return PartSpec(**self._summary())


class Slider(_Solid):
    """A rigid body on a prismatic joint: moves `travel` mm along `axis` at `speed` mm/s from `start_time` s,
    driven by a position actuator limited to `force` N."""

    owner_kind = "mover"

    def __init__(
        self,
        label: str,
        shape: Any,
        axis: Sequence[float],
        travel: float,
        speed: float,
        start_time: float = 0.0,
        material: str = "abs",
        force: float = DEFAULT_FORCE_N,
    ) -> None:
        super().__init__(label, shape, material)
        owner = f"slider {label!r}"
        self.axis = check_unit_axis(_vec3(axis, f"{owner} axis"), owner)
        self.travel = check_number(travel, f"{owner} travel", "mm")
        self.speed = check_number(speed, f"{owner} speed", "mm/s")
        self.start_time = check_number(start_time, f"{owner} start_time", "s", positive=False)
        self.force = check_number(force, f"{owner} force", "N")

    def spec(self) -> MoverSpec:
        return MoverSpec(
            **self._summary(),
            kind=MoverKind.SLIDER,
            axis=self.axis,
            stroke=self.travel,
            speed=self.speed,
            start_time_s=self.start_time,
            effort=self.force,
        )


class Hinge(_Solid):
    """A rigid body on a revolute joint through `pivot` about `axis`: turns `angle` degrees (signed, right
    hand about `axis`) at `speed` deg/s from `start_time` s, driven by a position actuator limited to
    `torque` N*m."""

    owner_kind = "mover"

    def __init__(
        self,
        label: str,
        shape: Any,
        pivot: Sequence[float],
        axis: Sequence[float],
        angle: float,
        speed: float,
        start_time: float = 0.0,
        material: str = "abs",
        torque: float = DEFAULT_TORQUE_NM,
    ) -> None:
        super().__init__(label, shape, material)
        owner = f"hinge {label!r}"
        self.pivot = _vec3(pivot, f"{owner} pivot")
        self.axis = check_unit_axis(_vec3(axis, f"{owner} axis"), owner)
        try:
            self.angle = float(angle)
        except (TypeError, ValueError):
            raise SolutionError(f"{owner} angle must be a number of degrees, got {angle!r}") from None
        if not math.isfinite(self.angle) or self.angle == 0:
            raise SolutionError(f"{owner} angle must be a finite, non-zero number of degrees, got {angle!r}")
        self.speed = check_number(speed, f"{owner} speed", "deg/s")
        self.start_time = check_number(start_time, f"{owner} start_time", "s", positive=False)
        self.torque = check_number(torque, f"{owner} torque", "N*m")

    def spec(self) -> MoverSpec:
        return MoverSpec(
            **self._summary(),
            kind=MoverKind.HINGE,
            axis=self.axis,
            pivot=self.pivot,
            stroke=self.angle,
            speed=self.speed,
            start_time_s=self.start_time,
            effort=self.torque,
        )


class Solution:
    """A mechanism: static parts and movers, judged over `horizon` simulated seconds."""

    def __init__(
        self,
        *,
        parts: Sequence[Part] = (),
        movers: Sequence[Slider | Hinge] = (),
        horizon: float = DEFAULT_HORIZON_S,
    ) -> None:
        for what, items, kinds in (("parts", parts, (Part,)), ("movers", movers, (Slider, Hinge))):
            if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
                raise SolutionError(f"Solution {what} must be a list, got {type(items).__name__}")
            for item in items:
                if not isinstance(item, kinds):
                    names = " or ".join(k.__name__ for k in kinds)
                    raise SolutionError(
                        f"Solution {what} must hold {names} objects, got {type(item).__name__}"
                    )
        check_counts(len(parts), len(movers))
        labels = [item.label for item in (*parts, *movers)]
        duplicates = sorted({label for label in labels if labels.count(label) > 1})
        if duplicates:
            raise SolutionError(f"duplicate solution labels {duplicates}; every label must be unique")
        self.horizon = check_horizon(check_number(horizon, "Solution horizon", "s"))
        self.parts = list(parts)
        self.movers = list(movers)
        for mover in self.movers:
            check_mover_limits(mover.spec(), self.horizon)

    def spec(self) -> SolutionSpec:
        return SolutionSpec(
            parts=[p.spec() for p in self.parts],
            movers=[m.spec() for m in self.movers],
            horizon_s=self.horizon,
        )

    def breps(self) -> dict[str, bytes]:
        return {item.label: shape_to_brep(item.shape) for item in (*self.parts, *self.movers)}


class FixtureView:
    """A fixture as `solve` sees it: label, material, exact shape and bounding box (mm)."""

    def __init__(self, label: str, material: str, shape: Any, bbox: ZoneSpec) -> None:
        self.label = label
        self.material = material
        self.shape = shape
        self.bbox = bbox

    def __repr__(self) -> str:
        return f"FixtureView({self.label!r}, bbox={self.bbox.min}..{self.bbox.max})"


class ScenarioView:
    """The built scenario, read-only, as it crossed the sandbox boundary: what `solve(scenario)` receives.

    Zones and the payload are frozen specs (`.min`, `.max`, `.center`, `.size`; `payload.start`,
    `payload.radius`, `payload.half_extents`, `payload.envelope()`); fixtures carry their exact shapes.
    """

    def __init__(self, spec: ScenarioSpec, breps: dict[str, bytes]) -> None:
        self.fixtures = [
            FixtureView(f.label, f.material, brep_to_shape(breps[f.label]), f.bbox) for f in spec.fixtures
        ]
        self.payload: PayloadSpec = spec.payload
        self.goal: ZoneSpec = spec.goal
        self.forbid: list[ZoneSpec] = list(spec.forbid)
        self.build_zone: ZoneSpec = spec.build_zone
        self.bounds: ZoneSpec = spec.bounds

    def fixture(self, label: str) -> FixtureView:
        for fixture in self.fixtures:
            if fixture.label == label:
                return fixture
        known = ", ".join(f.label for f in self.fixtures)
        raise SolutionError(f"the scenario has no fixture {label!r}; its fixtures are {known}")
