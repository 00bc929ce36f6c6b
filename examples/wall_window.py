"""Wall with a window: an aluminium cube rests on a floor slab; the goal is behind a wall with a window."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone

FLOOR_SIZE = (600, 300, 20)  # mm
WALL_THICKNESS = 20  # mm
WALL_HEIGHT = 220  # mm above the floor
CUBE = 30  # mm edge of the payload cube


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    window_width = rng.uniform(60, 110) * scale  # mm along y
    window_height = rng.uniform(50, 90) * scale  # mm
    window_sill = rng.uniform(40, 100) * scale  # mm above the floor
    window_y = rng.uniform(-60, 60) * scale  # mm
    floor_top = FLOOR_SIZE[2] * scale
    wall_height = WALL_HEIGHT * scale
    floor = Pos(0, 0, floor_top / 2) * Box(*(s * scale for s in FLOOR_SIZE))
    wall = Pos(0, 0, floor_top + wall_height / 2) * Box(
        WALL_THICKNESS * scale, FLOOR_SIZE[1] * scale, wall_height
    )
    window = Pos(0, window_y, floor_top + window_sill + window_height / 2) * Box(
        WALL_THICKNESS * scale, window_width, window_height
    )
    cube = CUBE * scale
    return Scenario(
        fixtures=[Fixture("floor_slab", floor), Fixture("wall", wall - window, material="wood")],
        payload=Payload.box(
            size=(cube, cube, cube),
            start=(-180 * scale, 0, floor_top + cube / 2),
            jitter=(5, 5, 0),
            material="aluminium",
        ),
        goal=Zone((120 * scale, -80 * scale, floor_top), (260 * scale, 80 * scale, floor_top + 80 * scale)),
        forbid=[
            Zone(
                (-40 * scale, -150 * scale, floor_top + wall_height),
                (40 * scale, 150 * scale, floor_top + wall_height + 100 * scale),
                name="over_wall",
            )
        ],
        build_zone=Zone((-300 * scale, -150 * scale, 0), (300 * scale, 150 * scale, 300 * scale)),
        bounds=Zone((-350 * scale, -250 * scale, -50 * scale), (350 * scale, 250 * scale, 450 * scale)),
    )
