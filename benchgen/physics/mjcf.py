"""Scenario spec + fixture BREPs -> a self-contained MJCF scene (millimetres become metres here only).

Naming conventions (the renderer and the settle check rely on them):

- world body: one static body `fixture_<label>` per fixture, holding geoms `fixture_<label>_<i>`, one
  per convex piece (mesh assets `fixture_<label>_<i>.stl`), coloured and rubbed by the fixture's
  material; they collide with the payload.
- payload: body `payload` with a free joint `payload_joint` and one geom `payload_geom` (sphere, box
  or upright cylinder) whose mass is the material density times its volume.
- zones, visual only (sites never collide): site `goal` (translucent green), `forbid_<name>`
  (translucent red), `build_zone` (very translucent grey), all in a group MuJoCo's viewer draws by
  default; `bounds` (group 5, hidden by default).
- no floor: whatever supports the payload is a fixture. For `python -m mujoco.viewer` only, a grid geom
  `ground_grid` lies just below the bounds; it never collides (contype = conaffinity = 0), and a fixed
  camera `overview` frames the bounds.
"""

import math
from pathlib import Path
from xml.etree import ElementTree as ET

import mujoco
from pydantic import BaseModel, ConfigDict

from benchgen.kit.materials import MATERIALS
from benchgen.kit.spec import PayloadShape, PayloadSpec, ScenarioSpec, ZoneSpec
from benchgen.physics.budget import (
    MAX_FIXTURES,
    MAX_PIECES_PER_SCENE,
    MAX_TRIANGLES_PER_SCENE,
    check_count,
)
from benchgen.physics.meshing import fixture_pieces, meshing_deadline
from benchgen.units import mm_to_m

TIMESTEP_S = 0.002  # s; the contract's coarsest allowed step
GRAVITY_M_S2 = 9.81  # m/s^2, along -z
OFFSCREEN_WIDTH_PX = 1280  # px; the renderer's largest view
OFFSCREEN_HEIGHT_PX = 960  # px
# Payload contacts: condim 6 adds torsional and rolling friction so a ball on a flat deck comes to rest.
PAYLOAD_CONDIM = 6
TORSIONAL_FRICTION_M = 0.005  # m; MuJoCo's default torsional coefficient
ROLLING_FRICTION_M = 1e-4  # m; MuJoCo's default rolling coefficient
# Contact stiffness: time constant of MuJoCo's contact spring-damper, in timesteps. MuJoCo's default
# (0.02 s) lets a ball dropped 20 mm sink ~4 mm, onto the internal seams between convex pieces;
# two timesteps is the stiffest MuJoCo recommends.
CONTACT_TIMECONST_STEPS = 2
CONTACT_DAMPING_RATIO = 1.0  # critical damping: no bounce
# Narrow-phase (GJK/EPA) tolerance, m. With the stiff contacts above a payload resting flat on a deck
# sinks only 0.27-0.43 um (sphere 1.1-1.7 um), less than MuJoCo's default 1e-6 m: EPA then stops before
# it resolves the contact normal and now and then returns a tilted or flipped one, the flat face's
# several contacts collapse into one that pushes nowhere, and the payload drops ~40 um for a step and
# rebounds at ~2e-3 m/s (NOT_SETTLED on a flat deck). 1 nm resolves every resting depth for 1-4% more
# stepping time.
CCD_TOLERANCE_M = 1e-9

