"""CONTRACT_VIOLATION (units): every length written in metres, so the whole scene is under a millimetre."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    width = rng.uniform(0.15, 0.25) * scale
    deck = Fixture("deck", Pos(0, 0, 0.04 * scale) * Box(width, 0.2 * scale, 0.08 * scale))
    return Scenario(
        fixtures=[deck],
        payload=Payload.sphere(radius=0.02 * scale, start=(0, 0, 0.1 * scale)),
        goal=Zone((0.2 * scale, -0.05 * scale, 0), (0.3 * scale, 0.05 * scale, 0.1 * scale)),
        build_zone=Zone((-0.35 * scale, -0.2 * scale, 0), (0.35 * scale, 0.2 * scale, 0.3 * scale)),
        bounds=Zone((-0.4 * scale, -0.3 * scale, -0.1 * scale), (0.4 * scale, 0.3 * scale, 0.4 * scale)),
    )
