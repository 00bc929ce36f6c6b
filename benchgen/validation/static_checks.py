"""Checks that need no simulation: the script's source (AST) and one built variant's exact B-rep geometry.

Source checks run before anything executes: the scenario language (`benchgen.validation.language`)
keeps a published script harmless where users run it, outside any sandbox, and the sandbox contains
whatever the check cannot see. Variant checks read the data that crossed the sandbox boundary (`ScenarioSpec` plus BREP
bytes) and use exact OCCT operations (booleans, distances, classification) where a mesh would be
approximate. Every failure message is a module-level template that names labels, numbers and the fix.
"""

import ast
import itertools
import math
from collections.abc import Iterable

from benchgen.codes import FailureCode
from benchgen.failures import Failure
from benchgen.kit.errors import InvalidGeometry
from benchgen.kit.exchange import brep_to_shape
from benchgen.kit.scenario import MIN_FIXTURE_VOLUME_MM3
from benchgen.kit.spec import PayloadShape, PayloadSpec, ScenarioSpec, Vec3, ZoneSpec
from benchgen.validation.language import ALLOWED_IMPORTS, SOURCE_BAD_IMPORT, check_language

__all__ = ["ALLOWED_IMPORTS", "PLACEMENT_METHODS", "SOURCE_BAD_IMPORT", "check_source", "check_variant"]

# ----------------------------------------------------------------------------------------------------
# Thresholds
# ----------------------------------------------------------------------------------------------------

FIXTURE_OVERLAP_TOL_MM3 = 1.0  # mm^3; two fixtures sharing less volume than this only touch
PAYLOAD_OVERLAP_TOL_MM3 = 0.01  # mm^3; payload/fixture common volume below this is numerical noise
CONTACT_TOL_MM = 1e-3  # mm; surfaces closer than this count as touching (resting is allowed)
BOUNDS_TOL_MM = 1e-6  # mm; slack when comparing boxes against bounds (rounding of B-rep bboxes)
VOLUME_MISMATCH_REL_TOL = 1e-3  # relative; BREP volume vs the volume the script declared
MIN_SCENE_EXTENT_MM = 50.0  # mm; bounds whose longest side is shorter than this were written in metres
MAX_SCENE_EXTENT_MM = 50_000.0  # mm; bounds longer than 50 m were written in micrometres or by mistake
MIN_PAYLOAD_EXTENT_MM = 1.0  # mm; a payload smaller than this across was written in metres
SCALE_EXTENT_REL_TOL = 0.25  # relative; fixtures' extent must follow the scale ratio within this


# ----------------------------------------------------------------------------------------------------
# Message templates
# ----------------------------------------------------------------------------------------------------

SOURCE_SYNTAX = "line {line}: the script does not parse: {error}"
SOURCE_MAIN_BLOCK = (
    'line {line}: remove the `if __name__ == "__main__"` block; the validator calls build(seed, scale) itself'
)
SOURCE_TOP_LEVEL_WORK = (
    "line {line}: top-level {what} runs work at import time; the top level may hold only imports, "
    "function/class definitions and constant assignments: move it into build()"
)
SOURCE_PLACEMENT = (
    "line {line}: `.{method}(...)` moves geometry without updating its location and placement is lost on "
    "export; place shapes with `Pos(x, y, z) * shape` (or `Rot`/`Location`) instead"
)
SOURCE_NO_BUILD = (
    "the script defines no top-level `def build(seed, scale=1.0)`; add it: it is the only entry point"
)
SOURCE_BUILD_SIGNATURE = "line {line}: build takes ({params}); it must accept exactly (seed, scale=1.0)"

