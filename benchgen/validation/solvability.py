"""Proofs that a scene cannot be solved: GOAL_BLOCKED, GOAL_UNREACHABLE, PAYLOAD_TRAPPED, PAYLOAD_UNREACHABLE.

A solver may carry, lift, push, tip or throw the payload and build ramps and bridges, so the only
obstacles are fixtures, forbid zones and the bounds. The payload's centre moves in a 3D grid of cells
(rectilinear, sized to the scene, with the goal and the start envelope on cell boundaries). A cell is
*blocked* only when no point in it can hold the payload's centre: every point lies closer than the
payload's inscribed radius (the ball it keeps around its centre in every orientation), less a contact
slack, to a fixture or a forbid zone, or to a face of the bounds. Everything else counts as free, so
the grid can only make the free space larger than it is, and a flood fill over 26-connected free cells
that finds no way proves there is none. docs/scenario-contract.md gives the full soundness argument.

Distances come from the convex pieces the simulator collides (`physics.meshing.fixture_pieces`). A
cell's clearance is bounded from above by the largest signed distance at its 8 corners (signed distance
to a convex set is convex, so its maximum over a box is at a corner), taking the smallest such bound over
the pieces and zones. All lengths are millimetres.
"""

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict
from scipy import ndimage

from benchgen.codes import FailureCode
from benchgen.failures import Failure
from benchgen.kit.errors import InvalidGeometry
from benchgen.kit.spec import PayloadShape, PayloadSpec, ScenarioSpec, ZoneSpec
from benchgen.physics.budget import SceneTooLarge
from benchgen.physics.meshing import fixture_pieces

# ----------------------------------------------------------------------------------------------------
# Thresholds
# ----------------------------------------------------------------------------------------------------

# mm; the payload may press this far into a fixture or forbid zone and still count as fitting: soft contact
# penetration, the meshes' chordal deviation from the B-rep (at most 0.5 mm) and rounding.
CONTACT_SLACK_MM = 1.0
# Target cell edge = inscribed radius / this: a passage narrower than the payload by about half a cell
# or more is found closed (dimensionless).
CELLS_PER_INSCRIBED_RADIUS = 2.0
MAX_GRID_CELLS = 200_000  # cells; a larger scene gets coarser cells (weaker proofs, same soundness)
MIN_CELL_MM = 0.5  # mm; no finer grid whatever the payload (a tiny payload in a huge scene)
# Left alone, the payload's centre cannot rise above its start (energy only dissipates); the search for
# where it can fall or roll allows it to rise this many inscribed radii for numerical bounces.
PASSIVE_RISE_SLACK_RADII = 1.0  # dimensionless
PAIR_BLOCK = 2_000_000  # point-plane pairs per vectorised batch (bounds memory: 16 MB of floats)
TRIANGLE_PAIR_BLOCK = 200_000  # point-triangle pairs per batch (each pair needs ~ 30 floats of temporaries)
PROJECTION_STEPS = 4  # projections onto violated face planes before falling back to triangle distances
PROJECTION_TOL_MM = 1e-6  # mm; a projected point this close to inside every face plane counts as in the piece
BOX_TOL_MM = 1e-6  # mm; a piece whose vertices all lie on its bounding box corners is that box
THIN_CUT_CELLS = 2.5  # a cut no deeper than this many cells along one axis is reported as "past axis = v"
WIDE_CUT_CELLS = 4  # ... when it also spans more than this many cells along the other two axes

# ----------------------------------------------------------------------------------------------------
# Message templates
# ----------------------------------------------------------------------------------------------------