GOAL_RGBA = (0.1, 0.8, 0.2, 0.25)
FORBID_RGBA = (0.9, 0.1, 0.1, 0.25)
BUILD_ZONE_RGBA = (0.5, 0.5, 0.5, 0.08)
BOUNDS_RGBA = (0.5, 0.5, 0.5, 0.02)
ZONE_SITE_GROUP = 2  # visual group of the goal, forbid and build zone sites; MuJoCo draws 0-2 by default
BOUNDS_SITE_GROUP = 5  # not drawn by default
# The viewer's ground reference: a checker grid, visual only, a little below the bounds so no fixture
# resting on the bounds' bottom face flickers through it.
GROUND_GEOM = "ground_grid"
GROUND_MATERIAL = "ground_grid_material"
GROUND_TEXTURE = "ground_grid_texture"
GROUND_GAP_MM = 1.0  # mm between the bounds' bottom and the grid
GROUND_MARGIN = 1.5  # the grid's half sizes over the bounds' half sizes in x and y
GROUND_CELL_MM = 50.0  # mm per grid cell
GROUND_RGB1 = (0.82, 0.84, 0.86)
GROUND_RGB2 = (0.70, 0.72, 0.75)
GROUND_MARK_RGB = (0.45, 0.47, 0.50)  # the cell edges
GROUND_TEXTURE_PX = 256
# The viewer's named camera: looks at the bounds' centre from the front right and above, far enough
# that the bounds' bounding sphere fits in its field of view.
OVERVIEW_CAMERA = "overview"
OVERVIEW_FOVY_DEG = 45.0  # MuJoCo's default vertical field of view
OVERVIEW_DIRECTION = (0.6, -1.0, 0.7)  # from the centre towards the eye: +x right, -y front, +z up
OVERVIEW_MARGIN = 1.1  # distance over the one at which the bounds' sphere just fits

PAYLOAD_BODY = "payload"
PAYLOAD_JOINT = "payload_joint"
PAYLOAD_GEOM = "payload_geom"
GOAL_SITE = "goal"
BUILD_ZONE_SITE = "build_zone"
BOUNDS_SITE = "bounds"
MESH_DIRECTORY = "meshes"
SCENE_FILE = "scene.xml"


def fixture_body_name(label: str) -> str:
    return f"fixture_{label}"


def fixture_geom_name(label: str, index: int) -> str:
    return f"fixture_{label}_{index}"


def forbid_site_name(zone: ZoneSpec) -> str:
    return f"forbid_{zone.name or 'zone'}"


class MjcfScene(BaseModel):
    """An MJCF document plus its mesh files, in memory; loads without touching the disk."""

    model_config = ConfigDict(frozen=True)

    xml: str
    assets: dict[str, bytes]

    def load_model(self) -> mujoco.MjModel:
        return mujoco.MjModel.from_xml_string(self.xml, self._assets_for_loading())

    def _assets_for_loading(self) -> dict[str, bytes]:
        return {f"{MESH_DIRECTORY}/{name}": data for name, data in self.assets.items()}

    def write(self, directory: Path) -> Path:
        """Write `scene.xml` and `meshes/` into `directory`; return the scene file's path."""
        directory = Path(directory)
        (directory / MESH_DIRECTORY).mkdir(parents=True, exist_ok=True)
        for name, data in self.assets.items():
            (directory / MESH_DIRECTORY / name).write_bytes(data)
        scene_path = directory / SCENE_FILE
        scene_path.write_text(self.xml)
        return scene_path


