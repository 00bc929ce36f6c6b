"""Exceptions the kit raises when a script misuses it; each carries the failure code it maps to."""

from benchgen.codes import FailureCode


class KitError(ValueError):
    """A scenario script used the kit against the contract; `code` says which contract rule."""

    code: FailureCode = FailureCode.CONTRACT_VIOLATION


class ContractViolation(KitError):
    """Wrong type, bad or duplicate label, unknown material, missing part, units misuse."""

    code = FailureCode.CONTRACT_VIOLATION


class ZoneInvalid(KitError):
    """A zone whose min is not below its max on every axis."""

    code = FailureCode.ZONE_INVALID


class InvalidGeometry(KitError):
    """A fixture shape that is not a valid, non-degenerate solid."""

    code = FailureCode.INVALID_GEOMETRY
