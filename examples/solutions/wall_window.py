"""Wall window, solved: a side pusher lines the cube up with the window, a plank rises from the floor
through the window and on over the goal, and a pusher sliding up just above the plank pushes the cube
up it, through the window, and off its end into the goal."""

import math

from build123d import Box, Plane, Polygon, Pos, extrude

from benchgen.kit import Part, Slider, Solution

CLEARANCE = 1.0  # mm between a pusher and the cube's jitter envelope at t = 0
LIFT = 0.5  # mm the pushers start above the floor
PLANK = 3.0  # mm: the plank's thickness
WINDOW_PLAY = 1.0  # mm between the plank or pusher and the window's sides and top
PUSH_PAST_END = 1.0  # cube sizes the pusher's face ends past the plank's end
SPEED_MM_S = 80.0  # mm/s
FORCE_IN_WEIGHTS = 20.0  # the pushers' force limit in cube weights
GRAVITY_M_S2 = 9.81
ALIGN_TIME_S = 0.2  # s the side pusher starts


def solve(scenario) -> Solution:
    wall = scenario.fixture("wall")
    payload = scenario.payload
    cube = payload.size[0]
    floor_top = payload.start[2] - cube / 2
    envelope = payload.envelope()
    goal = scenario.goal
    sill, lintel, window_lo, window_hi = _window(wall)
    window_y = (window_lo + window_hi) / 2
    force = FORCE_IN_WEIGHTS * payload.mass_kg * GRAVITY_M_S2

    # 1. Line the cube up with the window: push it along y from the side away from the window.
    side = 1.0 if window_y >= payload.start[1] else -1.0
    face_y = (envelope.min[1] if side > 0 else envelope.max[1]) - side * CLEARANCE
    aligner = Slider(
        "aligner",
        Pos(payload.start[0], face_y - side * cube / 4, floor_top + LIFT + cube / 2)
        * Box(cube + 2 * payload.jitter[0], cube / 2, cube),
        axis=(0, side, 0),
        travel=max(LIFT, abs(window_y - side * cube / 2 - face_y)),
        speed=SPEED_MM_S,
        start_time=ALIGN_TIME_S,
        force=force,
    )
    aligned_s = ALIGN_TIME_S + aligner.travel / SPEED_MM_S

    # 2. A plank from the floor, through the window (clear of the sill), on to over the goal.
    toe = envelope.max[0]
    wall_face = wall.bbox.min[0]
    rise = (sill + PLANK + WINDOW_PLAY - floor_top) / (wall_face - toe)  # the plank's slope (tan)
    end = goal.min[0] + cube
    width = min(window_hi - window_lo - 2 * WINDOW_PLAY, cube + 2 * payload.jitter[1] + 2 * cube / 4)
    profile = Plane.XZ * Polygon(
        (toe, floor_top),
        (end, floor_top + (end - toe) * rise),
        (end, floor_top + (end - toe) * rise - PLANK),
        (toe + PLANK / rise, floor_top),
        align=None,
    )
    plank = extrude(profile, amount=width)
    plank = Pos(0, window_y - plank.bounding_box().center().Y, 0) * plank

    # 3. The pusher slides along the plank's slope, as low as it can start: it fits through the window.
    front = envelope.min[0] - CLEARANCE
    slope = math.atan(rise)
    offset = LIFT + (toe - front) * rise  # its underside above the plank's surface, mm
    wall_back = wall.bbox.max[0]
    length = cube / 2  # along x
    # Its top is highest under the lintel when its back leaves the wall.
    height = lintel - WINDOW_PLAY - (floor_top + (wall_back + length - toe) * rise + offset)
    run = end + PUSH_PAST_END * cube - front
    pusher = Slider(
        "pusher",
        Pos(front - length / 2, window_y, floor_top + LIFT + height / 2) * Box(length, width, height),
        axis=(math.cos(slope), 0, math.sin(slope)),
        travel=run / math.cos(slope),
        speed=SPEED_MM_S,
        start_time=aligned_s + 0.3,
        force=force,
    )
    return Solution(
        parts=[Part("plank", plank, material="aluminium")], movers=[aligner, pusher], horizon=25.0
    )


def _window(wall) -> tuple[float, float, float, float]:
    """The window's sill z, lintel z and y extent, from the wall's faces: the upward face below the top
    is the sill, the downward face above the bottom is the lintel."""
    box = wall.bbox
    sill = lintel = None
    for face in wall.shape.faces():
        normal = face.normal_at()
        bb = face.bounding_box()
        if normal.Z > 0.99 and bb.max.Z < box.max[2] - 1e-6:
            sill, y_lo, y_hi = bb.min.Z, bb.min.Y, bb.max.Y
        elif normal.Z < -0.99 and bb.min.Z > box.min[2] + 1e-6:
            lintel = bb.min.Z
    return sill, lintel, y_lo, y_hi
