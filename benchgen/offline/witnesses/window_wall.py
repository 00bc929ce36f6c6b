"""Through a window, solved: a thin lift platform lying on the floor under the payload raises it to the
window's sill; a pusher on a Slider, riding just above that level, shoves it off the platform, through the
window and onto a tray waiting beyond the wall at sill height, until it rests against the tray's far lip
over the goal's centre (the tray falls gently toward it, so a ball stays there); then the tray comes down
to the floor with the payload on it.

A position servo gives under a load by the load's weight over its stiffness, and its stiffness grows with
the mover's mass: the lift and the tray are steel and carry counterweights beside the payload's path, so
that the loaded lift is not pressed into the floor and the loaded tray does not drop below the sill.

Every size is taken from the scene: the floor from `base_plate`, the window from the four wall blocks,
the platform from the room under the payload's jitter envelope, the stroke from the goal.
"""

import math

from build123d import Box, Plane, Polygon, Pos, extrude

from benchgen.kit import Slider, Solution

PLATFORM_LOW = 0.5  # share of the room under the payload's envelope left below the platform
PLATFORM_HIGH = 0.9  # share of that room under the platform's top
PLAY_RATIO = 0.1  # payload half widths kept free between a mover and the wall
PLATFORM_MARGIN_RATIO = 0.5  # payload half widths the platform reaches past the envelope
ABOVE_SILL_RATIO = 0.05  # payload half widths: the raised platform's top above the sill
LIFT_RATIO = 0.05  # payload half widths: the pusher rides this far above the raised platform
GAP_RATIO = 0.05  # payload half widths: clearance between the pusher and the payload's envelope at t = 0
PIN_PLAY_RATIO = 0.3  # payload half widths of play between the payload and the pusher or lip at the end
TRAY_THICKNESS_RATIO = 0.3  # payload half widths: the tray's thickness
TRAY_SILL_SHARE = 0.25  # the tray's thickness never takes more than this share of the sill's height
TRAY_TILT_DEG = 3.0  # degrees the tray falls toward its lip
TILT_SILL_SHARE = 0.5  # the tray's fall never takes more than this share of the sill's height
MIN_LOWER_RATIO = 0.05  # payload half widths: the tray's shortest stroke down, on the lowest sills
LIP_THICKNESS_RATIO = 0.3  # payload half widths: the tray's lip along the push
LIP_HEIGHT_RATIO = 2.0  # payload half heights: the lip is as tall as the payload, so it cannot tip over
PUSHER_LENGTH_RATIO = 0.8  # payload half widths: the pusher's length along the push
PUSHER_HEIGHT_RATIO = 1.2  # payload half heights: the pusher's height, when the window has room for it
LIFT_TIME_S = 2.0  # s the lift takes, whatever the scale
PUSH_TIME_S = 5.0  # s the push takes, whatever the scale
LOWER_TIME_S = 2.0  # s the tray takes to come down
START_TIME_S = 0.3  # s: the lift starts once the payload has settled on the platform
PAUSE_S = 0.5  # s between one mover's end and the next one's start
SETTLE_TIME_S = 8.0  # s after the tray is down to come to rest (a ball on the tray spins down slowly)
SLIDER_FORCE_N = 200.0  # N: the kit's strongest motor, enough to lift a steel box at scale 2
MAX_SPEED_MM_S = 1000.0  # mm/s: the kit's speed limit
PUSH_FORCE_IN_WEIGHTS = 2.0  # the pusher's force in payload weights: it slides (friction <= 1), never flings
MIN_PUSH_FORCE_N = 20.0  # N: the pusher's least force, for the lightest payloads
SAG_ALLOWED_MM = 0.5  # mm a loaded mover may give: the evaluator fails a mover 1 mm into a fixture
SAG_SAFETY = 1.5  # strokes are corrected by this many times the mover's sag under the payload
SERVO_BANDWIDTH_HZ = 8.0  # Hz: the evaluator's servo (docs/solution-contract.md, "How movers move")
MOTOR_INERTIA_KG = 1.0  # kg of reflected motor inertia the evaluator adds to every slider
STEEL_DENSITY_KG_MM3 = 7850e-9  # kg/mm^3: the lift and the tray are steel
GRAVITY_M_S2 = 9.81
MAX_HORIZON_S = 30.0  # s: the kit's longest horizon


