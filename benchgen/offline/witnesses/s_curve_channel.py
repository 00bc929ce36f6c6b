"""S-curve channel, solved: three pushers and a hinge in turn. The first pushes the payload sideways (+y)
in the first chamber, against a filler block, into row A, the row that passes the first opening; the
second pushes it along row A through the first opening to the second baffle; a thin plate that was
waiting above row A in the middle chamber pushes it down (-y) onto a filler block; a hinge's leg then
sweeps it along one arc whose lowest point is the second opening's middle and which ends at the goal's
centre, where the leg presses it against a stop.

Row A keeps clear of the first baffle's end as far as the plate's room above it allows, and a guide above
it in the middle chamber keeps a payload from drifting into the plate's way. A ball or cylinder nests in
a V-notch of the row pusher, the leg and the stop; beside the second baffle a rail keeps it from rolling
away while the plate pushes it down, and a curved rail outside the arc keeps any payload on the arc.
"""

import math

from build123d import Box, Polygon, Pos, Rot, extrude

from benchgen.kit import Hinge, Part, Slider, Solution

CLEARANCE = 0.1  # payload half widths between a pusher and the payload at the pusher's start
LIFT = 0.05  # payload half widths the pushers ride above the floor
HOLD_GAP = 0.05  # payload half widths of play between the payload and a pusher's end or a stop
BAFFLE_GAP = 0.1  # payload half widths: the least room between the payload and the first baffle's end
WALL_GAP = 0.05  # payload half widths left between a mover or filler and a channel wall
PUSHER_THICKNESS = 0.5  # payload half widths: a pusher's size along its axis
NOTCH_ANGLE_DEG = 25.0  # deg: each flank of a pusher's V-notch against its face, which centres the payload
NOTCH_SHARE = 0.6  # the largest share of a pusher's thickness its V-notch may cut away
ROW_PUSHER_HALF = 0.8  # payload half widths: half the width of the pusher through the first opening
PLATE_WALL_GAP = 0.25  # payload half widths between the thin plate and the side wall (the payload may nudge it)
PLATE_THICKNESS_MIN = 0.3  # payload half widths: the thin plate's least size along y
PLATE_LENGTH = 1.9  # payload half widths: the thin plate's length along x
LEG_HALF = 0.6  # payload half widths: half the radial width of the hinge's leg
LEG_BACK_TRIES = 8  # starts of the leg tried, each a pusher's thickness further back along the arc
RAIL_TRIES = 8  # later and later starts of the curved rail tried until it clears the fixtures
ARC_PIECES = 6  # straight blocks making up the curved rail (boxes need its chords this close)
RAIL_GAP = 0.1  # payload half widths between the payload and a rail beside its path
SPEED = 3.5  # payload half widths per second
SPEED_MAX_MM_S = 90.0  # mm/s: a large ball pushed faster rolls on too far when its pusher stops
FORCE_IN_WEIGHTS = 20.0  # the pushers' force limit in payload weights: a wedged light payload is not crushed
FORCE_MIN_N = 10.0  # N: the least force limit, for the servo to move its own motor briskly
FORCE_MAX_N = 200.0  # N: the kit's slider force limit
TORQUE_MAX_NM = 20.0  # N*m: the kit's hinge torque limit
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
    thick, speed = PUSHER_THICKNESS * w, min(SPEED * w, SPEED_MAX_MM_S)
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
    # Row A keeps as far from the baffle's end as the thin plate's room above it allows: a box that turns a
    # little on its way must not catch the baffle's corner.
    spare = opening_first - 2 * w
    plate_room = (PLATE_THICKNESS_MIN + PLATE_WALL_GAP + 2.5 * HOLD_GAP) * w
    row_a = half - opening_first + w + max(BAFFLE_GAP * w, min(spare / 2, spare - plate_room))
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
    lag = _notch_depth(payload.shape, back, ROW_PUSHER_HALF * w)  # how far back a round payload may sit

    # The last turn is one arc: its lowest point is the second opening's middle and it ends at the goal's
    # centre, so a hinge's leg sweeps the payload from the middle chamber through the opening into the goal.
    bottom = (b2 + wall / 2, right + opening_second / 2)
    target = goal.center[0], goal.center[1]
    dx, dy = target[0] - bottom[0], target[1] - bottom[1]
    radius = (dx * dx + dy * dy) / (2 * dy)
    pivot = (bottom[0], bottom[1] + radius)
    row_c = pivot[1] - math.sqrt(radius * radius - (pivot[0] - middle_x) ** 2)  # the arc at the handover

    def on_arc(angle):
        """The point of the arc at `angle` (radians) about the pivot."""
        return pivot[0] + radius * math.cos(angle), pivot[1] + radius * math.sin(angle)

    # 3. The thin plate waits above row A in the middle chamber, then pushes the payload down onto the arc.
    # Facing a ball or cylinder it has a V-notch over the handover point, so the payload comes down there.
    plate_y0 = row_a + w + 2.5 * g
    plate_y1 = half - PLATE_WALL_GAP * w
    plate_half = min(PLATE_LENGTH * w / 2, b2 - gap_wall - middle_x)
    plate_x0 = middle_x - plate_half
    slider("plate",
           Pos(middle_x, plate_y0, z_mid - tall / 2) * Rot(0, 0, -90)
           * _pusher(payload.shape, plate_y1 - plate_y0, plate_half, tall),
           (0, -1, 0), plate_y0 - (row_c + w + g))
    # Up to the plate, a guide above row A keeps the payload from drifting or turning into the plate's way.
    parts.append(_block("row_guide", b1 + wall + gap_wall, plate_x0 - gap_wall, row_a + w + g, half - gap_wall,
                        floor, floor + tall))
    parts.append(_block("middle_filler", middle_x - lag - w, b2 - gap_wall, right + gap_wall,
                        row_c - w - g, floor, floor + tall))
    # 4. The leg's face starts just behind the payload; the hinge turns until the payload's centre is at
    # the target, pressed against a stop there.
    # The leg is radial, so it leans toward the pivot: it starts far enough back along the arc to stay out
    # of the column the plate pushes the payload down.
    leg_half = LEG_HALF * w
    column = Pos(middle_x - lag / 2, (row_c + row_a) / 2, z_mid) \
        * Box(2 * w + lag + 2 * gap_wall, row_a - row_c + 2 * w, tall)
    handover_angle = math.atan2(row_c - pivot[1], middle_x - pivot[0])
    for step in range(LEG_BACK_TRIES):
        start_angle = handover_angle - (w + c + step * thick) / radius
        face = Pos(*on_arc(start_angle), z_mid - tall / 2)
        leg = face * Rot(0, 0, math.degrees(start_angle) + 90) * _pusher(payload.shape, thick, leg_half, tall)
        if not _touches(leg, column):
            break
    end_angle = math.atan2(target[1] - pivot[1], target[0] - pivot[0]) - w / radius
    turn = math.degrees(end_angle - start_angle)
    rail_y0, rail_y1 = leg.bounding_box().max.Y + 2 * gap_wall, row_a - max(1.0, ROW_PUSHER_HALF) * w - 2 * gap_wall
    if payload.shape != "box" and rail_y1 - rail_y0 > w:
        # A ball or cylinder pushed down along the second baffle rolls no further from it than this rail.
        rail_x1 = middle_x - lag - w - RAIL_GAP * w
        parts.append(_block("middle_rail", rail_x1 - thick, rail_x1, rail_y0, rail_y1, floor, floor + tall))
    turn_speed = math.degrees(speed / radius)
    movers.append(Hinge("sweep_leg", leg, pivot=(pivot[0], pivot[1], z_mid), axis=(0, 0, 1), angle=turn,
                        speed=turn_speed, start_time=clock, torque=min(TORQUE_MAX_NM, force * radius / 1000)))
    clock += turn / turn_speed + PAUSE_S
    # The stop faces the leg's last position squarely: a stop turned to the arc would pinch the payload
    # in a wedge with the leg.
    normal = (-math.sin(end_angle), math.cos(end_angle))
    reach = 2 * w - g  # the leg ends pressing the payload against the stop, so it rests there
    leg_end = on_arc(end_angle)
    stop_face = (leg_end[0] + reach * normal[0], leg_end[1] + reach * normal[1])
    parts.append(Part("goal_stop", Pos(stop_face[0], stop_face[1], floor + LIFT * w)
                      * Rot(0, 0, math.degrees(end_angle) - 90) * _pusher(payload.shape, thick, leg_half, tall),
                      material="wood"))
    # A payload tends to run straight on as the arc curves up (a ball rolls on, a box slides out): an outer
    # rail along the arc, from where it clears the fixtures up to the stop, keeps it on the arc.
    obstacles = [scenario.fixture(label).shape for label in ("side_wall_right", "baffle_second",
                                                            "end_wall_goal", "side_wall_left")]
    inner = radius + w + RAIL_GAP * w
    for step in range(RAIL_TRIES):
        first_angle = end_angle - (end_angle - handover_angle) * (1 - step / RAIL_TRIES)
        rails = _arc(pivot, inner, inner + thick, first_angle, end_angle + reach / radius, floor, tall)
        if not any(_touches(rail, f) for rail in rails for f in obstacles):
            parts += [Part(f"goal_rail_{k}", rail, material="wood") for k, rail in enumerate(rails)]
            break
    horizon = min(clock - PAUSE_S + HORIZON_MARGIN_S, HORIZON_MAX_S)
    return Solution(parts=parts, movers=movers, horizon=horizon)


