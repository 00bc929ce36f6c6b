"""Drop into a bin: move the payload off a high deck into an open bin below."""

from benchgen.offline.families.base import Family, FamilyParams, Hardness, difficulty_field, shape_field


class DropIntoBinParams(FamilyParams):
    bin_distance: float = difficulty_field(
        100.0, 30.0, 240.0, "mm: horizontal gap between the deck and the bin", Hardness.HIGHER
    )
    deck_height: float = shape_field(160.0, 110.0, 260.0, "mm: height of the deck the payload rests on")
    deck_length: float = shape_field(160.0, 120.0, 240.0, "mm: length of the deck")
    wall_height: float = shape_field(50.0, 25.0, 90.0, "mm: height of the bin walls above its floor")


class DropIntoBin(Family):
    key = "drop_into_bin"
    title = "Drop into a lower bin"
    keywords = ("bin", "drop", "lower", "basket", "container", "box", "fall", "into", "below", "bucket")
    description = "Move a payload off a high deck so that it lands inside an open bin standing lower down."
    params_model = DropIntoBinParams
    puzzle = "the payload rests on a high deck; deliver it into the open bin below."
    fixture_labels = (
        ("start_deck", "high deck the payload rests on"),
        ("bin_floor", "floor of the bin"),
        ("bin_wall_near", "bin wall facing the deck"),
        ("bin_wall_far", "bin wall away from the deck"),
        ("bin_wall_left", "side wall of the bin"),
        ("bin_wall_right", "side wall of the bin"),
    )
    zones = "goal inside the bin; forbid zone on the ground between deck and bin"
    body = '''
def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    size = vary(rng, PAYLOAD_SIZE) * scale
    distance = vary(rng, BIN_DISTANCE) * scale + GOAL_SHIFT * scale
    deck_height = vary(rng, DECK_HEIGHT) * scale
    deck_length = vary(rng, DECK_LENGTH) * scale + 2 * SUPPORT_MARGIN * scale
    wall_height = vary(rng, WALL_HEIGHT) * scale
    inner = goal_edge_for(rng, size)  # inside edge of the square bin
    wall = 10 * scale  # wall and floor thickness
    deck_width = max(deck_length, 4 * size + 40 * scale)
    # High deck on the left; its right edge is x = 0.
    start_deck = block("start_deck", -deck_length, 0, -deck_width / 2, deck_width / 2, 0, deck_height)
    payload = resting_payload(-deck_length / 2, 0, deck_height, size, scale)
    # Open bin: a floor with four walls standing on it, centred goal_room + wall beyond x = distance.
    centre_x = distance + goal_room(size) + wall
    x0, x1 = centre_x - inner / 2 - wall, centre_x + inner / 2 + wall
    y0, y1 = -inner / 2 - wall, inner / 2 + wall
    top = wall + wall_height
    bin_parts = [
        block("bin_floor", x0, x1, y0, y1, 0, wall),
        block("bin_wall_near", x0, x0 + wall, y0, y1, wall, top),
        block("bin_wall_far", x1 - wall, x1, y0, y1, wall, top),
        block("bin_wall_left", x0 + wall, x1 - wall, y0, y0 + wall, wall, top),
        block("bin_wall_right", x0 + wall, x1 - wall, y1 - wall, y1, wall, top),
    ]
    goal = Zone((x0 + wall, -inner / 2, wall), (x1 - wall, inner / 2, wall + max(wall_height, payload_height(size))))
    # The ground between deck and bin is forbidden: a payload that falls short fails.
    ground = Zone((0.5 * scale, -deck_width / 2, -40 * scale), (x0 - 0.5 * scale, deck_width / 2, top), name="ground")
    return scenario([start_deck] + bin_parts, payload, goal, [ground], scale)
'''
