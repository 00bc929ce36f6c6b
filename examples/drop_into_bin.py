"""Drop into a bin: a steel ball rests on a high deck; the goal is inside an open bin lower down."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone

DECK_SIZE = (180, 180)  # mm footprint of the deck
BIN_OUTER = (160, 160, 90)  # mm outer size of the bin
BIN_WALL = 10  # mm wall and floor thickness
BALL_RADIUS = 18  # mm


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    deck_height = rng.uniform(160, 240) * scale  # mm
    spacing = rng.uniform(60, 140) * scale  # mm between deck and bin
    deck_x = -(spacing / 2 + DECK_SIZE[0] * scale / 2)
    bin_x = spacing / 2 + BIN_OUTER[0] * scale / 2
    wall = BIN_WALL * scale
    bx, by, bz = (s * scale for s in BIN_OUTER)

    deck = Fixture(
        "deck", Pos(deck_x, 0, deck_height / 2) * Box(DECK_SIZE[0] * scale, DECK_SIZE[1] * scale, deck_height)
    )
    # Open-top bin: a solid block with its inside cut away (a non-convex fixture).
    bin_shape = Pos(bin_x, 0, bz / 2) * Box(bx, by, bz) - Pos(bin_x, 0, wall + bz / 2) * Box(
        bx - 2 * wall, by - 2 * wall, bz
    )
    bin_fixture = Fixture("bin", bin_shape, material="pla")
    radius = BALL_RADIUS * scale
    return Scenario(
        fixtures=[deck, bin_fixture],
        payload=Payload.sphere(
            radius=radius, start=(deck_x, 0, deck_height + radius), jitter=(6, 6, 0), material="steel"
        ),
        goal=Zone((bin_x - bx / 2 + wall, -by / 2 + wall, wall), (bin_x + bx / 2 - wall, by / 2 - wall, bz)),
        forbid=[
            Zone(
                (-spacing / 2, -150 * scale, -10 * scale),
                (spacing / 2, 150 * scale, 20 * scale),
                name="floor",
            )
        ],
        build_zone=Zone(
            (deck_x - 150 * scale, -200 * scale, 0),
            (bin_x + 150 * scale, 200 * scale, deck_height + 150 * scale),
        ),
        bounds=Zone(
            (deck_x - 250 * scale, -300 * scale, -50 * scale),
            (bin_x + 250 * scale, 300 * scale, deck_height + 250 * scale),
        ),
    )