GOAL_BLOCKED = (
    "no placement of payload {payload} with its centre in the goal x {g[0]:g}..{g[3]:g}, "
    "y {g[1]:g}..{g[4]:g}, z {g[2]:g}..{g[5]:g} is clear of {owners}: every centre there has at most "
    "{best:g} mm of clearance, the payload needs {need:g} mm ({fit_clearance}); move the goal into open "
    "space or cut room for the payload out of {owners}"
)
GOAL_UNREACHABLE = (
    "no way for payload {payload} from its start to the goal: {cut}, closed by {owners} with {opening}; "
    "the payload needs {width:g} mm ({fit}); open a way at least that wide, move the goal to the start's "
    "side or shrink the obstacle"
)
GOAL_NO_ROOM = (
    "payload {payload} cannot be in the goal x {g[0]:g}..{g[3]:g}, y {g[1]:g}..{g[4]:g}, "
    "z {g[2]:g}..{g[5]:g} without touching {owners}: every centre there has at most {best:g} mm of "
    "clearance, the payload needs {need:g} mm ({fit_clearance}); make the goal roomier or move it away "
    "from {owners}"
)
PAYLOAD_TRAPPED = (
    "payload {payload} is enclosed: its centre can move only within x {r[0]:g}..{r[3]:g}, "
    "y {r[1]:g}..{r[4]:g}, z {r[2]:g}..{r[5]:g} and never out; {cut}, closed by {owners} with {opening}; "
    "the payload needs {width:g} mm ({fit}); open the enclosure or start the payload outside it"
)
PAYLOAD_UNREACHABLE = (
    "no part can ever touch payload {payload}: left alone it stays within x {r[0]:g}..{r[3]:g}, "
    "y {r[1]:g}..{r[4]:g}, z {r[2]:g}..{r[5]:g} (its start envelope and wherever it could fall or roll "
    "from there), and the build zone x {b[0]:g}..{b[3]:g}, y {b[1]:g}..{b[4]:g}, z {b[2]:g}..{b[5]:g} "
    "stays {gap:g} mm beyond its reach ({reach:g} mm from its centre); extend the build zone to the "
    "payload's start"
)
FIT = "{what} in any orientation, less {slack:g} mm contact slack, on a {cell:g} mm grid"
FIT_WIDTH = "its smallest width"
FIT_CLEARANCE = "half its smallest width"
CUT_PAST = "no way past {axis} = {value:g} (across {span})"
CUT_NEAR = "the way is cut near ({x:g}, {y:g}, {z:g})"
OPENING_NONE = "no opening at all"
OPENING_AT_MOST = "no opening wider than {width:g} mm"
NOTE_SKIPPED_STATIC = "unsolvability checks skipped: the static checks failed"
NOTE_SKIPPED_MESH = "unsolvability checks skipped: the fixtures could not be meshed ({error})"
NOTE_SKIPPED_START = (
    "unsolvability checks skipped: no grid cell around the payload's start is free "
    "(the start touches an obstacle within the {slack:g} mm contact slack)"
)

AXES = "xyz"
BOUNDS_NAME = "the bounds"


class SolvabilityResult(BaseModel):
    """The failures proven (possibly none), notes on what was not checked, and the time it took."""

    model_config = ConfigDict(frozen=True)

    failures: list[Failure]
    notes: list[str]
    seconds: float | None = None  # None when the proofs did not run


# ----------------------------------------------------------------------------------------------------
# The payload's sizes
# ----------------------------------------------------------------------------------------------------


def inscribed_radius(payload: PayloadSpec) -> float:
    """Radius of the ball around the centre that the payload covers in every orientation, mm."""
    if payload.shape is PayloadShape.SPHERE:
        return float(payload.radius)
    if payload.shape is PayloadShape.BOX:
        return min(payload.size) / 2  # type: ignore[arg-type]
    return min(float(payload.radius), float(payload.height) / 2)


def circumscribed_radius(payload: PayloadSpec) -> float:
    """Radius of the ball around the centre that holds the payload in every orientation, mm."""
    if payload.shape is PayloadShape.SPHERE:
        return float(payload.radius)
    if payload.shape is PayloadShape.BOX:
        return math.hypot(*payload.size) / 2  # type: ignore[misc]
    return math.hypot(float(payload.radius), float(payload.height) / 2)


