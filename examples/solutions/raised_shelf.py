"""Raised shelf, solved: a wedge rises from the floor to the shelf's top edge, and a pusher sliding up just
above it (as low as still clears the shelf's edge) pushes the block up and onto the shelf, into the goal; a stop at the goal's far end catches it."""

import math

from build123d import Box, Plane, Polygon, Pos, extrude

from benchgen.kit import Part, Slider, Solution

CLEARANCE = 1.0  # mm between the pusher and the block's jitter envelope at t = 0
LIFT = 0.5  # mm the pusher starts above the floor
RAMP_MARGIN = 10.0  # mm the wedge is wider than the block's jitter envelope on each side
PUSHER_HEIGHT = 2.0  # block heights
PUSH_ONTO_SHELF = 1.0  # block lengths the pusher's face ends past the shelf's edge
SPEED_MM_S = 80.0  # mm/s at every scale: a heavy block is not thrown over the shelf's edge
FORCE_IN_WEIGHTS = 20.0  # the pusher's force limit in block weights: enough for the slope, and gentle
GRAVITY_M_S2 = 9.81
STOP_THICKNESS = 10.0  # mm: a stop at the goal's far end catches a block that comes over the edge fast
STOP_HEIGHT = 3.0  # block heights


def solve(scenario) -> Solution:
    shelf = scenario.fixture("shelf").bbox
    payload = scenario.payload
    length, _, height = payload.size
    floor_top = payload.start[2] - height / 2
    envelope = payload.envelope()

    toe = envelope.max[0]  # the wedge starts in front of every start of the block
    profile = Plane.XZ * Polygon(
        (toe, floor_top), (shelf.min[0], floor_top), (shelf.min[0], shelf.max[2]), align=None
    )
    wedge = extrude(profile, amount=envelope.size[1] + 2 * RAMP_MARGIN)
    wedge = Pos(0, -wedge.bounding_box().center().Y, 0) * wedge
    ramp = Part("ramp", wedge, material="wood")

    front = envelope.min[0] - CLEARANCE
    slope = math.atan2(shelf.max[2] - floor_top, shelf.min[0] - front)
    run = shelf.min[0] + PUSH_ONTO_SHELF * length - front  # mm along x the pusher's face travels
    pusher = Slider(
        "pusher",
        Pos(front - length / 4, 0, floor_top + LIFT + PUSHER_HEIGHT * height / 2)
        * Box(length / 2, envelope.size[1] + RAMP_MARGIN, PUSHER_HEIGHT * height),
        axis=(math.cos(slope), 0, math.sin(slope)),
        travel=run / math.cos(slope),
        speed=SPEED_MM_S,
        start_time=0.2,
        force=FORCE_IN_WEIGHTS * payload.mass_kg * GRAVITY_M_S2,
    )
    goal = scenario.goal
    stop = Part(
        "stop",
        Pos(goal.max[0] - STOP_THICKNESS / 2, 0, shelf.max[2] + STOP_HEIGHT * height / 2)
        * Box(STOP_THICKNESS, goal.size[1], STOP_HEIGHT * height),
        material="rubber",
    )
    return Solution(parts=[ramp, stop], movers=[pusher], horizon=20.0)
