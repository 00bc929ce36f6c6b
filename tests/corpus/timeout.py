"""TIMEOUT: build() never returns (a busy loop); the sandbox stops it at its time limit."""

from benchgen.kit import Scenario


def build(seed: int, scale: float = 1.0) -> Scenario:
    count = 0
    while count >= 0:
        count += 1
    raise AssertionError("unreachable")
