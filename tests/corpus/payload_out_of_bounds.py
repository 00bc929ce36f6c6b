"""PAYLOAD_OUT_OF_BOUNDS: the ball starts near the bounds' y edge and its jitter carries it 10 mm past."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    width = rng.uniform(150, 250) * scale
    deck = Fixture("deck", Pos(0, 0, 40 * scale) * Box(width, 580 * scale, 80 * scale))
    return Scenario(
        fixtures=[deck],
        payload=Payload.sphere(radius=20 * scale, start=(0, 270 * scale, 100 * scale), jitter=(0, 20, 0)),
        goal=Zone((200 * scale, -50 * scale, 0), (300 * scale, 50 * scale, 100 * scale)),
        forbid=[],
        build_zone=Zone((-350 * scale, -200 * scale, 0), (350 * scale, 200 * scale, 300 * scale)),
        bounds=Zone((-400 * scale, -300 * scale, -100 * scale), (400 * scale, 300 * scale, 400 * scale)),
    )
