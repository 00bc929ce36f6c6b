"""Climb a ramp: push the payload up an incline onto a raised platform."""

from benchgen.offline.families.base import Family, FamilyParams, Hardness, difficulty_field, shape_field


class RampClimbParams(FamilyParams):
    rise: float = difficulty_field(70.0, 25.0, 160.0, "mm: height of the platform above the floor", Hardness.HIGHER)
    ramp_angle: float = shape_field(22.0, 10.0, 35.0, "degrees: slope of the ramp")
    approach: float = shape_field(120.0, 60.0, 240.0, "mm: floor between the payload and the ramp's foot")
    platform_length: float = shape_field(160.0, 120.0, 240.0, "mm: length of the platform top")
    width: float = shape_field(200.0, 150.0, 280.0, "mm: width of floor, ramp and platform")


class RampClimb(Family):
    key = "ramp_climb"
    title = "Ramp climb"
    keywords = ("ramp", "climb", "incline", "slope", "step", "up", "uphill", "raise", "platform", "stair")
    description = "Get a payload from the floor up a ramp or step onto a raised platform."
    params_model = RampClimbParams
    build123d_names = ("Box", "Plane", "Polygon", "Pos", "extrude")
    puzzle = "the payload rests on the floor plate; get it up the ramp onto the platform."
    fixture_labels = (("base_plate", "floor plate the payload rests on"), ("ramp_platform", "ramp rising to a platform"))
    zones = "goal on the platform top; no forbid zone"
    body = '''
def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    size = vary(rng, PAYLOAD_SIZE) * scale
    rise = vary(rng, RISE) * scale
    ramp_run = rise / math.tan(math.radians(vary(rng, RAMP_ANGLE)))
    approach = vary(rng, APPROACH) * scale + size + SUPPORT_MARGIN * scale
    platform_length = vary(rng, PLATFORM_LENGTH) * scale
    goal_edge = goal_edge_for(rng, size)
    room = goal_room(size)
    width = max(vary(rng, WIDTH) * scale, 2 * room + 40 * scale) + 2 * SUPPORT_MARGIN * scale
    plate_top = 20 * scale
    platform_length = max(platform_length, 2 * room + 40 * scale) + GOAL_SHIFT * scale
    # Floor plate from behind the payload to the end of the platform.
    start_x = -approach
    plate_x0 = start_x - size - 60 * scale - SUPPORT_MARGIN * scale
    plate_x1 = ramp_run + platform_length
    base_plate = block("base_plate", plate_x0, plate_x1, -width / 2, width / 2, 0, plate_top)
    # Ramp from x = 0 up to the platform, one solid extruded across the width.
    profile = Polygon((0, plate_top), (ramp_run, plate_top + rise), (plate_x1, plate_top + rise),
                      (plate_x1, plate_top), align=None)
    ramp = extrude(Plane.XZ * profile, amount=width / 2, both=True)
    ramp_platform = Fixture("ramp_platform", ramp, FIXTURE_MATERIAL)
    payload = resting_payload(start_x, 0, plate_top, size, scale)
    goal_x = plate_x1 - 20 * scale - room
    goal = goal_on(goal_x, 0, plate_top + rise, goal_edge, size)
    return scenario([base_plate, ramp_platform], payload, goal, [], scale)
'''
