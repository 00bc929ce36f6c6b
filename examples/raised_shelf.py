"""Raised shelf: a rubber block rests on a floor slab; the goal is on a shelf carried by two posts."""

import random

from build123d import Box, Cylinder, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone

FLOOR_SIZE = (600, 300, 20)  # mm
SHELF_SIZE = (200, 160, 15)  # mm: the shelf board
POST_RADIUS = 12  # mm
BLOCK = (40, 40, 25)  # mm: the payload block


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    shelf_height = rng.uniform(100, 180) * scale  # mm from the floor's top to the shelf's underside
    shelf_x = rng.uniform(120, 170) * scale  # mm
    block_x = rng.uniform(-230, -150) * scale  # mm
    floor_top = FLOOR_SIZE[2] * scale
    sx, sy, sz = (s * scale for s in SHELF_SIZE)
    floor = Pos(0, 0, floor_top / 2) * Box(*(s * scale for s in FLOOR_SIZE))
    shelf = Pos(shelf_x, 0, floor_top + shelf_height + sz / 2) * Box(sx, sy, sz)
    posts = [
        Fixture(
            f"post_{side}",
            Pos(shelf_x, y, floor_top + shelf_height / 2) * Cylinder(POST_RADIUS * scale, shelf_height),
            material="aluminium",
        )
        for side, y in (("left", -sy / 2 + 20 * scale), ("right", sy / 2 - 20 * scale))
    ]
    shelf_top = floor_top + shelf_height + sz
    bx, by, bz = (s * scale for s in BLOCK)
    return Scenario(
        fixtures=[Fixture("floor_slab", floor), Fixture("shelf", shelf, material="wood"), *posts],
        payload=Payload.box(
            size=(bx, by, bz), start=(block_x, 0, floor_top + bz / 2), jitter=(5, 5, 0), material="rubber"
        ),
        goal=Zone(
            (shelf_x - sx / 2 + 20 * scale, -sy / 2 + 20 * scale, shelf_top),
            (shelf_x + sx / 2 - 20 * scale, sy / 2 - 20 * scale, shelf_top + 60 * scale),
        ),
        forbid=[
            Zone(
                (-300 * scale, 150 * scale, -20 * scale),
                (300 * scale, 200 * scale, 100 * scale),
                name="back_edge",
            )
        ],
        build_zone=Zone((-300 * scale, -150 * scale, 0), (300 * scale, 150 * scale, 350 * scale)),
        bounds=Zone((-350 * scale, -250 * scale, -50 * scale), (350 * scale, 250 * scale, 450 * scale)),
    )
