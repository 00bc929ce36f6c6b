"""PAYLOAD_TRAPPED: the ball rests inside a closed cage; nothing can get it out to the goal."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    cage_x = -rng.uniform(120, 170) * scale
    outer, wall = 120 * scale, 10 * scale
    floor_slab = Fixture("floor_slab", Pos(0, 0, 10 * scale) * Box(600 * scale, 300 * scale, 20 * scale))
    centre = Pos(cage_x, 0, 20 * scale + outer / 2)
    cage = Fixture(
        "cage",
        centre * Box(outer, outer, outer)
        - centre * Box(outer - 2 * wall, outer - 2 * wall, outer - 2 * wall),
    )
    return Scenario(
        fixtures=[floor_slab, cage],
        payload=Payload.sphere(
            radius=20 * scale, start=(cage_x, 0, 20 * scale + wall + 20 * scale), jitter=(5, 5, 0)
        ),
        goal=Zone((150 * scale, -50 * scale, 20 * scale), (250 * scale, 50 * scale, 100 * scale)),
        forbid=[],
        build_zone=Zone((-300 * scale, -150 * scale, 0), (300 * scale, 150 * scale, 300 * scale)),
        bounds=Zone((-350 * scale, -250 * scale, -50 * scale), (350 * scale, 250 * scale, 400 * scale)),
    )
