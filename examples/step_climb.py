"""Step climb: a wooden puck rests on a floor slab; the goal is on top of a raised step at the far end."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone

FLOOR_SIZE = (600, 300, 20)  # mm: length x width x thickness of the floor slab
STEP_LENGTH = 150  # mm along x
PUCK_RADIUS = 25  # mm
PUCK_HEIGHT = 20  # mm


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    step_height = rng.uniform(40, 90) * scale  # mm the puck must climb
    puck_x = rng.uniform(-220, -120) * scale  # mm
    floor_top = FLOOR_SIZE[2] * scale
    step_x = (FLOOR_SIZE[0] / 2 - STEP_LENGTH / 2) * scale  # flush with the floor's far end

    floor = Fixture("floor_slab", Pos(0, 0, floor_top / 2) * Box(*(s * scale for s in FLOOR_SIZE)))
    step = Fixture(
        "step",
        Pos(step_x, 0, floor_top + step_height / 2)
        * Box(STEP_LENGTH * scale, FLOOR_SIZE[1] * scale, step_height),
        material="wood",
    )
    step_top = floor_top + step_height
    return Scenario(
        fixtures=[floor, step],
        payload=Payload.cylinder(
            radius=PUCK_RADIUS * scale,
            height=PUCK_HEIGHT * scale,
            start=(puck_x, 0, floor_top + PUCK_HEIGHT * scale / 2),
            jitter=(5, 5, 0),
            material="wood",
        ),
        goal=Zone(
            (step_x - 50 * scale, -60 * scale, step_top),
            (step_x + 50 * scale, 60 * scale, step_top + 80 * scale),
        ),
        build_zone=Zone((-300 * scale, -150 * scale, 0), (300 * scale, 150 * scale, 250 * scale)),
        bounds=Zone((-400 * scale, -250 * scale, -50 * scale), (400 * scale, 250 * scale, 350 * scale)),
    )
