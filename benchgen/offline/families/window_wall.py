"""Through a window: the payload must pass through an opening in a wall; over and around are forbidden."""

from benchgen.offline.families.base import Family, FamilyParams, Hardness, difficulty_field, shape_field


class WindowWallParams(FamilyParams):
    sill_height: float = difficulty_field(
        50.0, 10.0, 140.0, "mm: height of the window's lower edge above the floor", Hardness.HIGHER
    )
    window_width_ratio: float = shape_field(2.2, 1.6, 3.5, "window width over the payload width")
    window_height_ratio: float = shape_field(2.0, 1.5, 3.0, "window height over the payload height")
    wall_distance: float = shape_field(140.0, 100.0, 240.0, "mm: from the payload to the wall")
    wall_thickness: float = shape_field(20.0, 10.0, 40.0, "mm: wall thickness")


class WindowWall(Family):
    key = "window_wall"
    title = "Through a window in a wall"
    keywords = ("window", "wall", "opening", "hole", "through", "aperture", "hatch", "slot", "port")
    description = "Pass a payload through a window opening in a wall that stands across its path."
    params_model = WindowWallParams
    puzzle = "the payload rests on the floor; pass it through the window in the wall to the goal beyond."
    fixture_labels = (
        ("base_plate", "floor plate"),
        ("wall_sill", "wall below the window"),
        ("wall_lintel", "wall above the window"),
        ("wall_left", "wall left of the window"),
        ("wall_right", "wall right of the window"),
    )
    zones = "goal beyond the wall; forbid zones above the wall and around its ends"
    body = '''
def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    size = vary(rng, PAYLOAD_SIZE) * scale
    sill = vary(rng, SILL_HEIGHT) * scale
    window_width = vary(rng, WINDOW_WIDTH_RATIO) * (2 * size + 2 * JITTER_XY * scale)
    window_height = vary(rng, WINDOW_HEIGHT_RATIO) * (payload_height(size) + 2 * JITTER_Z * scale)
    wall_x = vary(rng, WALL_DISTANCE) * scale + size + SUPPORT_MARGIN * scale
    thickness = vary(rng, WALL_THICKNESS) * scale
    goal_edge = goal_edge_for(rng, size)
    room = goal_room(size)
    plate_top = 20 * scale
    half_width = max(window_width / 2, room) + 80 * scale + SUPPORT_MARGIN * scale
    goal_x = wall_x + thickness / 2 + 40 * scale + room + GOAL_SHIFT * scale
    plate_x0 = -size - 60 * scale - SUPPORT_MARGIN * scale
    plate_x1 = goal_x + room + 40 * scale
    base_plate = block("base_plate", plate_x0, plate_x1, -half_width, half_width, 0, plate_top)
    # The wall spans the plate's width: four blocks around the window.
    wx0, wx1 = wall_x - thickness / 2, wall_x + thickness / 2
    window_bottom = plate_top + sill
    window_top = window_bottom + window_height
    wall_top = window_top + 30 * scale
    wall = [
        block("wall_sill", wx0, wx1, -half_width, half_width, plate_top, window_bottom),
        block("wall_lintel", wx0, wx1, -half_width, half_width, window_top, wall_top),
        block("wall_left", wx0, wx1, window_width / 2, half_width, window_bottom, window_top),
        block("wall_right", wx0, wx1, -half_width, -window_width / 2, window_bottom, window_top),
    ]
    payload = resting_payload(0, 0, plate_top, size, scale)
    goal = goal_on(goal_x, 0, plate_top, goal_edge, size)
    reach = 300 * scale  # how far the forbid zones reach beyond the wall's top and ends
    over = Zone((wx0 - 10 * scale, -half_width - reach, wall_top + 2 * scale),
                (wx1 + 10 * scale, half_width + reach, wall_top + reach), name="over_wall")
    around_left = Zone((wx0 - 10 * scale, half_width + 2 * scale, 0),
                       (wx1 + 10 * scale, half_width + reach, wall_top + 2 * scale), name="around_left")
    around_right = Zone((wx0 - 10 * scale, -half_width - reach, 0),
                        (wx1 + 10 * scale, -half_width - 2 * scale, wall_top + 2 * scale), name="around_right")
    return scenario([base_plate] + wall, payload, goal, [over, around_left, around_right], scale)
'''