ZONE_INVALID = "{zone} has min {axis}={lo:g} >= max {axis}={hi:g}; make min < max on every axis"
BREP_MISSING = (
    "fixture {label!r} has no geometry (labels with geometry: {present}); every Fixture must carry its shape"
)
BREP_EXTRA = "geometry for {label!r} does not belong to any declared fixture; declare it with Fixture(...)"
BREP_UNREADABLE = "fixture {label!r}: {error}"
GEOMETRY_NOT_SOLID = "fixture {label!r} has no solids; extrude faces or sketches into a 3D part"
GEOMETRY_INVALID = "fixture {label!r} is not a valid B-rep solid; check its booleans and fillets"
GEOMETRY_DEGENERATE = "fixture {label!r} has volume {volume:g} mm^3; a fixture needs a positive volume"
GEOMETRY_VOLUME_MISMATCH = (
    "fixture {label!r}: geometry volume {actual:.1f} mm^3 differs from the declared {declared:.1f} mm^3; "
    "the shape changed after it was declared"
)
UNITS_SCENE_TOO_SMALL = (
    "bounds are only {extent:g} mm across (longest side); lengths are millimetres, not metres: "
    "multiply all lengths by 1000 (or make bounds at least {minimum:g} mm across)"
)
UNITS_SCENE_TOO_LARGE = (
    "bounds are {extent:g} mm across (longest side, over {maximum:g} mm = 50 m); lengths are millimetres: "
    "check the units of every length"
)
UNITS_PAYLOAD_TOO_SMALL = (
    "payload {payload} is only {extent:g} mm across; lengths are millimetres, not metres: "
    "multiply its size by 1000"
)
SCALE_IGNORED = "seed {seed}: scales {scale_a:g} and {scale_b:g} give identical geometry; multiply every length by `scale`"
SCALE_NOT_UNIFORM = (
    "seed {seed}: from scale {scale_a:g} to {scale_b:g} the fixtures' extent changes by x{actual:.2f}, "
    "expected x{expected:.2f}; multiply every length (fixtures, payload, zones) by `scale`"
)
FIXTURE_OUT_OF_BOUNDS = (
    "fixture {label!r} reaches {side} {axis}={value:g} but bounds end at {axis}={limit:g} ({by:g} mm outside); "
    "move or shrink the fixture, or enlarge bounds"
)
FIXTURE_INTERSECTION = (
    "fixtures {a!r} and {b!r} overlap by {volume:.1f} mm^3 (tolerance {tol:g} mm^3) within "
    "x {x0:g}..{x1:g}, y {y0:g}..{y1:g}, z {z0:g}..{z1:g}; move them apart or merge them into one fixture"
)
ZONE_OUT_OF_BOUNDS = (
    "{zone} reaches {side} {axis}={value:g} but bounds end at {axis}={limit:g} ({by:g} mm outside); "
    "shrink the {zone} or enlarge bounds"
)
GOAL_OUTSIDE_BUILD_ZONE = (
    "goal x {g[0]:g}..{g[3]:g}, y {g[1]:g}..{g[4]:g}, z {g[2]:g}..{g[5]:g} does not overlap the build zone "
    "x {b[0]:g}..{b[3]:g}, y {b[1]:g}..{b[4]:g}, z {b[2]:g}..{b[5]:g} (apart on {axis} by {gap:g} mm); "
    "extend the build zone over the goal (they must share a volume, not just a face)"
)
GOAL_OVERLAPS_FORBID = "goal overlaps forbid zone {forbid!r} by {dx:g} x {dy:g} x {dz:g} mm; move the goal or shrink the forbid zone"
PAYLOAD_OUT_OF_BOUNDS = (
    "payload {payload} start envelope (start +- jitter +- size) reaches {side} {axis}={value:g} but bounds end "
    "at {axis}={limit:g} ({by:g} mm outside); move the start or reduce jitter"
)
PAYLOAD_IN_GOAL = (
    "payload {payload} starts at ({x:g}, {y:g}, {z:g}), inside the goal x {g[0]:g}..{g[3]:g}, y {g[1]:g}..{g[4]:g}, "
    "z {g[2]:g}..{g[5]:g}; start it outside the goal"
)
PAYLOAD_IN_FORBID = (
    "payload {payload} start envelope (start ({x:g}, {y:g}, {z:g}) +- jitter ({jx:g}, {jy:g}, {jz:g})) "
    "reaches {depth:g} mm into forbid zone {forbid!r}; move the start away or shrink the forbid zone"
)
PAYLOAD_OVERLAPS_FIXTURE = (
    "payload {payload} at ({x:g}, {y:g}, {z:g}){where} overlaps fixture {label!r} (top at z={top:g} under the "
    "payload) by {depth:g} mm; raise start z to >= {needed_z:g} or move it clear of {label!r} in x/y"
)
PAYLOAD_OVERLAPS_FIXTURE_SIDE = (
    "payload {payload} at ({x:g}, {y:g}, {z:g}){where} overlaps fixture {label!r} by {volume:.1f} mm^3 "
    "(fixture spans x {f[0]:g}..{f[3]:g}, y {f[1]:g}..{f[4]:g}, z {f[2]:g}..{f[5]:g}); move the start clear of it"
)

