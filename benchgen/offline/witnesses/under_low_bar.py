"""Under a low bar, solved: a low pusher on a Slider shoves the payload along the floor plate, under the
bar between its posts, and stops with the payload's centre on the goal's centre, pinned against a low
stop standing just beyond it (a ball would otherwise roll on).

Every size is taken from the scene: the floor from `base_plate`, the room under the bar from `low_bar`,
the corridor from the posts, the stroke from the goal and the payload's jitter envelope.
"""

from build123d import Box, Pos

from benchgen.kit import Part, Slider, Solution

GAP_RATIO = 0.05  # payload half widths: clearance between the pusher and the payload's envelope at t = 0
LIFT_RATIO = 0.05  # payload half widths: the pusher and the stop ride this far above the floor
BAR_PLAY_RATIO = 0.1  # payload half widths kept free between the pusher and the bar or the posts
PIN_GAP_RATIO = 0.05  # payload half widths of play between the payload and the pusher or stop at the end
STOP_THICKNESS_RATIO = 0.3  # payload half widths: the stop's thickness along the path
PUSHER_LENGTH_RATIO = 0.8  # payload half widths: the pusher's length along the path
STROKE_TIME_S = 5.0  # s the push takes, whatever the scale
START_TIME_S = 0.3  # s: the pusher starts once the payload has settled on the floor
SETTLE_TIME_S = 8.0  # s after the stroke to come to rest (a ball pinned at the stop spins down slowly)
SLIDER_FORCE_N = 200.0  # N: the kit's strongest motor, enough to slide a steel box at scale 2
MAX_SPEED_MM_S = 1000.0  # mm/s: the kit's speed limit


def solve(scenario) -> Solution:
    floor = scenario.fixture("base_plate").bbox.max[2]
    bar_bottom = scenario.fixture("low_bar").bbox.min[2]
    corridor_lo = scenario.fixture("post_right").bbox.max[1]
    corridor_hi = scenario.fixture("post_left").bbox.min[1]
    payload = scenario.payload
    half_x, _half_y, half_z = payload.half_extents
    envelope = payload.envelope()
    goal = scenario.goal
    unit = half_x  # every gap scales with the payload

    lift = LIFT_RATIO * unit
    play = BAR_PLAY_RATIO * unit
    height = min(2 * half_z, bar_bottom - floor - lift - play)
    corridor_y = (corridor_lo + corridor_hi) / 2
    width = min(envelope.size[1], corridor_hi - corridor_lo - 2 * play)
    length = PUSHER_LENGTH_RATIO * unit
    face = envelope.min[0] - GAP_RATIO * unit
    end_face = goal.center[0] - half_x - PIN_GAP_RATIO * unit
    travel = end_face - face
    speed = min(travel / STROKE_TIME_S, MAX_SPEED_MM_S)
    pusher = Slider(
        "pusher",
        Pos(face - length / 2, corridor_y, floor + lift + height / 2) * Box(length, width, height),
        axis=(1, 0, 0),
        travel=travel,
        speed=speed,
        start_time=START_TIME_S,
        force=SLIDER_FORCE_N,
    )
    thickness = STOP_THICKNESS_RATIO * unit
    stop_x = goal.center[0] + half_x + PIN_GAP_RATIO * unit + thickness / 2
    stop = Part(
        "stop",
        Pos(stop_x, goal.center[1], floor + lift + half_z) * Box(thickness, goal.size[1], 2 * half_z),
    )
    horizon = START_TIME_S + travel / speed + SETTLE_TIME_S
    return Solution(parts=[stop], movers=[pusher], horizon=horizon)
