"""Fixture B-reps to watertight convex meshes: MuJoCo collides every mesh as its convex hull.

Every solid is first split exactly (OCCT's splitter) by the planes of its planar faces that cut
through it (the faces at concave edges). For a polyhedron every resulting cell is convex and is meshed
as the hull of its corners (exact, no tessellation). A cell with curved faces is tessellated; if it is
not convex (a tube, a trough, a funnel) its mesh is bisected recursively (manifold3d, exact mesh cuts)
by the axis plane through each piece's box centre that leaves the smallest hulls, until every piece
hugs its hull within CONCAVITY_GAP_MM. This is deterministic and 10-100x faster than CoACD on troughs,
tubes, bowls and funnels (0.03-0.3 s vs 1-30 s per solid), and the pieces' union is the mesh exactly.
Results are cached per BREP digest because validation converts the same fixture many times. All
lengths here are millimetres. The work is bounded by `budget` (faces, cells, time): a fixture over a
budget raises SceneTooLarge before the work that would cost too much.
"""

import manifold3d
import numpy as np
import trimesh

from benchgen.kit.errors import InvalidGeometry
from benchgen.kit.exchange import brep_to_shape, sha256_hex
from benchgen.physics.budget import (
    MAX_CELLS_PER_SOLID,
    MAX_FACES_PER_FIXTURE,
    MAX_MESHING_SECONDS,
    Deadline,
    check_count,
    max_cells,
)

# Tessellation: chordal tolerance is a fraction of the solid's bounding-box diagonal, clamped.
TESSELLATION_FRACTION_OF_DIAGONAL = 1e-3  # dimensionless
MIN_TESSELLATION_TOLERANCE_MM = 0.02  # mm; finer only costs triangles
MAX_TESSELLATION_TOLERANCE_MM = 0.5  # mm; coarser visibly changes where a payload rests
ANGULAR_TOLERANCE_RAD = 0.2  # rad between adjacent facet normals on curved faces

# A piece counts as convex when the mean gap between it and its hull, (hull volume - volume) / hull
# area, is at most this: a payload resting on the hull then floats at most about this high.
CONCAVITY_GAP_MM = 0.3  # mm
MAX_BISECTION_DEPTH = 7  # levels of cuts; at most 2**7 = 128 pieces per solid
# A face plane cuts a solid when vertices lie farther than this on both sides of it.
PLANE_SIDE_TOLERANCE_MM = 1e-4  # mm
# Splitting planes closer than these are the same plane.
PLANE_NORMAL_TOLERANCE = 1e-6  # dimensionless (1 - |cos angle|)
PLANE_OFFSET_TOLERANCE_MM = 1e-4  # mm
# Cells thinner than this after splitting are slivers from numerical noise and are dropped.
MIN_PIECE_VOLUME_MM3 = 1e-3  # mm^3

# Decompositions kept per process, least recently used dropped first: a long-lived validation worker
# must not grow with the number of variants it has seen.
MAX_CACHED_FIXTURES = 256

_PIECE_CACHE: dict[str, tuple[trimesh.Trimesh, ...]] = {}  # insertion order = recency


def meshing_deadline() -> Deadline:
    """The wall-clock budget for meshing the fixtures of one scene."""
    return Deadline("meshing the fixtures", MAX_MESHING_SECONDS, "use fewer or simpler fixtures")


def fixture_pieces(label: str, brep: bytes, deadline: Deadline | None = None) -> tuple[trimesh.Trimesh, ...]:
    """Convex, watertight pieces whose union is the fixture; cached by the BREP's sha256."""
    key = sha256_hex(brep)
    cached = _PIECE_CACHE.pop(key, None)
    if cached is None:
        cached = _decompose(label, brep, deadline or meshing_deadline())
        if len(_PIECE_CACHE) >= MAX_CACHED_FIXTURES:
            del _PIECE_CACHE[next(iter(_PIECE_CACHE))]
    _PIECE_CACHE[key] = cached
    return cached


def _decompose(label: str, brep: bytes, deadline: Deadline) -> tuple[trimesh.Trimesh, ...]:
    from OCP.Standard import Standard_Failure

    try:
        shape = brep_to_shape(brep)
        check_count(
            f"fixture {label!r} faces",
            len(shape.faces()),
            MAX_FACES_PER_FIXTURE,
            "split it into several fixtures or simplify it (fewer holes, fillets and pockets)",
        )
        solids = shape.solids()
        if not solids:
            raise InvalidGeometry(f"fixture {label!r} has no solids to mesh; extrude it into a 3D part")
        return tuple(piece for solid in solids for piece in _solid_pieces(label, solid, deadline))
    except Standard_Failure as error:  # OCCT gave up on the (untrusted) geometry
        raise InvalidGeometry(
            f"OCCT failed on fixture {label!r} while meshing it ({error}); check it for sliver faces, "
            "self-touching walls and invalid booleans"
        ) from None


def clear_cache() -> None:
    """Forget cached decompositions (tests and benchmarks measure cold conversions)."""
    _PIECE_CACHE.clear()


def _solid_pieces(label: str, solid, deadline: Deadline) -> list[trimesh.Trimesh]:
    """Split by the planes of planar faces that cut the solid (exact), then mesh each cell."""
    planes = _cutting_planes(solid)
    check_count(
        f"fixture {label!r}: convex cells its {len(planes)} concave face planes may cut it into",
        max_cells([tuple(_canonical(normal)) for normal, _ in planes]),
        MAX_CELLS_PER_SOLID,
        "align the walls of pockets and notches on common planes, or use fewer of them",
    )
    cells = _split_by_planes(label, solid, planes) if planes else [solid]
    pieces: list[trimesh.Trimesh] = []
    for cell in cells:
        deadline.check()
        if _is_polyhedron(cell):  # the split leaves only convex cells of a polyhedron
            pieces.append(_vertex_hull(label, cell))
            continue
        mesh = tessellate(label, cell)
        pieces.extend([mesh] if is_convex(mesh) else _bisected_pieces(label, mesh))
    return pieces


