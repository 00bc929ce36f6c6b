"""Versions recorded in every provenance record and used as cache keys.

Bump a version whenever the behaviour it names changes: caches keyed on it are then recomputed.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    CODE_VERSION = version("benchgen")
except PackageNotFoundError:  # running from a source tree that was never installed
    CODE_VERSION = "0.0.0+source"

KIT_VERSION = "2"  # the scenario-script API (benchgen.kit) and its exchange format
VALIDATOR_VERSION = "2"  # static checks, MJCF conversion and the settle simulation
RENDER_VERSION = "2"  # views, contact sheet, clip and render metrics
PROMPT_VERSION = "3"  # LLM prompts of the Planner, Coder and Reviewer
OFFLINE_VERSION = "3"  # offline scenario families, their witnesses and the procedural roles


def current_versions() -> dict[str, str]:
    """The versions every cache key and provenance record includes, by short name."""
    return {
        "code": CODE_VERSION,
        "kit": KIT_VERSION,
        "validator": VALIDATOR_VERSION,
        "render": RENDER_VERSION,
        "prompt": PROMPT_VERSION,
        "offline": OFFLINE_VERSION,
    }
