"""Checks of a solution that need no simulation: limits, its geometry, the build zone swept over every
mover's motion, and overlaps at t = 0 with fixtures and the payload's start envelope (exact B-rep).

Every failure message names the part or mover, the numbers, and what to change.
"""

import math

import numpy as np

from benchgen.codes import FailureCode
from benchgen.failures import Failure
from benchgen.kit.errors import InvalidGeometry
from benchgen.kit.exchange import brep_to_shape
from benchgen.kit.solution_spec import MoverKind, MoverSpec, SolidSpec, SolutionSpec, solution_problems
from benchgen.kit.spec import ScenarioSpec, Vec3, ZoneSpec
from benchgen.physics.meshing import fixture_pieces
from benchgen.validation.static_checks import (
    BOUNDS_TOL_MM,
    FIXTURE_OVERLAP_TOL_MM3,
    VOLUME_MISMATCH_REL_TOL,
    _boxes_overlap,
    _common_volume,
    _envelope_overlaps,
    _exact_bbox,
)

HINGE_SWEEP_STEP_DEG = 1.0  # deg between sampled poses of a turning hinge; the arc between two samples
# bulges past their chord by reach * (1 - cos(0.5 deg)) < 4e-5 * reach: 0.02 mm at 500 mm

PART_OUTSIDE_AT_REST = (
    "{what} {label!r} reaches {axis} = {value:.0f} mm; the build zone ends at {axis} = {limit:.0f} mm: "
    "move or shrink it by {by:.0f} mm"
)
MOVER_OUTSIDE = (
    "mover {label!r} reaches {axis} = {value:.0f} mm at t = {time:.1f} s; the build zone ends at "
    "{axis} = {limit:.0f} mm: {fix}"
)
PART_OVERLAPS_FIXTURE = (
    "{what} {label!r} overlaps fixture {fixture!r} by {volume:.0f} mm^3 at t = 0 (tolerance {tol:g} mm^3) "
    "within x {lo[0]:.0f}..{hi[0]:.0f}, y {lo[1]:.0f}..{hi[1]:.0f}, z {lo[2]:.0f}..{hi[2]:.0f} mm; "
    "move it clear of {fixture!r} (touching is allowed)"
)
PART_OVERLAPS_PAYLOAD = (
    "{what} {label!r} intersects the payload's start envelope x {e.min[0]:.0f}..{e.max[0]:.0f}, "
    "y {e.min[1]:.0f}..{e.max[1]:.0f}, z {e.min[2]:.0f}..{e.max[2]:.0f} mm (start +- jitter +- size) at t = 0; "
    "keep it outside that box, e.g. start a pusher behind the payload"
)
GEOMETRY_MISMATCH = (
    "{what} {label!r}: its geometry ({volume:.1f} mm^3) is not the solid it declared ({declared:.1f} mm^3)"
)


def what(solid: SolidSpec) -> str:
    return "mover" if isinstance(solid, MoverSpec) else "part"


def check_solution(
    spec: ScenarioSpec,
    solution: SolutionSpec,
    solution_breps: dict[str, bytes],
    fixture_breps: dict[str, bytes],
) -> tuple[list[Failure], dict[str, object]]:
    """Every static check; returns the failures and the parsed shapes by label (for later stages)."""
    problems = solution_problems(solution, [f.label for f in spec.fixtures], list(solution_breps))
    failures = [Failure(code=p.code, message=str(p)) for p in problems]
    if failures:
        return failures, {}
    shapes, failures = _load_shapes(solution, solution_breps)
    if failures:
        return failures, shapes
    failures += _build_zone_failures(spec.build_zone, solution, shapes, solution_breps)
    fixtures = {label: brep_to_shape(data) for label, data in fixture_breps.items()}
    failures += _overlap_failures(spec, solution, shapes, fixtures)
    return failures, shapes


def _load_shapes(solution: SolutionSpec, breps: dict[str, bytes]) -> tuple[dict[str, object], list[Failure]]:
    shapes, failures = {}, []
    for solid in (*solution.parts, *solution.movers):
        try:
            shape = brep_to_shape(breps[solid.label])
        except InvalidGeometry as error:
            failures.append(
                Failure(code=FailureCode.SOLUTION_ERROR, message=f"{what(solid)} {solid.label!r}: {error}")
            )
            continue
        volume = float(shape.volume) if shape.solids() and shape.is_valid else 0.0
        if abs(volume - solid.volume_mm3) > VOLUME_MISMATCH_REL_TOL * max(volume, solid.volume_mm3):
            message = GEOMETRY_MISMATCH.format(
                what=what(solid), label=solid.label, volume=volume, declared=solid.volume_mm3
            )
            failures.append(Failure(code=FailureCode.SOLUTION_ERROR, message=message))
            continue
        shapes[solid.label] = shape
    return shapes, failures


# --- the build zone ----------------------------------------------------------------------------------


def _build_zone_failures(
    zone: ZoneSpec, solution: SolutionSpec, shapes: dict[str, object], breps: dict[str, bytes]
) -> list[Failure]:
    failures = []
    for part in solution.parts:
        lo, hi = _exact_bbox(shapes[part.label])
        failures += _outside_at_rest("part", part.label, lo, hi, zone)
    for mover in solution.movers:
        lo, hi = _exact_bbox(shapes[mover.label])
        outside = _outside_at_rest("mover", mover.label, lo, hi, zone)
        if outside:
            failures += outside
        elif mover.kind is MoverKind.SLIDER:
            failures += _slider_outside(mover, lo, hi, zone)
        else:
            failures += _hinge_outside(mover, breps[mover.label], zone)
    return failures


