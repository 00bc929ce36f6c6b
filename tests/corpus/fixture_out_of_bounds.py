"""FIXTURE_OUT_OF_BOUNDS: a post beside the deck rises 100 mm above the top of bounds."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    width = rng.uniform(150, 250) * scale
    deck = Fixture("deck", Pos(0, 0, 40 * scale) * Box(width, 200 * scale, 80 * scale))
    return Scenario(
        fixtures=[
            deck,
            Fixture("post", Pos(-300 * scale, 0, 250 * scale) * Box(40 * scale, 40 * scale, 500 * scale)),
        ],
        payload=Payload.sphere(radius=20 * scale, start=(0, 0, 100 * scale), jitter=(0, 0, 0)),
        goal=Zone((200 * scale, -50 * scale, 0), (300 * scale, 50 * scale, 100 * scale)),
        forbid=[],
        build_zone=Zone((-350 * scale, -200 * scale, 0), (350 * scale, 200 * scale, 300 * scale)),
        bounds=Zone((-400 * scale, -300 * scale, -100 * scale), (400 * scale, 300 * scale, 400 * scale)),
    )