def build_mjcf(spec: ScenarioSpec, breps: dict[str, bytes], timestep_s: float = TIMESTEP_S) -> MjcfScene:
    """Build the scene; raises InvalidGeometry when a fixture cannot be meshed watertight."""
    root = ET.Element("mujoco", model="benchgen_scenario")
    ET.SubElement(root, "compiler", angle="radian", meshdir=MESH_DIRECTORY)
    option = ET.SubElement(
        root,
        "option",
        timestep=_num(timestep_s),
        gravity=f"0 0 {-GRAVITY_M_S2:g}",
        ccd_tolerance=_num(CCD_TOLERANCE_M),
    )
    ET.SubElement(option, "flag", energy="enable")
    visual = ET.SubElement(root, "visual")
    ET.SubElement(visual, "global", offwidth=str(OFFSCREEN_WIDTH_PX), offheight=str(OFFSCREEN_HEIGHT_PX))
    ET.SubElement(root, "statistic", center=_vec(mm_to_m(c) for c in spec.bounds.center))
    default = ET.SubElement(root, "default")
    ET.SubElement(default, "geom", solref=_vec((CONTACT_TIMECONST_STEPS * timestep_s, CONTACT_DAMPING_RATIO)))
    asset = ET.SubElement(root, "asset")
    world = ET.SubElement(root, "worldbody")
    _add_light(world, spec.bounds)
    _add_ground_grid(asset, world, spec.bounds)
    _add_overview_camera(world, spec.bounds)

    assets: dict[str, bytes] = {}
    check_count("fixtures", len(spec.fixtures), MAX_FIXTURES, "merge fixtures that belong together")
    deadline = meshing_deadline()
    pieces_total = triangles_total = 0
    for fixture in spec.fixtures:
        if fixture.label not in breps:
            raise KeyError(f"no BREP for fixture {fixture.label!r}; breps has {sorted(breps)}")
        material = MATERIALS[fixture.material]
        body = ET.SubElement(world, "body", name=fixture_body_name(fixture.label))
        pieces = fixture_pieces(fixture.label, breps[fixture.label], deadline)
        pieces_total += len(pieces)
        triangles_total += sum(len(piece.faces) for piece in pieces)
        advice = "use fewer or simpler concave fixtures (pockets, notches, curved troughs)"
        check_count("convex pieces of all fixtures", pieces_total, MAX_PIECES_PER_SCENE, advice)
        check_count("triangles of all convex pieces", triangles_total, MAX_TRIANGLES_PER_SCENE, advice)
        for index, piece in enumerate(pieces):
            name = fixture_geom_name(fixture.label, index)
            metres = piece.copy()
            metres.vertices = mm_to_m(piece.vertices)
            assets[f"{name}.stl"] = metres.export(file_type="stl")
            ET.SubElement(asset, "mesh", name=name, file=f"{name}.stl")
            ET.SubElement(
                body,
                "geom",
                name=name,
                type="mesh",
                mesh=name,
                rgba=_vec(material.rgba),
                friction=_vec((material.friction, TORSIONAL_FRICTION_M, ROLLING_FRICTION_M)),
            )

    _add_payload(world, spec.payload)
    _add_zone(world, GOAL_SITE, spec.goal, GOAL_RGBA, ZONE_SITE_GROUP)
    for zone in spec.forbid:
        _add_zone(world, forbid_site_name(zone), zone, FORBID_RGBA, ZONE_SITE_GROUP)
    _add_zone(world, BUILD_ZONE_SITE, spec.build_zone, BUILD_ZONE_RGBA, ZONE_SITE_GROUP)
    _add_zone(world, BOUNDS_SITE, spec.bounds, BOUNDS_RGBA, BOUNDS_SITE_GROUP)
    ET.indent(root)
    return MjcfScene(xml=ET.tostring(root, encoding="unicode"), assets=assets)


def _add_payload(world: ET.Element, payload: PayloadSpec) -> None:
    material = MATERIALS[payload.material]
    body = ET.SubElement(world, "body", name=PAYLOAD_BODY, pos=_vec(mm_to_m(c) for c in payload.start))
    ET.SubElement(body, "freejoint", name=PAYLOAD_JOINT)
    if payload.shape is PayloadShape.SPHERE:
        geom_type, size_mm = "sphere", (payload.radius,)
    elif payload.shape is PayloadShape.BOX:
        geom_type, size_mm = "box", payload.half_extents
    else:
        geom_type, size_mm = "cylinder", (payload.radius, payload.height / 2)
    ET.SubElement(
        body,
        "geom",
        name=PAYLOAD_GEOM,
        type=geom_type,
        size=_vec(mm_to_m(s) for s in size_mm),
        mass=_num(payload.mass_kg),
        condim=str(PAYLOAD_CONDIM),
        friction=_vec((material.friction, TORSIONAL_FRICTION_M, ROLLING_FRICTION_M)),
        rgba=_vec(material.rgba),
    )