def _is_polyhedron(solid) -> bool:
    return all(face.geom_type.name == "PLANE" for face in solid.faces())


def _vertex_hull(label: str, convex_polyhedron) -> trimesh.Trimesh:
    """A convex polyhedron is exactly the hull of its corners: no tessellation needed."""
    points = np.array([(v.X, v.Y, v.Z) for v in convex_polyhedron.vertices()], dtype=np.float64)
    hull = trimesh.convex.convex_hull(points)
    if not hull.volume > MIN_PIECE_VOLUME_MM3:
        raise InvalidGeometry(
            f"fixture {label!r} has a flat or degenerate part (volume {hull.volume:g} mm^3)"
        )
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
        raise InvalidGeometry(
            f"fixture {label!r} tessellates to no triangles; check that it is a closed solid"
        )
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
    """Convex when the mesh hugs its hull within CONCAVITY_GAP_MM (MuJoCo collides the hull)."""
    hull = mesh.convex_hull
    return hull.volume - mesh.volume <= CONCAVITY_GAP_MM * hull.area


def _cutting_planes(solid) -> list[tuple[np.ndarray, np.ndarray]]:
    """(normal, point) of faces with the solid's vertices on both sides: the faces at concave edges."""
    points = np.array([(v.X, v.Y, v.Z) for v in solid.vertices()], dtype=np.float64)
    planes: list[tuple[np.ndarray, np.ndarray]] = []
    seen: list[tuple[np.ndarray, float]] = []
    for face in solid.faces():
        if face.geom_type.name != "PLANE":
            continue
        normal = np.array(tuple(face.normal_at()), dtype=np.float64)
        origin = np.array(tuple(face.center()), dtype=np.float64)
        side = points @ normal - normal @ origin
        if side.max() <= PLANE_SIDE_TOLERANCE_MM or side.min() >= -PLANE_SIDE_TOLERANCE_MM:
            continue
        # Several faces can lie in one plane (the floor on both sides of a notch): split by it once.
        canonical = _canonical(normal)
        offset = float(canonical @ origin)
        if any(
            1.0 - float(n @ canonical) < PLANE_NORMAL_TOLERANCE
            and abs(o - offset) < PLANE_OFFSET_TOLERANCE_MM
            for n, o in seen
        ):
            continue
        seen.append((canonical, offset))
        planes.append((normal, origin))
    return planes


def _canonical(normal: np.ndarray) -> np.ndarray:
    """The normal or its opposite, whichever has a positive largest component: one per plane family."""
    return normal if normal[np.argmax(np.abs(normal))] > 0 else -normal


def _split_by_planes(label: str, solid, planes: list[tuple[np.ndarray, np.ndarray]]) -> list:
    """Exact B-rep split by planes; cut by all its cutting planes, a polyhedron leaves only convex cells."""
    from build123d import Compound
    from OCP.BRepAlgoAPI import BRepAlgoAPI_Splitter
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeFace
    from OCP.collections import List_TopoDS_Shape
    from OCP.gp import gp_Dir, gp_Pln, gp_Pnt

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
        raise InvalidGeometry(
            f"fixture {label!r} could not be split into convex cells by OCCT; check it for sliver faces "
            "and self-touching walls"
        )
    return [c for c in Compound.cast(splitter.Shape()).solids() if c.volume > MIN_PIECE_VOLUME_MM3]


def _bisected_pieces(label: str, mesh: trimesh.Trimesh) -> list[trimesh.Trimesh]:
    """Cut a watertight mesh into nearly convex pieces whose union is exactly the mesh."""
    solid = manifold3d.Manifold(
        manifold3d.Mesh64(
            np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces, dtype=np.uint64)
        )
    )
    if solid.status() != manifold3d.Error.NoError:
        raise InvalidGeometry(
            f"fixture {label!r} does not mesh to a closed manifold ({solid.status().name}); "
            "avoid zero-thickness walls, touching edges and tiny sliver faces"
        )
    pieces: list[manifold3d.Manifold] = []
    _bisect(solid, 0, pieces)
    meshes = []
    for piece in pieces:
        if piece.volume() <= MIN_PIECE_VOLUME_MM3:
            continue
        out = piece.to_mesh64()
        meshes.append(trimesh.Trimesh(vertices=out.vert_properties[:, :3], faces=out.tri_verts, process=True))
    return meshes


def _hull_gap_mm(piece: manifold3d.Manifold) -> float:
    hull = piece.hull()
    return (hull.volume() - piece.volume()) / hull.surface_area()


def _bisect(piece: manifold3d.Manifold, depth: int, pieces: list[manifold3d.Manifold]) -> None:
    if depth == MAX_BISECTION_DEPTH or _hull_gap_mm(piece) <= CONCAVITY_GAP_MM:
        pieces.append(piece)
        return
    box = np.array(piece.bounding_box())
    centre = (box[:3] + box[3:]) / 2
    best: tuple[float, manifold3d.Manifold, manifold3d.Manifold] | None = None
    for normal in np.eye(3):
        above, below = piece.split_by_plane(tuple(normal), float(normal @ centre))
        if above.is_empty() or below.is_empty():
            continue
        hulls = above.hull().volume() + below.hull().volume()
        if best is None or hulls < best[0]:
            best = (hulls, above, below)
    if best is None:
        pieces.append(piece)
        return
    for half in best[1:]:
        for component in half.decompose():
            _bisect(component, depth + 1, pieces)
