"""Onto a raised shelf: lift the payload from the floor onto a shelf held up by two legs."""

from benchgen.offline.families.base import Family, FamilyParams, Hardness, difficulty_field, shape_field


class RaisedShelfParams(FamilyParams):
    shelf_height: float = difficulty_field(
        120.0, 60.0, 240.0, "mm: height of the shelf top above the floor", Hardness.HIGHER
    )
    shelf_distance: float = shape_field(140.0, 90.0, 220.0, "mm: from the payload to the shelf's near edge")
    shelf_depth: float = shape_field(140.0, 100.0, 200.0, "mm: depth of the shelf along the path")
    shelf_width: float = shape_field(200.0, 150.0, 280.0, "mm: width of the shelf")


class RaisedShelf(Family):
    key = "raised_shelf"
    title = "Onto a raised shelf"
    keywords = ("shelf", "raised", "lift", "onto", "table", "high", "ledge", "elevated", "top", "hoist")
    description = "Lift a payload from the floor onto a raised shelf standing on two legs; under the shelf is forbidden."
    params_model = RaisedShelfParams
    puzzle = "the payload rests on the floor; lift it onto the raised shelf."
    fixture_labels = (
        ("base_plate", "floor plate"),
        ("shelf_leg_left", "shelf leg"),
        ("shelf_leg_right", "shelf leg"),
        ("shelf_board", "the shelf"),
    )
    zones = "goal on the shelf; forbid zone under the shelf between its legs"
    body = '''
def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    size = vary(rng, PAYLOAD_SIZE) * scale
    shelf_height = vary(rng, SHELF_HEIGHT) * scale
    distance = vary(rng, SHELF_DISTANCE) * scale + size + SUPPORT_MARGIN * scale
    goal_edge = goal_edge_for(rng, size)
    room = goal_room(size)
    depth = max(vary(rng, SHELF_DEPTH) * scale, 2 * room + 20 * scale) + GOAL_SHIFT * scale
    width = max(vary(rng, SHELF_WIDTH) * scale, 2 * room + 60 * scale)
    board = 15 * scale  # shelf board thickness
    leg = 20 * scale  # leg width across the shelf
    plate_top = 20 * scale
    x0, x1 = distance, distance + depth
    top = plate_top + shelf_height
    plate_y = width / 2 + 40 * scale + SUPPORT_MARGIN * scale
    base_plate = block("base_plate", -size - 60 * scale - SUPPORT_MARGIN * scale, x1 + 40 * scale,
                       -plate_y, plate_y, 0, plate_top)
    shelf = [
        block("shelf_leg_left", x0, x1, width / 2 - leg, width / 2, plate_top, top - board),
        block("shelf_leg_right", x0, x1, -width / 2, -width / 2 + leg, plate_top, top - board),
        block("shelf_board", x0, x1, -width / 2, width / 2, top - board, top),
    ]
    payload = resting_payload(0, 0, plate_top, size, scale)
    goal = goal_on(x1 - 10 * scale - room, 0, top, goal_edge, size)
    under = Zone((x0, -width / 2 + leg, plate_top + 1 * scale), (x1, width / 2 - leg, top - board - 1 * scale),
                 name="under_shelf")
    return scenario([base_plate] + shelf, payload, goal, [under], scale)
'''
