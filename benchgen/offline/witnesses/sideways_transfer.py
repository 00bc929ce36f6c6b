"""Sideways transfer, solved: a pusher slides the payload along its deck (+x) to a stop level with the
goal; then a track rises from the start deck across the forbidden strip and on over the goal deck, between
two side guides, and a fin sliding up along the track's slope pushes the payload up it to a stop over the
goal.

The track rises just steeply enough to clear the goal deck's edge, so the payload rests on it inside the
goal zone (held between the fin and the stop). Under a sphere the track is two rails and the fin runs
between them, below their top, so it meets the sphere however high it has climbed; under a box or a
cylinder it is a flat plank (a cylinder's rim on two narrow rails is kicked about) and the fin slides
just above it, low enough to meet the payload's back.
"""

import math

from build123d import Box, Plane, Polygon, Pos, extrude

from benchgen.kit import Part, Slider, Solution

CLEARANCE = 0.05  # payload half widths between a pusher and the payload's jitter envelope at t = 0
LIFT = 0.05  # payload half widths the pushers start above the start deck
HOLD_GAP = 0.05  # payload half widths of play between the payload and a pusher's end or a stop
END_PLAY = 0.5  # payload half widths of play between the payload and the end stop over the goal (a tilted
# payload on the slope must not be pinched between the fin and the stop)
PUSHER_THICKNESS = 0.6  # payload half widths: a pusher's or stop's size along its axis
PUSHER_REACH = 0.6  # payload half widths the deck pusher reaches beyond the payload's y jitter, each side
FIN_CLEARANCE = 0.3  # payload half widths between the fin and the payload's jitter envelope at t = 0
FIN_HALF_WIDTH = 0.45  # payload half widths: half the fin's width
FIN_PLAY = 0.05  # payload half widths between the fin and each rail
RAIL_WIDTH = 0.25  # payload half widths, under a sphere (it sits between the rails)
FLAT_FIN_HALF_WIDTH = 0.9  # payload half widths: half the fin's width over the plank (box or cylinder)
GUIDE_PLAY = 0.15  # payload half widths between the payload's side and each side guide along the rails
GUIDE_WIDTH = 0.3  # payload half widths: a side guide's thickness
GUIDE_HEIGHT = 0.8  # payload heights a side guide reaches above the rails' top
GUIDE_LAG = 1.0  # payload half widths the side guides start past the rails' toe (a yawed payload clears them)
RAIL_DEPTH = 0.3  # payload half widths: the rails' thickness below their top
DECK_CLEARANCE = 0.1  # payload half widths the rails and the fin pass above the goal deck's edge
FIN_HEADROOM = 1.0  # payload half widths the fin reaches above the payload's top
SPEED = 5.0  # payload half widths per second
FORCE_IN_WEIGHTS = 20.0  # the pushers' force limit in payload weights: a wedged light payload is not crushed
FORCE_MIN_N = 10.0  # N: the least force limit, for the servo to move its own motor briskly
FORCE_MAX_N = 200.0  # N: the kit's slider force limit
GRAVITY_M_S2 = 9.81
START_S = 0.2  # s: the first pusher starts once the payload has settled
PAUSE_S = 0.5  # s between the deck pusher's end and the fin's start
HORIZON_MARGIN_S = 6.0  # s: simulated time after the fin's push ends


