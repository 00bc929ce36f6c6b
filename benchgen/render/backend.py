"""Choose MuJoCo's headless OpenGL backend. MuJoCo reads `MUJOCO_GL` once, when `mujoco` is first imported,
so `benchgen/__init__.py` calls `choose_gl_backend()` before any benchgen module can import mujoco.

No mujoco import here: this module must stay cheap and safe to import first.
"""

import ctypes
import os

from benchgen.errors import BenchgenError

HEADLESS_BACKENDS = ("egl", "osmesa")  # mujoco GL backends that need no display server
EGL_LIBRARY = "libEGL.so.1"
OSMESA_LIBRARIES = ("libOSMesa.so.8", "libOSMesa.so.6", "libOSMesa.so")
FIX_HINT = (
    "set MUJOCO_GL=egl before starting Python (Debian/Ubuntu packages libegl1 and libgl1-mesa-dri), "
    "or MUJOCO_GL=osmesa (package libosmesa6)"
)


class GLBackendUnavailable(BenchgenError):
    """No working offscreen OpenGL backend: renders cannot be made on this machine as configured."""


def _loadable(library: str) -> bool:
    try:
        ctypes.CDLL(library)
    except OSError:
        return False
    return True


def choose_gl_backend() -> str:
    """Set MUJOCO_GL to EGL (or OSMesa when only that is installed) unless the user set it; return it."""
    if "MUJOCO_GL" not in os.environ:
        use_osmesa = not _loadable(EGL_LIBRARY) and any(_loadable(lib) for lib in OSMESA_LIBRARIES)
        os.environ["MUJOCO_GL"] = "osmesa" if use_osmesa else "egl"
    return os.environ["MUJOCO_GL"]
