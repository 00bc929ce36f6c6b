"""Raised shelf witness: an elevator. A loader pushes the payload backwards up a low wedge onto a tray behind
it; the tray (a Slider) rises straight up to the shelf's level; a sweeper waiting at that level behind the
tray then pushes the payload forward over a bridge onto the shelf, between guide walls, against a stop at
the goal's far side, which holds it in the goal's centre."""

import math

from build123d import Box, Plane, Polygon, Pos, extrude

from benchgen.kit import Part, Slider, Solution

CLEARANCE = 0.1  # payload half widths between a mover and the payload's jitter envelope at t = 0
GAP = 0.05  # payload half widths between neighbouring parts and movers that must not touch
LIFT = 0.04  # payload half widths a mover rides above the surface under it
TRAY_THICKNESS = 0.08  # payload half widths
TRAY_LIP_HEADROOM = 0.9  # share of the room above the shelf in the build zone the tray's lip may rise into
TRAY_OVERSHOOT = 0.05  # payload half widths the loaded tray ends above the bridge: the payload steps down
TRAY_EXTRA = 0.2  # payload half widths the tray reaches past the loaded payload's front
MAX_WEDGE_LENGTH = 1.5  # payload half widths: the loading wedge is as long as the room allows, at most this
LOADER_HEIGHT = 0.8  # payload heights
SWEEPER_THICKNESS = 0.4  # payload half widths along the push
SWEEPER_HEIGHT = 1.3  # payload heights
BRIDGE_THICKNESS = 0.3  # payload half widths
BRIDGE_BEVEL = 0.15  # payload half widths: height of the bevel at the bridge's back edge (twice as long)
BRIDGE_MARGIN = 0.1  # payload half widths between the bridge's underside and the payload or the loader below
CHANNEL_MARGIN = 0.3  # payload half widths between the payload's jitter envelope and a guide wall across y
WALL_THICKNESS = 0.4  # payload half widths
WALL_HEIGHT = 1.0  # payload heights
HOLD_GAP = 0.1  # payload half widths of play left between payload, sweeper and stop at the end
STOP_THICKNESS = 0.5  # payload half widths along the push
STOP_HEIGHT = 1.5  # payload heights
SPEED = 3.0  # payload half widths per second, every mover, unless its stroke would then last too long
MAX_STROKE_S = 6.0  # s: longest a stroke may last (the horizon is at most 30 s)
FORCE_N = 200.0  # N: every slider's limit; lifting the heaviest steel payload takes under 150 N
START_S = 0.2  # s: the loader waits for the payload to settle
HANDOVER_S = 0.6  # s: between one mover's end and the next one's start
SETTLE_S = 8.0  # s: at most this long after the last push for the payload to come to rest
GRAVITY_M_S2 = 9.81
SERVO_BANDWIDTH_HZ = 8.0  # Hz: the evaluator's servo bandwidth (docs/solution-contract.md, "How movers move")
SLIDER_ARMATURE_KG = 1.0  # kg: the motor inertia the evaluator adds to every slider
STEEL_DENSITY_KG_M3 = 7850.0  # the tray's material (benchgen/kit/materials.py)


def _prism_xz(points: list[tuple[float, float]], width: float):
    """A solid whose x-z profile is `points`, `width` across y and centred on y = 0."""
    return extrude(Plane.XZ * Polygon(*points, align=None), amount=width / 2, both=True)


def _box(x0: float, x1: float, width: float, z0: float, z1: float):
    """A box from x0 to x1 and z0 to z1, `width` across y and centred on y = 0."""
    return Pos((x0 + x1) / 2, 0, (z0 + z1) / 2) * Box(x1 - x0, width, z1 - z0)


def _speed(travel: float, unit: float) -> float:
    return max(SPEED * unit, travel / MAX_STROKE_S)


