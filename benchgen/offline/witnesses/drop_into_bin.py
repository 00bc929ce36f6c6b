"""Drop into a bin, solved: a plank continues the deck over the bin's near wall to a tray waiting inside
the bin's walls at deck height; a V-shaped pusher on a Slider shoves the payload along the deck and the
plank onto the tray, centring it across the bin, until it rests against the tray's far lip (the tray falls
gently toward it, so a ball stays there); then the tray comes down to the bin's floor with the payload on
it (a free drop would tumble a box or a cylinder out).

Every size is taken from the scene: the deck from `start_deck`, the bin's inside from its walls and
floor, the pusher from the payload's jitter envelope.
"""

import math

from build123d import Box, Plane, Polygon, Pos, extrude

from benchgen.kit import Part, Slider, Solution

GAP_RATIO = 0.05  # payload half widths: clearance between the pusher and the payload's envelope at t = 0
LIFT_RATIO = 0.05  # payload half widths: the pusher rides this far above the deck, plank and tray
PLAY_RATIO = 0.05  # payload half widths kept free between the plank or tray and the bin's walls
PLANK_THICKNESS_RATIO = 0.3  # payload half widths: the plank's thickness, when the deck is high enough
TRAY_THICKNESS_RATIO = 0.2  # payload half widths: the tray's thickness
TRAY_TILT_DEG = 3.0  # degrees the tray falls toward its lip: a ball rolls to the lip and rests there
LIP_THICKNESS_RATIO = 0.1  # payload half widths: the tray's far lip along the push
LIP_HEIGHT_RATIO = 2.0  # payload half heights: the lip is as tall as the payload, so it cannot tip over
PIN_PLAY_RATIO = 0.05  # payload half widths of play between the payload and the lip at the end
V_MARGIN_RATIO = 0.2  # payload half widths the V's arms reach beside the envelope
V_THICKNESS_RATIO = 0.3  # payload half widths: the V's arms' thickness along the push
PUSHER_HEIGHT_RATIO = 1.5  # payload half heights: the pusher's height
PUSH_TIME_S = 5.0  # s the push takes, whatever the scale
LOWER_TIME_S = 2.0  # s the tray takes to come down
START_TIME_S = 0.3  # s: the pusher starts once the payload has settled on the deck
PAUSE_S = 0.5  # s between the push's end and the tray's start
SETTLE_TIME_S = 12.0  # s after the tray is down to come to rest (a ball on the tray spins down slowly)
SLIDER_FORCE_N = 200.0  # N: the kit's strongest motor, enough to slide or carry a steel box at scale 2
MAX_SPEED_MM_S = 1000.0  # mm/s: the kit's speed limit
SAG_SAFETY = 1.5  # the tray stops this many times its servo's sag under the payload above the bin's floor
SERVO_BANDWIDTH_HZ = 8.0  # Hz: the evaluator's servo (docs/solution-contract.md, "How movers move")
MOTOR_INERTIA_KG = 1.0  # kg of reflected motor inertia the evaluator adds to every slider
STEEL_DENSITY_KG_MM3 = 7850e-9  # kg/mm^3: the tray is steel, to keep its servo stiff
GRAVITY_M_S2 = 9.81
BIN_WALLS = ("bin_wall_near", "bin_wall_far", "bin_wall_left", "bin_wall_right")


