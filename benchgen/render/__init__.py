"""Review evidence: multi-view renders with zones, render metrics, a contact sheet and a settle clip.

`benchgen.render.gl` is imported first: it selects a headless OpenGL backend before mujoco loads.
"""

from benchgen.render.gl import GLBackendUnavailable  # isort: skip
from benchgen.render.types import RenderBundle, ViewMetrics
from benchgen.render.views import STANDARD_VIEWS, CameraParams, SceneRenderer, ViewSpec

__all__ = ["STANDARD_VIEWS", "CameraParams", "GLBackendUnavailable", "RenderBundle", "SceneRenderer", "ViewMetrics", "ViewSpec"]
