"""S-curve channel, solved: four pushers in turn. The first pushes the payload sideways (+y) in the first
chamber, against a filler block, into the row that passes the first opening beside the baffle's end; the
second pushes it along that row through the first opening to the second baffle; a thin plate that was
waiting above that row in the middle chamber pushes it down (-y) to a filler block; the fourth pushes it
on a straight, slightly rising line through the second opening into a pocket in the goal.

The row through the first opening hugs the baffle's end, which leaves a sliver between the payload and
the side wall for the thin plate; the last line runs from the middle chamber through the middle of the
second opening to the goal (level when the opening's middle already lies inside the goal). A ball or
cylinder nests in a V-notch of the row and line pushers and runs between rails from the second opening to
the pocket, so it cannot roll off the line; a box gets flat pushers and the pocket alone.
"""

import math

from build123d import Box, Polygon, Pos, Rot, extrude

from benchgen.kit import Part, Slider, Solution

CLEARANCE = 0.1  # payload half widths between a pusher and the payload at the pusher's start
LIFT = 0.05  # payload half widths the pushers ride above the floor
HOLD_GAP = 0.05  # payload half widths of play between the payload and a pusher's end or a stop
BAFFLE_GAP = 0.1  # payload half widths between the payload and the first baffle's end in the first opening
WALL_GAP = 0.05  # payload half widths left between a mover or filler and a channel wall
PUSHER_THICKNESS = 0.5  # payload half widths: a pusher's size along its axis
NOTCH_ANGLE_DEG = 25.0  # deg: each flank of a pusher's V-notch against its face, which centres the payload
NOTCH_SHARE = 0.6  # the largest share of a pusher's thickness its V-notch may cut away
ROW_PUSHER_HALF = 0.8  # payload half widths: half the width of the pusher through the first opening
PLATE_WALL_GAP = 0.25  # payload half widths between the thin plate and the side wall (the payload may nudge it)
PLATE_LENGTH = 1.9  # payload half widths: the thin plate's length along x
LINE_PUSHER_HALF = 0.6  # payload half widths: half the width of the last pusher
LINE_FIT_ROUNDS = 3  # fixed-point rounds fitting row C to the last pusher's tilt
GOAL_INSET = 1.0  # payload half widths the last line's end lies inside the goal's -y edge
FILLER_HALF = 0.3  # payload half widths: half the length along x of the filler under the middle-chamber stop
POCKET_PLAY = 0.25  # payload half widths between a box or cylinder and each cheek of the goal pocket
SPHERE_POCKET_PLAY = 0.05  # payload half widths between a sphere and each cheek (it cannot roll to and fro)
RAIL_TRIES = 8  # shorter and shorter goal rails tried until one clears the fixtures
SPEED = 3.5  # payload half widths per second
FORCE_IN_WEIGHTS = 20.0  # the pushers' force limit in payload weights: a wedged light payload is not crushed
FORCE_MIN_N = 10.0  # N: the least force limit, for the servo to move its own motor briskly
FORCE_MAX_N = 200.0  # N: the kit's slider force limit
GRAVITY_M_S2 = 9.81
START_S = 0.2  # s: the first pusher starts once the payload has settled
PAUSE_S = 0.5  # s between one pusher's end and the next one's start
HORIZON_MARGIN_S = 20.0  # s: simulated time after the last push ends
HORIZON_MAX_S = 30.0  # s: the longest horizon the solution limits allow


