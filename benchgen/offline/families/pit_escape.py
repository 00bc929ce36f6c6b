"""Out of a pit: lift the payload out of a walled trough onto the rim deck beside it."""

from benchgen.offline.families.base import Family, FamilyParams, Hardness, difficulty_field, shape_field


class PitEscapeParams(FamilyParams):
    pit_depth: float = difficulty_field(70.0, 30.0, 160.0, "mm: height of the pit walls above its floor", Hardness.HIGHER)
    pit_width_ratio: float = shape_field(4.0, 3.0, 6.0, "pit width across the walls over the payload width")
    trough_length: float = shape_field(260.0, 180.0, 400.0, "mm: length of the trough")
    rim_length: float = shape_field(160.0, 120.0, 240.0, "mm: length of the rim deck beside the pit")


class PitEscape(Family):
    key = "pit_escape"
    title = "Out of a pit"
    keywords = ("pit", "trough", "out", "escape", "hole", "trench", "ditch", "well", "lift", "recover")
    description = "Get a payload out of a walled pit or trough and onto the rim deck standing next to it."
    params_model = PitEscapeParams
    puzzle = "the payload rests on the floor of a pit; get it out onto the rim deck."
    fixture_labels = (
        ("pit_floor", "floor of the pit"),
        ("pit_wall_near", "pit wall away from the rim"),
        ("pit_wall_far", "pit wall next to the rim"),
        ("pit_wall_left", "pit end wall"),
        ("pit_wall_right", "pit end wall"),
        ("rim_deck", "deck beside the pit"),
    )
    zones = "goal on the rim deck; forbid zone at the trough's far end"
    body = '''
def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    size = vary(rng, PAYLOAD_SIZE) * scale
    depth = vary(rng, PIT_DEPTH) * scale
    inner_x = vary(rng, PIT_WIDTH_RATIO) * 2 * size + 2 * SUPPORT_MARGIN * scale
    inner_y = max(vary(rng, TROUGH_LENGTH) * scale, inner_x) + 2 * SUPPORT_MARGIN * scale
    goal_edge = goal_edge_for(rng, size)
    room = goal_room(size)
    rim_length = max(vary(rng, RIM_LENGTH) * scale, 2 * room + 40 * scale) + GOAL_SHIFT * scale
    wall = 15 * scale  # wall and floor thickness
    top = wall + depth
    x0, x1 = -inner_x / 2 - wall, inner_x / 2 + wall
    y0, y1 = -inner_y / 2 - wall, inner_y / 2 + wall
    pit = [
        block("pit_floor", x0, x1, y0, y1, 0, wall),
        block("pit_wall_near", x0, x0 + wall, y0, y1, wall, top),
        block("pit_wall_far", x1 - wall, x1, y0, y1, wall, top),
        block("pit_wall_left", x0 + wall, x1 - wall, y1 - wall, y1, wall, top),
        block("pit_wall_right", x0 + wall, x1 - wall, y0, y0 + wall, wall, top),
    ]
    rim_deck = block("rim_deck", x1, x1 + rim_length, y0, y1, 0, top)
    payload = resting_payload(0, -inner_y / 4, wall, size, scale)
    goal = goal_on(x1 + rim_length - 20 * scale - room, 0, top, goal_edge, size)
    # The trough's far end is forbidden: the payload must come out, not be pushed along.
    far_end = Zone((x0 + wall, inner_y / 4, wall + 1 * scale), (x1 - wall, inner_y / 2, top), name="trough_end")
    return scenario(pit + [rim_deck], payload, goal, [far_end], scale)
'''
