"""Offscreen MuJoCo renders of a scenario at its nominal start, framed automatically to the scene."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Self

import numpy as np
from PIL import Image, ImageDraw
from pydantic import BaseModel

# gl first: a bad MUJOCO_GL must fail as GLBackendUnavailable, not inside benchgen.physics's mujoco import
from benchgen.render.gl import mujoco, open_renderer  # isort: skip
from benchgen.kit.materials import MATERIALS
from benchgen.kit.spec import ScenarioSpec
from benchgen.physics.mjcf import (
    BUILD_ZONE_SITE,
    GOAL_SITE,
    GROUND_GEOM,
    MESH_DIRECTORY,
    PAYLOAD_BODY,
    MjcfScene,
)

DEFAULT_SIZE = (640, 480)  # width, height in pixels of each view
FRAME_MARGIN = 1.12  # the scene box fills at most 1/FRAME_MARGIN of the frame on its tighter axis
BUILD_ZONE_EDGE_PX = 2.0  # line width of the build zone outline, pixels

# Colours (RGBA in [0, 1]). The payload gets one vivid colour no material uses, so it is found at a glance.
PAYLOAD_RGBA = (0.10, 0.35, 1.00, 1.0)
GOAL_RGBA = (0.10, 0.80, 0.20, 0.35)
FORBID_RGBA = (0.95, 0.10, 0.10, 0.30)
BUILD_ZONE_RGBA = (0.45, 0.45, 0.45, 0.05)  # barely tinted fill; the outline carries the shape
BUILD_ZONE_EDGE_RGBA = (0.30, 0.30, 0.30, 1.0)
# Where fixtures hide the payload, its silhouette is tinted and outlined ("x-ray"), so it is never lost.
PAYLOAD_XRAY_TINT = 0.45  # share of the payload colour blended over whatever hides it
PAYLOAD_OUTLINE_RGB = (0, 30, 140)  # 0..255; darker than the payload so the outline reads on any colour
BACKGROUND_TOP_RGB = (0.97, 0.97, 0.98)
BACKGROUND_BOTTOM_RGB = (0.80, 0.82, 0.86)
# Light intensities (0..1 per channel). They add up: keep the sum on an upward face below 1 so light
# materials (abs, glass) do not wash out to white in the top view.
HEADLIGHT_AMBIENT = 0.30  # soft light from the camera so faces facing away stay readable
HEADLIGHT_DIFFUSE = 0.30
KEY_LIGHT_DIFFUSE = 0.35  # each scene light; one directional light from above is added if there is none

FIXTURE_PREFIX = "fixture_"  # benchgen.physics.mjcf.fixture_body_name(label)
FORBID_PREFIX = "forbid_"  # benchgen.physics.mjcf.forbid_site_name(zone)
ZONE_SITE_GROUP = 2  # goal and forbid sites (a group visible by default in MuJoCo)
BUILD_ZONE_SITE_GROUP = 4  # apart from the other zones: it encloses them and would hide them in segmentation
HIDDEN_SITE_GROUP = 5  # hidden by default in MuJoCo; bounds and unknown sites go here


@dataclass(frozen=True)
class ViewSpec:
    """A camera direction: azimuth and elevation of MuJoCo's free camera, degrees."""

    name: str
    azimuth_deg: float
    elevation_deg: float
    caption: str = ""  # how the view is oriented, for people reading the sheet


# az 90 looks along +y (x to the right); elevation is negative when looking down.
STANDARD_VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec("isometric", 55.0, -30.0, "from -x, -y, above"),
    ViewSpec("front", 90.0, -12.0, "looking along +y; +x to the right"),
    ViewSpec("side", 180.0, -12.0, "looking along -x; +y to the right"),
    ViewSpec("top", 90.0, -89.9, "looking down; +x right, +y up"),
)


class CameraParams(BaseModel):
    """A free camera as MuJoCo takes it: look-at point and distance in metres, angles in degrees."""

    view: str
    lookat: tuple[float, float, float]
    distance: float
    azimuth: float
    elevation: float
    fovy: float


