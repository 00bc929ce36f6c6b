"""The public scenario-script API. Scripts import only from here (and build123d, math, random)."""

from benchgen.kit.errors import ContractViolation, InvalidGeometry, KitError, ZoneInvalid
from benchgen.kit.materials import MATERIALS, Material
from benchgen.kit.scenario import Fixture, Payload, Scenario, Zone

__all__ = [
    "MATERIALS",
    "ContractViolation",
    "Fixture",
    "InvalidGeometry",
    "KitError",
    "Material",
    "Payload",
    "Scenario",
    "Zone",
    "ZoneInvalid",
]
