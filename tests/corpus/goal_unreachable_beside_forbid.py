"""GOAL_UNREACHABLE: the goal is a 15 mm slab on a forbid zone; a 40 mm ball centred in it would touch it."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    plate_x = rng.uniform(150, 200) * scale
    floor_slab = Fixture(
        "floor_slab", Pos(-100 * scale, 0, 10 * scale) * Box(400 * scale, 300 * scale, 20 * scale)
    )
    return Scenario(
        fixtures=[floor_slab],
        payload=Payload.sphere(radius=20 * scale, start=(-150 * scale, 0, 40 * scale), jitter=(5, 5, 0)),
        goal=Zone(
            (plate_x - 40 * scale, -40 * scale, 20 * scale), (plate_x + 40 * scale, 40 * scale, 35 * scale)
        ),
        forbid=[
            Zone(
                (plate_x - 60 * scale, -60 * scale, 0),
                (plate_x + 60 * scale, 60 * scale, 20 * scale),
                name="hot_plate",
            )
        ],
        build_zone=Zone((-300 * scale, -150 * scale, 0), (300 * scale, 150 * scale, 300 * scale)),
        bounds=Zone((-350 * scale, -250 * scale, -50 * scale), (350 * scale, 250 * scale, 400 * scale)),
    )