def solve(scenario) -> Solution:
    payload = scenario.payload
    half = payload.half_extents
    w = half[0]  # the payload's half width (radius, or half the box edge)
    tall = 2 * half[2]  # the payload's height
    deck = scenario.fixture("start_deck").bbox
    goal_deck = scenario.fixture("goal_deck").bbox
    deck_top, goal_top = deck.max[2], goal_deck.max[2]
    edge_y = goal_deck.min[1]  # the goal deck's near edge
    envelope = payload.envelope()
    jitter_y = payload.jitter[1]
    goal = scenario.goal
    goal_x, goal_y = goal.center[0], goal.center[1]
    start_y = payload.start[1]
    gap, thick, speed = HOLD_GAP * w, PUSHER_THICKNESS * w, SPEED * w
    force = min(FORCE_MAX_N, max(FORCE_MIN_N, FORCE_IN_WEIGHTS * payload.mass_kg * GRAVITY_M_S2))

    # 1. Along the deck to a stop level with the goal.
    face_a = envelope.min[0] - CLEARANCE * w
    reach_a = jitter_y + w * PUSHER_REACH
    travel_a = goal_x - w - gap - face_a
    deck_pusher = Slider(
        "deck_pusher",
        Pos(face_a - thick / 2, start_y, deck_top + LIFT * w + tall / 2) * Box(thick, 2 * reach_a, tall),
        axis=(1, 0, 0),
        travel=travel_a,
        speed=speed,
        start_time=START_S,
        force=force,
    )
    toe = envelope.max[1] + CLEARANCE * w  # the rails start in front of every y the payload may have
    stop_a_y0 = start_y - jitter_y - w
    stop_a_y1 = toe - CLEARANCE * w
    deck_stop = Part(
        "deck_stop",
        Pos(goal_x + w + gap + thick / 2, (stop_a_y0 + stop_a_y1) / 2, deck_top + tall / 2)
        * Box(thick, stop_a_y1 - stop_a_y0, tall),
        material="wood",
    )

    # 2. Up the rails, across the strip, to a stop over the goal.
    depth = RAIL_DEPTH * w
    rise = (goal_top - deck_top + depth + DECK_CLEARANCE * w) / (edge_y - toe)  # the rails' slope (tan)
    stop_y = goal_y + w + END_PLAY * w
    rail_end = stop_y + thick
    end_top = deck_top + rise * (rail_end - toe)
    if payload.shape == "sphere":  # two rails; the sphere sits between them, the fin runs below their top
        rail_width = RAIL_WIDTH * w
        rail_offset = (FIN_HALF_WIDTH + FIN_PLAY) * w + rail_width / 2
        pair = [_rail(toe, rail_end, deck_top, end_top, depth, goal_x + side * rail_offset, rail_width, 0.0)
                for side in (-1, 1)]
        track = pair[0] + pair[1]
        fin_width = 2 * FIN_HALF_WIDTH * w
    else:  # a flat plank a box or cylinder stands on; the fin slides just above it, as wide as the payload
        track = _rail(toe, rail_end, deck_top, end_top, depth, goal_x, 2 * (1 + GUIDE_PLAY) * w, 0.0)
        fin_width = 2 * FLAT_FIN_HALF_WIDTH * w
    guide_offset = (1 + GUIDE_PLAY + GUIDE_WIDTH / 2) * w
    guide_height = GUIDE_HEIGHT * tall
    guide_y0 = toe + GUIDE_LAG * w
    guides = [_rail(guide_y0, rail_end, deck_top + rise * (guide_y0 - toe), end_top, depth,
                    goal_x + side * guide_offset, GUIDE_WIDTH * w, guide_height)
              for side in (-1, 1)]
    stop_z0 = deck_top + rise * (stop_y - toe) - depth
    stop_z1 = end_top + tall + w
    end_stop = Part(
        "end_stop",
        Pos(goal_x, stop_y + thick / 2, (stop_z0 + stop_z1) / 2)
        * Box(2 * guide_offset + GUIDE_WIDTH * w, thick, stop_z1 - stop_z0),
        material="wood",
    )

    slope = math.atan(rise)
    face_b = envelope.min[1] - FIN_CLEARANCE * w
    fin_height = tall + FIN_HEADROOM * w
    travel_b = (goal_y - w - gap - face_b) / math.cos(slope)
    fin = Slider(
        "fin",
        Pos(goal_x, face_b - thick / 2, deck_top + LIFT * w + fin_height / 2)
        * Box(fin_width, thick, fin_height),
        axis=(0, math.cos(slope), math.sin(slope)),
        travel=travel_b,
        speed=speed,
        start_time=START_S + travel_a / speed + PAUSE_S,
        force=force,
    )
    horizon = fin.start_time + travel_b / speed + HORIZON_MARGIN_S
    parts = [
        deck_stop,
        Part("track", track, material="aluminium"),
        Part("guides", guides[0] + guides[1], material="wood"),
        end_stop,
    ]
    return Solution(parts=parts, movers=[deck_pusher, fin], horizon=horizon)


def _rail(y0: float, y1: float, z0: float, z1: float, depth: float, x: float, width: float, above: float):
    """A rail along +y whose line rises from (y0, z0) to (y1, z1): it reaches `above` over the line and
    `depth` below it, cut level at z0."""
    rise = (z1 - z0) / (y1 - y0)
    line = [(y0, z0), (y0, z0 + above), (y1, z1 + above)] if above > 0 else [(y0, z0), (y1, z1)]
    profile = Plane.YZ * Polygon(*line, (y1, z1 - depth), (y0 + depth / rise, z0), align=None)
    rail = extrude(profile, amount=width)
    centre_x = rail.bounding_box().center().X
    return Pos(x - centre_x, 0, 0) * rail