@dataclass(frozen=True)
class SceneIndex:
    """Which geoms and sites of a compiled model are the payload, the fixtures and the zones."""

    payload_geoms: frozenset[int]
    fixture_geoms: Mapping[int, str]  # geom id -> fixture label
    goal_sites: frozenset[int]
    forbid_sites: frozenset[int]
    build_zone_sites: frozenset[int]

    @property
    def fixture_labels(self) -> list[str]:
        return sorted(set(self.fixture_geoms.values()))


@dataclass
class LoadedScene:
    """A scene dressed for rendering, its state at the nominal start, and the box that frames it."""

    model: object  # mujoco.MjModel
    data: object  # mujoco.MjData
    index: SceneIndex
    box_min: np.ndarray  # metres
    box_max: np.ndarray


@dataclass(frozen=True)
class RenderedView:
    name: str
    image: np.ndarray  # (height, width, 3) uint8
    camera: CameraParams
    caption: str = ""


class ZoneKind(StrEnum):
    GOAL = "goal"
    FORBID = "forbid"
    BUILD_ZONE = "build_zone"


ZONE_RGBA = {ZoneKind.GOAL: GOAL_RGBA, ZoneKind.FORBID: FORBID_RGBA, ZoneKind.BUILD_ZONE: BUILD_ZONE_RGBA}
ZONE_SITE_GROUPS = {
    ZoneKind.GOAL: ZONE_SITE_GROUP,
    ZoneKind.FORBID: ZONE_SITE_GROUP,
    ZoneKind.BUILD_ZONE: BUILD_ZONE_SITE_GROUP,
}


def _zone_kind(site_name: str) -> ZoneKind | None:
    if site_name == GOAL_SITE:
        return ZoneKind.GOAL
    if site_name == BUILD_ZONE_SITE:
        return ZoneKind.BUILD_ZONE
    if site_name.startswith(FORBID_PREFIX):
        return ZoneKind.FORBID
    return None


def _fixture_label(body_name: str) -> str | None:
    return body_name[len(FIXTURE_PREFIX) :] if body_name.startswith(FIXTURE_PREFIX) else None


def dress_spec(xml: str, assets: Mapping[str, bytes], spec: ScenarioSpec | None, size: tuple[int, int]):
    """The scene as an MjSpec with render-only dressing: background, lights, colours, zone visibility.

    Physics is untouched; only visual attributes change, so the renders show the simulated scene.
    """
    mj_spec = mujoco.MjSpec.from_string(xml, assets=dict(assets))
    width, height = size
    mj_spec.visual.global_.offwidth = max(int(mj_spec.visual.global_.offwidth), width)
    mj_spec.visual.global_.offheight = max(int(mj_spec.visual.global_.offheight), height)
    mj_spec.visual.headlight.ambient = [HEADLIGHT_AMBIENT] * 3
    mj_spec.visual.headlight.diffuse = [HEADLIGHT_DIFFUSE] * 3
    mj_spec.add_texture(
        name="benchgen_render_background",
        type=mujoco.mjtTexture.mjTEXTURE_SKYBOX,
        builtin=mujoco.mjtBuiltin.mjBUILTIN_GRADIENT,
        rgb1=list(BACKGROUND_TOP_RGB),
        rgb2=list(BACKGROUND_BOTTOM_RGB),
        width=256,
        height=256,
    )
    for light in mj_spec.lights:
        light.diffuse = [KEY_LIGHT_DIFFUSE] * 3
        light.castshadow = False  # shadow maps double the render time on software OpenGL
    if not mj_spec.lights:
        mj_spec.worldbody.add_light(
            name="benchgen_render_key_light",
            type=mujoco.mjtLightType.mjLIGHT_DIRECTIONAL,
            dir=[0.3, 0.5, -1.0],
            diffuse=[KEY_LIGHT_DIFFUSE] * 3,
            castshadow=False,
        )
    for geom in list(mj_spec.geoms):
        if geom.name == GROUND_GEOM:  # the viewer's grid; the renders have their own background
            mj_spec.delete(geom)
    materials = {f.label: f.material for f in spec.fixtures} if spec is not None else {}
    for geom in mj_spec.geoms:
        body_name = geom.parent.name
        if body_name == PAYLOAD_BODY:
            geom.material = ""
            geom.rgba = list(PAYLOAD_RGBA)
        else:
            label = _fixture_label(body_name)
            if label in materials:
                geom.material = ""
                geom.rgba = list(MATERIALS[materials[label]].rgba)
    for site in mj_spec.sites:
        kind = _zone_kind(site.name)
        site.group = ZONE_SITE_GROUPS[kind] if kind else HIDDEN_SITE_GROUP
        if kind:
            site.rgba = list(ZONE_RGBA[kind])
    return mj_spec