# ----------------------------------------------------------------------------------------------------
# The grid
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """Rectilinear cells covering the bounds; `nodes[axis]` are the cell boundaries, increasing, mm."""

    nodes: tuple[np.ndarray, np.ndarray, np.ndarray]
    cell_mm: float  # the target cell edge; cells between close breakpoints are thinner

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(len(n) - 1 for n in self.nodes)  # type: ignore[return-value]

    def cells_within(self, zone: ZoneSpec) -> tuple[slice, ...]:
        """Cells lying inside `zone` (its faces are cell boundaries, so these cells cover it exactly)."""
        return tuple(
            slice(_node_index(n, zone.min[i]), max(_node_index(n, zone.max[i]), _node_index(n, zone.min[i])))
            for i, n in enumerate(self.nodes)
        )

    def cells_touching(self, lo, hi) -> tuple[slice, ...]:
        """Cells whose closed box meets the closed box [lo, hi]."""
        out = []
        for i, n in enumerate(self.nodes):
            first = max(int(np.searchsorted(n, lo[i], side="left")) - 1, 0)
            last = min(int(np.searchsorted(n, hi[i], side="right")), len(n) - 1)
            out.append(slice(first, max(last, first + 1)))
        return tuple(out)

    def nodes_near(self, lo, hi, margin: float) -> tuple[slice, ...]:
        """Nodes within `margin` of the box [lo, hi] on every axis."""
        return tuple(
            slice(
                int(np.searchsorted(n, lo[i] - margin, side="left")),
                int(np.searchsorted(n, hi[i] + margin, side="right")),
            )
            for i, n in enumerate(self.nodes)
        )

    def centre(self, index) -> tuple[float, float, float]:
        x, y, z = (float((n[i] + n[i + 1]) / 2) for n, i in zip(self.nodes, index))
        return x, y, z

    def extent(self, mask: np.ndarray) -> tuple[float, ...]:
        """(x0, y0, z0, x1, y1, z1) of the cells in `mask`."""
        where = np.nonzero(mask)
        lo = [float(n[w.min()]) for n, w in zip(self.nodes, where)]
        hi = [float(n[w.max() + 1]) for n, w in zip(self.nodes, where)]
        return (*lo, *hi)


def _node_index(nodes: np.ndarray, value: float) -> int:
    return int(np.argmin(np.abs(nodes - value)))


def _axis_nodes(lo: float, hi: float, breaks: list[float], cell: float) -> np.ndarray:
    points = sorted({lo, hi, *(b for b in breaks if lo < b < hi)})
    parts = [np.array([points[0]])]
    for a, b in itertools.pairwise(points):
        parts.append(np.linspace(a, b, max(1, math.ceil((b - a) / cell)) + 1)[1:])
    return np.concatenate(parts)


def make_grid(spec: ScenarioSpec, cell: float) -> Grid:
    """Cells of about `cell` mm over the bounds, coarsened until there are at most MAX_GRID_CELLS."""
    p = spec.payload
    centres = [(p.start[i] - p.jitter[i], p.start[i] + p.jitter[i]) for i in range(3)]
    cell = max(cell, MIN_CELL_MM)
    while True:
        nodes = tuple(
            _axis_nodes(
                spec.bounds.min[i],
                spec.bounds.max[i],
                [spec.goal.min[i], spec.goal.max[i], *centres[i]],
                cell,
            )
            for i in range(3)
        )
        count = math.prod(len(n) - 1 for n in nodes)
        if count <= MAX_GRID_CELLS:
            return Grid(nodes=nodes, cell_mm=cell)  # type: ignore[arg-type]
        cell *= (count / MAX_GRID_CELLS) ** (1 / 3) * 1.02


# ----------------------------------------------------------------------------------------------------
# Signed distances at grid nodes (upper bounds) and cell clearances
# ----------------------------------------------------------------------------------------------------


def _box_signed_distance(points: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Exact signed distance from each point to the axis-aligned box [lo, hi] (negative inside)."""
    q = np.abs(points - (lo + hi) / 2) - (hi - lo) / 2
    outside = np.linalg.norm(np.maximum(q, 0.0), axis=-1)
    return outside + np.minimum(q.max(axis=-1), 0.0)


def _segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances (m, t) from points (m, 3) to segments a-b (t, 3)."""
    ab = b - a
    length2 = np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-300)
    ap = points[:, None, :] - a[None, :, :]
    s = np.clip(np.einsum("mtk,tk->mt", ap, ab) / length2, 0.0, 1.0)
    return np.linalg.norm(ap - s[..., None] * ab[None], axis=-1)


