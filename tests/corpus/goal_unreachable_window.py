"""GOAL_UNREACHABLE: a wall spans the bounds; its window is 28 mm square, a 40 mm cube cannot pass."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone

WINDOW = 28  # mm, square
CUBE = 40  # mm edge of the payload


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    window_z = rng.uniform(60, 120) * scale
    floor_slab = Fixture("floor_slab", Pos(0, 0, 10 * scale) * Box(600 * scale, 300 * scale, 20 * scale))
    # The wall fills the bounds' whole y-z cross-section (above and below the floor) but for the window.
    wall_height = 450 * scale
    wall = Pos(0, 0, -50 * scale + wall_height / 2) * Box(20 * scale, 500 * scale, wall_height)
    window = Pos(0, 0, window_z) * Box(20 * scale, WINDOW * scale, WINDOW * scale)
    cube = CUBE * scale
    return Scenario(
        fixtures=[
            floor_slab,
            Fixture(
                "barrier", wall - window - Pos(0, 0, 10 * scale) * Box(20 * scale, 300 * scale, 20 * scale)
            ),
        ],
        payload=Payload.box(
            size=(cube, cube, cube), start=(-150 * scale, 0, 20 * scale + cube / 2), jitter=(5, 5, 0)
        ),
        goal=Zone((120 * scale, -80 * scale, 20 * scale), (260 * scale, 80 * scale, 100 * scale)),
        forbid=[],
        build_zone=Zone((-300 * scale, -150 * scale, 0), (300 * scale, 150 * scale, 300 * scale)),
        bounds=Zone((-350 * scale, -250 * scale, -50 * scale), (350 * scale, 250 * scale, 400 * scale)),
    )
