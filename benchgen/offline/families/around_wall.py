"""Around a wall: the payload must go around the end of a wall; the space behind the wall is forbidden."""

from benchgen.offline.families.base import Family, FamilyParams, Hardness, difficulty_field, shape_field


class AroundWallParams(FamilyParams):
    shadow_depth: float = difficulty_field(
        90.0, 40.0, 180.0, "mm: depth of the forbidden zone behind the wall", Hardness.HIGHER
    )
    wall_span_ratio: float = shape_field(6.0, 4.0, 9.0, "wall length over the payload width")
    wall_height: float = shape_field(120.0, 80.0, 200.0, "mm: wall height above the floor")
    wall_distance: float = shape_field(120.0, 80.0, 200.0, "mm: from the payload to the wall")
    passage_ratio: float = shape_field(3.0, 2.2, 5.0, "free floor beside the wall's end over the payload width")


class AroundWall(Family):
    key = "around_wall"
    title = "Around a wall"
    keywords = ("around", "wall", "detour", "behind", "obstacle", "bypass", "corner", "shadow", "side")
    description = "Route a payload around the end of a wall to a goal hidden behind it; going over is forbidden."
    params_model = AroundWallParams
    puzzle = "the payload rests on the floor in front of a wall; bring it around the wall's end to the goal behind."
    fixture_labels = (("base_plate", "floor plate"), ("wall", "wall across the path"))
    zones = "goal behind the wall beyond a forbid zone that fills the wall's shadow"
    body = '''
def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    size = vary(rng, PAYLOAD_SIZE) * scale
    shadow = vary(rng, SHADOW_DEPTH) * scale
    span = vary(rng, WALL_SPAN_RATIO) * 2 * size
    wall_height = vary(rng, WALL_HEIGHT) * scale
    wall_x = vary(rng, WALL_DISTANCE) * scale + size + SUPPORT_MARGIN * scale
    passage = vary(rng, PASSAGE_RATIO) * 2 * size
    goal_edge = min(goal_edge_for(rng, size), span - 20 * scale)
    room = goal_room(size)
    thickness = 20 * scale
    plate_top = 20 * scale
    # The wall covers y in [-span / 2, span / 2]; free floor of width `passage` lies beyond its +y end.
    shadow_x0 = wall_x + thickness / 2
    goal_x = shadow_x0 + shadow + 20 * scale + room + GOAL_SHIFT * scale
    plate_x0 = -size - 60 * scale - SUPPORT_MARGIN * scale
    plate_x1 = goal_x + room + 40 * scale
    plate_y0 = -span / 2 - 40 * scale - SUPPORT_MARGIN * scale
    plate_y1 = span / 2 + passage
    base_plate = block("base_plate", plate_x0, plate_x1, plate_y0, plate_y1, 0, plate_top)
    wall = block("wall", wall_x - thickness / 2, shadow_x0, -span / 2, span / 2, plate_top, plate_top + wall_height)
    payload = resting_payload(0, 0, plate_top, size, scale)
    goal = goal_on(goal_x, 0, plate_top, goal_edge, size)
    shadow_zone = Zone((shadow_x0 + 1 * scale, -span / 2, plate_top + 1 * scale),
                       (shadow_x0 + shadow, span / 2, plate_top + wall_height + 300 * scale), name="wall_shadow")
    return scenario([base_plate, wall], payload, goal, [shadow_zone], scale)
'''
