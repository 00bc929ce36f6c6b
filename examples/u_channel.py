"""U-channel: a glass ball rests on the floor of an open channel; the goal is on a separate raised pad.

The channel is non-convex: the ball rests between its walls, which only works if the simulator
collides the channel's real shape and not its convex hull.
"""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone

CHANNEL_LENGTH = 300  # mm along x
WALL = 10  # mm wall and floor thickness
BALL_RADIUS = 15  # mm


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    inner_width = rng.uniform(40, 70) * scale  # mm between the channel walls, wider than the ball
    depth = rng.uniform(25, 45) * scale  # mm from the channel's rim down to its floor
    pad_height = rng.uniform(60, 120) * scale  # mm
    wall = WALL * scale
    length = CHANNEL_LENGTH * scale
    outer_width = inner_width + 2 * wall
    height = depth + wall
    channel_x = -100 * scale
    channel = Pos(channel_x, 0, height / 2) * Box(length, outer_width, height) - Pos(
        channel_x, 0, wall + height / 2
    ) * Box(length, inner_width, height)
    pad_x = 200 * scale
    pad = Pos(pad_x, 0, pad_height / 2) * Box(100 * scale, 100 * scale, pad_height)
    radius = BALL_RADIUS * scale
    return Scenario(
        fixtures=[Fixture("channel", channel, material="aluminium"), Fixture("pad", pad, material="wood")],
        payload=Payload.sphere(
            radius=radius, start=(channel_x, 0, wall + radius), jitter=(20, 3, 0), material="glass"
        ),
        goal=Zone(
            (pad_x - 40 * scale, -40 * scale, pad_height),
            (pad_x + 40 * scale, 40 * scale, pad_height + 60 * scale),
        ),
        forbid=[
            Zone(
                (pad_x - 60 * scale, -200 * scale, -20 * scale),
                (pad_x + 60 * scale, -70 * scale, 40 * scale),
                name="pit",
            )
        ],
        build_zone=Zone((-300 * scale, -150 * scale, 0), (300 * scale, 150 * scale, 250 * scale)),
        bounds=Zone((-350 * scale, -250 * scale, -50 * scale), (350 * scale, 250 * scale, 350 * scale)),
    )