# ----------------------------------------------------------------------------------------------------
# Source checks
# ----------------------------------------------------------------------------------------------------

PLACEMENT_METHODS = frozenset({"translate", "move"})  # the contract asks for Pos/Rot/Location instead


def _is_constant_expression(node: ast.expr) -> bool:
    """Literals, names and arithmetic on them: values computed without calling anything."""
    return not any(
        isinstance(child, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr))
        for child in ast.walk(node)
    )


def _is_main_guard(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
    )


def _violation(template: str, **fields) -> Failure:
    return Failure(code=FailureCode.CONTRACT_VIOLATION, message=template.format(**fields))


def check_source(source: str) -> list[Failure]:
    """Contract checks on the script's text: import safety, the scenario language, placement misuse, entry point."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [
            Failure(
                code=FailureCode.SCRIPT_ERROR, message=SOURCE_SYNTAX.format(line=exc.lineno, error=exc.msg)
            )
        ]
    failures: list[Failure] = []
    failures += _check_top_level(tree)
    failures += check_language(tree)
    failures += _check_placement(tree)
    failures += _check_build_entry_point(tree)
    return failures


def _check_top_level(tree: ast.Module) -> list[Failure]:
    failures = []
    for index, node in enumerate(tree.body):
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
            continue
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # module docstring
        if _is_main_guard(node):
            failures.append(_violation(SOURCE_MAIN_BLOCK, line=node.lineno))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            if not _is_constant_expression(node.value):
                failures.append(
                    _violation(SOURCE_TOP_LEVEL_WORK, line=node.lineno, what="assignment with a call")
                )
        else:
            what = type(node).__name__.lower() + " statement"
            failures.append(_violation(SOURCE_TOP_LEVEL_WORK, line=node.lineno, what=what))
    return failures


def _check_placement(tree: ast.Module) -> list[Failure]:
    return [
        _violation(SOURCE_PLACEMENT, line=node.lineno, method=node.func.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in PLACEMENT_METHODS
    ]


def _check_build_entry_point(tree: ast.Module) -> list[Failure]:
    builds = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build"]
    if not builds:
        return [_violation(SOURCE_NO_BUILD)]
    args = builds[-1].args
    params = [a.arg for a in args.posonlyargs + args.args]
    if (
        params[:2] != ["seed", "scale"]
        or len(params) > 2 + len(args.defaults)
        or args.kwonlyargs
        and any(d is None for d in args.kw_defaults)
    ):
        return [_violation(SOURCE_BUILD_SIGNATURE, line=builds[-1].lineno, params=", ".join(params))]
    return []


# ----------------------------------------------------------------------------------------------------
# Variant checks: plain boxes
# ----------------------------------------------------------------------------------------------------

AXES = "xyz"


def _box6(zone: ZoneSpec) -> tuple[float, ...]:
    return (*zone.min, *zone.max)


def _outside_bounds(box_min: Vec3, box_max: Vec3, bounds: ZoneSpec) -> Iterable[dict]:
    """Yield one description per face of `bounds` that the box crosses."""
    for i, axis in enumerate(AXES):
        if box_min[i] < bounds.min[i] - BOUNDS_TOL_MM:
            yield {
                "side": "down to",
                "axis": axis,
                "value": box_min[i],
                "limit": bounds.min[i],
                "by": round(bounds.min[i] - box_min[i], 3),
            }
        if box_max[i] > bounds.max[i] + BOUNDS_TOL_MM:
            yield {
                "side": "up to",
                "axis": axis,
                "value": box_max[i],
                "limit": bounds.max[i],
                "by": round(box_max[i] - bounds.max[i], 3),
            }


def check_zones(spec: ScenarioSpec) -> list[Failure]:
    """ZONE_INVALID for every zone with min >= max on some axis (the spec is data: never trust the kit ran)."""
    failures = []
    named = [("goal", spec.goal), ("build_zone", spec.build_zone), ("bounds", spec.bounds)]
    named += [(f"forbid zone {z.name!r}", z) for z in spec.forbid]
    for name, zone in named:
        for i, axis in enumerate(AXES):
            if not zone.min[i] < zone.max[i]:
                failures.append(
                    Failure(
                        code=FailureCode.ZONE_INVALID,
                        message=ZONE_INVALID.format(zone=name, axis=axis, lo=zone.min[i], hi=zone.max[i]),
                    )
                )
    return failures


def check_units(spec: ScenarioSpec) -> list[Failure]:
    """CONTRACT_VIOLATION when sizes only make sense in metres (or micrometres)."""
    failures = []
    extent = max(spec.bounds.size)
    if extent < MIN_SCENE_EXTENT_MM:
        failures.append(
            _violation(UNITS_SCENE_TOO_SMALL, extent=round(extent, 6), minimum=MIN_SCENE_EXTENT_MM)
        )
    elif extent > MAX_SCENE_EXTENT_MM:
        failures.append(
            _violation(UNITS_SCENE_TOO_LARGE, extent=round(extent, 1), maximum=MAX_SCENE_EXTENT_MM)
        )
    payload_extent = 2 * max(spec.payload.half_extents)
    if payload_extent < MIN_PAYLOAD_EXTENT_MM:
        failures.append(
            _violation(
                UNITS_PAYLOAD_TOO_SMALL, payload=spec.payload.size_label, extent=round(payload_extent, 6)
            )
        )
    return failures


def check_zone_layout(spec: ScenarioSpec) -> list[Failure]:
    """Build zone and goal inside bounds, goal reachable from the build zone and clear of forbid zones."""
    failures = []
    for code, name, zone in (
        (FailureCode.BUILD_ZONE_OUT_OF_BOUNDS, "build zone", spec.build_zone),
        (FailureCode.GOAL_OUT_OF_BOUNDS, "goal", spec.goal),
    ):
        for crossing in _outside_bounds(zone.min, zone.max, spec.bounds):
            failures.append(Failure(code=code, message=ZONE_OUT_OF_BOUNDS.format(zone=name, **crossing)))
    depths = spec.goal.overlap_depths(spec.build_zone)
    if not all(d > 0 for d in depths):
        axis = min(range(3), key=lambda i: depths[i])
        failures.append(
            Failure(
                code=FailureCode.GOAL_OUTSIDE_BUILD_ZONE,
                message=GOAL_OUTSIDE_BUILD_ZONE.format(
                    g=_box6(spec.goal),
                    b=_box6(spec.build_zone),
                    axis=AXES[axis],
                    gap=round(max(0.0, -depths[axis]), 3),
                ),
            )
        )
    for zone in spec.forbid:
        d = spec.goal.overlap_depths(zone)
        if all(v > 0 for v in d):
            failures.append(
                Failure(
                    code=FailureCode.GOAL_OVERLAPS_FORBID,
                    message=GOAL_OVERLAPS_FORBID.format(
                        forbid=zone.name, dx=round(d[0], 3), dy=round(d[1], 3), dz=round(d[2], 3)
                    ),
                )
            )
    return failures


def _centre_region(payload: PayloadSpec) -> ZoneSpec:
    """Box of every position the payload's centre may start at (start +- jitter); may be flat or a point."""
    return ZoneSpec(
        min=tuple(payload.start[i] - payload.jitter[i] for i in range(3)),  # type: ignore[arg-type]
        max=tuple(payload.start[i] + payload.jitter[i] for i in range(3)),  # type: ignore[arg-type]
    )