def _pusher(shape: str, thick: float, half_width: float, tall: float):
    """A pusher plate facing +x with its face at x = 0, standing on z = 0. Facing a ball or cylinder, its face
    has a V-notch the payload nests in, so it cannot roll off the push line; a box gets a flat face (a box
    on the notch's rims turns and jams in the goal rails)."""
    if shape == "box":
        return Pos(-thick / 2, 0, tall / 2) * Box(thick, 2 * half_width, tall)
    depth = _notch_depth(shape, thick, half_width)
    outline = Polygon((0, -half_width), (-depth, 0), (0, half_width), (-thick, half_width), (-thick, -half_width),
                      align=None)
    return extrude(outline, amount=tall)


def _notch_depth(shape: str, thick: float, half_width: float) -> float:
    """How deep a pusher's V-notch is cut: none for a box."""
    if shape == "box":
        return 0.0
    return min(half_width * math.tan(math.radians(NOTCH_ANGLE_DEG)), NOTCH_SHARE * thick)


def _touches(shape, other) -> bool:
    """Whether two solids share volume."""
    common = shape.intersect(other)
    return common is not None and sum(piece.volume for piece in common.solids()) > 0


def _arc(centre, inner: float, outer: float, first: float, last: float, floor: float, tall: float) -> list:
    """A curved wall standing on the floor between two radii about `centre`, from angle `first` to `last`
    (radians), as ARC_PIECES straight blocks (each convex) whose inner faces are chords of the inner radius."""
    pieces = []
    step = (last - first) / ARC_PIECES
    for k in range(ARC_PIECES):
        middle = first + (k + 0.5) * step
        chord = 2 * inner * math.sin(step / 2)
        across = inner * math.cos(step / 2)  # the chord's distance from the centre
        depth = outer - inner
        pieces.append(Pos(centre[0] + (across + depth / 2) * math.cos(middle),
                          centre[1] + (across + depth / 2) * math.sin(middle), floor + tall / 2)
                      * Rot(0, 0, math.degrees(middle)) * Box(depth, chord + depth, tall))
    return pieces


def _block(label: str, x0: float, x1: float, y0: float, y1: float, z0: float, z1: float) -> Part:
    """A static box given by its extents in mm."""
    return Part(label, Pos((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2) * Box(x1 - x0, y1 - y0, z1 - z0),
                material="wood")
