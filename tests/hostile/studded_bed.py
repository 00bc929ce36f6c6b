"""Two beds of 324 studs under a wide box: every stud is its own convex piece, and the payload resting on
them gives MuJoCo thousands of contacts. Validation must stop it at the contact budget (RESOURCE_LIMIT)."""

from build123d import Box, Compound, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone


def studs(x0):
    return Compound(
        children=[Pos(x0 + 6 * i, -51 + 6 * j, 2) * Box(4, 4, 4) for i in range(18) for j in range(18)]
    )


def build(seed, scale):
    return Scenario(
        fixtures=[Fixture("left_studs", studs(-105)), Fixture("right_studs", studs(3))],
        payload=Payload.box(size=(220, 110, 10), start=(0, 0, 9.5 + seed * 0.01)),
        goal=Zone((200, -50, 0), (260, 50, 60)),
        build_zone=Zone((-150, -150, 0), (300, 150, 100)),
        bounds=Zone((-200, -200, -20), (320, 200, 200)),
    )
