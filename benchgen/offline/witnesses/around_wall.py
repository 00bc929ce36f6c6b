"""Around a wall, solved: three pushers in turn. The first pushes the payload sideways (+y) into a lane
on the free floor beyond the wall's end, against a guide rail; the second pushes it along the lane (+x)
past the wall to a stop level with the goal; the third pushes it back (-y) into the goal, against a
stop on the goal's far side. Rails guide the payload on both sides of the lane and of the way back,
so a rolling sphere cannot drift toward the wall's shadow.

The lane lies midway across the free floor beyond the wall's end, so the payload passes the wall's end
and its forbidden shadow with room to spare on both sides.
"""

from build123d import Box, Pos

from benchgen.kit import Part, Slider, Solution

CLEARANCE = 0.1  # payload half widths between a pusher and the payload's jitter envelope at t = 0
LIFT = 0.05  # payload half widths the pushers ride above the floor
HOLD_GAP = 0.05  # payload half widths of play between the payload and a pusher's end or a stop
PUSHER_THICKNESS = 0.6  # payload half widths: a pusher's size along its axis
LANE_PUSHER_WIDTH = 1.8  # payload half widths: the lane pusher's width across the lane
POCKET_PLAY = 0.25  # payload half widths between a box or cylinder and each cheek of the goal pocket (no pinch)
SPHERE_POCKET_PLAY = 0.05  # payload half widths between a sphere and each cheek (it cannot roll to and fro)
SPHERE_PRESS = 0.05  # payload half widths the back pusher presses a sphere into the pocket (friction stops its spin)
STOP_THICKNESS = 0.5  # payload half widths: a stop's or rail's thickness
LOWER_RAIL_SETBACK = 0.5  # payload half widths between the side pusher's end and the lower rail (a box may slew)
LOWER_RAIL_DROP = 0.15  # payload half widths the lower rail's top lies below the side pusher's end (no snag)
LOWER_RAIL_FLOOR = 0.1  # payload half widths: the least room left between the lower rail and the wall's end
HEIGHT_RATIO = 1.0  # a pusher's, stop's or rail's height over the payload's height
SPEED = 5.0  # payload half widths per second
FORCE_IN_WEIGHTS = 20.0  # the pushers' force limit in payload weights: a wedged light payload is not crushed
FORCE_MIN_N = 10.0  # N: the least force limit, for the servo to move its own motor briskly
FORCE_MAX_N = 200.0  # N: the kit's slider force limit
GRAVITY_M_S2 = 9.81
START_S = 0.2  # s: the first pusher starts once the payload has settled
PAUSE_S = 0.5  # s between one pusher's end and the next one's start
HORIZON_MARGIN_S = 6.0  # s: simulated time after the last push ends


