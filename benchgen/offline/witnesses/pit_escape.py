"""Out of a pit, solved: a thin steel lift platform lying on the pit's floor under the payload carries it
up and across to the goal's line, just above the rim; a pusher on a Slider, riding above the rim, shoves it
off the platform, over the pit's wall and along the rim deck, and stops with the payload's centre on the
goal's centre, pinned against a low stop standing just beyond it (a ball would otherwise roll on).

A position servo gives under a load by the load's weight over its stiffness, and its stiffness grows with
the mover's mass: the platform carries a steel counterweight beside the payload so that the payload
landing on it does not press it into the pit's floor.

Every size is taken from the scene: the pit's inside from its walls, the rim's height from `rim_deck`,
the platform from the room under the payload's jitter envelope, the stroke from the goal.
"""

import math

from build123d import Box, Pos

from benchgen.kit import Part, Slider, Solution

PLATFORM_LOW = 0.5  # share of the room under the payload's envelope left below the platform
PLATFORM_HIGH = 0.9  # share of that room under the platform's top
PLAY_RATIO = 0.1  # payload half widths kept free between a mover and the pit's walls or the build zone's top
PLATFORM_MARGIN_RATIO = 0.5  # payload half widths the platform reaches past the envelope along y
LIP_THICKNESS_RATIO = 0.3  # payload half widths: the platform's lips along y (inside its margin)
LIP_HEIGHT_RATIO = 1.0  # payload half heights: the lips' height above the platform
ABOVE_RIM_RATIO = 0.05  # payload half widths: the raised platform's top above the rim
LIFT_RATIO = 0.05  # payload half widths: the pusher and the stop ride this far above what is under them
GAP_RATIO = 0.05  # payload half widths: clearance between the pusher and the payload's envelope at t = 0
PIN_PLAY_RATIO = 0.1  # payload half widths of play between the payload and the pusher or stop at the end
BALL_PIN_PLAY_RATIO = 0.02  # the same for a ball, held tight: with play it spins on against the stop
STOP_THICKNESS_RATIO = 0.3  # payload half widths: the stop's thickness along the push
PUSHER_LENGTH_RATIO = 0.8  # payload half widths: the pusher's length along the push
PUSHER_HEIGHT_RATIO = 1.2  # payload half heights: the pusher's height
SAG_ALLOWED_MM = 0.5  # mm the loaded platform may give: the evaluator fails a mover 1 mm into a fixture
SAG_SAFETY = 1.5  # the lift's stroke is lengthened by this many times its sag under the payload
LIFT_TIME_S = 3.0  # s the lift takes, whatever the scale
PUSH_TIME_S = 5.0  # s the push takes, whatever the scale
START_TIME_S = 0.3  # s: the lift starts once the payload has settled on the platform
PAUSE_S = 0.5  # s between the lift's end and the push's start
SETTLE_TIME_S = 15.0  # s after the push to come to rest (a ball pinned at the stop spins down slowly)
SLIDER_FORCE_N = 200.0  # N: the kit's strongest motor, enough to lift a steel box at scale 2
MAX_SPEED_MM_S = 1000.0  # mm/s: the kit's speed limit
SERVO_BANDWIDTH_HZ = 8.0  # Hz: the evaluator's servo (docs/solution-contract.md, "How movers move")
MOTOR_INERTIA_KG = 1.0  # kg of reflected motor inertia the evaluator adds to every slider
STEEL_DENSITY_KG_MM3 = 7850e-9  # kg/mm^3: the lift is steel
GRAVITY_M_S2 = 9.81
MAX_HORIZON_S = 30.0  # s: the kit's longest horizon


