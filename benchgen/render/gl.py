"""Choose MuJoCo's offscreen OpenGL backend before mujoco is imported, and explain failures.

MuJoCo reads `MUJOCO_GL` once, when `mujoco` is first imported, so benchgen.render imports this module
before anything else. A value the user set is always respected.
"""

import ctypes.util
import os
import sys

from benchgen.errors import BenchgenError

HEADLESS_BACKENDS = ("egl", "osmesa")  # mujoco GL backends that need no display server
FIX_HINT = (
    "set MUJOCO_GL=egl before starting Python (Debian/Ubuntu packages libegl1 and libgl1-mesa-dri), "
    "or MUJOCO_GL=osmesa (package libosmesa6)"
)


class GLBackendUnavailable(BenchgenError):
    """No working offscreen OpenGL backend: renders cannot be made on this machine as configured."""


def _default_backend() -> str:
    """EGL when its library is installed, else OSMesa when that is, else EGL (which then fails with the hint)."""
    if ctypes.util.find_library("EGL") is None and ctypes.util.find_library("OSMesa") is not None:
        return "osmesa"
    return "egl"


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
    os.environ.setdefault("MUJOCO_GL", _default_backend())
    requested = os.environ["MUJOCO_GL"]
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
