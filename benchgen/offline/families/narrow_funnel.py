"""Narrow funnel goal: two converging walls lead to a goal no wider than the funnel's mouth."""

from benchgen.offline.families.base import Family, FamilyParams, Hardness, difficulty_field, shape_field


class NarrowFunnelParams(FamilyParams):
    funnel_length: float = difficulty_field(
        200.0, 120.0, 320.0, "mm: length of the funnel walls along the path", Hardness.HIGHER
    )
    funnel_spread: float = shape_field(80.0, 40.0, 140.0, "mm: how much wider the funnel's entry is than its mouth")
    funnel_distance: float = shape_field(60.0, 30.0, 120.0, "mm: from the payload to the funnel's entry")


class NarrowFunnel(Family):
    key = "narrow_funnel"
    title = "Narrow funnel goal"
    keywords = ("funnel", "narrow", "mouth", "converge", "taper", "tight", "chute", "squeeze", "precise")
    description = "Guide a payload through a funnel of converging walls into a narrow goal at its mouth."
    params_model = NarrowFunnelParams
    build123d_names = ("Box", "Pos", "Rot")
    puzzle = "the payload rests on the floor before a funnel; deliver it into the narrow goal at the mouth."
    fixture_labels = (
        ("base_plate", "floor plate"),
        ("funnel_left", "funnel wall"),
        ("funnel_right", "funnel wall"),
    )
    zones = "goal just past the mouth, as wide as the mouth; forbid zones beside the goal outside the funnel"
    body = '''
def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    size = vary(rng, PAYLOAD_SIZE) * scale
    length = vary(rng, FUNNEL_LENGTH) * scale
    mouth = goal_edge_for(rng, size)
    room = goal_room(size)
    entry = mouth + vary(rng, FUNNEL_SPREAD) * scale * 2  # entry width
    entry_x = vary(rng, FUNNEL_DISTANCE) * scale + size + JITTER_XY * scale + SUPPORT_MARGIN * scale
    mouth_x = entry_x + length
    thickness = 10 * scale
    wall_height = payload_height(size) + 30 * scale
    plate_top = 20 * scale
    half_width = entry / 2 + thickness + 40 * scale + SUPPORT_MARGIN * scale
    goal_x = mouth_x + room + GOAL_SHIFT * scale
    plate_x0 = -size - 60 * scale - SUPPORT_MARGIN * scale
    plate_x1 = goal_x + room + 60 * scale
    base_plate = block("base_plate", plate_x0, plate_x1, -half_width, half_width, 0, plate_top)
    # Each wall's inner face runs from the entry (half width entry/2) to the mouth (half width mouth/2).
    run = math.hypot(length, (entry - mouth) / 2)
    angle = math.degrees(math.atan2((entry - mouth) / 2, length))
    normal = (math.sin(math.radians(angle)), math.cos(math.radians(angle)))  # outward for the +y wall
    mid_x = (entry_x + mouth_x) / 2 + normal[0] * thickness / 2
    mid_y = (entry + mouth) / 4 + normal[1] * thickness / 2
    mid_z = plate_top + wall_height / 2
    wall = Box(run, thickness, wall_height)
    funnel_left = Fixture("funnel_left", Pos(mid_x, mid_y, mid_z) * Rot(0, 0, -angle) * wall, FIXTURE_MATERIAL)
    funnel_right = Fixture("funnel_right", Pos(mid_x, -mid_y, mid_z) * Rot(0, 0, angle) * wall, FIXTURE_MATERIAL)
    payload = resting_payload(0, 0, plate_top, size, scale)
    goal = goal_on(goal_x, 0, plate_top, mouth, size)
    spill = (mouth_x + 2 * scale, goal_x + room + 40 * scale)
    spill_height = plate_top + wall_height
    spill_left = Zone((spill[0], mouth / 2 + thickness + 2 * scale, plate_top + 1 * scale),
                      (spill[1], half_width, spill_height), name="spill_left")
    spill_right = Zone((spill[0], -half_width, plate_top + 1 * scale),
                       (spill[1], -mouth / 2 - thickness - 2 * scale, spill_height), name="spill_right")
    return scenario([base_plate, funnel_left, funnel_right], payload, goal, [spill_left, spill_right], scale)
'''
