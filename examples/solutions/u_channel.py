"""U-channel, solved: two rails rise from the channel's floor to the pad's top (the channel is open at its
end), a thin fin slides between the rails and pushes the ball up them, and a stop on the pad holds it.

The fin's face is vertical, so it touches the ball at the ball's centre height however high the ball
has climbed: it never slips under or over it.
"""

from build123d import Box, Plane, Polygon, Pos, extrude

from benchgen.kit import Part, Slider, Solution

CLEARANCE = 2.0  # mm between the fin and the payload's jitter envelope at t = 0
LIFT = 1.0  # mm the fin rides above the channel's floor
HOLD_GAP = 1.0  # mm of play left between the ball, the fin and the stop at the end
RAIL_WIDTH = 0.3  # ball radii
FIN_MARGIN = 0.4  # ball radii added to the fin's width beyond the ball's y jitter either way
FIN_SIDE_PLAY = 0.2  # ball radii between the fin and each rail


def solve(scenario) -> Solution:
    pad = scenario.fixture("pad").bbox
    payload = scenario.payload
    radius = payload.radius
    floor_top = payload.start[2] - radius  # the ball rests on the channel's floor
    envelope = payload.envelope()

    # The fin is wide enough to meet the ball at any y in its jitter; the ball rides on both rails.
    fin_width = 2 * payload.jitter[1] + FIN_MARGIN * radius
    rail_offset = fin_width / 2 + (FIN_SIDE_PLAY + RAIL_WIDTH / 2) * radius
    toe = envelope.max[0]  # the rails start in front of every start of the ball
    rails = [
        _wedge(toe, pad.min[0], floor_top, pad.max[2], y, RAIL_WIDTH * radius)
        for y in (-rail_offset, rail_offset)
    ]
    ramp = Part("ramp", rails[0] + rails[1], material="aluminium")

    fin_length = radius
    fin_top = pad.max[2] + 2 * radius
    front = envelope.min[0] - CLEARANCE
    fin = Slider(
        "fin",
        Pos(front - fin_length / 2, 0, (floor_top + LIFT + fin_top) / 2)
        * Box(fin_length, fin_width, fin_top - floor_top - LIFT),
        axis=(1, 0, 0),
        travel=pad.min[0] - HOLD_GAP - front,
        speed=4 * radius,
        start_time=0.2,
    )
    ball_end = pad.min[0] - HOLD_GAP + radius  # the ball's centre when the fin stops
    stop_x = ball_end + radius + HOLD_GAP + radius / 4
    stop = Part(
        "stop",
        Pos(stop_x, 0, pad.max[2] + radius) * Box(radius / 2, 3 * radius, 2 * radius),
        material="wood",
    )
    return Solution(parts=[ramp, stop], movers=[fin], horizon=10.0)


def _wedge(x0: float, x1: float, z0: float, z1: float, y: float, width: float):
    """A rail: a triangular prism rising from (x0, z0) to (x1, z1), centred on y, `width` across."""
    profile = Plane.XZ * Polygon((x0, z0), (x1, z0), (x1, z1), align=None)
    rail = extrude(profile, amount=width)
    centre_y = rail.bounding_box().center().Y
    return Pos(0, y - centre_y, 0) * rail
