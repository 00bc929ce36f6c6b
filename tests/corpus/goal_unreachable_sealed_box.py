"""GOAL_UNREACHABLE: the goal is inside a sealed hollow box; the ball outside can never get in."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone

DOOR = 0  # mm: side of a square door in the wall facing the ball (0: the box is sealed)


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    box_x = rng.uniform(150, 200) * scale
    outer, wall = 160 * scale, 10 * scale
    floor_slab = Fixture("floor_slab", Pos(0, 0, 10 * scale) * Box(600 * scale, 300 * scale, 20 * scale))
    centre = Pos(box_x, 0, 20 * scale + outer / 2)
    shell = centre * Box(outer, outer, outer) - centre * Box(
        outer - 2 * wall, outer - 2 * wall, outer - 2 * wall
    )
    if DOOR:
        door = DOOR * scale
        shell = shell - Pos(box_x - outer / 2 + wall / 2, 0, 20 * scale + wall + door / 2) * Box(
            wall, door, door
        )
    safe = Fixture("safe", shell)
    inner = outer / 2 - wall
    return Scenario(
        fixtures=[floor_slab, safe],
        payload=Payload.sphere(radius=20 * scale, start=(-150 * scale, 0, 40 * scale), jitter=(5, 5, 0)),
        goal=Zone(
            (box_x - inner / 2, -inner / 2, 20 * scale + wall),
            (box_x + inner / 2, inner / 2, 20 * scale + wall + inner),
        ),
        forbid=[],
        build_zone=Zone((-300 * scale, -150 * scale, 0), (300 * scale, 150 * scale, 300 * scale)),
        bounds=Zone((-350 * scale, -250 * scale, -50 * scale), (350 * scale, 250 * scale, 400 * scale)),
    )