def solve(scenario) -> Solution:
    payload = scenario.payload
    w = payload.half_extents[0]  # the payload's half width (radius, or half the box edge)
    tall = 2 * payload.half_extents[2]
    floor = scenario.fixture("base_plate").bbox.max[2]
    half = scenario.fixture("side_wall_left").bbox.min[1]
    right = scenario.fixture("side_wall_right").bbox.max[1]  # -half
    first = scenario.fixture("baffle_first").bbox
    second = scenario.fixture("baffle_second").bbox
    ch1_x0 = scenario.fixture("end_wall_start").bbox.max[0]
    b1, b2, wall = first.min[0], second.min[0], first.max[0] - first.min[0]
    opening_first = half - first.max[1]
    opening_second = second.min[1] - right
    envelope = payload.envelope()
    goal = scenario.goal
    g, c, gap_wall = HOLD_GAP * w, CLEARANCE * w, WALL_GAP * w
    thick, speed = PUSHER_THICKNESS * w, SPEED * w
    z_mid = floor + LIFT * w + tall / 2
    force = min(FORCE_MAX_N, max(FORCE_MIN_N, FORCE_IN_WEIGHTS * payload.mass_kg * GRAVITY_M_S2))
    parts, movers = [], []
    clock = START_S

    def slider(label, shape, axis, travel):
        nonlocal clock
        mover = Slider(label, shape, axis=axis, travel=travel, speed=speed, start_time=clock, force=force)
        clock += travel / speed + PAUSE_S
        movers.append(mover)
        return mover

    # 1. Sideways in the first chamber into row A, the row through the first opening beside the baffle.
    row_a = half - opening_first + w + BAFFLE_GAP * w
    face = envelope.min[1] - c
    back = min(thick, face - right - gap_wall)
    slider("side_pusher",
           Pos(payload.start[0], face - back / 2, z_mid) * Box(2 * (payload.jitter[0] + w), back, tall),
           (0, 1, 0), row_a - w - g - face)
    filler_y0 = row_a + w + g
    parts.append(_block("row_filler", ch1_x0 + gap_wall, b1 - gap_wall, filler_y0, half - gap_wall,
                        floor, floor + tall))

    # 2. Along row A through the first opening, to the second baffle.
    face = envelope.min[0] - c
    back = min(thick, face - ch1_x0 - gap_wall)
    slider("row_pusher",
           Pos(face, row_a, z_mid - tall / 2) * _pusher(payload.shape, back, ROW_PUSHER_HALF * w, tall),
           (1, 0, 0), b2 - 2 * w - g - face)
    middle_x = b2 - w - g  # the payload's centre against the second baffle

    # 4's line: from the middle chamber through the middle of the second opening to the goal.
    slot = (b2 + wall / 2, right + opening_second / 2)
    target_y = min(max(slot[1], goal.min[1] + GOAL_INSET * w), goal.center[1])
    target = (goal.center[0], target_y)
    tan = (target[1] - slot[1]) / (target[0] - slot[0])
    row_c = max(slot[1] - tan * (slot[0] - middle_x), right + w + g)
    for _ in range(LINE_FIT_ROUNDS):  # raise row C until the tilted last pusher clears the side wall
        run = math.hypot(target[0] - middle_x, target[1] - row_c)
        ux, uy = (target[0] - middle_x) / run, (target[1] - row_c) / run
        row_c = max(row_c, right + gap_wall + LINE_PUSHER_HALF * w * ux + (w + c + thick) * uy)

    # 3. The thin plate waits above row A in the middle chamber, then pushes the payload down to row C.
    plate_y0 = row_a + w + 2.5 * g
    plate_y1 = half - PLATE_WALL_GAP * w
    plate_x0, plate_x1 = b2 - PLATE_LENGTH * w, b2 - gap_wall
    slider("plate",
           Pos((plate_x0 + plate_x1) / 2, (plate_y0 + plate_y1) / 2, z_mid)
           * Box(plate_x1 - plate_x0, plate_y1 - plate_y0, tall),
           (0, -1, 0), plate_y0 - (row_c + w + g))
    if row_c - w - g > right + gap_wall:
        parts.append(_block("middle_filler", middle_x - FILLER_HALF * w, b2 - gap_wall, right + gap_wall,
                            row_c - w - g, floor, floor + tall))

    # 4. Along the line through the second opening into the goal pocket.
    dx, dy = target[0] - middle_x, target[1] - row_c
    run = math.hypot(dx, dy)
    ux, uy = dx / run, dy / run
    angle = math.degrees(math.atan2(dy, dx))
    start_face = (middle_x - (w + c) * ux, row_c - (w + c) * uy)
    slider("line_pusher",
           Pos(start_face[0], start_face[1], z_mid - tall / 2) * Rot(0, 0, angle)
           * _pusher(payload.shape, thick, LINE_PUSHER_HALF * w, tall),
           (ux, uy, 0), run + c - w - g)
    play = (SPHERE_POCKET_PLAY if payload.shape == "sphere" else POCKET_PLAY) * w
    place = Pos(target[0], target[1], floor + tall / 2) * Rot(0, 0, angle)
    parts.append(Part("goal_pocket", place * Pos(w + g + thick / 2, 0, 0) * Box(thick, 2 * (w + play + thick), tall),
                      material="wood"))
    # Rails along the line from the second opening's exit to the pocket: a round payload running ahead of
    # the pusher (a rolling ball keeps its speed) stays on the line and ends in the pocket. A box slides to
    # a stop on its own and would turn and jam between rails, so it gets the pocket's short cheeks only.
    obstacles = [scenario.fixture(label).shape for label in ("side_wall_left", "side_wall_right",
                                                            "baffle_second", "end_wall_goal")]
    longest = max((target[0] - (b2 + wall)) / ux, 0.0) if payload.shape != "box" else 0.0
    # The rails stay in the last chamber, clear of the middle chamber's movers.
    obstacles.append(Pos(b2 + wall - half, 0, floor + tall / 2) * Box(2 * half, 4 * half, tall))
    for side in (-1, 1):
        for step in range(RAIL_TRIES, -1, -1):
            back = -longest * step / RAIL_TRIES
            length = w + g - back
            rail = place * Pos((w + g + back) / 2, side * (w + play + thick / 2), 0)
            if step == 0 or not any(_touches(rail * Box(length + 2 * gap_wall, thick + 2 * gap_wall, tall), f)
                                    for f in obstacles):
                parts.append(Part(f"goal_rail_{'left' if side > 0 else 'right'}", rail * Box(length, thick, tall),
                                  material="wood"))
                break
    horizon = min(clock - PAUSE_S + HORIZON_MARGIN_S, HORIZON_MAX_S)
    return Solution(parts=parts, movers=movers, horizon=horizon)


def _pusher(shape: str, thick: float, half_width: float, tall: float):
    """A pusher plate facing +x with its face at x = 0, standing on z = 0. Facing a ball or cylinder, its face
    has a V-notch the payload nests in, so it cannot roll off the push line; a box gets a flat face (a box
    on the notch's rims turns and jams in the goal rails)."""
    if shape == "box":
        return Pos(-thick / 2, 0, tall / 2) * Box(thick, 2 * half_width, tall)
    depth = min(half_width * math.tan(math.radians(NOTCH_ANGLE_DEG)), NOTCH_SHARE * thick)
    outline = Polygon((0, -half_width), (-depth, 0), (0, half_width), (-thick, half_width), (-thick, -half_width),
                      align=None)
    return extrude(outline, amount=tall)


def _touches(shape, fixture) -> bool:
    """Whether two solids share volume."""
    common = shape.intersect(fixture)
    return common is not None and sum(piece.volume for piece in common.solids()) > 0


def _block(label: str, x0: float, x1: float, y0: float, y1: float, z0: float, z1: float) -> Part:
    """A static box given by its extents in mm."""
    return Part(label, Pos((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2) * Box(x1 - x0, y1 - y0, z1 - z0),
                material="wood")
