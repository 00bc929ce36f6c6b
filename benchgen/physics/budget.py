"""Budgets of the host-side work on a scene: fixture B-reps come from untrusted scripts, and meshing,
decomposition, MJCF compilation and simulation run in the host process. Each budget is checked before
the work it bounds (or between its steps) and a scene over one is refused with RESOURCE_LIMIT, naming
the limit and by how much it was exceeded, instead of costing the host unbounded memory or time.

The budgets leave the examples and the offline families one to two orders of magnitude of room.
"""

import time
from collections.abc import Sequence
from math import comb, prod

from benchgen.codes import FailureCode
from benchgen.errors import BenchgenError

MAX_FIXTURES = 64  # fixtures per scene; each is a MuJoCo body with its own pieces
MAX_FACES_PER_FIXTURE = 2000  # B-rep faces of one fixture; meshing and splitting grow with them
# Convex cells the exact plane split of one solid may produce, bounded before splitting (see
# `max_cells`). A deck with a 6 x 6 grid of aligned pockets needs 13 x 13 x 2 = 338; the same pockets
# slightly misaligned need 73 x 73 x 2 = 10658 cells and drove the splitter to 8 GB.
MAX_CELLS_PER_SOLID = 1000
MAX_PIECES_PER_SCENE = 1000  # convex pieces (MuJoCo mesh geoms) of all fixtures together
MAX_TRIANGLES_PER_SCENE = 400_000  # triangles of all pieces together; MJCF compilation hulls each piece
MAX_MESHING_SECONDS = 60.0  # s of wall time for meshing every fixture of one scene (checked between pieces)
MAX_CONTACTS = 500  # contacts MuJoCo may hold at once; a settle has a handful (the payload on its support)


class SceneTooLarge(BenchgenError):
    """The scene is over a budget of host-side work; `code` is RESOURCE_LIMIT."""

    code = FailureCode.RESOURCE_LIMIT


def check_count(what: str, count: int, limit: int, advice: str) -> None:
    """Raise SceneTooLarge when `count` is over `limit`."""
    if count > limit:
        raise SceneTooLarge(
            f"{what}: {count}, over the limit of {limit} by {count - limit}; {advice}"
        )


def max_cells(plane_normals: Sequence[tuple[float, float, float]]) -> int:
    """An upper bound on the cells n planes cut space into: the general-position bound
    1 + n + C(n, 2) + C(n, 3), and, for families of parallel planes, the product of (planes + 1) per
    family (a cell lies in one slab of each family). `plane_normals` are canonical (same sign per family)."""
    n = len(plane_normals)
    general = sum(comb(n, k) for k in range(4))
    families: dict[tuple[float, float, float], int] = {}
    for normal in plane_normals:
        key = tuple(round(c, 6) for c in normal)
        families[key] = families.get(key, 0) + 1  # type: ignore[index]
    return min(general, prod(count + 1 for count in families.values()))


class Deadline:
    """A wall-clock budget checked between steps that cannot be interrupted themselves."""

    def __init__(self, what: str, seconds: float, advice: str) -> None:
        self.what, self.seconds, self.advice = what, seconds, advice
        self.started = time.monotonic()

    def check(self) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed > self.seconds:
            raise SceneTooLarge(
                f"{self.what} took {elapsed:.1f} s, over the limit of {self.seconds:g} s by "
                f"{elapsed - self.seconds:.1f} s; {self.advice}"
            )
