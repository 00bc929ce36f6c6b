"""PAYLOAD_UNREACHABLE: the build zone starts high above the floor the ball rests on; no part can touch it."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    shelf_height = rng.uniform(160, 200) * scale
    floor_slab = Fixture("floor_slab", Pos(0, 0, 10 * scale) * Box(600 * scale, 300 * scale, 20 * scale))
    shelf = Fixture(
        "shelf",
        Pos(180 * scale, 0, 20 * scale + shelf_height / 2) * Box(120 * scale, 120 * scale, shelf_height),
    )
    top = 20 * scale + shelf_height
    return Scenario(
        fixtures=[floor_slab, shelf],
        payload=Payload.sphere(radius=20 * scale, start=(-150 * scale, 0, 40 * scale), jitter=(5, 5, 0)),
        goal=Zone((140 * scale, -40 * scale, top), (220 * scale, 40 * scale, top + 60 * scale)),
        forbid=[],
        build_zone=Zone((-300 * scale, -150 * scale, 150 * scale), (300 * scale, 150 * scale, 350 * scale)),
        bounds=Zone((-350 * scale, -250 * scale, -50 * scale), (350 * scale, 250 * scale, 400 * scale)),
    )
