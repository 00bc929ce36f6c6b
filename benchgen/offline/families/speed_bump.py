"""Over a speed bump: move the payload over a trapezoid bump that spans the floor."""

from benchgen.offline.families.base import Family, FamilyParams, Hardness, difficulty_field, shape_field


class SpeedBumpParams(FamilyParams):
    bump_height: float = difficulty_field(25.0, 8.0, 70.0, "mm: height of the bump", Hardness.HIGHER)
    bump_base: float = shape_field(90.0, 60.0, 160.0, "mm: length of the bump's foot along the path")
    bump_distance: float = shape_field(120.0, 70.0, 220.0, "mm: from the payload to the bump's foot")
    width: float = shape_field(220.0, 160.0, 300.0, "mm: width of floor and bump")


class SpeedBump(Family):
    key = "speed_bump"
    title = "Over a speed bump"
    keywords = ("speed", "bump", "hump", "over", "ridge", "obstacle", "roll", "hill", "kerb", "curb")
    description = "Get a payload over a trapezoid speed bump that spans the floor; going around is forbidden."
    params_model = SpeedBumpParams
    build123d_names = ("Box", "Plane", "Polygon", "Pos", "extrude")
    puzzle = "the payload rests on the floor; get it over the speed bump to the goal beyond."
    fixture_labels = (("base_plate", "floor plate"), ("speed_bump", "trapezoid bump across the floor"))
    zones = "goal beyond the bump; forbid zones beside the bump's ends"
    body = '''
def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    size = vary(rng, PAYLOAD_SIZE) * scale
    bump_height = vary(rng, BUMP_HEIGHT) * scale
    base = max(vary(rng, BUMP_BASE) * scale, 2 * bump_height + 20 * scale)
    crest = base / 3  # flat top of the bump
    foot_x = vary(rng, BUMP_DISTANCE) * scale + size + JITTER_XY * scale + SUPPORT_MARGIN * scale
    goal_edge = goal_edge_for(rng, size)
    room = goal_room(size)
    half_width = max(vary(rng, WIDTH) * scale, 2 * room + 40 * scale) / 2 + SUPPORT_MARGIN * scale
    plate_top = 20 * scale
    goal_x = foot_x + base + 30 * scale + room + GOAL_SHIFT * scale
    plate_x0 = -size - 60 * scale - SUPPORT_MARGIN * scale
    plate_x1 = goal_x + room + 40 * scale
    base_plate = block("base_plate", plate_x0, plate_x1, -half_width, half_width, 0, plate_top)
    # Trapezoid profile in the x-z plane, extruded across the floor's width.
    profile = Polygon((foot_x, plate_top), (foot_x + (base - crest) / 2, plate_top + bump_height),
                      (foot_x + (base + crest) / 2, plate_top + bump_height), (foot_x + base, plate_top), align=None)
    bump = Fixture("speed_bump", extrude(Plane.XZ * profile, amount=half_width, both=True), FIXTURE_MATERIAL)
    payload = resting_payload(0, 0, plate_top, size, scale)
    goal = goal_on(goal_x, 0, plate_top, goal_edge, size)
    reach = 200 * scale
    bypass = [
        Zone((foot_x, half_width + 2 * scale, 0), (foot_x + base, half_width + reach, plate_top + reach),
             name="bypass_left"),
        Zone((foot_x, -half_width - reach, 0), (foot_x + base, -half_width - 2 * scale, plate_top + reach),
             name="bypass_right"),
    ]
    return scenario([base_plate, bump], payload, goal, bypass, scale)
'''
