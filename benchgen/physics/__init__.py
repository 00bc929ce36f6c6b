"""Physics: fixtures to an MJCF scene, and the settle simulation that judges a scenario left alone."""

from benchgen.physics.mjcf import MjcfScene, build_mjcf

__all__ = ["MjcfScene", "build_mjcf"]
