"""Geometry fingerprints of built scenarios, to flag near-identical benchmarks within a dataset.

A fingerprint samples the scene on a coarse grid laid over its bounds (so it ignores `scale` and
absolute position): which cell centres fall inside a fixture's bounding box, inside the goal, inside a
forbid zone; plus the payload's shape and its start in the same normalised frame. Two scenarios are
near duplicates when every channel overlaps almost entirely and the payloads match.
"""

import numpy as np
from pydantic import BaseModel, ConfigDict

from benchgen.kit.spec import PayloadShape, ScenarioSpec, ZoneSpec

GRID_CELLS = (24, 24, 12)  # cells along x, y, z over the bounds
FIXTURE_SIMILARITY = 0.9  # Jaccard index of fixture occupancy above which scenes look alike
ZONE_SIMILARITY = 0.8  # Jaccard index of goal and of forbid occupancy above which zones look alike
START_TOLERANCE = 0.05  # largest payload-start difference, as a fraction of the bounds' size per axis
PAYLOAD_SIZE_TOLERANCE = 0.15  # largest relative difference of the payload's bounds-normalised size


class GeometryFingerprint(BaseModel):
    """Occupied cell indices per channel, and the payload in bounds-normalised coordinates."""

    model_config = ConfigDict(frozen=True)

    fixtures: frozenset[int]
    goal: frozenset[int]
    forbid: frozenset[int]
    payload_shape: PayloadShape
    payload_start: tuple[float, float, float]
    payload_size: tuple[float, float, float]


def _cell_centres(bounds: ZoneSpec) -> np.ndarray:
    axes = [
        bounds.min[i] + (np.arange(n) + 0.5) * (bounds.max[i] - bounds.min[i]) / n
        for i, n in enumerate(GRID_CELLS)
    ]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    return grid.reshape(-1, 3)


def _occupied(centres: np.ndarray, boxes: list[tuple[tuple[float, ...], tuple[float, ...]]]) -> frozenset[int]:
    inside = np.zeros(len(centres), dtype=bool)
    for lo, hi in boxes:
        inside |= np.all((centres >= np.asarray(lo)) & (centres <= np.asarray(hi)), axis=1)
    return frozenset(int(i) for i in np.flatnonzero(inside))


def fingerprint(spec: ScenarioSpec) -> GeometryFingerprint:
    """The fingerprint of one built variant."""
    centres = _cell_centres(spec.bounds)
    extent = spec.bounds.size
    payload = spec.payload
    return GeometryFingerprint(
        fixtures=_occupied(centres, [(f.bbox_min, f.bbox_max) for f in spec.fixtures]),
        goal=_occupied(centres, [(spec.goal.min, spec.goal.max)]),
        forbid=_occupied(centres, [(z.min, z.max) for z in spec.forbid]),
        payload_shape=payload.shape,
        payload_start=tuple((payload.start[i] - spec.bounds.min[i]) / extent[i] for i in range(3)),
        payload_size=tuple(2 * payload.half_extents[i] / extent[i] for i in range(3)),
    )


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    """Shared cells over all cells; two empty channels are identical."""
    union = len(a | b)
    return 1.0 if union == 0 else len(a & b) / union


def is_near_duplicate(a: GeometryFingerprint, b: GeometryFingerprint) -> bool:
    """True when the two scenes differ by less than the tolerances above in every respect."""
    if a.payload_shape is not b.payload_shape:
        return False
    if any(abs(x - y) > START_TOLERANCE for x, y in zip(a.payload_start, b.payload_start)):
        return False
    if any(abs(x - y) > PAYLOAD_SIZE_TOLERANCE * max(x, y) for x, y in zip(a.payload_size, b.payload_size)):
        return False
    return (
        jaccard(a.fixtures, b.fixtures) >= FIXTURE_SIMILARITY
        and jaccard(a.goal, b.goal) >= ZONE_SIMILARITY
        and jaccard(a.forbid, b.forbid) >= ZONE_SIMILARITY
    )