def solve(scenario) -> Solution:
    plate = scenario.fixture("base_plate").bbox
    board = scenario.fixture("shelf_board").bbox
    payload = scenario.payload
    goal = scenario.goal
    half_x, half_y, half_z = payload.half_extents
    unit = max(half_x, half_y)  # the payload's half width: every length below is a multiple of it
    height = 2 * half_z
    floor = plate.max[2]
    top = board.max[2]
    envelope = payload.envelope()
    channel = envelope.size[1] + 2 * CHANNEL_MARGIN * unit  # between the guide walls
    span = channel - 2 * CLEARANCE * unit  # across the movers and the stop

    # From the build zone's back: the sweeper, then the tray with its lip, then the loading wedge.
    sweeper_back = scenario.build_zone.min[0] + GAP * unit
    sweeper_front = sweeper_back + SWEEPER_THICKNESS * unit
    lip_face = sweeper_front + CLEARANCE * unit
    tray_back = sweeper_back  # the lip is as thick as the sweeper is (movers pass through each other)
    tray_front = lip_face + 2 * half_x + TRAY_EXTRA * unit
    # The lift's servo is a spring: it sags under the payload by its weight over the servo's stiffness. A tall
    # steel lip makes the tray heavy, the servo stiff (its gains grow with the mover's mass) and the sag small.
    lip_height = TRAY_LIP_HEADROOM * (scenario.build_zone.max[2] - top)
    tray_volume = (tray_front - tray_back) * span * TRAY_THICKNESS * unit + (lip_face - tray_back) * span * lip_height
    tray_mass_kg = tray_volume * 1e-9 * STEEL_DENSITY_KG_M3
    stiffness_n_mm = (SLIDER_ARMATURE_KG + tray_mass_kg) * (2 * math.pi * SERVO_BANDWIDTH_HZ) ** 2 / 1000
    sag = payload.mass_kg * GRAVITY_M_S2 / stiffness_n_mm
    tray_bottom = floor + LIFT * unit + sag
    tray_top = tray_bottom + TRAY_THICKNESS * unit
    wedge_high = tray_front + GAP * unit
    wedge_low = min(envelope.min[0], wedge_high + MAX_WEDGE_LENGTH * unit)
    wedge = Part("wedge", _prism_xz([(wedge_low, floor), (wedge_high, tray_top), (wedge_high, floor)], span),
                 material="wood")

    loader_face = envelope.max[0] + CLEARANCE * unit
    loader_bottom = tray_top + LIFT * unit
    loader_top = loader_bottom + LOADER_HEIGHT * height
    loader = _box(loader_face, loader_face + SWEEPER_THICKNESS * unit, span, loader_bottom, loader_top)
    load_travel = loader_face - (lip_face + 2 * half_x + HOLD_GAP * unit)
    load_speed = _speed(load_travel, unit)
    lift_start = START_S + load_travel / load_speed + HANDOVER_S

    tray = _box(tray_back, tray_front, span, tray_bottom, tray_top) + _box(
        tray_back, lip_face, span, tray_top, tray_top + lip_height
    )
    lift_travel = top - tray_top + sag + TRAY_OVERSHOOT * unit
    lift_speed = _speed(lift_travel, unit)
    sweep_start = lift_start + lift_travel / lift_speed + HANDOVER_S

    sweeper = _box(sweeper_back, sweeper_front, span, top + LIFT * unit, top + LIFT * unit + SWEEPER_HEIGHT * height)
    stop_face = goal.center[0] + half_x + HOLD_GAP * unit / 2
    sweep_travel = goal.center[0] - half_x - HOLD_GAP * unit / 2 - sweeper_front
    sweep_speed = _speed(sweep_travel, unit)

    bridge_start = tray_front + GAP * unit
    bevel = BRIDGE_BEVEL * unit
    bridge_profile = [(bridge_start, top - BRIDGE_THICKNESS * unit), (board.min[0], top - BRIDGE_THICKNESS * unit),
                      (board.min[0], top), (bridge_start + 2 * bevel, top), (bridge_start, top - bevel)]
    bridge = Part("bridge", _prism_xz(bridge_profile, channel), material="aluminium")
    stop_end = stop_face + STOP_THICKNESS * unit
    stop = Part("stop", _box(stop_face, stop_end, span, top, top + STOP_HEIGHT * height), material="wood")
    wall_offset = (channel + WALL_THICKNESS * unit) / 2
    walls = [
        Part(f"guide_{side}", Pos(0, sign * wall_offset, 0)
             * _box(bridge_start, stop_end, WALL_THICKNESS * unit, top, top + WALL_HEIGHT * height), material="glass")
        for side, sign in (("left", 1), ("right", -1))
    ]

    movers = [
        Slider("loader", loader, axis=(-1, 0, 0), travel=load_travel, speed=load_speed, start_time=START_S,
               force=FORCE_N),
        Slider("lift", tray, axis=(0, 0, 1), travel=lift_travel, speed=lift_speed, start_time=lift_start,
               material="steel", force=FORCE_N),
        Slider("sweeper", sweeper, axis=(1, 0, 0), travel=sweep_travel, speed=sweep_speed, start_time=sweep_start,
               force=FORCE_N),
    ]
    horizon = sweep_start + sweep_travel / sweep_speed + SETTLE_S
    return Solution(parts=[wedge, bridge, stop, *walls], movers=movers, horizon=horizon)
