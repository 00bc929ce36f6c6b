"""Validation of scenario scripts: contract, geometry, MJCF and the MuJoCo settle."""
