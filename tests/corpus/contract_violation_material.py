"""CONTRACT_VIOLATION: a fixture made of a material that is not in the table."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    width = rng.uniform(150, 250) * scale
    deck = Fixture(
        "deck", Pos(0, 0, 40 * scale) * Box(width, 200 * scale, 80 * scale), material="unobtainium"
    )
    return Scenario(
        fixtures=[deck],
        payload=Payload.sphere(radius=20 * scale, start=(0, 0, 100 * scale)),
        goal=Zone((200 * scale, -50 * scale, 0), (300 * scale, 50 * scale, 100 * scale)),
        build_zone=Zone((-350 * scale, -200 * scale, 0), (350 * scale, 200 * scale, 300 * scale)),
        bounds=Zone((-400 * scale, -300 * scale, -100 * scale), (400 * scale, 300 * scale, 400 * scale)),
    )
