"""Gap crossing: a steel ball rests on the left deck; the solver must carry it over a gap to the right deck."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    gap = rng.uniform(80, 160) * scale  # mm between the decks
    deck = Box(200 * scale, 200 * scale, 80 * scale)  # each deck 200 x 200, 80 high
    left = Fixture("left_deck", Pos(-(gap / 2 + 100 * scale), 0, 40 * scale) * deck)
    right = Fixture("right_deck", Pos(gap / 2 + 100 * scale, 0, 40 * scale) * deck)
    return Scenario(
        fixtures=[left, right],
        payload=Payload.sphere(
            radius=20 * scale,
            start=(-(gap / 2 + 100 * scale), 0, 100 * scale),
            jitter=(5, 5, 0),
            material="steel",
        ),
        goal=Zone(
            (gap / 2 + 50 * scale, -60 * scale, 80 * scale), (gap / 2 + 150 * scale, 60 * scale, 160 * scale)
        ),
        forbid=[Zone((-gap / 2, -150 * scale, -10), (gap / 2, 150 * scale, 60 * scale), name="gap")],
        build_zone=Zone((-400 * scale, -200 * scale, 0), (400 * scale, 200 * scale, 300 * scale)),
        bounds=Zone((-500 * scale, -300 * scale, -100), (500 * scale, 300 * scale, 400 * scale)),
    )
