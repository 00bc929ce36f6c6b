"""Fixture B-reps to watertight convex meshes: MuJoCo collides every mesh as its convex hull.

A convex solid is one piece. A non-convex solid bounded only by planes is split exactly (OCCT's
splitter) by the planes of its faces that cut through it; every resulting cell is convex and is meshed
as the hull of its corners (exact, no tessellation). A curved
non-convex solid falls back to CoACD with a fixed seed. Results are cached per BREP digest because
validation converts the same fixture many times. All lengths here are millimetres.
"""

import logging
import numpy as np
import trimesh

from benchgen.kit.errors import InvalidGeometry
from benchgen.kit.exchange import brep_to_shape, sha256_hex

log = logging.getLogger(__name__)

# Tessellation: chordal tolerance is a fraction of the solid's bounding-box diagonal, clamped.
TESSELLATION_FRACTION_OF_DIAGONAL = 1e-3  # dimensionless
MIN_TESSELLATION_TOLERANCE_MM = 0.02  # mm; finer only costs triangles
MAX_TESSELLATION_TOLERANCE_MM = 0.5  # mm; coarser visibly changes where a payload rests
ANGULAR_TOLERANCE_RAD = 0.2  # rad between adjacent facet normals on curved faces

# A solid counts as convex when its hull adds at most this fraction of its volume.
CONVEX_VOLUME_TOLERANCE = 2e-3  # dimensionless (hull volume / volume - 1)
# A face plane cuts a solid when vertices lie farther than this on both sides of it.
PLANE_SIDE_TOLERANCE_MM = 1e-4  # mm
# Splitting planes closer than these are the same plane.
PLANE_NORMAL_TOLERANCE = 1e-6  # dimensionless (1 - |cos angle|)
PLANE_OFFSET_TOLERANCE_MM = 1e-4  # mm
# Cells thinner than this after splitting are slivers from numerical noise and are dropped.
MIN_PIECE_VOLUME_MM3 = 1e-3  # mm^3

# CoACD, the slow path (seconds per solid): settings traded for speed, measured on a half-pipe where a
# 20 mm ball then rests within ~1.5 mm of the true floor. Fixed seed for reproducibility.
COACD_THRESHOLD = 0.05  # dimensionless concavity; lower gives more, tighter pieces
COACD_RESOLUTION = 1000  # surface samples per concavity estimate (library default 2000)
COACD_MCTS_ITERATIONS = 60  # cut-plane search iterations (library default 150)
COACD_MCTS_NODES = 10  # cut-plane candidates per search node (library default 20)
COACD_SEED = 0
COACD_MAX_HULL_VERTICES = 128  # per piece; MuJoCo's hull stays small and fast

_PIECE_CACHE: dict[str, tuple[trimesh.Trimesh, ...]] = {}


def fixture_pieces(label: str, brep: bytes) -> tuple[trimesh.Trimesh, ...]:
    """Convex, watertight pieces whose union is the fixture; cached by the BREP's sha256."""
    key = sha256_hex(brep)
    cached = _PIECE_CACHE.get(key)
    if cached is None:
        shape = brep_to_shape(brep)
        solids = shape.solids()
        if not solids:
            raise InvalidGeometry(f"fixture {label!r} has no solids to mesh; extrude it into a 3D part")
        cached = tuple(piece for solid in solids for piece in _solid_pieces(label, solid))
        _PIECE_CACHE[key] = cached
    return cached


def clear_cache() -> None:
    """Forget cached decompositions (tests and benchmarks measure cold conversions)."""
    _PIECE_CACHE.clear()


def _solid_pieces(label: str, solid) -> list[trimesh.Trimesh]:
    if all(face.geom_type.name == "PLANE" for face in solid.faces()):
        planes = _cutting_planes(solid)
        if not planes:
            return [_vertex_hull(label, solid)]
        return _split_polyhedron(label, solid, planes)
    mesh = tessellate(label, solid)
    if is_convex(mesh):
        return [mesh]
    return _coacd_pieces(label, mesh)


def _vertex_hull(label: str, convex_polyhedron) -> trimesh.Trimesh:
    """A convex polyhedron is exactly the hull of its corners: no tessellation needed."""
    points = np.array([(v.X, v.Y, v.Z) for v in convex_polyhedron.vertices()], dtype=np.float64)
    hull = trimesh.convex.convex_hull(points)
    if not hull.volume > MIN_PIECE_VOLUME_MM3:
        raise InvalidGeometry(f"fixture {label!r} has a flat or degenerate part (volume {hull.volume:g} mm^3)")
    return hull


def tessellate(label: str, shape) -> trimesh.Trimesh:
    """Triangulate one solid and repair what OCCT leaves (duplicate vertices, slivers, winding)."""
    bb = shape.bounding_box()
    diagonal = float((bb.max - bb.min).length)
    tolerance = min(
        MAX_TESSELLATION_TOLERANCE_MM,
        max(MIN_TESSELLATION_TOLERANCE_MM, TESSELLATION_FRACTION_OF_DIAGONAL * diagonal),
    )
    vertices, triangles = shape.tessellate(tolerance, ANGULAR_TOLERANCE_RAD)
    if not triangles:
        raise InvalidGeometry(f"fixture {label!r} tessellates to no triangles; check that it is a closed solid")
    mesh = trimesh.Trimesh(
        vertices=np.array([(v.X, v.Y, v.Z) for v in vertices], dtype=np.float64),
        faces=np.array(triangles, dtype=np.int64),
        process=True,
        validate=True,
    )
    return _checked(label, mesh)