def _surface_distance(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Exact distance from each point (m, 3) to the nearest of the triangles (t, 3, 3)."""
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    normal = np.cross(b - a, c - a)
    area2 = np.linalg.norm(normal, axis=1)
    unit = normal / np.maximum(area2, 1e-300)[:, None]
    best = np.full(len(points), np.inf)
    step = max(1, TRIANGLE_PAIR_BLOCK // max(len(triangles), 1))
    for start in range(0, len(points), step):
        p = points[start : start + step]
        ap = p[:, None, :] - a[None]
        height = np.einsum("mtk,tk->mt", ap, unit)
        foot = p[:, None, :] - height[..., None] * unit[None]
        # The foot of the perpendicular is inside the triangle when it lies left of all three edges.
        inside = np.repeat((area2 > 0)[None], len(p), axis=0)
        for u, v in ((a, b), (b, c), (c, a)):
            inside &= np.einsum("mtk,tk->mt", np.cross(v - u, foot - u[None]), normal) >= 0
        edges = np.minimum.reduce(
            [_segment_distance(p, a, b), _segment_distance(p, b, c), _segment_distance(p, c, a)]
        )
        best[start : start + step] = np.where(inside, np.abs(height), edges).min(axis=1)
    return best


@dataclass(frozen=True)
class Piece:
    """One convex piece of a fixture as the simulator collides it (or a forbid zone), for distance queries."""

    owner: int  # index of the obstacle's name (a fixture's label or a forbid zone's name)
    lo: np.ndarray
    hi: np.ndarray
    is_box: bool  # exactly its axis-aligned bounding box
    normals: np.ndarray  # (f, 3) outward unit normals of its face planes
    offsets: np.ndarray  # (f,) plane offsets: n . x = offset on the face
    triangles: np.ndarray  # (t, 3, 3)

    def signed_distance_bound(self, points: np.ndarray, limit: float) -> np.ndarray:
        """An upper bound on the signed distance from each point to the piece, exact where below `limit`.

        Inside every face plane the largest plane distance bounds the (negative) depth from above; outside,
        the distance to the nearest triangle is exact. Where a plane already says `limit` or more, that
        value is kept: only whether a distance is below `limit` matters.
        """
        if self.is_box:
            return _box_signed_distance(points, self.lo, self.hi)
        planes = np.empty(len(points))
        step = max(1, PAIR_BLOCK // len(self.normals))
        for start in range(0, len(points), step):
            chunk = points[start : start + step]
            values = (chunk @ self.normals.T - self.offsets).max(axis=1)
            near = np.flatnonzero((values > 0) & (values < limit))
            if near.size:
                values[near] = self._outside_distance(chunk[near])
            planes[start : start + step] = values
        return planes

    def _outside_distance(self, points: np.ndarray) -> np.ndarray:
        """Distance from points outside the piece to a point of it: exact or within PROJECTION_TOL_MM.

        A point projected onto its most violated face plane, repeatedly, lands in the piece within a few
        steps (exactly on the nearest face when that face holds the foot); its distance from the start is
        then an upper bound, exact in the common case. Points still outside get the exact triangle distance.
        """
        foot = points.copy()
        rows = np.arange(len(points))
        for _ in range(PROJECTION_STEPS):
            violation = foot @ self.normals.T - self.offsets
            worst = violation.argmax(axis=1)
            depth = violation[rows, worst]
            outside = depth > PROJECTION_TOL_MM
            if not outside.any():
                break
            foot[outside] -= depth[outside, None] * self.normals[worst[outside]]
        landed = (foot @ self.normals.T - self.offsets).max(axis=1) <= PROJECTION_TOL_MM
        distance = np.linalg.norm(points - foot, axis=1) + PROJECTION_TOL_MM
        if not landed.all():
            distance[~landed] = _surface_distance(points[~landed], self.triangles)
        return distance


def box_piece(owner: int, zone: ZoneSpec) -> Piece:
    """An axis-aligned box obstacle (a forbid zone) as a piece."""
    no_planes = np.empty((0, 3))
    return Piece(
        owner, np.array(zone.min), np.array(zone.max), True, no_planes, np.empty(0), np.empty((0, 3, 3))
    )


def _piece(owner: int, mesh) -> Piece:
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    triangles = vertices[faces]
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    normal = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    # Orient outwards whatever the mesh's winding: a closed mesh's signed volume is positive then.
    if np.einsum("ij,ij->i", triangles[:, 0], normal).sum() < 0:
        normal = -normal
        triangles = triangles[:, ::-1]
    length = np.linalg.norm(normal, axis=1)
    keep = length > 0
    normals = normal[keep] / length[keep, None]
    offsets = np.einsum("ij,ij->i", normals, triangles[keep, 0])
    on_corners = np.all(
        (np.abs(vertices - lo) <= BOX_TOL_MM) | (np.abs(vertices - hi) <= BOX_TOL_MM), axis=1
    ).all()
    is_box = bool(
        on_corners and len(vertices) == 8 and abs(mesh.volume - np.prod(hi - lo)) <= 1e-6 * np.prod(hi - lo)
    )
    return Piece(owner, lo, hi, is_box, normals, offsets, triangles)


@dataclass
class Clearance:
    """Per cell, an upper bound on the clearance (mm) any point in it has, and which obstacle bounds it.

    `fixtures` counts fixtures only (GOAL_BLOCKED), `bounds` the bounds only, `total` every obstacle;
    `fixture_owner` and `owner` index `names`.
    """

    fixtures: np.ndarray
    fixture_owner: np.ndarray
    bounds: np.ndarray
    total: np.ndarray
    owner: np.ndarray
    names: list[str]


def _corner_max(values: np.ndarray) -> np.ndarray:
    """Per cell, the largest of its 8 corner values (node array (a, b, c) -> cell array (a-1, b-1, c-1))."""
    values = np.maximum(values[:-1], values[1:])
    values = np.maximum(values[:, :-1], values[:, 1:])
    return np.maximum(values[:, :, :-1], values[:, :, 1:])


def _node_points(grid: Grid, nodes: tuple[slice, ...]) -> np.ndarray:
    axes = [n[s] for n, s in zip(grid.nodes, nodes)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)


def _lower_into(target: np.ndarray, owner: np.ndarray, cells: tuple[slice, ...], values, index: int) -> None:
    current = target[cells]
    better = values < current
    current[better] = values[better]
    owner[cells][better] = index


def _obstacle_into(grid: Grid, piece: "Piece", limit: float, target: np.ndarray, owner: np.ndarray) -> None:
    """Lower the cells near the piece to its corner-maximum signed distance where that is smaller."""
    nodes = grid.nodes_near(piece.lo, piece.hi, limit)
    counts = [s.stop - s.start for s in nodes]
    if min(counts) < 2:
        return  # fewer than two nodes on an axis: no cell has all its corners near the piece
    values = piece.signed_distance_bound(_node_points(grid, nodes), limit).reshape(counts)
    cells = tuple(slice(s.start, s.stop - 1) for s in nodes)
    _lower_into(target, owner, cells, _corner_max(values).astype(np.float32), piece.owner)


def _bounds_clearance(grid: Grid, bounds: ZoneSpec) -> np.ndarray:
    """Per cell, an upper bound on the distance from its points to the nearest face of the bounds."""
    per_axis = []
    for i, n in enumerate(grid.nodes):
        middle = (bounds.min[i] + bounds.max[i]) / 2
        best = np.clip(middle, n[:-1], n[1:])  # the point of each cell's span farthest from both faces
        per_axis.append(np.minimum(best - bounds.min[i], bounds.max[i] - best))
    x, y, z = (a.astype(np.float32) for a in per_axis)
    return np.minimum(np.minimum(x[:, None, None], y[None, :, None]), z[None, None, :])


def clearance(spec: ScenarioSpec, pieces: list[Piece], grid: Grid, limit: float) -> Clearance:
    """Cell clearances against every fixture piece, forbid zone and the bounds; exact enough below `limit`."""
    labels = [f.label for f in spec.fixtures]
    names = [f"fixture {label!r}" for label in labels] + [f"forbid zone {z.name!r}" for z in spec.forbid]
    names.append(BOUNDS_NAME)
    fixtures = np.full(grid.shape, np.inf, dtype=np.float32)
    owner = np.full(grid.shape, len(names) - 1, dtype=np.int16)
    for piece in pieces:
        _obstacle_into(grid, piece, limit, fixtures, owner)
    fixture_owner = owner.copy()
    total = fixtures.copy()
    for k, zone in enumerate(spec.forbid):
        _obstacle_into(grid, box_piece(len(labels) + k, zone), limit, total, owner)
    bounds = _bounds_clearance(grid, spec.bounds)
    by_bounds = bounds < total
    total[by_bounds] = bounds[by_bounds]
    owner[by_bounds] = len(names) - 1
    return Clearance(
        fixtures=fixtures, fixture_owner=fixture_owner, bounds=bounds, total=total, owner=owner, names=names
    )


# ----------------------------------------------------------------------------------------------------
# Connectivity
# ----------------------------------------------------------------------------------------------------

NEIGHBOURS = np.ones((3, 3, 3), dtype=bool)  # 26-connectivity: cells sharing a face, an edge or a corner


def _component(free: np.ndarray, seeds: tuple[slice, ...]) -> np.ndarray:
    """Free cells connected to any free seed cell."""
    labels, count = ndimage.label(free, structure=NEIGHBOURS)
    wanted = np.zeros(count + 1, dtype=bool)
    wanted[labels[seeds]] = True
    wanted[0] = False  # label 0 is every blocked cell
    return wanted[labels]


def _cut(free: np.ndarray, clear: Clearance, side: np.ndarray, other: np.ndarray) -> np.ndarray:
    """The thinnest part of the obstacles between two free regions: where they first meet, grown alike.

    Both regions grow one cell at a time through cells blocked by fixtures or forbid zones; if that cannot
    join them, through the bounds' rim too, and last through anything (a third free pocket between them).
    The blocked cells both reach in the same step are the cut.
    """
    blocked = ~free
    passes = (blocked & (clear.owner != len(clear.names) - 1), blocked, np.ones_like(free))
    for passable in passes:
        a, b = side, other
        while True:
            grown_a = ndimage.binary_dilation(a, structure=NEIGHBOURS, mask=passable | a)
            grown_b = ndimage.binary_dilation(b, structure=NEIGHBOURS, mask=passable | b)
            meet = (grown_a & grown_b | grown_a & b | grown_b & a) & blocked
            if meet.any():
                return meet
            if (grown_a == a).all() and (grown_b == b).all():
                break
            a, b = grown_a, grown_b
    return blocked  # the regions are disjoint free components of a connected grid: never reached


# ----------------------------------------------------------------------------------------------------
# The checks
# ----------------------------------------------------------------------------------------------------


def _fmt(value: float) -> float:
    return round(value, 1)


def _box6(values) -> tuple[float, ...]:
    return tuple(_fmt(v) for v in values)


def _owner_names(names: list[str], owner: np.ndarray, mask: np.ndarray) -> str:
    owners = [names[k] for k in sorted(set(np.unique(owner[mask]).tolist()))]
    if len(owners) > 1 and BOUNDS_NAME in owners:
        owners.remove(BOUNDS_NAME)  # the bounds' rim closes every cut's edges: name what made the cut
    return owners[0] if len(owners) == 1 else ", ".join(owners[:-1]) + " and " + owners[-1]


def _describe_cut(grid: Grid, cut: np.ndarray, clear: Clearance, need: float) -> dict[str, str]:
    """Where the cut is ('past x = 0 (across ...)' for a wall across the way, else 'near (x, y, z)'), what
    makes it, and the widest opening it leaves (the largest clearance bound over its cells)."""
    box = grid.extent(cut)
    spans = [box[i + 3] - box[i] for i in range(3)]
    thin = [i for i in range(3) if spans[i] <= THIN_CUT_CELLS * grid.cell_mm]
    wide = [i for i in range(3) if spans[i] > WIDE_CUT_CELLS * grid.cell_mm]
    inner = cut & (clear.owner != len(clear.names) - 1)
    widest_cells = inner if inner.any() else cut
    values = np.where(widest_cells, clear.total, -np.inf)
    if len(thin) == 1 and len(wide) == 2:
        axis = thin[0]
        span = ", ".join(f"{AXES[i]} {_fmt(box[i])}..{_fmt(box[i + 3])}" for i in wide)
        where = CUT_PAST.format(axis=AXES[axis], value=_fmt((box[axis] + box[axis + 3]) / 2), span=span)
    else:
        x, y, z = grid.centre(np.unravel_index(np.argmax(values), cut.shape))
        where = CUT_NEAR.format(x=_fmt(x), y=_fmt(y), z=_fmt(z))
    widest = min(float(values.max()), need)
    opening = (
        OPENING_NONE
        if widest <= CONTACT_SLACK_MM
        else OPENING_AT_MOST.format(width=math.ceil(2 * widest * 10) / 10)
    )
    return {"cut": where, "owners": _owner_names(clear.names, clear.owner, cut), "opening": opening}


def check_solvability(
    spec: ScenarioSpec, breps: dict[str, bytes], static_failures: list[Failure]
) -> SolvabilityResult:
    """Every unsolvability proof for one built variant; proofs need a scene whose static checks passed.

    `seconds` times the proofs alone: the fixtures' convex pieces they read are the ones the MJCF builder
    needs next, cached, so meshing costs validation nothing extra.
    """
    if static_failures:
        return SolvabilityResult(failures=[], notes=[NOTE_SKIPPED_STATIC])
    labels = {f.label: k for k, f in enumerate(spec.fixtures)}
    try:
        meshes = [(labels[label], mesh) for label in labels for mesh in fixture_pieces(label, breps[label])]
    except (InvalidGeometry, SceneTooLarge) as exc:  # the MJCF step reports it with its code
        return SolvabilityResult(failures=[], notes=[NOTE_SKIPPED_MESH.format(error=exc)])
    started = time.perf_counter()
    failures, notes = _prove(spec, [_piece(owner, mesh) for owner, mesh in meshes])
    return SolvabilityResult(failures=failures, notes=notes, seconds=time.perf_counter() - started)


def _prove(spec: ScenarioSpec, pieces: list[Piece]) -> tuple[list[Failure], list[str]]:
    payload = spec.payload
    radius = inscribed_radius(payload)
    need = radius - CONTACT_SLACK_MM
    grid = make_grid(spec, radius / CELLS_PER_INSCRIBED_RADIUS)
    clear = clearance(spec, pieces, grid, need)
    free = clear.total >= need
    lo = [payload.start[i] - payload.jitter[i] for i in range(3)]
    hi = [payload.start[i] + payload.jitter[i] for i in range(3)]
    seeds = grid.cells_touching(lo, hi)
    if not free[seeds].any():
        return [], [NOTE_SKIPPED_START.format(slack=CONTACT_SLACK_MM)]
    fit = {"slack": CONTACT_SLACK_MM, "cell": _fmt(grid.cell_mm)}
    common = {
        "payload": payload.size_label,
        "fit": FIT.format(what=FIT_WIDTH, **fit),
        "fit_clearance": FIT.format(what=FIT_CLEARANCE, **fit),
    }
    failures = []
    unreachable = _payload_unreachable(spec, grid, free, seeds, radius)
    if unreachable:
        failures.append(unreachable)
    goal = grid.cells_within(spec.goal)
    goal_mask = np.zeros(grid.shape, dtype=bool)
    goal_mask[goal] = True
    if not (clear.fixtures[goal] >= need).any():
        message = GOAL_BLOCKED.format(
            **common,
            g=_box6((*spec.goal.min, *spec.goal.max)),
            owners=_owner_names(clear.names, clear.fixture_owner, goal_mask),
            best=_fmt(max(float(clear.fixtures[goal].max()), 0.0)),
            need=_fmt(radius),
        )
        return failures + [Failure(code=FailureCode.GOAL_BLOCKED, message=message)], []
    reach = _component(free, seeds)
    if (reach & goal_mask & free).any():
        return failures, []
    if not (goal_mask & free).any():  # forbid zones or the bounds leave no room in the goal itself
        message = GOAL_NO_ROOM.format(
            **common,
            g=_box6((*spec.goal.min, *spec.goal.max)),
            owners=_owner_names(clear.names, clear.owner, goal_mask),
            best=_fmt(max(float(clear.total[goal].max()), 0.0)),
            need=_fmt(radius),
        )
        return failures + [Failure(code=FailureCode.GOAL_UNREACHABLE, message=message)], []
    trapped = not _touches_bounds(reach, free, clear.bounds < need)
    cut = _cut(free, clear, reach, free & ~reach if trapped else _component(free, goal))
    fields = {**common, **_describe_cut(grid, cut, clear, need), "width": _fmt(2 * radius)}
    if trapped:
        message = PAYLOAD_TRAPPED.format(**fields, r=_box6(grid.extent(reach)))
        failures.append(Failure(code=FailureCode.PAYLOAD_TRAPPED, message=message))
    else:
        failures.append(Failure(code=FailureCode.GOAL_UNREACHABLE, message=GOAL_UNREACHABLE.format(**fields)))
    return failures, []


def _touches_bounds(region: np.ndarray, free: np.ndarray, near_bounds: np.ndarray) -> bool:
    """Whether the region reaches the bounds: a cell on the grid's rim or a neighbour blocked by them."""
    rim = region[[0, -1]].any() or region[:, [0, -1]].any() or region[:, :, [0, -1]].any()
    if rim:
        return True
    frontier = ndimage.binary_dilation(region, structure=NEIGHBOURS) & ~free
    return bool((frontier & near_bounds).any())


def _box_gap(grid: Grid, zone: ZoneSpec, cells: tuple[slice, ...]) -> np.ndarray:
    """Per cell of `cells`, the distance from its box to `zone` (0 when they meet)."""
    squares = []
    for i, n in enumerate(grid.nodes):
        lo, hi = n[:-1][cells[i]], n[1:][cells[i]]
        squares.append(np.maximum(np.maximum(zone.min[i] - hi, lo - zone.max[i]), 0.0) ** 2)
    x, y, z = squares
    return np.sqrt(x[:, None, None] + y[None, :, None] + z[None, None, :])


def _payload_unreachable(spec: ScenarioSpec, grid: Grid, free, seeds, radius: float) -> Failure | None:
    """PAYLOAD_UNREACHABLE: nowhere the payload can be left alone is within its reach of the build zone.

    Left alone the centre never rises above its highest start (energy only dissipates), so where it can
    be is the free cells connected to the start below that height (plus PASSIVE_RISE_SLACK_RADII).
    """
    payload = spec.payload
    reach = circumscribed_radius(payload) + CONTACT_SLACK_MM
    if (_box_gap(grid, spec.build_zone, seeds) <= reach).any():
        return None
    everywhere = (slice(None),) * 3
    distance = _box_gap(grid, spec.build_zone, everywhere)
    near_build = distance <= reach
    ceiling = payload.start[2] + payload.jitter[2] + PASSIVE_RISE_SLACK_RADII * radius
    below = np.zeros(grid.shape, dtype=bool)
    below[:, :, : int(np.searchsorted(grid.nodes[2], ceiling, side="right"))] = True
    passive = _component(free & below, seeds)
    if (passive & near_build).any():
        return None
    gap = float(distance[passive].min()) - circumscribed_radius(payload)
    message = PAYLOAD_UNREACHABLE.format(
        payload=payload.size_label,
        r=_box6(grid.extent(passive)),
        b=_box6((*spec.build_zone.min, *spec.build_zone.max)),
        gap=_fmt(gap),
        reach=_fmt(circumscribed_radius(payload)),
    )
    return Failure(code=FailureCode.PAYLOAD_UNREACHABLE, message=message)