def _payload_penetration(payload: PayloadSpec, zone: ZoneSpec) -> float:
    """How deep (mm) the payload's start envelope reaches into `zone`; <= 0 when it stays clear.

    Exact for each shape: a sphere sweeps a rounded box, an upright cylinder a box rounded in x/y only.
    """
    centres = _centre_region(payload)
    gaps = [max(zone.min[i] - centres.max[i], centres.min[i] - zone.max[i], 0.0) for i in range(3)]
    h = payload.half_extents
    if payload.shape is PayloadShape.SPHERE:
        return h[0] - math.sqrt(sum(g * g for g in gaps))
    if payload.shape is PayloadShape.CYLINDER:
        return min(h[0] - math.hypot(gaps[0], gaps[1]), h[2] - gaps[2])
    return min(h[i] - gaps[i] for i in range(3))


def check_payload_zones(spec: ScenarioSpec) -> list[Failure]:
    """Payload start envelope inside bounds, start outside the goal, envelope clear of forbid zones."""
    p = spec.payload
    failures = []
    envelope = p.envelope()
    for crossing in _outside_bounds(envelope.min, envelope.max, spec.bounds):
        failures.append(
            Failure(
                code=FailureCode.PAYLOAD_OUT_OF_BOUNDS,
                message=PAYLOAD_OUT_OF_BOUNDS.format(payload=p.size_label, **crossing),
            )
        )
    for position in p.start_positions():
        if spec.goal.contains_point(position):
            x, y, z = position
            failures.append(
                Failure(
                    code=FailureCode.PAYLOAD_IN_GOAL,
                    message=PAYLOAD_IN_GOAL.format(payload=p.size_label, x=x, y=y, z=z, g=_box6(spec.goal)),
                )
            )
            break
    for zone in spec.forbid:
        depth = _payload_penetration(p, zone)
        if depth > 0:
            failures.append(
                Failure(
                    code=FailureCode.PAYLOAD_IN_FORBID,
                    message=PAYLOAD_IN_FORBID.format(
                        payload=p.size_label,
                        x=p.start[0],
                        y=p.start[1],
                        z=p.start[2],
                        jx=p.jitter[0],
                        jy=p.jitter[1],
                        jz=p.jitter[2],
                        depth=round(depth, 3),
                        forbid=zone.name,
                    ),
                )
            )
    return failures


