"""Ramp climb witness: a wedge from the payload's front to the platform's edge covers the family's ramp; a
pusher sliding along the wedge's slope pushes the payload up onto the platform; a second pusher, waiting
above the slope where the climbing payload passes under it, then pushes the payload across the platform
against a stop at the goal's far side, which holds it in the goal's centre."""

import math

from build123d import Box, Plane, Polygon, Pos, extrude

from benchgen.kit import Part, Slider, Solution

CLEARANCE = 0.1  # payload half widths between a pusher and the payload's jitter envelope at t = 0
LIFT = 0.04  # payload half widths a pusher rides above the surface under it
CHANNEL_MARGIN = 0.3  # payload half widths between the payload's jitter envelope and a guide wall across y
WALL_THICKNESS = 0.4  # payload half widths
WALL_HEIGHT = 1.0  # payload heights above the surface the guide walls stand on
PUSHER_THICKNESS = 0.8  # payload half widths along the push
PUSHER_HEIGHT = 1.3  # payload heights
PUSH_ONTO_PLATFORM = 1.0  # payload half widths the climbing pusher's face ends past the platform's edge
PASS_UNDER_MARGIN = 0.3  # payload half widths between the climbing payload's top and the waiting pusher
HOLD_GAP = 0.1  # payload half widths of play left between payload, pusher and stop at the end
STOP_THICKNESS = 0.5  # payload half widths along the push
STOP_HEIGHT = 1.5  # payload heights
SPEED = 3.0  # payload half widths per second, both pushers, unless a stroke would then last too long
MAX_STROKE_S = 7.0  # s: longest a pusher's stroke may last (the horizon is at most 30 s)
FORCE_N = 200.0  # N: the sliders' limit
START_S = 0.2  # s: the first pusher waits for the payload to settle
HANDOVER_S = 0.8  # s: between the end of the climb and the start of the push across the platform
SETTLE_S = 8.0  # s: at most this long after the last push for the payload to come to rest
EDGE_TOLERANCE = 1e-3  # mm: vertices this close to the platform's top belong to it


def _prism_xz(points: list[tuple[float, float]], width: float):
    """A solid whose x-z profile is `points`, `width` across y and centred on y = 0."""
    return extrude(Plane.XZ * Polygon(*points, align=None), amount=width / 2, both=True)


def solve(scenario) -> Solution:
    plate = scenario.fixture("base_plate").bbox
    ramp = scenario.fixture("ramp_platform")
    payload = scenario.payload
    goal = scenario.goal
    half_x, half_y, half_z = payload.half_extents
    unit = max(half_x, half_y)  # the payload's half width: every length below is a multiple of it
    height = 2 * half_z
    floor = plate.max[2]
    top = ramp.bbox.max[2]
    foot = ramp.bbox.min[0]
    edge = min(v.X for v in ramp.shape.vertices() if abs(v.Z - top) < EDGE_TOLERANCE)
    envelope = payload.envelope()
    channel = envelope.size[1] + 2 * CHANNEL_MARGIN * unit  # between the guide walls, which keep the payload
    span = channel - 2 * CLEARANCE * unit  # across the pushers and the stop: they run between the walls

    # The wedge rises from the payload's front straight to the platform's edge, over the family's ramp.
    toe = envelope.max[0]
    wedge = Part("wedge", _prism_xz([(toe, floor), (foot, floor), (edge, top)], channel), material="wood")
    wedge_slope = math.atan2(top - floor, edge - toe)

    # The climbing pusher's underside rises from the floor behind the payload to the platform's edge.
    front = envelope.min[0] - CLEARANCE * unit
    climb_slope = math.atan2(top - floor, edge - front)
    pusher_height = PUSHER_HEIGHT * height
    climb_shape = Pos(front - PUSHER_THICKNESS * unit / 2, 0, floor + LIFT * unit + pusher_height / 2) * Box(
        PUSHER_THICKNESS * unit, span, pusher_height
    )
    climb_run = edge + PUSH_ONTO_PLATFORM * unit - front
    climb_travel = climb_run / math.cos(climb_slope)
    climb_speed = max(SPEED * unit, climb_travel / MAX_STROKE_S)
    climber = Slider(
        "climber", climb_shape, axis=(math.cos(climb_slope), 0, math.sin(climb_slope)), travel=climb_travel,
        speed=climb_speed, start_time=START_S, force=FORCE_N,
    )

    # The second pusher waits on the platform's level where the climbing payload still passes under it.
    tilt_reach = height + 2 * unit * math.sin(wedge_slope) + PASS_UNDER_MARGIN * unit
    sweeper_front = edge - tilt_reach / math.tan(wedge_slope) - envelope.size[0]
    overlaps_start = sweeper_front > envelope.min[0] and top + LIFT * unit < envelope.max[2]
    if overlaps_start:
        sweeper_front = envelope.min[0] - CLEARANCE * unit
    sweeper_front = max(sweeper_front, scenario.build_zone.min[0] + PUSHER_THICKNESS * unit + CLEARANCE * unit)
    sweep_shape = Pos(
        sweeper_front - PUSHER_THICKNESS * unit / 2, 0, top + LIFT * unit + pusher_height / 2
    ) * Box(PUSHER_THICKNESS * unit, span, pusher_height)
    sweep_travel = goal.center[0] - half_x - HOLD_GAP * unit / 2 - sweeper_front
    sweep_start = START_S + climb_travel / climb_speed + HANDOVER_S
    sweep_speed = max(SPEED * unit, sweep_travel / MAX_STROKE_S)
    sweeper = Slider(
        "sweeper", sweep_shape, axis=(1, 0, 0), travel=sweep_travel, speed=sweep_speed, start_time=sweep_start,
        force=FORCE_N,
    )

    stop_face = goal.center[0] + half_x + HOLD_GAP * unit / 2
    stop = Part(
        "stop",
        Pos(stop_face + STOP_THICKNESS * unit / 2, 0, top + STOP_HEIGHT * height / 2)
        * Box(STOP_THICKNESS * unit, span, STOP_HEIGHT * height),
        material="wood",
    )
    # Guide walls on both sides from behind the climbing pusher, up the wedge and along the platform to the stop.
    wall_height = WALL_HEIGHT * height
    back = front - PUSHER_THICKNESS * unit
    end = stop_face + STOP_THICKNESS * unit
    wall_profile = [(back, floor), (toe, floor), (edge, top), (end, top), (end, top + wall_height),
                    (edge, top + wall_height), (toe, floor + wall_height), (back, floor + wall_height)]
    wall_offset = (channel + WALL_THICKNESS * unit) / 2
    walls = [
        Part(f"guide_{side}", Pos(0, sign * wall_offset, 0) * _prism_xz(wall_profile, WALL_THICKNESS * unit),
             material="glass")
        for side, sign in (("left", 1), ("right", -1))
    ]
    horizon = sweep_start + sweep_travel / sweep_speed + SETTLE_S
    return Solution(parts=[wedge, stop, *walls], movers=[climber, sweeper], horizon=horizon)