def solve(scenario) -> Solution:
    floor = scenario.fixture("pit_floor").bbox.max[2]
    rim_top = scenario.fixture("rim_deck").bbox.max[2]
    inside_x0 = scenario.fixture("pit_wall_near").bbox.max[0]
    inside_x1 = scenario.fixture("pit_wall_far").bbox.min[0]
    end_a, end_b = scenario.fixture("pit_wall_left").bbox, scenario.fixture("pit_wall_right").bbox
    inside_y1 = max(end_a.min[1], end_b.min[1])
    payload = scenario.payload
    half_x, _half_y, half_z = payload.half_extents
    envelope = payload.envelope()
    goal = scenario.goal
    unit = half_x  # every gap scales with the payload
    play = PLAY_RATIO * unit

    # 1. The lift: a thin platform under the payload's envelope and a counterweight beside it (+y).
    room = envelope.min[2] - floor
    bottom, platform_top = floor + PLATFORM_LOW * room, floor + PLATFORM_HIGH * room
    x0, x1 = inside_x0 + play, inside_x1 - play
    y0, y1 = envelope.min[1] - PLATFORM_MARGIN_RATIO * unit, envelope.max[1] + PLATFORM_MARGIN_RATIO * unit
    shift = goal.center[1] - payload.start[1]  # the lift carries the payload onto the goal's line
    rise = rim_top + ABOVE_RIM_RATIO * unit - platform_top
    stiffness_needed = payload.mass_kg * GRAVITY_M_S2 / (SAG_ALLOWED_MM / 1000)  # N/m
    mass_needed = stiffness_needed / _stiffness_per_kg() - MOTOR_INERTIA_KG
    block_y1 = inside_y1 - play - max(shift, 0.0)
    block_top_limit = scenario.build_zone.max[2] - play - rise - SAG_SAFETY * SAG_ALLOWED_MM
    block_height = min(
        mass_needed / STEEL_DENSITY_KG_MM3 / ((x1 - x0) * max(block_y1 - y1, 1e-6)), block_top_limit - bottom
    )
    shape = Pos((x0 + x1) / 2, (y0 + y1) / 2, (bottom + platform_top) / 2) * Box(
        x1 - x0, y1 - y0, platform_top - bottom
    )
    # Lips along both y edges: the platform moves across, and a ball on it would roll off behind.
    lip = LIP_THICKNESS_RATIO * unit
    lip_height = LIP_HEIGHT_RATIO * half_z
    for edge in (y0 + lip / 2, y1 - lip / 2):
        lip_box = Pos((x0 + x1) / 2, edge, platform_top + lip_height / 2) * Box(x1 - x0, lip, lip_height)
        shape = shape + lip_box
    if block_y1 > y1 and block_height > platform_top - bottom:
        shape = shape + Pos((x0 + x1) / 2, (y1 + block_y1) / 2, bottom + block_height / 2) * Box(
            x1 - x0, block_y1 - y1, block_height
        )
    sag = _sag_mm(payload.mass_kg, shape.volume)
    rise += SAG_SAFETY * sag
    travel = math.hypot(shift, rise)
    platform = Slider(
        "lift",
        shape,
        axis=(0, shift / travel, rise / travel),
        travel=travel,
        speed=min(travel / LIFT_TIME_S, MAX_SPEED_MM_S),
        start_time=START_TIME_S,
        force=SLIDER_FORCE_N,
        material="steel",
    )
    lifted_s = START_TIME_S + travel / platform.speed

    # 2. The pusher: along x on the goal's line, above the raised platform, to the goal's centre.
    pusher_bottom = platform_top + rise + LIFT_RATIO * unit
    length = PUSHER_LENGTH_RATIO * unit
    width = envelope.size[1]
    height = PUSHER_HEIGHT_RATIO * half_z
    face = envelope.min[0] - GAP_RATIO * unit
    pin = (BALL_PIN_PLAY_RATIO if payload.shape.value == "sphere" else PIN_PLAY_RATIO) * unit
    end_face = goal.center[0] - half_x - pin
    push_travel = end_face - face
    pusher = Slider(
        "pusher",
        Pos(face - length / 2, goal.center[1], pusher_bottom + height / 2) * Box(length, width, height),
        axis=(1, 0, 0),
        travel=push_travel,
        speed=min(push_travel / PUSH_TIME_S, MAX_SPEED_MM_S),
        start_time=lifted_s + PAUSE_S,
        force=SLIDER_FORCE_N,
    )
    # 3. The stop, across the push just beyond the goal's centre, standing on the rim deck.
    thickness = STOP_THICKNESS_RATIO * unit
    stop_x = goal.center[0] + half_x + pin + thickness / 2
    stop = Part(
        "stop",
        Pos(stop_x, goal.center[1], rim_top + LIFT_RATIO * unit + half_z)
        * Box(thickness, goal.size[1], 2 * half_z),
    )
    horizon = min(pusher.start_time + PUSH_TIME_S + SETTLE_TIME_S, MAX_HORIZON_S)
    return Solution(parts=[stop], movers=[platform, pusher], horizon=horizon)


def _stiffness_per_kg() -> float:
    """N/m of servo stiffness per kg of a slider's inertia (stiffness = inertia x bandwidth squared)."""
    return (2 * math.pi * SERVO_BANDWIDTH_HZ) ** 2


def _sag_mm(load_kg: float, mover_volume_mm3: float) -> float:
    """How far a steel slider's position servo gives under `load_kg` resting on it."""
    inertia_kg = MOTOR_INERTIA_KG + mover_volume_mm3 * STEEL_DENSITY_KG_MM3
    return 1000 * load_kg * GRAVITY_M_S2 / (inertia_kg * _stiffness_per_kg())