# ----------------------------------------------------------------------------------------------------
# Variant checks: exact B-rep geometry
# ----------------------------------------------------------------------------------------------------


def load_fixture_shapes(spec: ScenarioSpec, breps: dict[str, bytes]) -> tuple[dict, list[Failure]]:
    """Parse and check each fixture's BREP; return the usable shapes by label and the failures."""
    failures = []
    shapes = {}
    labels = [f.label for f in spec.fixtures]
    for label in sorted(set(breps) - set(labels)):
        failures.append(_violation(BREP_EXTRA, label=label))
    for fixture in spec.fixtures:
        if fixture.label not in breps:
            failures.append(_violation(BREP_MISSING, label=fixture.label, present=sorted(breps) or "none"))
            continue
        try:
            shape = brep_to_shape(breps[fixture.label])
        except InvalidGeometry as exc:
            failures.append(
                Failure(
                    code=FailureCode.INVALID_GEOMETRY,
                    message=BREP_UNREADABLE.format(label=fixture.label, error=exc),
                )
            )
            continue
        failure = _geometry_failure(fixture.label, fixture.volume_mm3, shape)
        if failure is None:
            shapes[fixture.label] = shape
        else:
            failures.append(failure)
    return shapes, failures


def _geometry_failure(label: str, declared_volume: float, shape) -> Failure | None:
    def invalid(template: str, **fields) -> Failure:
        return Failure(code=FailureCode.INVALID_GEOMETRY, message=template.format(label=label, **fields))

    if not shape.solids():
        return invalid(GEOMETRY_NOT_SOLID)
    if not shape.is_valid:
        return invalid(GEOMETRY_INVALID)
    volume = float(shape.volume)
    if not math.isfinite(volume) or volume < MIN_FIXTURE_VOLUME_MM3:
        return invalid(GEOMETRY_DEGENERATE, volume=volume)
    if abs(volume - declared_volume) > VOLUME_MISMATCH_REL_TOL * max(volume, declared_volume):
        return invalid(GEOMETRY_VOLUME_MISMATCH, actual=volume, declared=declared_volume)
    return None


