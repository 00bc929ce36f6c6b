"""Measures of any built scenario (difficulty, geometry fingerprint), whichever backend wrote it."""
