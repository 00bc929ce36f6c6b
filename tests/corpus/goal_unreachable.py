"""GOAL_UNREACHABLE: a forbid zone fills the bounds' whole cross-section between the start and the goal."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    gap = rng.uniform(60, 100) * scale
    deck = Box(250 * scale, 300 * scale, 20 * scale)
    left = Fixture("left_deck", Pos(-(gap / 2 + 125 * scale), 0, 10 * scale) * deck)
    right = Fixture("right_deck", Pos(gap / 2 + 125 * scale, 0, 10 * scale) * deck)
    return Scenario(
        fixtures=[left, right],
        payload=Payload.sphere(
            radius=20 * scale, start=(-(gap / 2 + 125 * scale), 0, 40 * scale), jitter=(5, 5, 0)
        ),
        goal=Zone(
            (gap / 2 + 80 * scale, -50 * scale, 20 * scale), (gap / 2 + 180 * scale, 50 * scale, 120 * scale)
        ),
        forbid=[
            Zone((-gap / 2, -250 * scale, -50 * scale), (gap / 2, 250 * scale, 400 * scale), name="moat")
        ],
        build_zone=Zone((-350 * scale, -150 * scale, 0), (350 * scale, 150 * scale, 300 * scale)),
        bounds=Zone((-400 * scale, -250 * scale, -50 * scale), (400 * scale, 250 * scale, 400 * scale)),
    )
