"""Drop into bin, solved: a plank from the deck's edge reaches over the bin's near wall, a pusher rolls
the ball along it until it drops into the bin, and a washboard of low bars on the bin's floor stops it
rolling (on a flat floor a ball rolls on for many seconds)."""

from build123d import Box, Pos

from benchgen.kit import Part, Slider, Solution

CLEARANCE = 2.0  # mm between the pusher and the payload's jitter envelope at t = 0
LIFT = 1.0  # mm the pusher rides above the deck and the plank
BAR_PITCH = 1.6  # ball radii between the washboard's bars: the ball settles between two of them
BAR_SIZE = 0.3  # ball radii: each bar's width and height


def solve(scenario) -> Solution:
    deck = scenario.fixture("deck").bbox
    goal = scenario.goal  # the bin's inside
    payload = scenario.payload
    radius = payload.radius
    deck_top = deck.max[2]
    width = goal.size[1] * 0.8  # mm across y

    # The plank ends over the bin's inside, one ball diameter past its near wall.
    plank_end = goal.min[0] + 2 * radius
    plank_length = plank_end - deck.max[0]
    thickness = radius / 2
    plank = Part(
        "plank",
        Pos(deck.max[0] + plank_length / 2, 0, deck_top - thickness / 2)
        * Box(plank_length, width, thickness),
        material="wood",
    )
    envelope = payload.envelope()
    front = envelope.min[0] - CLEARANCE
    pusher = Slider(
        "pusher",
        Pos(front - radius / 2, 0, deck_top + LIFT + 0.75 * radius) * Box(radius, width, 1.5 * radius),
        axis=(1, 0, 0),
        travel=plank_end + radius - front,  # the ball's centre ends a radius past the plank's end
        speed=4 * radius,
        start_time=0.2,
    )
    bars = [
        Pos(x, goal.center[1], goal.min[2] + BAR_SIZE * radius / 2)
        * Box(BAR_SIZE * radius, goal.size[1], BAR_SIZE * radius)
        for x in _bar_positions(goal.min[0], goal.max[0], radius)
    ]
    washboard = Part("washboard", sum(bars[1:], bars[0]), material="rubber")
    return Solution(parts=[plank, washboard], movers=[pusher], horizon=10.0)


def _bar_positions(start: float, end: float, radius: float) -> list[float]:
    pitch = BAR_PITCH * radius
    count = int((end - start - BAR_SIZE * radius) // pitch) + 1
    return [start + BAR_SIZE * radius / 2 + i * pitch for i in range(count)]
