"""The catalogue of offline scenario families, keyed by `Family.key`."""

from benchgen.errors import UsageError
from benchgen.offline.families.around_wall import AroundWall
from benchgen.offline.families.base import Family, FamilyParams, Hardness
from benchgen.offline.families.drop_into_bin import DropIntoBin
from benchgen.offline.families.gap_crossing import GapCrossing
from benchgen.offline.families.narrow_funnel import NarrowFunnel
from benchgen.offline.families.pit_escape import PitEscape
from benchgen.offline.families.raised_shelf import RaisedShelf
from benchgen.offline.families.ramp_climb import RampClimb
from benchgen.offline.families.s_curve_channel import SCurveChannel
from benchgen.offline.families.sideways_transfer import SidewaysTransfer
from benchgen.offline.families.speed_bump import SpeedBump
from benchgen.offline.families.under_low_bar import UnderLowBar
from benchgen.offline.families.window_wall import WindowWall

FAMILIES: dict[str, Family] = {
    family.key: family
    for family in (
        GapCrossing(),
        RampClimb(),
        DropIntoBin(),
        UnderLowBar(),
        WindowWall(),
        AroundWall(),
        RaisedShelf(),
        NarrowFunnel(),
        SCurveChannel(),
        SpeedBump(),
        PitEscape(),
        SidewaysTransfer(),
    )
}


def get_family(key: str) -> Family:
    """The family with this key, or a UsageError listing the known keys."""
    try:
        return FAMILIES[key]
    except KeyError:
        raise UsageError(f"unknown offline family {key!r}; known families: {', '.join(sorted(FAMILIES))}") from None


__all__ = ["FAMILIES", "Family", "FamilyParams", "Hardness", "get_family"]
