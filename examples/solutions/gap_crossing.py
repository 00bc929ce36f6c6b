"""Gap crossing, solved: a bridge fills the gap flush with the decks, a pusher rolls the ball across, and
a stop on the right deck halts it in the goal."""

from build123d import Box, Pos

from benchgen.kit import Part, Slider, Solution

CLEARANCE = 2.0  # mm between the pusher and the payload's jitter envelope at t = 0
LIFT = 1.0  # mm the pusher rides above the deck (its guide holds it; it must not scrape the deck)
HOLD_GAP = 1.0  # mm of play left between the ball and pusher + stop at the end


def solve(scenario) -> Solution:
    left = scenario.fixture("left_deck").bbox
    right = scenario.fixture("right_deck").bbox
    goal = scenario.goal
    payload = scenario.payload
    radius = payload.radius
    deck_top = left.max[2]
    width = left.size[1] * 0.6  # mm across y: wide enough for the ball's jitter

    gap = right.min[0] - left.max[0]
    bridge = Part(
        "bridge",
        Pos((left.max[0] + right.min[0]) / 2, 0, deck_top - radius / 4) * Box(gap, width, radius / 2),
        material="aluminium",
    )
    stop = Part(
        "stop",
        Pos(goal.max[0] + radius / 4, 0, deck_top + radius) * Box(radius / 2, width, 2 * radius),
        material="wood",
    )

    envelope = payload.envelope()
    front = envelope.min[0] - CLEARANCE
    thickness = radius
    pusher_shape = Pos(front - thickness / 2, 0, deck_top + LIFT + 0.75 * radius) * Box(
        thickness, width, 1.5 * radius
    )
    # Push the ball up to the stop and hold it there: it cannot roll on or back.
    travel = goal.max[0] - HOLD_GAP - 2 * radius - front
    pusher = Slider(
        "pusher",
        pusher_shape,
        axis=(1, 0, 0),
        travel=travel,
        speed=4 * radius,
        start_time=0.2,
        material="abs",
    )
    return Solution(parts=[bridge, stop], movers=[pusher], horizon=10.0)
