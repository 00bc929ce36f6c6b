"""Gap crossing witness: a bridge fills the gap flush with the decks, a pusher on a Slider pushes the payload
across it, and a stop beyond the goal holds the payload in the goal's centre against the pusher."""

from build123d import Box, Pos

from benchgen.kit import Part, Slider, Solution

CLEARANCE = 0.1  # payload half widths between the pusher and the payload's jitter envelope at t = 0
LIFT = 0.04  # payload half widths the pusher rides above the deck (its guide holds it off the deck)
HOLD_GAP = 0.1  # payload half widths of play left between payload, pusher and stop at the end
BRIDGE_THICKNESS = 0.5  # payload half widths: thickness of the bridge slab below the deck top
PUSHER_THICKNESS = 0.8  # payload half widths along the push
PUSHER_HEIGHT = 1.3  # payload heights: covers the payload's centre whatever its shape
STOP_THICKNESS = 0.5  # payload half widths along the push
STOP_HEIGHT = 1.5  # payload heights
SPAN_MARGIN = 0.3  # payload half widths the pusher and stop reach past the payload's jitter across y
SPEED = 4.0  # payload half widths per second
FORCE_N = 200.0  # N: the slider's limit; the heaviest steel box needs under 100 N to slide
START_S = 0.2  # s: the pusher waits for the payload to settle
SETTLE_S = 8.0  # s: at most this long after the push for the payload to come to rest in the goal


def solve(scenario) -> Solution:
    start_deck = scenario.fixture("start_deck").bbox
    goal_deck = scenario.fixture("goal_deck").bbox
    goal = scenario.goal
    payload = scenario.payload
    half_x, half_y, half_z = payload.half_extents
    unit = max(half_x, half_y)  # the payload's half width: every length below is a multiple of it
    deck_top = start_deck.max[2]
    envelope = payload.envelope()
    span = envelope.size[1] + 2 * SPAN_MARGIN * unit

    gap_x0, gap_x1 = start_deck.max[0], goal_deck.min[0]
    bridge_width = min(start_deck.size[1], goal_deck.size[1])
    bridge = Part(
        "bridge",
        Pos((gap_x0 + gap_x1) / 2, 0, deck_top - BRIDGE_THICKNESS * unit / 2)
        * Box(gap_x1 - gap_x0, bridge_width, BRIDGE_THICKNESS * unit),
        material="aluminium",
    )

    # The stop's face is where the payload's front must be when its centre is the goal's centre.
    stop_face = goal.center[0] + half_x + HOLD_GAP * unit / 2
    stop = Part(
        "stop",
        Pos(stop_face + STOP_THICKNESS * unit / 2, 0, deck_top + STOP_HEIGHT * 2 * half_z / 2)
        * Box(STOP_THICKNESS * unit, span, STOP_HEIGHT * 2 * half_z),
        material="wood",
    )

    front = envelope.min[0] - CLEARANCE * unit
    pusher_height = PUSHER_HEIGHT * 2 * half_z
    pusher_shape = Pos(
        front - PUSHER_THICKNESS * unit / 2, payload.start[1], deck_top + LIFT * unit + pusher_height / 2
    ) * Box(PUSHER_THICKNESS * unit, span, pusher_height)
    travel = goal.center[0] - half_x - HOLD_GAP * unit / 2 - front
    speed = SPEED * unit
    pusher = Slider(
        "pusher", pusher_shape, axis=(1, 0, 0), travel=travel, speed=speed, start_time=START_S,
        material="abs", force=FORCE_N,
    )
    return Solution(parts=[bridge, stop], movers=[pusher], horizon=START_S + travel / speed + SETTLE_S)