def _checked(label: str, mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """Make the mesh watertight with outward normals, or raise InvalidGeometry saying why not."""
    if not mesh.is_watertight:
        trimesh.repair.fill_holes(mesh)
    if not mesh.is_watertight:
        raise InvalidGeometry(
            f"fixture {label!r} does not mesh watertight ({len(mesh.faces)} triangles, open edges remain); "
            "avoid zero-thickness walls, touching edges and tiny sliver faces"
        )
    trimesh.repair.fix_normals(mesh)
    if not mesh.volume > 0:
        raise InvalidGeometry(
            f"fixture {label!r} meshes to volume {mesh.volume:g} mm^3; it must enclose a positive volume"
        )
    return mesh


def is_convex(mesh: trimesh.Trimesh) -> bool:
    """Convex when the hull is no bigger than the mesh, within CONVEX_VOLUME_TOLERANCE."""
    return mesh.convex_hull.volume <= mesh.volume * (1.0 + CONVEX_VOLUME_TOLERANCE)


def _cutting_planes(solid) -> list[tuple[np.ndarray, np.ndarray]]:
    """(normal, point) of faces with the solid's vertices on both sides: the faces at concave edges."""
    points = np.array([(v.X, v.Y, v.Z) for v in solid.vertices()], dtype=np.float64)
    planes: list[tuple[np.ndarray, np.ndarray]] = []
    seen: list[tuple[np.ndarray, float]] = []
    for face in solid.faces():
        normal = np.array(tuple(face.normal_at()), dtype=np.float64)
        origin = np.array(tuple(face.center()), dtype=np.float64)
        side = points @ normal - normal @ origin
        if side.max() <= PLANE_SIDE_TOLERANCE_MM or side.min() >= -PLANE_SIDE_TOLERANCE_MM:
            continue
        # Several faces can lie in one plane (the floor on both sides of a notch): split by it once.
        canonical = normal if normal[np.argmax(np.abs(normal))] > 0 else -normal
        offset = float(canonical @ origin)
        if any(
            1.0 - float(n @ canonical) < PLANE_NORMAL_TOLERANCE and abs(o - offset) < PLANE_OFFSET_TOLERANCE_MM
            for n, o in seen
        ):
            continue
        seen.append((canonical, offset))
        planes.append((normal, origin))
    return planes


def _split_polyhedron(label: str, solid, planes: list[tuple[np.ndarray, np.ndarray]]) -> list[trimesh.Trimesh]:
    """Exact convex decomposition of a planar solid: split it by every plane that cuts through it."""
    from OCP.BRepAlgoAPI import BRepAlgoAPI_Splitter
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeFace
    from OCP.gp import gp_Dir, gp_Pln, gp_Pnt
    from OCP.collections import List_TopoDS_Shape
    from build123d import Compound

    bb = solid.bounding_box()
    half_span = float((bb.max - bb.min).length) + 1.0  # mm: every tool face overhangs the solid
    arguments = List_TopoDS_Shape()
    arguments.Append(solid.wrapped)
    tools = List_TopoDS_Shape()
    for normal, origin in planes:
        plane = gp_Pln(gp_Pnt(*origin), gp_Dir(*normal))
        tools.Append(BRepBuilderAPI_MakeFace(plane, -half_span, half_span, -half_span, half_span).Face())
    splitter = BRepAlgoAPI_Splitter()
    splitter.SetArguments(arguments)
    splitter.SetTools(tools)
    splitter.Build()
    if not splitter.IsDone():
        log.warning("fixture %r: exact planar split failed; decomposing it approximately with CoACD", label)
        return _coacd_pieces(label, tessellate(label, solid))
    cells = [c for c in Compound.cast(splitter.Shape()).solids() if c.volume > MIN_PIECE_VOLUME_MM3]
    return [_vertex_hull(label, cell) for cell in cells]


def _coacd_pieces(label: str, mesh: trimesh.Trimesh) -> list[trimesh.Trimesh]:
    """Approximate convex decomposition of a curved non-convex solid (deterministic: fixed seed)."""
    import coacd

    coacd.set_log_level("error")
    parts = coacd.run_coacd(
        coacd.Mesh(mesh.vertices, mesh.faces),
        threshold=COACD_THRESHOLD,
        preprocess_mode="off",  # the input is already checked watertight; remeshing would only cost time
        resolution=COACD_RESOLUTION,
        mcts_iterations=COACD_MCTS_ITERATIONS,
        mcts_nodes=COACD_MCTS_NODES,
        max_ch_vertex=COACD_MAX_HULL_VERTICES,
        seed=COACD_SEED,
    )
    pieces = [trimesh.Trimesh(vertices=v, faces=f, process=True).convex_hull for v, f in parts]
    pieces = [p for p in pieces if p.volume > MIN_PIECE_VOLUME_MM3]
    if not pieces:
        raise InvalidGeometry(f"fixture {label!r} could not be decomposed into convex pieces")
    return pieces
