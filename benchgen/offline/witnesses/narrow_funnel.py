"""Narrow funnel, solved: a pusher narrower than the funnel's mouth slides straight along +x through the
funnel and pushes the payload past the mouth into the goal, where a stop across the goal holds it.

The pusher runs on the funnel's centre line; it is narrower than the mouth, so it never touches the
converging walls, and wider than the payload's y jitter, so it meets the payload from every start.
"""

from build123d import Box, Pos

from benchgen.kit import Part, Slider, Solution

CLEARANCE = 0.1  # payload half widths between the pusher and the payload's jitter envelope at t = 0
LIFT = 0.05  # payload half widths the pusher rides above the floor
WALL_PLAY = 0.1  # payload half widths between the pusher's side and the funnel's mouth, each side
HOLD_GAP = 0.05  # payload half widths of play between the payload, the pusher and the stop at the end
PUSHER_LENGTH = 1.0  # payload half widths: the pusher's length along x
STOP_LENGTH = 0.5  # payload half widths: the stop's thickness along x
HEIGHT_RATIO = 1.0  # the pusher's and the stop's height over the payload's height
SPEED = 5.0  # payload half widths per second
FORCE_N = 200.0  # N: the slider force limit, enough for the heaviest payload's friction
START_S = 0.2  # s: the pusher starts once the payload has settled
HORIZON_MARGIN_S = 4.0  # s: simulated time after the push ends


def solve(scenario) -> Solution:
    payload = scenario.payload
    half = payload.half_extents
    width = half[0]  # the payload's half width (radius, or half the box edge)
    height = 2 * half[2]
    floor_top = scenario.fixture("base_plate").bbox.max[2]
    mouth_half = min(scenario.fixture("funnel_left").bbox.min[1], -scenario.fixture("funnel_right").bbox.max[1])
    envelope = payload.envelope()
    goal = scenario.goal
    goal_x = goal.center[0]

    pusher_width = 2 * (mouth_half - WALL_PLAY * width)
    front = envelope.min[0] - CLEARANCE * width
    length = PUSHER_LENGTH * width
    pusher_height = HEIGHT_RATIO * height
    end_front = goal_x - width - HOLD_GAP * width
    travel = end_front - front
    speed = SPEED * width
    pusher = Slider(
        "pusher",
        Pos(front - length / 2, goal.center[1], floor_top + LIFT * width + pusher_height / 2)
        * Box(length, pusher_width, pusher_height),
        axis=(1, 0, 0),
        travel=travel,
        speed=speed,
        start_time=START_S,
        force=FORCE_N,
    )
    stop_length = STOP_LENGTH * width
    stop_x = goal_x + width + HOLD_GAP * width + stop_length / 2
    stop = Part(
        "stop",
        Pos(stop_x, goal.center[1], floor_top + height * HEIGHT_RATIO / 2)
        * Box(stop_length, goal.size[1], height * HEIGHT_RATIO),
        material="wood",
    )
    horizon = START_S + travel / speed + HORIZON_MARGIN_S
    return Solution(parts=[stop], movers=[pusher], horizon=horizon)
