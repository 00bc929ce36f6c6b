"""Import mujoco with a headless OpenGL backend, and turn GL failures into errors that name the fix."""

import os
import sys

from benchgen.render.backend import FIX_HINT, HEADLESS_BACKENDS, GLBackendUnavailable, choose_gl_backend


def _loaded_backend(mujoco_module) -> str:
    """The backend an already imported mujoco chose, from the module of its GLContext class."""
    return mujoco_module.GLContext.__module__.rsplit(".", 1)[-1]


def import_mujoco():
    """Import mujoco with a headless backend, or raise GLBackendUnavailable naming the fix."""
    if "mujoco" in sys.modules:
        mujoco = sys.modules["mujoco"]
        backend = _loaded_backend(mujoco)
        if backend not in HEADLESS_BACKENDS:
            raise GLBackendUnavailable(
                f"mujoco was imported with the {backend!r} OpenGL backend, which needs a display; {FIX_HINT}"
            )
        return mujoco
    requested = choose_gl_backend()
    if requested.lower().strip() not in HEADLESS_BACKENDS:
        raise GLBackendUnavailable(f"MUJOCO_GL={requested!r} cannot render offscreen here; {FIX_HINT}")
    import mujoco

    return mujoco


def open_renderer(mujoco_module, model, width: int, height: int):
    """Create a mujoco.Renderer, turning an OpenGL context failure into GLBackendUnavailable."""
    try:
        return mujoco_module.Renderer(model, height=height, width=width)
    except (ImportError, RuntimeError, OSError) as exc:  # what mujoco's egl/osmesa/glfw contexts raise
        backend = os.environ.get("MUJOCO_GL", "")
        raise GLBackendUnavailable(
            f"cannot create an offscreen OpenGL context with MUJOCO_GL={backend!r}: {exc}; {FIX_HINT}"
        ) from exc


mujoco = import_mujoco()