def _exact_bbox(shape) -> tuple[Vec3, Vec3]:
    bb = shape.bounding_box(optimal=True)
    return (bb.min.X, bb.min.Y, bb.min.Z), (bb.max.X, bb.max.Y, bb.max.Z)


def _boxes_overlap(a: tuple[Vec3, Vec3], b: tuple[Vec3, Vec3], slack: float = 0.0) -> bool:
    return all(a[0][i] < b[1][i] + slack and b[0][i] < a[1][i] + slack for i in range(3))


def check_fixtures(spec: ScenarioSpec, shapes: dict) -> list[Failure]:
    """Fixtures inside bounds (exact bounding box) and not overlapping each other (exact boolean common)."""
    failures = []
    boxes = {label: _exact_bbox(shape) for label, shape in shapes.items()}
    for label, (lo, hi) in boxes.items():
        for crossing in _outside_bounds(lo, hi, spec.bounds):
            failures.append(
                Failure(
                    code=FailureCode.FIXTURE_OUT_OF_BOUNDS,
                    message=FIXTURE_OUT_OF_BOUNDS.format(
                        label=label,
                        **{k: round(v, 3) if isinstance(v, float) else v for k, v in crossing.items()},
                    ),
                )
            )
    for a, b in itertools.combinations(shapes, 2):
        if not _boxes_overlap(boxes[a], boxes[b]):
            continue
        common = shapes[a] & shapes[b]
        volume = float(common.volume) if common is not None else 0.0
        if volume > FIXTURE_OVERLAP_TOL_MM3:
            lo, hi = _exact_bbox(common)
            failures.append(
                Failure(
                    code=FailureCode.FIXTURE_INTERSECTION,
                    message=FIXTURE_INTERSECTION.format(
                        a=a,
                        b=b,
                        volume=volume,
                        tol=FIXTURE_OVERLAP_TOL_MM3,
                        x0=round(lo[0], 1),
                        x1=round(hi[0], 1),
                        y0=round(lo[1], 1),
                        y1=round(hi[1], 1),
                        z0=round(lo[2], 1),
                        z1=round(hi[2], 1),
                    ),
                )
            )
    return failures


def payload_solid(payload: PayloadSpec, centre: Vec3):
    """The payload as an exact build123d solid with its centre at `centre` (cylinder axis along z)."""
    from build123d import Box, Cylinder, Pos, Sphere

    if payload.shape is PayloadShape.SPHERE:
        primitive = Sphere(payload.radius)
    elif payload.shape is PayloadShape.BOX:
        primitive = Box(*payload.size)
    else:
        primitive = Cylinder(payload.radius, payload.height)
    return Pos(*centre) * primitive


def _centre_region_shape(payload: PayloadSpec):
    """The centre box as the lowest-dimensional exact shape: a vertex, edge, face or solid."""
    from build123d import Box, Edge, Plane, Pos, Rectangle, Vertex

    region = _centre_region(payload)
    size = region.size
    spans = [i for i in range(3) if size[i] > 0]
    if not spans:
        return Vertex(*region.min)
    if len(spans) == 1:
        return Edge.make_line(region.min, region.max)
    if len(spans) == 3:
        return Pos(*region.center) * Box(*size)
    flat = ({0, 1, 2} - set(spans)).pop()
    plane = (Plane.XY, Plane.XZ, Plane.YZ)[2 - flat]
    return Pos(*region.center) * (plane * Rectangle(size[spans[0]], size[spans[1]]))


