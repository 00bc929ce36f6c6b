"""GOAL_BLOCKED: the goal lies inside a solid block, so no placement of the ball's centre there is free."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    block_x = rng.uniform(150, 200) * scale
    floor_slab = Fixture("floor_slab", Pos(0, 0, 10 * scale) * Box(600 * scale, 300 * scale, 20 * scale))
    block = Fixture("block", Pos(block_x, 0, 80 * scale) * Box(120 * scale, 120 * scale, 120 * scale))
    return Scenario(
        fixtures=[floor_slab, block],
        payload=Payload.sphere(radius=20 * scale, start=(-150 * scale, 0, 40 * scale), jitter=(5, 5, 0)),
        goal=Zone(
            (block_x - 30 * scale, -30 * scale, 50 * scale), (block_x + 30 * scale, 30 * scale, 110 * scale)
        ),
        forbid=[],
        build_zone=Zone((-300 * scale, -150 * scale, 0), (300 * scale, 150 * scale, 300 * scale)),
        bounds=Zone((-350 * scale, -250 * scale, -50 * scale), (350 * scale, 250 * scale, 400 * scale)),
    )
