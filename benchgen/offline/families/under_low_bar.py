"""Under a low bar: the payload must pass beneath a bar; the space above the bar is forbidden."""

from benchgen.offline.families.base import Family, FamilyParams, Hardness, difficulty_field, shape_field


class UnderLowBarParams(FamilyParams):
    travel: float = difficulty_field(
        280.0, 200.0, 420.0, "mm: distance from the payload to the goal's near edge", Hardness.HIGHER
    )
    clearance_ratio: float = shape_field(1.5, 1.2, 2.4, "space under the bar over the payload height")
    corridor_ratio: float = shape_field(3.0, 2.2, 5.0, "space between the posts over the payload width")
    bar_depth: float = shape_field(30.0, 15.0, 60.0, "mm: thickness of the bar along the path")


class UnderLowBar(Family):
    key = "under_low_bar"
    title = "Pass under a low bar"
    keywords = ("under", "bar", "low", "beneath", "limbo", "duck", "clearance", "overhead", "beam", "barrier")
    description = "Move a payload along the floor underneath a low horizontal bar held by two posts."
    params_model = UnderLowBarParams
    puzzle = "the payload rests on the floor; move it under the low bar to the goal beyond."
    fixture_labels = (
        ("base_plate", "floor plate"),
        ("post_left", "post holding the bar"),
        ("post_right", "post holding the bar"),
        ("low_bar", "the low bar"),
    )
    zones = "goal beyond the bar on the floor; forbid zones above the bar and beside its posts"
    body = '''
MIN_CLEARANCE_RATIO = 1.1  # the payload always fits under the bar, whatever the variation


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    size = vary(rng, PAYLOAD_SIZE) * scale
    travel = vary(rng, TRAVEL) * scale + GOAL_SHIFT * scale
    clearance = max(vary(rng, CLEARANCE_RATIO), MIN_CLEARANCE_RATIO) * (payload_height(size) + 2 * JITTER_Z * scale)
    corridor = vary(rng, CORRIDOR_RATIO) * 2 * size
    bar_depth = vary(rng, BAR_DEPTH) * scale
    goal_edge = goal_edge_for(rng, size)
    room = goal_room(size)
    post = 20 * scale  # post width
    plate_top = 20 * scale
    half_width = max(corridor / 2 + post, room + 20 * scale) + 40 * scale + SUPPORT_MARGIN * scale
    # Payload at x = 0, bar halfway to the goal.
    bar_x = travel / 2
    plate_x0 = -size - 60 * scale - SUPPORT_MARGIN * scale
    plate_x1 = travel + 2 * room + 40 * scale
    base_plate = block("base_plate", plate_x0, plate_x1, -half_width, half_width, 0, plate_top)
    bar_bottom = plate_top + clearance
    bx0, bx1 = bar_x - bar_depth / 2, bar_x + bar_depth / 2
    post_left = block("post_left", bx0, bx1, corridor / 2, corridor / 2 + post, plate_top, bar_bottom)
    post_right = block("post_right", bx0, bx1, -corridor / 2 - post, -corridor / 2, plate_top, bar_bottom)
    low_bar = block("low_bar", bx0, bx1, -corridor / 2 - post, corridor / 2 + post, bar_bottom, bar_bottom + post)
    payload = resting_payload(0, 0, plate_top, size, scale)
    goal = goal_on(travel + room, 0, plate_top, goal_edge, size)
    over_bar = Zone((bx0 - 10 * scale, -half_width, bar_bottom + post + 2 * scale),
                    (bx1 + 10 * scale, half_width, bar_bottom + post + 200 * scale), name="over_bar")
    # Beside the posts is forbidden too: the payload must go under the bar, not around it.
    outer = corridor / 2 + post + 2 * scale
    beside_left = Zone((bx0 - 10 * scale, outer, 0), (bx1 + 10 * scale, half_width + 200 * scale, bar_bottom + post),
                       name="beside_left")
    beside_right = Zone((bx0 - 10 * scale, -half_width - 200 * scale, 0), (bx1 + 10 * scale, -outer, bar_bottom + post),
                        name="beside_right")
    fixtures = [base_plate, post_left, post_right, low_bar]
    return scenario(fixtures, payload, goal, [over_bar, beside_left, beside_right], scale)
'''