def _outside_at_rest(kind: str, label: str, lo: Vec3, hi: Vec3, zone: ZoneSpec) -> list[Failure]:
    for axis in range(3):
        for value, limit, beyond in (
            (lo[axis], zone.min[axis], zone.min[axis] - lo[axis]),
            (hi[axis], zone.max[axis], hi[axis] - zone.max[axis]),
        ):
            if beyond > BOUNDS_TOL_MM:
                message = PART_OUTSIDE_AT_REST.format(
                    what=kind, label=label, axis="xyz"[axis], value=value, limit=limit, by=math.ceil(beyond)
                )
                return [Failure(code=FailureCode.PART_OUTSIDE_BUILD_ZONE, message=message)]
    return []


def _slider_outside(mover: MoverSpec, lo: Vec3, hi: Vec3, zone: ZoneSpec) -> list[Failure]:
    """A translating box sweeps exactly the box spanning its two end poses."""
    shift = [mover.stroke * c for c in mover.axis]
    for axis in range(3):
        if shift[axis] > 0:
            value, limit, beyond = (
                hi[axis] + shift[axis],
                zone.max[axis],
                hi[axis] + shift[axis] - zone.max[axis],
            )
        elif shift[axis] < 0:
            value, limit, beyond = (
                lo[axis] + shift[axis],
                zone.min[axis],
                zone.min[axis] - lo[axis] - shift[axis],
            )
        else:
            continue
        if beyond > BOUNDS_TOL_MM:
            shorten = beyond / abs(mover.axis[axis])
            fix = f"shorten travel by {math.ceil(shorten)} mm (to {math.floor(mover.stroke - shorten)} mm)"
            message = MOVER_OUTSIDE.format(
                label=mover.label, axis="xyz"[axis], value=value, limit=limit, time=mover.end_time_s, fix=fix
            )
            return [Failure(code=FailureCode.PART_OUTSIDE_BUILD_ZONE, message=message)]
    return []


def _hinge_outside(mover: MoverSpec, brep: bytes, zone: ZoneSpec) -> list[Failure]:
    """Turn the hinge's convex pieces' corners through its angle in small steps; report the first exit."""
    points = np.concatenate([piece.vertices for piece in fixture_pieces(mover.label, brep)])
    pivot = np.array(mover.pivot)
    steps = max(1, math.ceil(abs(mover.stroke) / HINGE_SWEEP_STEP_DEG))
    zone_min, zone_max = np.array(zone.min), np.array(zone.max)
    for step in range(steps + 1):
        angle = mover.stroke * step / steps
        turned = (points - pivot) @ _rotation(mover.axis, math.radians(angle)).T + pivot
        below = zone_min - turned.min(axis=0)
        above = turned.max(axis=0) - zone_max
        if max(below.max(), above.max()) <= BOUNDS_TOL_MM:
            continue
        through_max = above.max() >= below.max()
        axis = int(np.argmax(above if through_max else below))
        value = turned.max(axis=0)[axis] if through_max else turned.min(axis=0)[axis]
        limit = zone_max[axis] if through_max else zone_min[axis]
        fix = f"limit the angle to {math.copysign(max(0.0, abs(angle) - HINGE_SWEEP_STEP_DEG), angle):.0f} deg or move the pivot"
        time = mover.start_time_s + abs(angle) / mover.speed
        message = MOVER_OUTSIDE.format(
            label=mover.label, axis="xyz"[axis], value=value, limit=limit, time=time, fix=fix
        )
        return [Failure(code=FailureCode.PART_OUTSIDE_BUILD_ZONE, message=message)]
    return []


def _rotation(axis: Vec3, angle_rad: float) -> np.ndarray:
    """Rotation matrix about the unit vector `axis` (Rodrigues)."""
    x, y, z = axis
    k = np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]])
    return np.eye(3) + math.sin(angle_rad) * k + (1 - math.cos(angle_rad)) * (k @ k)


# --- overlaps at t = 0 -------------------------------------------------------------------------------


def _overlap_failures(
    spec: ScenarioSpec, solution: SolutionSpec, shapes: dict[str, object], fixtures: dict[str, object]
) -> list[Failure]:
    failures = []
    envelope = spec.payload.envelope()
    fixture_boxes = {label: _exact_bbox(shape) for label, shape in fixtures.items()}
    for solid in (*solution.parts, *solution.movers):
        shape = shapes[solid.label]
        box = _exact_bbox(shape)
        for label, fixture in fixtures.items():
            if not _boxes_overlap(box, fixture_boxes[label]):
                continue
            volume = _common_volume(shape, fixture)
            if volume > FIXTURE_OVERLAP_TOL_MM3:
                lo, hi = _exact_bbox(shape & fixture)
                message = PART_OVERLAPS_FIXTURE.format(
                    what=what(solid),
                    label=solid.label,
                    fixture=label,
                    volume=volume,
                    tol=FIXTURE_OVERLAP_TOL_MM3,
                    lo=lo,
                    hi=hi,
                )
                failures.append(Failure(code=FailureCode.PART_OVERLAPS_FIXTURE, message=message))
        if _boxes_overlap(box, (envelope.min, envelope.max)) and _envelope_overlaps(spec.payload, shape):
            message = PART_OVERLAPS_PAYLOAD.format(what=what(solid), label=solid.label, e=envelope)
            failures.append(Failure(code=FailureCode.PART_OVERLAPS_PAYLOAD, message=message))
    return failures
