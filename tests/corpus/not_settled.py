"""NOT_SETTLED: the ball rests on a long ramp tilted by 1.5 degrees and is still rolling after the settle time."""

import math
import random

from build123d import Box, Pos, Rot

from benchgen.kit import Fixture, Payload, Scenario, Zone

RAMP_LENGTH = 900  # mm
TILT_DEG = 1.5  # degrees: gentle enough that the ball is still on the ramp at the end


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    width = rng.uniform(180, 220) * scale
    tilt = math.radians(TILT_DEG)
    ramp = Fixture(
        "ramp", Pos(0, 0, 100 * scale) * (Rot(0, -TILT_DEG, 0) * Box(RAMP_LENGTH * scale, width, 20 * scale))
    )
    radius = 20 * scale
    x = 350 * scale  # near the high end
    top_z = 100 * scale + x * math.tan(tilt) + 10 * scale / math.cos(tilt)
    return Scenario(
        fixtures=[ramp],
        payload=Payload.sphere(radius=radius, start=(x, 0, top_z + radius / math.cos(tilt) + 0.5 * scale)),
        goal=Zone((-600 * scale, -50 * scale, 200 * scale), (-500 * scale, 50 * scale, 300 * scale)),
        build_zone=Zone((-650 * scale, -200 * scale, 0), (650 * scale, 200 * scale, 350 * scale)),
        bounds=Zone((-700 * scale, -300 * scale, -100 * scale), (700 * scale, 300 * scale, 400 * scale)),
    )
