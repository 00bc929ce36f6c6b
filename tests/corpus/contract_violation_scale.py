"""CONTRACT_VIOLATION (scale): `scale` is accepted but ignored, so every scale gives the same geometry."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    width = rng.uniform(150, 250)
    deck = Fixture("deck", Pos(0, 0, 40) * Box(width, 200, 80))
    return Scenario(
        fixtures=[deck],
        payload=Payload.sphere(radius=20, start=(0, 0, 100)),
        goal=Zone((200, -50, 0), (300, 50, 100)),
        build_zone=Zone((-350, -200, 0), (350, 200, 300)),
        bounds=Zone((-400, -300, -100), (400, 300, 400)),
    )
