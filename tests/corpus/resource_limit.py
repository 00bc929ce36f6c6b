"""RESOURCE_LIMIT: build() allocates far more memory than a variant may use."""

from benchgen.kit import Scenario


def build(seed: int, scale: float = 1.0) -> Scenario:
    hoard = []
    while True:
        hoard.append(bytearray(32 * 1024 * 1024))