def solve(scenario) -> Solution:
    payload = scenario.payload
    half = payload.half_extents
    w = half[0]  # the payload's half width (radius, or half the box edge)
    height = HEIGHT_RATIO * 2 * half[2]
    floor_top = scenario.fixture("base_plate").bbox.max[2]
    plate = scenario.fixture("base_plate").bbox
    wall = scenario.fixture("wall").bbox
    envelope = payload.envelope()
    goal = scenario.goal
    goal_x, goal_y = goal.center[0], goal.center[1]
    z_mid = floor_top + LIFT * w + height / 2
    gap, thick, speed = HOLD_GAP * w, PUSHER_THICKNESS * w, SPEED * w
    stop_thick = STOP_THICKNESS * w
    force = min(FORCE_MAX_N, max(FORCE_MIN_N, FORCE_IN_WEIGHTS * payload.mass_kg * GRAVITY_M_S2))

    # The lane: midway across the free floor between the wall's end and the plate's +y edge.
    lane_y = (wall.max[1] + plate.max[1]) / 2
    parts = []
    movers = []

    # 1. Sideways into the lane, against the lane's guide rail.
    side_face = envelope.min[1] - CLEARANCE * w
    side_width = 2 * (payload.jitter[0] + w)
    side_travel = lane_y - w - gap - side_face
    side = Slider(
        "side_pusher",
        Pos(payload.start[0], side_face - thick / 2, z_mid) * Box(side_width, thick, height),
        axis=(0, 1, 0),
        travel=side_travel,
        speed=speed,
        start_time=START_S,
        force=force,
    )
    movers.append(side)
    side_end = START_S + side_travel / speed

    # 3's pusher occupies x from its back edge: the rail ends before it.
    back_x = goal_x - w + gap
    rail_y = lane_y + w + gap + stop_thick / 2
    rail_x0 = envelope.min[0] - w
    parts.append(
        Part(
            "lane_rail",
            Pos((rail_x0 + back_x - gap) / 2, rail_y, floor_top + height / 2)
            * Box(back_x - gap - rail_x0, stop_thick, height),
            material="wood",
        )
    )

    # The lower rail: from beyond the side pusher along the lane's -y side, then down the way back to the
    # goal pocket's -x cheek, so the payload is guided on both sides until it is in the pocket.
    play = (SPHERE_POCKET_PLAY if payload.shape == "sphere" else POCKET_PLAY) * w
    lower_top = lane_y - w - gap - LOWER_RAIL_DROP * w
    lower_thick = min(stop_thick, lower_top - wall.max[1] - LOWER_RAIL_FLOOR * w)
    guide_x1 = goal_x - w - play  # the inner face of the way back's -x guide, flush with the pocket's cheek
    lower_x0 = payload.start[0] + side_width / 2 + LOWER_RAIL_SETBACK * w
    lower_x1 = guide_x1 - stop_thick
    parts.append(
        Part(
            "lower_rail",
            Pos((lower_x0 + lower_x1) / 2, lower_top - lower_thick / 2, floor_top + height / 2)
            * Box(lower_x1 - lower_x0, lower_thick, height),
            material="wood",
        )
    )
    guide_y0 = goal_y
    parts.append(
        Part(
            "back_guide",
            Pos(guide_x1 - stop_thick / 2, (guide_y0 + lower_top) / 2, floor_top + height / 2)
            * Box(stop_thick, lower_top - guide_y0, height),
            material="wood",
        )
    )

    # 2. Along the lane past the wall, to a stop level with the goal.
    lane_face = envelope.min[0] - CLEARANCE * w
    lane_travel = goal_x - w - gap - lane_face
    lane = Slider(
        "lane_pusher",
        Pos(lane_face - thick / 2, lane_y, z_mid) * Box(thick, LANE_PUSHER_WIDTH * w, height),
        axis=(1, 0, 0),
        travel=lane_travel,
        speed=speed,
        start_time=side_end + PAUSE_S,
        force=force,
    )
    movers.append(lane)
    lane_end = lane.start_time + lane_travel / speed
    stop_y0 = goal_y - w - gap - stop_thick
    stop_y1 = rail_y + stop_thick / 2
    stop_x = goal_x + w + gap + stop_thick / 2
    parts.append(
        Part(
            "end_stop",
            Pos(stop_x, (stop_y0 + stop_y1) / 2, floor_top + height / 2) * Box(stop_thick, stop_y1 - stop_y0, height),
            material="wood",
        )
    )

    # 3. Back across into the goal, against a stop on the goal's far side.
    back_face = lane_y + w + gap
    back_front = goal_x + w + gap / 2
    back_end = goal_y + w + gap if payload.shape != "sphere" else goal_y + w - gap - SPHERE_PRESS * w
    back_travel = back_face - back_end
    back = Slider(
        "back_pusher",
        Pos((back_x + back_front) / 2, back_face + thick / 2, z_mid) * Box(back_front - back_x, thick, height),
        axis=(0, -1, 0),
        travel=back_travel,
        speed=speed,
        start_time=lane_end + PAUSE_S,
        force=force,
    )
    movers.append(back)
    # The goal stop is a pocket: a back across the goal and a cheek either side up to the goal's centre
    # line, so a rolling sphere pressed into it cannot roll off along x.
    back_y = goal_y - w - gap - stop_thick / 2
    cheek = w + play + stop_thick / 2  # from the goal's centre line to a cheek's middle
    pocket = Pos(goal_x, back_y, floor_top + height / 2) * Box(2 * cheek + stop_thick, stop_thick, height)
    for side in (-1, 1):
        cheek_x = goal_x + side * cheek
        pocket += Pos(cheek_x, (back_y + goal_y) / 2, floor_top + height / 2) * Box(stop_thick, goal_y - back_y, height)
    parts.append(Part("goal_pocket", pocket, material="wood"))
    horizon = back.start_time + back_travel / speed + HORIZON_MARGIN_S
    return Solution(parts=parts, movers=movers, horizon=horizon)
