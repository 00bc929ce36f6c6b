"""What each view shows, measured from MuJoCo's segmentation rendering (never guessed from geometry).

Zones are translucent in the colour render but opaque in segmentation, so each view is segmented twice:
once with geoms only (payload and fixtures, not hidden behind zones) and once with zone sites only
(how much of the frame each zone covers, wherever it is drawn).
"""

import numpy as np

from benchgen.render.gl import mujoco
from benchgen.render.types import ViewMetrics
from benchgen.render.views import CameraParams, LoadedScene, SceneRenderer

GEOM_TYPE = int(mujoco.mjtObj.mjOBJ_GEOM)
SITE_TYPE = int(mujoco.mjtObj.mjOBJ_SITE)


def _mask(segmentation: np.ndarray, object_type: int, ids) -> np.ndarray:
    ids = np.fromiter(ids, dtype=np.int32)
    return (segmentation[..., 1] == object_type) & np.isin(segmentation[..., 0], ids)


def _touches_border(mask: np.ndarray) -> bool:
    return bool(mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any())


def measure_view(renderer: SceneRenderer, scene: LoadedScene, camera: CameraParams) -> ViewMetrics:
    """Pixel shares and in-frame flags for one camera on the scene's current state."""
    index = scene.index
    solids = renderer.segment(scene, camera, geoms=True, sites=False)
    zones = renderer.segment(scene, camera, geoms=False, sites=True)
    pixels = float(solids.shape[0] * solids.shape[1])

    payload = _mask(solids, GEOM_TYPE, index.payload_geoms)
    fixtures = _mask(solids, GEOM_TYPE, index.fixture_geoms)
    goal = _mask(zones, SITE_TYPE, index.goal_sites)
    forbid = _mask(zones, SITE_TYPE, index.forbid_sites)

    visible, cropped = [], []
    for label in index.fixture_labels:
        geoms = [g for g, owner in index.fixture_geoms.items() if owner == label]
        mask = _mask(solids, GEOM_TYPE, geoms)
        if mask.any():
            visible.append(label)
        if _touches_border(mask):
            cropped.append(label)

    return ViewMetrics(
        view=camera.view,
        payload_fraction=float(payload.sum()) / pixels,
        fixture_fraction=float(fixtures.sum()) / pixels,
        zone_fraction=float((goal | forbid).sum()) / pixels,
        goal_fraction=float(goal.sum()) / pixels,
        forbid_fraction=float(forbid.sum()) / pixels,
        payload_in_frame=bool(payload.any()) and not _touches_border(payload),
        goal_in_frame=bool(goal.any()) and not _touches_border(goal),
        fixtures_in_frame=not cropped,
        fixtures_visible=visible,
        fixtures_cropped=cropped,
    )


def measure_views(
    renderer: SceneRenderer, scene: LoadedScene, cameras: list[CameraParams]
) -> list[ViewMetrics]:
    return [measure_view(renderer, scene, camera) for camera in cameras]
