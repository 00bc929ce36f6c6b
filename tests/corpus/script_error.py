"""SCRIPT_ERROR: build() raises (a division by zero while computing the deck size)."""

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone


def build(seed: int, scale: float = 1.0) -> Scenario:
    width = 200 * scale / (seed - seed)
    deck = Fixture("deck", Pos(0, 0, 40) * Box(width, 200, 80))
    return Scenario(
        fixtures=[deck],
        payload=Payload.sphere(radius=20, start=(0, 0, 100)),
        goal=Zone((100, -50, 0), (200, 50, 100)),
        build_zone=Zone((-300, -200, 0), (300, 200, 300)),
        bounds=Zone((-400, -300, -100), (400, 300, 400)),
    )
