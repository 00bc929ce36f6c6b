"""Failure codes: the only vocabulary validation (the scenario contract) and evaluation (the solution
contract) speak."""

from enum import StrEnum


class FailureCode(StrEnum):
    """One code per way a scenario can fail; the table in docs/scenario-contract.md explains each."""

    SCRIPT_ERROR = "SCRIPT_ERROR"
    TIMEOUT = "TIMEOUT"
    RESOURCE_LIMIT = "RESOURCE_LIMIT"
    CONTRACT_VIOLATION = "CONTRACT_VIOLATION"
    NONDETERMINISTIC = "NONDETERMINISTIC"
    NO_VARIATION = "NO_VARIATION"
    ZONE_INVALID = "ZONE_INVALID"
    INVALID_GEOMETRY = "INVALID_GEOMETRY"
    FIXTURE_OUT_OF_BOUNDS = "FIXTURE_OUT_OF_BOUNDS"
    FIXTURE_INTERSECTION = "FIXTURE_INTERSECTION"
    BUILD_ZONE_OUT_OF_BOUNDS = "BUILD_ZONE_OUT_OF_BOUNDS"
    GOAL_OUT_OF_BOUNDS = "GOAL_OUT_OF_BOUNDS"
    GOAL_OUTSIDE_BUILD_ZONE = "GOAL_OUTSIDE_BUILD_ZONE"
    GOAL_OVERLAPS_FORBID = "GOAL_OVERLAPS_FORBID"
    PAYLOAD_OUT_OF_BOUNDS = "PAYLOAD_OUT_OF_BOUNDS"
    PAYLOAD_IN_GOAL = "PAYLOAD_IN_GOAL"
    PAYLOAD_IN_FORBID = "PAYLOAD_IN_FORBID"
    PAYLOAD_OVERLAPS_FIXTURE = "PAYLOAD_OVERLAPS_FIXTURE"
    PHYSICS_UNSTABLE = "PHYSICS_UNSTABLE"
    OUT_OF_BOUNDS = "OUT_OF_BOUNDS"
    FORBID_ZONE_HIT = "FORBID_ZONE_HIT"
    GOAL_REACHED_UNAIDED = "GOAL_REACHED_UNAIDED"
    NOT_SETTLED = "NOT_SETTLED"
    # Proofs that no mechanism can solve the scene (benchgen.validation.solvability).
    GOAL_BLOCKED = "GOAL_BLOCKED"
    GOAL_UNREACHABLE = "GOAL_UNREACHABLE"
    PAYLOAD_TRAPPED = "PAYLOAD_TRAPPED"
    PAYLOAD_UNREACHABLE = "PAYLOAD_UNREACHABLE"
    # The witness: a reference solution proving the scene solvable (benchgen.validation.witness).
    NO_WITNESS = "NO_WITNESS"
    WITNESS_FAILED = "WITNESS_FAILED"
    # Evaluation of a solution (docs/solution-contract.md); TIMEOUT, RESOURCE_LIMIT, FORBID_ZONE_HIT,
    # OUT_OF_BOUNDS and PHYSICS_UNSTABLE above apply to solutions too.
    SOLUTION_ERROR = "SOLUTION_ERROR"
    PART_OUTSIDE_BUILD_ZONE = "PART_OUTSIDE_BUILD_ZONE"
    PART_OVERLAPS_FIXTURE = "PART_OVERLAPS_FIXTURE"
    PART_OVERLAPS_PAYLOAD = "PART_OVERLAPS_PAYLOAD"
    OVER_LIMITS = "OVER_LIMITS"
    GOAL_NOT_REACHED = "GOAL_NOT_REACHED"


# Codes only `benchgen evaluate` reports, about a solution; validation never reports them.
SOLUTION_CODES = frozenset(
    {
        FailureCode.SOLUTION_ERROR,
        FailureCode.PART_OUTSIDE_BUILD_ZONE,
        FailureCode.PART_OVERLAPS_FIXTURE,
        FailureCode.PART_OVERLAPS_PAYLOAD,
        FailureCode.OVER_LIMITS,
        FailureCode.GOAL_NOT_REACHED,
    }
)
# Codes about a scenario's witness: validation reports them only when it is given one or requires one.
WITNESS_CODES = frozenset({FailureCode.NO_WITNESS, FailureCode.WITNESS_FAILED})
# The scenario contract's codes (docs/scenario-contract.md), in declaration order.
SCENARIO_CODES = tuple(code for code in FailureCode if code not in SOLUTION_CODES)
