"""Speed bump witness: a tent over the bump (a straight slope up from the payload's front to a peak above the
bump's crest, and one down to the floor before the goal), between guide walls. A climber sliding along the up
slope pushes the payload over the peak; a descender, waiting high above the up slope where the climbing payload
passes under it, slides down along the down slope and pushes the payload down and against a stop at the
goal's far side, which holds it in the goal's centre."""

import math

from build123d import Box, Plane, Polygon, Pos, extrude

from benchgen.kit import Part, Slider, Solution

CLEARANCE = 0.1  # payload half widths between a mover and the payload's jitter envelope at t = 0
LIFT = 0.04  # payload half widths a mover rides above the slope under it
CREST_COVER = 0.15  # payload half widths the tent's slopes pass above the bump's crest corners
PUSH_OVER_PEAK = 1.0  # payload half widths the climber's face ends past the peak
PASS_UNDER_MARGIN = 0.3  # payload half widths between the climbing payload's top and the waiting descender
PUSHER_THICKNESS = 0.8  # payload half widths along the push
PUSHER_HEIGHT = 1.3  # payload heights
CHANNEL_MARGIN = 0.3  # payload half widths between the payload's jitter envelope and a guide wall across y
WALL_THICKNESS = 0.4  # payload half widths
WALL_HEIGHT = 1.0  # payload heights above the surface the guide walls stand on
HOLD_GAP = 0.1  # payload half widths of play left between payload, descender and stop at the end
STOP_THICKNESS = 0.5  # payload half widths along the push
STOP_HEIGHT = 1.5  # payload heights
SPEED = 3.0  # payload half widths per second, both movers, unless a stroke would then last too long
MAX_STROKE_S = 7.0  # s: longest a stroke may last (the horizon is at most 30 s)
FORCE_N = 200.0  # N: the sliders' limit
START_S = 0.2  # s: the climber waits for the payload to settle
HANDOVER_S = 0.8  # s: between the end of the climb and the start of the descent
SETTLE_S = 8.0  # s: at most this long after the descent for the payload to come to rest
CREST_TOLERANCE = 1e-3  # mm: vertices this close to the bump's top belong to its crest


def _prism_xz(points: list[tuple[float, float]], width: float):
    """A solid whose x-z profile is `points`, `width` across y and centred on y = 0."""
    return extrude(Plane.XZ * Polygon(*points, align=None), amount=width / 2, both=True)


def _speed(travel: float, unit: float) -> float:
    return max(SPEED * unit, travel / MAX_STROKE_S)


