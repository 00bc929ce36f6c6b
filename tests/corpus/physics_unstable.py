"""PHYSICS_UNSTABLE: the ball rests in a round tunnel only 1 mm wider than itself.

Exactly, the ball touches the tunnel's floor and nothing else. The simulator collides convex pieces,
and the pieces that approximate the curved bore reach a few millimetres into it, so at t=0 the ball
sits deep inside them and the contact would throw it out.
"""

import random

from build123d import Box, Cylinder, Pos, Rot

from benchgen.kit import Fixture, Payload, Scenario, Zone

BALL_RADIUS = 20  # mm
BORE_CLEARANCE = 1  # mm between the ball and the bore's radius


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    width = rng.uniform(180, 220) * scale
    bore = (BALL_RADIUS + BORE_CLEARANCE) * scale
    block = Pos(0, 0, 100 * scale) * Box(width, 200 * scale, 200 * scale) - Pos(0, 0, 100 * scale) * (
        Rot(0, 90, 0) * Cylinder(bore, width)
    )
    radius = BALL_RADIUS * scale
    return Scenario(
        fixtures=[Fixture("tunnel_block", block)],
        payload=Payload.sphere(radius=radius, start=(0, 0, 100 * scale - bore + radius)),
        goal=Zone((200 * scale, -50 * scale, 0), (300 * scale, 50 * scale, 100 * scale)),
        build_zone=Zone((-350 * scale, -200 * scale, 0), (350 * scale, 200 * scale, 300 * scale)),
        bounds=Zone((-400 * scale, -300 * scale, -100 * scale), (400 * scale, 300 * scale, 400 * scale)),
    )