def payload_swept_solid(payload: PayloadSpec):
    """Every point a box or upright cylinder payload may occupy at start, swept over its jitter box (exact).

    A cylinder sweeps its disc over the jitter rectangle: the rectangle (or segment) offset by the
    radius with round corners, extruded over its height plus the z jitter.
    """
    from build123d import Box, Cylinder, Edge, Face, Kind, Pos, Solid, Wire

    (jx, jy, jz), (hx, hy, hz) = payload.jitter, payload.half_extents
    sx, sy, sz = payload.start
    height = 2 * (hz + jz)
    if payload.shape is PayloadShape.BOX:
        return Pos(sx, sy, sz) * Box(2 * (hx + jx), 2 * (hy + jy), height)
    if jx == 0 and jy == 0:
        return Pos(sx, sy, sz) * Cylinder(hx, height)
    if jx > 0 and jy > 0:
        centres = Wire.make_rect(2 * jx, 2 * jy)
    else:
        centres = Wire([Edge.make_line((-jx, -jy, 0), (jx, jy, 0))])
    footprint = Face(centres.offset_2d(hx, kind=Kind.ARC))
    return Pos(sx, sy, sz - height / 2) * Solid.extrude(footprint, (0, 0, height))


def _common_volume(a, b) -> float:
    common = a & b
    return float(common.volume) if common is not None else 0.0


def _envelope_overlaps(payload: PayloadSpec, fixture) -> bool:
    """True when the payload, anywhere inside its jitter envelope, intersects the fixture.

    A sphere overlaps when its centre region comes closer than its radius; the distance between
    boundaries misses a region wholly inside the fixture, so the nominal centre is classified too.
    """
    if payload.shape is PayloadShape.SPHERE:
        if _centre_region_shape(payload).distance_to(fixture) < payload.radius - CONTACT_TOL_MM:
            return True
        return fixture.is_inside(payload.start)
    return _common_volume(payload_swept_solid(payload), fixture) > PAYLOAD_OVERLAP_TOL_MM3


def _top_under_payload(payload: PayloadSpec, fixture, fixture_box: tuple[Vec3, Vec3]) -> float | None:
    """Highest z of the fixture inside the payload envelope's x/y footprint, below the envelope's top."""
    from build123d import Box, Pos

    envelope = payload.envelope()
    z_low = fixture_box[0][2] - 1.0
    z_high = envelope.max[2]
    if z_high <= z_low:
        return None
    size = envelope.size
    prism = Pos(envelope.center[0], envelope.center[1], (z_low + z_high) / 2) * Box(
        size[0], size[1], z_high - z_low
    )
    common = fixture & prism
    if common is None or float(common.volume) <= PAYLOAD_OVERLAP_TOL_MM3:
        return None
    return _exact_bbox(common)[1][2]


def _overlap_failure(
    payload: PayloadSpec, label: str, fixture, fixture_box, position: Vec3, where: str, volume: float
) -> Failure:
    """Say how high the start must be to clear the fixture's top, or, when raising cannot help, where it is."""
    top = _top_under_payload(payload, fixture, fixture_box)
    x, y, z = position
    common = {"payload": payload.size_label, "x": x, "y": y, "z": z, "where": where, "label": label}
    if top is not None:
        needed_z = top + payload.half_extents[2] + payload.jitter[2]
        depth = needed_z - payload.start[2]
        if depth > 0:
            message = PAYLOAD_OVERLAPS_FIXTURE.format(
                **common, top=round(top, 3), depth=round(depth, 3), needed_z=round(needed_z, 3)
            )
            return Failure(code=FailureCode.PAYLOAD_OVERLAPS_FIXTURE, message=message)
    box = tuple(round(v, 3) for v in (*fixture_box[0], *fixture_box[1]))
    message = PAYLOAD_OVERLAPS_FIXTURE_SIDE.format(**common, volume=volume, f=box)
    return Failure(code=FailureCode.PAYLOAD_OVERLAPS_FIXTURE, message=message)


