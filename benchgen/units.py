"""Units: scripts speak millimetres; MuJoCo speaks metres. This is the only conversion point."""

MM_PER_M = 1000.0


def mm_to_m(value_mm: float) -> float:
    """Convert a length from millimetres (build123d, scripts) to metres (MJCF, MuJoCo)."""
    return value_mm / MM_PER_M


def m_to_mm(value_m: float) -> float:
    """Convert a length from metres (simulation results) back to millimetres (reports)."""
    return value_m * MM_PER_M
