"""A deck with a 6 x 6 grid of pockets, each slightly shifted: quick to build, but its exact convex
split would cost the host gigabytes. Validation must refuse it with RESOURCE_LIMIT (host-side budgets)."""

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone

MISALIGN = 0.37  # mm per pocket: no two pocket walls share a plane (the host would split 10658 cells)


def build(seed: int, scale: float = 1.0) -> Scenario:
    deck = Box(700, 700, 40)
    for row in range(6):
        for column in range(6):
            offset = (row * 6 + column) * MISALIGN
            deck -= Pos(-250 + column * 100 + offset, -250 + row * 100 + offset, 15) * Box(60, 60, 20)
    return Scenario(
        fixtures=[Fixture("deck", Pos(0, 0, 20) * deck)],
        payload=Payload.sphere(radius=10, start=(0, 0, 60 + seed)),
        goal=Zone((200, 200, 40), (300, 300, 100)),
        build_zone=Zone((-350, -350, 0), (350, 350, 300)),
        bounds=Zone((-400, -400, -100), (400, 400, 400)),
    )