def index_scene(model) -> SceneIndex:
    """Classify geoms and sites by the builder's naming convention."""
    payload, fixtures = set(), {}
    for g in range(model.ngeom):
        body_name = model.body(model.geom_bodyid[g]).name
        if body_name == PAYLOAD_BODY:
            payload.add(g)
        elif (label := _fixture_label(body_name)) is not None:
            fixtures[g] = label
    sites: dict[ZoneKind, set[int]] = {kind: set() for kind in ZoneKind}
    for s in range(model.nsite):
        kind = _zone_kind(model.site(s).name)
        if kind:
            sites[kind].add(s)
    return SceneIndex(
        payload_geoms=frozenset(payload),
        fixture_geoms=fixtures,
        goal_sites=frozenset(sites[ZoneKind.GOAL]),
        forbid_sites=frozenset(sites[ZoneKind.FORBID]),
        build_zone_sites=frozenset(sites[ZoneKind.BUILD_ZONE]),
    )


def _world_box(center: np.ndarray, rotation: np.ndarray, half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned world box around a box of half sizes `half` placed at `center` with `rotation`."""
    extent = np.abs(rotation.reshape(3, 3)) @ half
    return center - extent, center + extent


def scene_box(model, data, index: SceneIndex) -> tuple[np.ndarray, np.ndarray]:
    """World box (metres) around fixtures, payload and zones at the current state."""
    lows, highs = [], []
    for g in [*index.payload_geoms, *index.fixture_geoms]:
        rotation = data.geom_xmat[g].reshape(3, 3)
        aabb_center = data.geom_xpos[g] + rotation @ model.geom_aabb[g, :3]
        lo, hi = _world_box(aabb_center, data.geom_xmat[g], model.geom_aabb[g, 3:])
        lows.append(lo)
        highs.append(hi)
    for s in [*index.goal_sites, *index.forbid_sites, *index.build_zone_sites]:
        lo, hi = _world_box(data.site_xpos[s], data.site_xmat[s], model.site_size[s])
        lows.append(lo)
        highs.append(hi)
    if not lows:
        raise ValueError("scene has no payload, fixture or zone to frame; check the MJCF naming")
    return np.min(lows, axis=0), np.max(highs, axis=0)


def camera_axes(view: ViewSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forward, right and up unit vectors of MuJoCo's free camera for a view."""
    return _axes(view.azimuth_deg, view.elevation_deg)


def _axes(azimuth_deg: float, elevation_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    forward = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
    right = np.array([math.sin(az), -math.cos(az), 0.0])
    up = np.cross(right, forward)
    return forward, right, up


def frame_camera(
    view: ViewSpec, box_min: np.ndarray, box_max: np.ndarray, fovy_deg: float, aspect: float
) -> CameraParams:
    """Look at the box centre from the closest distance that keeps all 8 box corners in the frame."""
    center = (box_min + box_max) / 2
    forward, right, up = camera_axes(view)
    tan_y = math.tan(math.radians(fovy_deg) / 2) / FRAME_MARGIN
    tan_x = tan_y * aspect
    distance = 0.0
    for corner in np.array(np.meshgrid(*zip(box_min, box_max))).T.reshape(-1, 3):
        v = corner - center
        depth_offset = float(v @ forward)
        distance = max(
            distance,
            abs(float(v @ right)) / tan_x - depth_offset,
            abs(float(v @ up)) / tan_y - depth_offset,
        )
    return CameraParams(
        view=view.name,
        lookat=tuple(float(c) for c in center),
        distance=distance,
        azimuth=view.azimuth_deg,
        elevation=view.elevation_deg,
        fovy=fovy_deg,
    )


def project_points(points: np.ndarray, camera: CameraParams, size: tuple[int, int]) -> np.ndarray:
    """Pixel (column, row) of world points in front of the camera, with MuJoCo's symmetric frustum."""
    forward, right, up = _axes(camera.azimuth, camera.elevation)
    eye = np.array(camera.lookat) - camera.distance * forward
    relative = points - eye
    depth = relative @ forward
    relative = relative[depth > 0]
    depth = depth[depth > 0]
    width, height = size
    tan_y = math.tan(math.radians(camera.fovy) / 2)
    tan_x = tan_y * width / height
    column = (1 + (relative @ right) / depth / tan_x) * width / 2
    row = (1 - (relative @ up) / depth / tan_y) * height / 2
    return np.stack([column, row], axis=1)


def _geom_surface_points(model, data, geom: int) -> np.ndarray:
    """World points on a convex geom's surface whose convex hull is the geom (spheres: a fine sampling)."""
    size = model.geom_size[geom]
    kind = model.geom_type[geom]
    if kind == mujoco.mjtGeom.mjGEOM_SPHERE:
        local = _UNIT_SPHERE_POINTS * size[0]
    elif kind == mujoco.mjtGeom.mjGEOM_CYLINDER:
        ring = _UNIT_CIRCLE_POINTS * size[0]
        local = np.concatenate([np.c_[ring, np.full(len(ring), z)] for z in (-size[1], size[1])])
    else:  # boxes exactly; any other shape by its bounding box
        half = size if kind == mujoco.mjtGeom.mjGEOM_BOX else model.geom_aabb[geom, 3:]
        center = np.zeros(3) if kind == mujoco.mjtGeom.mjGEOM_BOX else model.geom_aabb[geom, :3]
        local = center + np.array(np.meshgrid(*zip(-half, half))).T.reshape(-1, 3)
    return data.geom_xpos[geom] + local @ data.geom_xmat[geom].reshape(3, 3).T


def _fibonacci_sphere(count: int) -> np.ndarray:
    i = np.arange(count) + 0.5
    polar = np.arccos(1 - 2 * i / count)
    azimuth = math.pi * (1 + 5**0.5) * i
    return np.stack([np.cos(azimuth) * np.sin(polar), np.sin(azimuth) * np.sin(polar), np.cos(polar)], axis=1)


SILHOUETTE_POINTS = 200  # surface samples of a round payload; its outline is then within ~2% of its radius
_UNIT_SPHERE_POINTS = _fibonacci_sphere(SILHOUETTE_POINTS)
_UNIT_CIRCLE_POINTS = np.stack(
    [
        np.cos(np.linspace(0, 2 * math.pi, 96, endpoint=False)),
        np.sin(np.linspace(0, 2 * math.pi, 96, endpoint=False)),
    ],
    axis=1,
)


def _convex_hull(points: np.ndarray) -> list[tuple[float, float]]:
    """Andrew's monotone chain: hull vertices of 2D points in order."""
    ordered = sorted(map(tuple, points.tolist()))

    def half(sequence):
        chain: list[tuple[float, float]] = []
        for p in sequence:
            while (
                len(chain) >= 2
                and (
                    (chain[-1][0] - chain[-2][0]) * (p[1] - chain[-2][1])
                    - (chain[-1][1] - chain[-2][1]) * (p[0] - chain[-2][0])
                )
                <= 0
            ):
                chain.pop()
            chain.append(p)
        return chain

    lower, upper = half(ordered), half(reversed(ordered))
    return lower[:-1] + upper[:-1]


def free_camera(params: CameraParams):
    camera = mujoco.MjvCamera()
    camera.type = mujoco.mjtCamera.mjCAMERA_FREE
    camera.lookat[:] = params.lookat
    camera.distance = params.distance
    camera.azimuth = params.azimuth
    camera.elevation = params.elevation
    return camera


def _box_edges(lo: np.ndarray, hi: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The 12 edges of a box as (start, end) points."""
    bounds = (lo, hi)
    corners = {
        (i, j, k): np.array([bounds[i][0], bounds[j][1], bounds[k][2]])
        for i in (0, 1)
        for j in (0, 1)
        for k in (0, 1)
    }
    edges = []
    for key, start in corners.items():
        for axis in range(3):
            if key[axis] == 0:
                other = list(key)
                other[axis] = 1
                edges.append((start, corners[tuple(other)]))
    return edges


class SceneRenderer:
    """Renders views, segmentation masks and clip frames of one scene at a time.

    One mujoco.Renderer serves every view, mask and clip frame of a scene. MuJoCo binds a renderer to a
    model, so a new scene gets a new one (about 0.1 s); the process-wide EGL set-up is paid only once.
    """

    def __init__(self, size: tuple[int, int] = DEFAULT_SIZE) -> None:
        width, height = size
        if width < 16 or height < 16:
            raise ValueError(f"render size must be at least 16x16 pixels, got {width}x{height}")
        self.size = (int(width), int(height))
        self._renderer = None
        self._model = None

    @property
    def aspect(self) -> float:
        return self.size[0] / self.size[1]

    def load(self, xml: str, assets: Mapping[str, bytes], spec: ScenarioSpec | None = None) -> LoadedScene:
        """Dress and compile a scene, put it at its nominal start, and bind the renderer to it."""
        model = dress_spec(xml, assets, spec, self.size).compile()
        data = mujoco.MjData(model)
        mujoco.mj_forward(model, data)
        index = index_scene(model)
        box_min, box_max = scene_box(model, data, index)
        self._bind(model)
        return LoadedScene(model=model, data=data, index=index, box_min=box_min, box_max=box_max)

    def load_mjcf(self, scene: MjcfScene, spec: ScenarioSpec | None = None) -> LoadedScene:
        """`load` for the MJCF builder's output, whose mesh files live under its mesh directory."""
        return self.load(
            scene.xml, {f"{MESH_DIRECTORY}/{name}": data for name, data in scene.assets.items()}, spec
        )

    def _bind(self, model) -> None:
        self.close()
        self._renderer = open_renderer(mujoco, model, *self.size)
        self._model = model

    def _renderer_for(self, scene: LoadedScene):
        if self._renderer is None or self._model is not scene.model:
            self._bind(scene.model)
        return self._renderer

    def camera_for(self, scene: LoadedScene, view: ViewSpec) -> CameraParams:
        return frame_camera(
            view, scene.box_min, scene.box_max, float(scene.model.vis.global_.fovy), self.aspect
        )

    def render(self, scene: LoadedScene, camera: CameraParams, data=None) -> np.ndarray:
        """RGB image of the scene at its nominal start (or at `data`'s state), with the build zone outlined."""
        renderer = self._renderer_for(scene)
        renderer.disable_segmentation_rendering()
        option = self._visible_option(geoms=True, sites=True)
        option.sitegroup[BUILD_ZONE_SITE_GROUP] = 1
        renderer.update_scene(scene.data if data is None else data, free_camera(camera), option)
        self._add_build_zone_outline(scene, renderer.scene)
        image = renderer.render()
        if scene.index.payload_geoms:
            self._draw_payload_xray(image, self.payload_silhouette(scene, camera, data))
        return image

    def payload_silhouette(self, scene: LoadedScene, camera: CameraParams, data) -> np.ndarray:
        """Pixels the payload would cover if nothing stood in front of it: its projected outline.

        The payload is convex, so its silhouette is the convex hull of its projected surface points;
        computing it costs far less than another render pass.
        """
        state = scene.data if data is None else data
        points = np.concatenate(
            [_geom_surface_points(scene.model, state, g) for g in scene.index.payload_geoms]
        )
        pixels = project_points(points, camera, self.size)
        mask = Image.new("1", self.size, 0)
        if len(pixels) >= 3:
            ImageDraw.Draw(mask).polygon([tuple(p) for p in _convex_hull(pixels)], fill=1)
        return np.asarray(mask, dtype=bool)

    @staticmethod
    def _draw_payload_xray(image: np.ndarray, silhouette: np.ndarray) -> None:
        """Tint the payload's silhouette with its colour and outline it, in place."""
        if not silhouette.any():
            return
        payload_rgb = np.array(PAYLOAD_RGBA[:3]) * 255
        tinted = image[silhouette] * (1 - PAYLOAD_XRAY_TINT) + payload_rgb * PAYLOAD_XRAY_TINT
        image[silhouette] = tinted.astype(np.uint8)
        inner = silhouette.copy()
        inner[1:, :] &= silhouette[:-1, :]
        inner[:-1, :] &= silhouette[1:, :]
        inner[:, 1:] &= silhouette[:, :-1]
        inner[:, :-1] &= silhouette[:, 1:]
        image[silhouette & ~inner] = PAYLOAD_OUTLINE_RGB

    def render_views(
        self, scene: LoadedScene, views: Sequence[ViewSpec] = STANDARD_VIEWS
    ) -> list[RenderedView]:
        out = []
        for view in views:
            camera = self.camera_for(scene, view)
            image = self.render(scene, camera)
            out.append(RenderedView(name=view.name, image=image, camera=camera, caption=view.caption))
        return out

    def segment(self, scene: LoadedScene, camera: CameraParams, *, geoms: bool, sites: bool) -> np.ndarray:
        """(height, width, 2) int32 of (object id, object type) per pixel; -1 where nothing is drawn.

        `sites` shows the goal and forbid zones only: the build zone would cover them.
        """
        renderer = self._renderer_for(scene)
        renderer.enable_segmentation_rendering()
        try:
            renderer.update_scene(
                scene.data, free_camera(camera), self._visible_option(geoms=geoms, sites=sites)
            )
            return renderer.render()
        finally:
            renderer.disable_segmentation_rendering()

    @staticmethod
    def _visible_option(*, geoms: bool, sites: bool):
        option = mujoco.MjvOption()
        option.geomgroup[:] = 1 if geoms else 0
        option.sitegroup[:] = 0
        if sites:
            option.sitegroup[ZONE_SITE_GROUP] = 1
        return option

    @staticmethod
    def _add_build_zone_outline(scene: LoadedScene, mjv_scene) -> None:
        for s in scene.index.build_zone_sites:
            lo, hi = _world_box(scene.data.site_xpos[s], scene.data.site_xmat[s], scene.model.site_size[s])
            for start, end in _box_edges(lo, hi):
                if mjv_scene.ngeom >= mjv_scene.maxgeom:
                    return
                geom = mjv_scene.geoms[mjv_scene.ngeom]
                mujoco.mjv_initGeom(
                    geom,
                    mujoco.mjtGeom.mjGEOM_LINE,
                    np.zeros(3),
                    np.zeros(3),
                    np.zeros(9),
                    np.array(BUILD_ZONE_EDGE_RGBA, dtype=np.float32),
                )
                mujoco.mjv_connector(geom, mujoco.mjtGeom.mjGEOM_LINE, BUILD_ZONE_EDGE_PX, start, end)
                mjv_scene.ngeom += 1

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
        self._renderer = None
        self._model = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
