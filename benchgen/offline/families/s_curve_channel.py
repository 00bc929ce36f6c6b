"""S-curve channel: a walled channel with two staggered baffles; the payload must follow the S."""

from benchgen.offline.families.base import Family, FamilyParams, Hardness, difficulty_field, shape_field


class SCurveChannelParams(FamilyParams):
    chamber_length: float = difficulty_field(
        110.0, 80.0, 200.0, "mm: length of each of the three chambers", Hardness.HIGHER
    )
    channel_width_ratio: float = shape_field(5.0, 4.0, 8.0, "channel width over the payload width")
    opening_ratio: float = shape_field(1.8, 1.4, 2.6, "gap beside each baffle over the payload width")


class SCurveChannel(Family):
    key = "s_curve_channel"
    title = "S-curve channel"
    keywords = ("s", "curve", "channel", "serpentine", "snake", "zigzag", "maze", "winding", "bend", "path")
    description = "Steer a payload along a walled S-shaped channel past two staggered baffles to its far chamber."
    params_model = SCurveChannelParams
    puzzle = "the payload rests in the first chamber; bring it along the S-shaped channel into the last chamber."
    fixture_labels = (
        ("base_plate", "floor plate"),
        ("side_wall_left", "channel side wall"),
        ("side_wall_right", "channel side wall"),
        ("end_wall_start", "channel end wall"),
        ("end_wall_goal", "channel end wall"),
        ("baffle_first", "baffle leaving an opening at +y"),
        ("baffle_second", "baffle leaving an opening at -y"),
    )
    zones = "goal in the last chamber; forbid zone above the channel walls"
    body = '''
def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    size = vary(rng, PAYLOAD_SIZE) * scale
    room = 2 * size + 2 * JITTER_XY * scale + 30 * scale  # smallest chamber that holds the payload
    opening = vary(rng, OPENING_RATIO) * 2 * size
    width = max(vary(rng, CHANNEL_WIDTH_RATIO) * 2 * size, opening + room)
    first = max(vary(rng, CHAMBER_LENGTH) * scale, room) + 2 * SUPPORT_MARGIN * scale
    middle = max(vary(rng, CHAMBER_LENGTH) * scale, room)
    goal_edge = min(goal_edge_for(rng, size), width - 10 * scale)
    last = max(vary(rng, CHAMBER_LENGTH) * scale, room, goal_edge + 10 * scale) + GOAL_SHIFT * scale
    wall = 10 * scale  # wall and baffle thickness
    plate_top = 20 * scale
    wall_top = plate_top + payload_height(size) + (25 + max(START_CLEARANCE, 0)) * scale
    # Chambers along x: [0, b1], baffle, [b1 + wall, b2], baffle, [b2 + wall, end].
    b1 = first
    b2 = b1 + wall + middle
    end = b2 + wall + last
    half = width / 2
    base_plate = block("base_plate", -wall - 40 * scale, end + wall + 40 * scale,
                       -half - wall - 40 * scale, half + wall + 40 * scale, 0, plate_top)
    walls = [
        block("side_wall_left", -wall, end + wall, half, half + wall, plate_top, wall_top),
        block("side_wall_right", -wall, end + wall, -half - wall, -half, plate_top, wall_top),
        block("end_wall_start", -wall, 0, -half, half, plate_top, wall_top),
        block("end_wall_goal", end, end + wall, -half, half, plate_top, wall_top),
        block("baffle_first", b1, b1 + wall, -half, half - opening, plate_top, wall_top),
        block("baffle_second", b2, b2 + wall, -half + opening, half, plate_top, wall_top),
    ]
    payload = resting_payload(first / 2, 0, plate_top, size, scale)
    goal_x = b2 + wall + last / 2
    goal = Zone((goal_x - goal_edge / 2, -goal_edge / 2, plate_top),
                (goal_x + goal_edge / 2, goal_edge / 2, wall_top - 1 * scale))
    over = Zone((-wall, -half - wall, wall_top + 2 * scale), (end + wall, half + wall, wall_top + 200 * scale),
                name="over_channel")
    return scenario([base_plate] + walls, payload, goal, [over], scale)
'''
