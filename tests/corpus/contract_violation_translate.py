"""CONTRACT_VIOLATION (source check): a deck placed with `.translate(...)` instead of `Pos(...) * shape`."""

import random

from build123d import Box

from benchgen.kit import Fixture, Payload, Scenario, Zone


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    width = rng.uniform(150, 250) * scale
    deck = Fixture("deck", Box(width, 200 * scale, 80 * scale).translate((0, 0, 40 * scale)))
    return Scenario(
        fixtures=[deck],
        payload=Payload.sphere(radius=20 * scale, start=(0, 0, 100 * scale)),
        goal=Zone((200 * scale, -50 * scale, 0), (300 * scale, 50 * scale, 100 * scale)),
        build_zone=Zone((-350 * scale, -200 * scale, 0), (350 * scale, 200 * scale, 300 * scale)),
        bounds=Zone((-400 * scale, -300 * scale, -100 * scale), (400 * scale, 300 * scale, 400 * scale)),
    )