def solve(scenario) -> Solution:
    bump = scenario.fixture("speed_bump")
    payload = scenario.payload
    goal = scenario.goal
    half_x, half_y, half_z = payload.half_extents
    unit = max(half_x, half_y)  # the payload's half width: every length below is a multiple of it
    height = 2 * half_z
    floor = bump.bbox.min[2]
    crest = bump.bbox.max[2]
    crest_xs = [v.X for v in bump.shape.vertices() if abs(v.Z - crest) < CREST_TOLERANCE]
    crest_x0, crest_x1 = min(crest_xs), max(crest_xs)
    envelope = payload.envelope()
    channel = envelope.size[1] + 2 * CHANNEL_MARGIN * unit  # between the guide walls
    span = channel - 2 * CLEARANCE * unit  # across the movers and the stop
    lift = LIFT * unit

    # The tent: up from the payload's front over the crest's near corner, down over its far corner to the
    # floor where the descender's face must end for the payload to sit in the goal's centre.
    cover = crest + CREST_COVER * unit
    toe = envelope.max[0]
    foot = goal.center[0] - half_x - HOLD_GAP * unit / 2
    up = (cover - floor) / (crest_x0 - toe)  # tangent of the up slope
    down = (cover - floor) / (foot - crest_x1)  # tangent of the down slope
    peak_x = (up * toe + down * foot) / (up + down)
    peak = floor + up * (peak_x - toe)
    tent_profile = [(toe, floor), (bump.bbox.min[0], floor), (crest_x0, crest), (crest_x1, crest),
                    (bump.bbox.max[0], floor), (foot, floor), (peak_x, peak)]
    tent = Part("tent", _prism_xz(tent_profile, channel), material="wood")

    # The climber's underside rises from the floor behind the payload straight to the peak.
    front = envelope.min[0] - CLEARANCE * unit
    climb_slope = math.atan2(peak - floor, peak_x - front)
    pusher_height = PUSHER_HEIGHT * height
    climb_shape = Pos(front - PUSHER_THICKNESS * unit / 2, 0, floor + lift + pusher_height / 2) * Box(
        PUSHER_THICKNESS * unit, span, pusher_height
    )
    climb_travel = (peak_x + PUSH_OVER_PEAK * unit - front) / math.cos(climb_slope)
    climb_speed = _speed(climb_travel, unit)
    climber = Slider(
        "climber", climb_shape, axis=(math.cos(climb_slope), 0, math.sin(climb_slope)), travel=climb_travel,
        speed=climb_speed, start_time=START_S, force=FORCE_N,
    )

    # The descender's underside runs `lift` above the down slope, extended back and up over the up slope; it
    # waits where the climbing payload passes under it, and above the payload's start.
    def descent_line(x: float) -> float:
        return floor + lift + down * (foot - x)

    reach = height + 2 * unit * math.sin(math.atan(up)) + 2 * envelope.size[0] * up
    wait_x = peak_x - (reach + PASS_UNDER_MARGIN * unit) / (up + down)
    wait_x = min(wait_x, foot - (envelope.max[2] + CLEARANCE * unit - floor - lift) / down)
    thickness = PUSHER_THICKNESS * unit
    wait_x = max(wait_x, scenario.build_zone.min[0] + thickness + CLEARANCE * unit)
    rise = thickness * down  # the underside is parallel to the slope: its back end is this much higher
    descender_profile = [(wait_x, descent_line(wait_x)), (wait_x, descent_line(wait_x) + pusher_height),
                         (wait_x - thickness, descent_line(wait_x) + rise + pusher_height),
                         (wait_x - thickness, descent_line(wait_x) + rise)]
    descend_slope = math.atan(down)
    descend_travel = (foot - wait_x) / math.cos(descend_slope)
    descend_speed = _speed(descend_travel, unit)
    descend_start = START_S + climb_travel / climb_speed + HANDOVER_S
    descender = Slider(
        "descender", _prism_xz(descender_profile, span), axis=(math.cos(descend_slope), 0, -math.sin(descend_slope)),
        travel=descend_travel, speed=descend_speed, start_time=descend_start, force=FORCE_N,
    )

    stop_face = goal.center[0] + half_x + HOLD_GAP * unit / 2
    stop_end = stop_face + STOP_THICKNESS * unit
    stop = Part(
        "stop", Pos((stop_face + stop_end) / 2, 0, floor + STOP_HEIGHT * height / 2)
        * Box(STOP_THICKNESS * unit, span, STOP_HEIGHT * height), material="wood",
    )

    # Guide walls on both sides from behind the climber, over the tent and along the floor to the stop.
    wall_height = WALL_HEIGHT * height
    back = front - PUSHER_THICKNESS * unit
    path = [(back, floor), (toe, floor), (peak_x, peak), (foot, floor), (stop_end, floor)]
    wall_profile = path + [(x, z + wall_height) for x, z in reversed(path)]
    wall_offset = (channel + WALL_THICKNESS * unit) / 2
    walls = [
        Part(f"guide_{side}", Pos(0, sign * wall_offset, 0) * _prism_xz(wall_profile, WALL_THICKNESS * unit),
             material="glass")
        for side, sign in (("left", 1), ("right", -1))
    ]
    horizon = descend_start + descend_travel / descend_speed + SETTLE_S
    return Solution(parts=[tent, stop, *walls], movers=[climber, descender], horizon=horizon)