def solve(scenario) -> Solution:
    deck = scenario.fixture("start_deck").bbox
    deck_top = deck.max[2]
    walls = {label: scenario.fixture(label).bbox for label in BIN_WALLS}
    bin_top = max(box.max[2] for box in walls.values())
    bin_floor = scenario.fixture("bin_floor").bbox.max[2]
    near, far = walls["bin_wall_near"].max[0], walls["bin_wall_far"].min[0]
    side_a, side_b = walls["bin_wall_left"], walls["bin_wall_right"]
    inner_lo, inner_hi = min(side_a.max[1], side_b.max[1]), max(side_a.min[1], side_b.min[1])
    bin_y = (inner_lo + inner_hi) / 2
    payload = scenario.payload
    half_x, half_y, half_z = payload.half_extents
    envelope = payload.envelope()
    goal = scenario.goal
    unit = half_x  # every gap scales with the payload
    play = PLAY_RATIO * unit
    lift = LIFT_RATIO * unit

    # 1. The plank: from the deck's edge over the near wall to the tray.
    plank_thickness = min(PLANK_THICKNESS_RATIO * unit, deck_top - bin_top - play)
    plank_width = inner_hi - inner_lo - 2 * play
    plank = Part(
        "plank",
        Pos((deck.max[0] + near) / 2, bin_y, deck_top - plank_thickness / 2)
        * Box(near - deck.max[0], plank_width, plank_thickness),
        material="wood",
    )

    # 2. The tray: inside the bin's walls, its top level with the deck, a lip at its far end.
    tray_x0, tray_x1 = near + play, far - play
    thickness = TRAY_THICKNESS_RATIO * unit
    lip = LIP_THICKNESS_RATIO * unit
    lip_height = LIP_HEIGHT_RATIO * half_z
    drop = (tray_x1 - tray_x0) * math.tan(math.radians(TRAY_TILT_DEG))  # the tray's fall toward its lip
    profile = Plane.XZ * Polygon(
        (tray_x0, deck_top),
        (tray_x1, deck_top - drop),
        (tray_x1, deck_top - drop - thickness),
        (tray_x0, deck_top - thickness),
        align=None,
    )
    slab = extrude(profile, amount=plank_width)
    slab = Pos(0, bin_y - slab.bounding_box().center().Y, 0) * slab
    lip_z = deck_top - drop + lip_height / 2
    lip_box = Pos(tray_x1 - lip / 2, bin_y, lip_z) * Box(lip, plank_width, lip_height)
    target_x = min(goal.center[0], tray_x1 - lip - PIN_PLAY_RATIO * unit - half_x)

    # 3. The V pusher: its arms at 45 degrees centre the payload across the bin as they push it.
    reach = half_y + payload.jitter[1] + abs(payload.start[1] - bin_y) + V_MARGIN_RATIO * unit
    arm = V_THICKNESS_RATIO * unit
    height = PUSHER_HEIGHT_RATIO * half_z
    # Distance from the V's apex to the payload's centre when both arms touch it.
    contact = half_x + half_y if payload.shape.value == "box" else half_x * math.sqrt(2)
    apex = envelope.min[0] - GAP_RATIO * unit - reach
    chevron = Polygon(  # counter-clockwise seen from above, so that it extrudes upward
        (apex + reach - arm, reach),
        (apex - arm, 0),
        (apex + reach - arm, -reach),
        (apex + reach, -reach),
        (apex, 0),
        (apex + reach, reach),
        align=None,
    )
    travel = target_x - contact - apex
    pusher = Slider(
        "pusher",
        Pos(0, bin_y, deck_top + lift) * extrude(chevron, amount=height),
        axis=(1, 0, 0),
        travel=travel,
        speed=min(travel / PUSH_TIME_S, MAX_SPEED_MM_S),
        start_time=START_TIME_S,
        force=SLIDER_FORCE_N,
    )
    pushed_s = START_TIME_S + travel / pusher.speed
    tray_shape = slab + lip_box
    sag = _sag_mm(payload.mass_kg, tray_shape.volume)
    lower = deck_top - drop - thickness - bin_floor - lift - SAG_SAFETY * sag
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
    horizon = tray.start_time + LOWER_TIME_S + SETTLE_TIME_S
    return Solution(parts=[plank], movers=[pusher, tray], horizon=horizon)


def _sag_mm(load_kg: float, mover_volume_mm3: float) -> float:
    """How far a steel slider's position servo gives under `load_kg` resting on it (its stiffness is its
    inertia times the bandwidth squared)."""
    inertia_kg = MOTOR_INERTIA_KG + mover_volume_mm3 * STEEL_DENSITY_KG_MM3
    stiffness_n_m = inertia_kg * (2 * math.pi * SERVO_BANDWIDTH_HZ) ** 2
    return 1000 * load_kg * GRAVITY_M_S2 / stiffness_n_m
