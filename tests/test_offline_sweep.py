"""The full sweep of the issue: every family x 20 seeds x scales {0.5, 1.0, 2.0} passes >= 95% of the time
after at most two repair moves. Slow (about a minute per family on two cores)."""

import pytest

from benchgen.offline.families import FAMILIES
from benchgen.offline.planner import OfflinePlanner
from benchgen.offline.sweep import family_pass_rate
from benchgen.sandbox import SandboxRunner

MIN_PASS_RATE = 0.95  # share of (seed, scale) cases per family that must pass


@pytest.fixture(scope="module")
def runner():
    with SandboxRunner() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def planner() -> OfflinePlanner:
    return OfflinePlanner()


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(FAMILIES))
def test_family_passes_the_sweep(runner, planner, key: str) -> None:
    result = family_pass_rate(key, runner, planner=planner)
    assert result.cases == 60
    assert result.rate >= MIN_PASS_RATE, f"{key}: {result.passed}/{result.cases} passed; {result.failures}"
