"""Step climb, solved: a wedge as wide as the step rises from the floor to the step's top edge, and a pusher
sliding along the wedge's slope (its underside stays above the wedge, so it also clears the step) pushes
the puck up and onto the step, into the goal."""

import math

from build123d import Box, Plane, Polygon, Pos, extrude

from benchgen.kit import Part, Slider, Solution

CLEARANCE = 1.0  # mm between the pusher and the puck's jitter envelope at t = 0
LIFT = 0.5  # mm the pusher starts above the floor
RAMP_WIDTH = 4.0  # puck radii across y
PUSHER_WIDTH = 3.0  # puck radii across y: covers the puck's y jitter
PUSHER_HEIGHT = 2.0  # puck heights
PUSH_ONTO_STEP = 1.0  # puck radii the pusher's face ends past the step's edge
SPEED = 4.0  # puck radii per second
FORCE_IN_WEIGHTS = 20.0  # the pusher's force limit in puck weights: ample, and gentle
GRAVITY_M_S2 = 9.81


def solve(scenario) -> Solution:
    step = scenario.fixture("step").bbox
    payload = scenario.payload
    radius, height = payload.radius, payload.height
    floor_top = payload.start[2] - height / 2
    envelope = payload.envelope()

    toe = envelope.max[0]  # the wedge starts in front of every start of the puck
    profile = Plane.XZ * Polygon(
        (toe, floor_top), (step.min[0], floor_top), (step.min[0], step.max[2]), align=None
    )
    wedge = extrude(profile, amount=RAMP_WIDTH * radius)
    wedge = Pos(0, -wedge.bounding_box().center().Y, 0) * wedge
    ramp = Part("ramp", wedge, material="wood")

    front = envelope.min[0] - CLEARANCE
    # The pusher climbs as little as it can while its underside still clears the step's edge: then it
    # is as low as it can be when the puck reaches the wedge.
    slope = math.atan2(step.max[2] - floor_top, step.min[0] - front)
    run = step.min[0] + PUSH_ONTO_STEP * radius - front  # mm along x the pusher's face travels
    pusher = Slider(
        "pusher",
        Pos(front - radius / 2, 0, floor_top + LIFT + PUSHER_HEIGHT * height / 2)
        * Box(radius, PUSHER_WIDTH * radius, PUSHER_HEIGHT * height),
        axis=(math.cos(slope), 0, math.sin(slope)),
        travel=run / math.cos(slope),
        speed=SPEED * radius,
        start_time=0.2,
        force=FORCE_IN_WEIGHTS * payload.mass_kg * GRAVITY_M_S2,
    )
    return Solution(parts=[ramp], movers=[pusher], horizon=10.0)
