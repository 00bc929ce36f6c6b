"""Physics: fixtures to an MJCF scene, and the settle simulation that judges a scenario left alone."""

from benchgen.physics.mjcf import MjcfScene, build_mjcf
from benchgen.physics.settle import SettleResult, SettleSettings, StartOutcome, simulate_settle

__all__ = ["MjcfScene", "SettleResult", "SettleSettings", "StartOutcome", "build_mjcf", "simulate_settle"]