def _add_zone(world: ET.Element, name: str, zone: ZoneSpec, rgba: tuple[float, ...], group: int) -> None:
    ET.SubElement(
        world,
        "site",
        name=name,
        type="box",
        pos=_vec(mm_to_m(c) for c in zone.center),
        size=_vec(mm_to_m(s / 2) for s in zone.size),
        rgba=_vec(rgba),
        group=str(group),
    )


def _add_light(world: ET.Element, bounds: ZoneSpec) -> None:
    """One directional key light from above and in front, plus MuJoCo's headlight."""
    top = mm_to_m(bounds.max[2]) + mm_to_m(max(bounds.size))
    ET.SubElement(world, "light", name="key", directional="true", pos=f"0 0 {_num(top)}", dir="0.3 0.4 -1")


def _add_ground_grid(asset: ET.Element, world: ET.Element, bounds: ZoneSpec) -> None:
    """A checker plane under the bounds for the viewer; it takes part in no contact."""
    ET.SubElement(
        asset,
        "texture",
        name=GROUND_TEXTURE,
        type="2d",
        builtin="checker",
        mark="edge",
        rgb1=_vec(GROUND_RGB1),
        rgb2=_vec(GROUND_RGB2),
        markrgb=_vec(GROUND_MARK_RGB),
        width=str(GROUND_TEXTURE_PX),
        height=str(GROUND_TEXTURE_PX),
    )
    cells_per_m = 1 / mm_to_m(2 * GROUND_CELL_MM)  # one checker texture holds 2 x 2 cells
    ET.SubElement(
        asset,
        "material",
        name=GROUND_MATERIAL,
        texture=GROUND_TEXTURE,
        texuniform="true",
        texrepeat=_vec((cells_per_m, cells_per_m)),
    )
    center = bounds.center
    ET.SubElement(
        world,
        "geom",
        name=GROUND_GEOM,
        type="plane",
        pos=_vec(mm_to_m(c) for c in (center[0], center[1], bounds.min[2] - GROUND_GAP_MM)),
        size=_vec(
            (
                mm_to_m(GROUND_MARGIN * bounds.size[0] / 2),
                mm_to_m(GROUND_MARGIN * bounds.size[1] / 2),
                mm_to_m(GROUND_CELL_MM),
            )
        ),
        material=GROUND_MATERIAL,
        contype="0",
        conaffinity="0",
        group="0",
    )


def _add_overview_camera(world: ET.Element, bounds: ZoneSpec) -> None:
    """A fixed camera aimed at the bounds' centre, far enough back to see all of them."""
    center = [mm_to_m(c) for c in bounds.center]
    radius = mm_to_m(math.dist(bounds.min, bounds.max) / 2)
    distance = OVERVIEW_MARGIN * radius / math.sin(math.radians(OVERVIEW_FOVY_DEG / 2))
    toward_eye = _unit(OVERVIEW_DIRECTION)
    eye = [c + distance * d for c, d in zip(center, toward_eye, strict=True)]
    right = _unit((-toward_eye[1], toward_eye[0], 0.0))  # horizontal, so the image is not rolled
    up = _cross(toward_eye, right)  # the camera looks along -z of its frame: z = toward_eye
    ET.SubElement(
        world,
        "camera",
        name=OVERVIEW_CAMERA,
        mode="fixed",
        pos=_vec(eye),
        xyaxes=_vec((*right, *up)),
        fovy=_num(OVERVIEW_FOVY_DEG),
    )


def _unit(v) -> tuple[float, float, float]:
    norm = math.sqrt(sum(c * c for c in v))
    return tuple(c / norm for c in v)


def _cross(a, b) -> tuple[float, float, float]:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _num(value: float) -> str:
    return f"{float(value):.9g}"


def _vec(values) -> str:
    return " ".join(_num(v) for v in values)
