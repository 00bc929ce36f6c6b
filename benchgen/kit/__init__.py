"""The public scenario-script API. Scripts import only from here (and build123d, math, random)."""

from benchgen.kit.errors import ContractViolation, InvalidGeometry, KitError, ZoneInvalid
from benchgen.kit.materials import MATERIALS, Material
from benchgen.kit.scenario import Fixture, Payload, Scenario, Zone
from benchgen.kit.solution import Hinge, Part, ScenarioView, Slider, Solution
from benchgen.kit.solution_spec import OverLimits, SolutionError

__all__ = [
    "MATERIALS",
    "ContractViolation",
    "Fixture",
    "Hinge",
    "InvalidGeometry",
    "KitError",
    "Material",
    "OverLimits",
    "Part",
    "Payload",
    "Scenario",
    "ScenarioView",
    "Slider",
    "Solution",
    "SolutionError",
    "Zone",
    "ZoneInvalid",
]