def solve(scenario) -> Solution:
    floor = scenario.fixture("base_plate").bbox.max[2]
    sill = scenario.fixture("wall_sill").bbox
    sill_top = sill.max[2]
    lintel_bottom = scenario.fixture("wall_lintel").bbox.min[2]
    window_lo = scenario.fixture("wall_right").bbox.max[1]
    window_hi = scenario.fixture("wall_left").bbox.min[1]
    window_y = (window_lo + window_hi) / 2
    payload = scenario.payload
    half_x, half_y, half_z = payload.half_extents
    envelope = payload.envelope()
    goal = scenario.goal
    unit = half_x  # every gap scales with the payload
    play = PLAY_RATIO * unit

    # 1. The lift: a thin platform between the floor and the payload's envelope, raised to the sill.
    room = envelope.min[2] - floor
    platform_bottom, platform_top = floor + PLATFORM_LOW * room, floor + PLATFORM_HIGH * room
    margin = PLATFORM_MARGIN_RATIO * unit
    x0, x1 = envelope.min[0] - margin, sill.min[0] - play
    y0, y1 = envelope.min[1] - margin, envelope.max[1] + margin
    raised_top = sill_top + ABOVE_SILL_RATIO * unit
    zone = scenario.build_zone
    lift_shape = Pos((x0 + x1) / 2, (y0 + y1) / 2, (platform_bottom + platform_top) / 2) * Box(
        x1 - x0, y1 - y0, platform_top - platform_bottom
    )
    rise = raised_top - platform_top
    top_limit = zone.max[2] - play - rise - SAG_SAFETY * SAG_ALLOWED_MM
    lift_shape = _with_counterweights(
        lift_shape, payload.mass_kg, (x0, x1), (y0, y1), zone, play, platform_bottom, top_limit
    )
    rise += SAG_SAFETY * _sag_mm(payload.mass_kg, lift_shape.volume)
    platform = Slider(
        "lift",
        lift_shape,
        axis=(0, 0, 1),
        travel=rise,
        speed=min(rise / LIFT_TIME_S, MAX_SPEED_MM_S),
        start_time=START_TIME_S,
        force=SLIDER_FORCE_N,
        material="steel",
    )
    lifted_s = START_TIME_S + platform.travel / platform.speed

    weight_n = payload.mass_kg * GRAVITY_M_S2
    # 2. The pusher: through the window, ending with the payload's centre over the goal's centre.
    pusher_bottom = platform_top + rise + LIFT_RATIO * unit
    height = min(PUSHER_HEIGHT_RATIO * half_z, lintel_bottom - play - pusher_bottom)
    width = min(envelope.size[1], window_hi - window_lo - 2 * play)
    length = PUSHER_LENGTH_RATIO * unit
    face = envelope.min[0] - GAP_RATIO * unit
    end_face = goal.center[0] - half_x - PIN_PLAY_RATIO * unit
    push_travel = end_face - face
    pusher = Slider(
        "pusher",
        Pos(face - length / 2, window_y, pusher_bottom + height / 2) * Box(length, width, height),
        axis=(1, 0, 0),
        travel=push_travel,
        speed=min(push_travel / PUSH_TIME_S, MAX_SPEED_MM_S),
        start_time=lifted_s + PAUSE_S,
        force=min(max(PUSH_FORCE_IN_WEIGHTS * weight_n, MIN_PUSH_FORCE_N), SLIDER_FORCE_N),
    )
    pushed_s = pusher.start_time + push_travel / pusher.speed

    # 3. The tray: at sill height beyond the wall, a lip past the goal's centre; it comes down to the floor.
    sill_height = sill_top - floor
    thickness = min(TRAY_THICKNESS_RATIO * unit, TRAY_SILL_SHARE * sill_height)
    lip = LIP_THICKNESS_RATIO * unit
    tray_x0 = sill.max[0] + play
    lip_x0 = goal.center[0] + half_x + PIN_PLAY_RATIO * unit
    tray_x1 = lip_x0 + lip
    tray_width = min(goal.size[1], envelope.size[1] + 2 * half_y)
    lip_height = LIP_HEIGHT_RATIO * half_z
    # The tray falls gently toward its lip, so that a ball rolls there and rests.
    drop = min((tray_x1 - tray_x0) * math.tan(math.radians(TRAY_TILT_DEG)), TILT_SILL_SHARE * sill_height)
    profile = Plane.XZ * Polygon(
        (tray_x0, sill_top),
        (tray_x1, sill_top - drop),
        (tray_x1, sill_top - drop - thickness),
        (tray_x0, sill_top - thickness),
        align=None,
    )
    slab = extrude(profile, amount=tray_width)
    slab = Pos(0, goal.center[1] - slab.bounding_box().center().Y, 0) * slab
    lip_box = Pos(lip_x0 + lip / 2, goal.center[1], sill_top - drop + lip_height / 2) * Box(
        lip, tray_width, lip_height
    )
    tray_bottom = sill_top - drop - thickness
    tray_shape = _with_counterweights(
        slab + lip_box,
        payload.mass_kg,
        (tray_x0, tray_x1),
        (goal.center[1] - tray_width / 2, goal.center[1] + tray_width / 2),
        zone,
        play,
        tray_bottom,
        zone.max[2] - play,
    )
    sag = _sag_mm(payload.mass_kg, tray_shape.volume)
    lower = max(tray_bottom - floor - LIFT_RATIO * unit - SAG_SAFETY * sag, MIN_LOWER_RATIO * unit)
    tray = Slider(
        "tray",
        tray_shape,
        axis=(0, 0, -1),
        travel=lower,
        speed=min(lower / LOWER_TIME_S, MAX_SPEED_MM_S),
        start_time=pushed_s + PAUSE_S,
        force=SLIDER_FORCE_N,
        material="steel",
    )
    horizon = min(tray.start_time + lower / tray.speed + SETTLE_TIME_S, MAX_HORIZON_S)
    return Solution(parts=[], movers=[platform, pusher, tray], horizon=horizon)