def check_payload_fixtures(spec: ScenarioSpec, shapes: dict) -> list[Failure]:
    """PAYLOAD_OVERLAPS_FIXTURE anywhere in the jitter envelope (swept, exact); the message then names the
    first overlapping start among the nominal one and the corners, or says it lies between them."""
    payload = spec.payload
    envelope = payload.envelope()
    envelope_box = (envelope.min, envelope.max)
    failures = []
    for label, fixture in shapes.items():
        fixture_box = _exact_bbox(fixture)
        if not _boxes_overlap(envelope_box, fixture_box, slack=CONTACT_TOL_MM):
            continue
        if not _envelope_overlaps(payload, fixture):
            continue
        for index, position in enumerate(payload.start_positions()):
            volume = _common_volume(payload_solid(payload, position), fixture)
            if volume > PAYLOAD_OVERLAP_TOL_MM3:
                where = "" if index == 0 else " (a corner of its jitter envelope)"
                failures.append(
                    _overlap_failure(payload, label, fixture, fixture_box, position, where, volume)
                )
                break
        else:
            where = " +- jitter (between the corners of its jitter envelope)"
            failures.append(_overlap_failure(payload, label, fixture, fixture_box, payload.start, where, 0.0))
    return failures


def check_scale_response(
    seed: int,
    scale_a: float,
    hash_a: str,
    box_a: tuple[Vec3, Vec3],
    scale_b: float,
    hash_b: str,
    box_b: tuple[Vec3, Vec3],
) -> list[Failure]:
    """CONTRACT_VIOLATION when `scale` is ignored or does not scale the fixtures uniformly."""
    if hash_a == hash_b:
        return [_violation(SCALE_IGNORED, seed=seed, scale_a=scale_a, scale_b=scale_b)]
    extent_a = math.dist(*box_a)
    extent_b = math.dist(*box_b)
    expected = scale_b / scale_a
    actual = extent_b / extent_a if extent_a > 0 else float("inf")
    if abs(actual / expected - 1) > SCALE_EXTENT_REL_TOL:
        return [
            _violation(
                SCALE_NOT_UNIFORM,
                seed=seed,
                scale_a=scale_a,
                scale_b=scale_b,
                actual=actual,
                expected=expected,
            )
        ]
    return []


def fixtures_extent(spec: ScenarioSpec) -> tuple[Vec3, Vec3]:
    """Bounding box of all fixtures together, from the spec's per-fixture boxes."""
    lo = tuple(min(f.bbox_min[i] for f in spec.fixtures) for i in range(3))
    hi = tuple(max(f.bbox_max[i] for f in spec.fixtures) for i in range(3))
    return lo, hi  # type: ignore[return-value]


def check_variant(spec: ScenarioSpec, breps: dict[str, bytes]) -> tuple[list[Failure], list[str]]:
    """Every static check of one built variant; returns the failures and notes on checks that were skipped."""
    notes: list[str] = []
    zone_failures = check_zones(spec)
    if zone_failures:
        notes.append("zone, bounds and payload placement checks skipped: a zone is invalid (ZONE_INVALID)")
    shapes, geometry_failures = load_fixture_shapes(spec, breps)
    failures = zone_failures + geometry_failures
    unusable = len(spec.fixtures) - len(shapes)
    if unusable:
        notes.append(f"{unusable} fixture(s) with unusable geometry left out of the fixture checks")
    if zone_failures:
        return failures, notes
    failures += check_units(spec)
    failures += check_zone_layout(spec)
    failures += check_payload_zones(spec)
    failures += check_fixtures(spec, shapes)
    failures += check_payload_fixtures(spec, shapes)
    return failures, notes