def _with_counterweights(
    shape,
    load_kg: float,
    xs: tuple[float, float],
    ys: tuple[float, float],
    zone,
    play: float,
    bottom: float,
    top_limit: float,
):
    """`shape` (spanning `ys` across) with steel blocks on both sides out to the build zone's edges, tall
    enough that the servo gives at most SAG_ALLOWED_MM under `load_kg`, never above `top_limit`."""
    stiffness_needed = load_kg * GRAVITY_M_S2 / (SAG_ALLOWED_MM / 1000)  # N/m
    mass_needed = stiffness_needed / _stiffness_per_kg() - MOTOR_INERTIA_KG
    (x0, x1), (y0, y1) = xs, ys
    sides = [(zone.min[1] + play, y0), (y1, zone.max[1] - play)]
    footprint = sum(max(b - a, 0.0) for a, b in sides) * (x1 - x0)
    height = min(mass_needed / STEEL_DENSITY_KG_MM3 / max(footprint, 1e-6), top_limit - bottom)
    for a, b in sides:
        if b > a and height > 0:
            shape = shape + Pos((x0 + x1) / 2, (a + b) / 2, bottom + height / 2) * Box(x1 - x0, b - a, height)
    return shape


def _stiffness_per_kg() -> float:
    """N/m of servo stiffness per kg of a slider's inertia (stiffness = inertia x bandwidth squared)."""
    return (2 * math.pi * SERVO_BANDWIDTH_HZ) ** 2


def _sag_mm(load_kg: float, mover_volume_mm3: float) -> float:
    """How far a steel slider's position servo gives under `load_kg` resting on it."""
    inertia_kg = MOTOR_INERTIA_KG + mover_volume_mm3 * STEEL_DENSITY_KG_MM3
    return 1000 * load_kg * GRAVITY_M_S2 / (inertia_kg * _stiffness_per_kg())
