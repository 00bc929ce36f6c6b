"""The Coder's prompt against the real kit, the failure codes and the contract document: they cannot drift."""

import inspect
import re
from pathlib import Path

import pytest

from benchgen.agents import prompts
from benchgen.agents.llm import PlanReply, ReviewReply
from benchgen.codes import SCENARIO_CODES, SOLUTION_CODES
from benchgen.decisions import Plan, ReviewDecision
from benchgen.kit import MATERIALS, Payload, solution_limits
from benchgen.kit.scenario import MAX_LABEL_LENGTH, RESERVED_LABELS
from benchgen.sandbox import SandboxRunner
from benchgen.validation.report import Solvability
from benchgen.validation.static_checks import ALLOWED_IMPORTS, PLACEMENT_METHODS
from benchgen.validation.validator import validate_source
from benchgen.validation.witness import Witness, check_witness

CONTRACT_DOC = Path(__file__).resolve().parents[1] / "docs" / "scenario-contract.md"
SOLUTION_DOC = Path(__file__).resolve().parents[1] / "docs" / "solution-contract.md"
CODE_ROW = re.compile(r"^\| ([A-Z_]+) \| (.+) \|$", re.MULTILINE)
EXAMPLE_SEEDS = (0, 1, 2)
EXAMPLE_SCALES = (0.5, 2.0)  # both ends of the contract's range; the graph tests validate it at 1.0


@pytest.fixture(scope="module")
def coder_prompt() -> str:
    return prompts.coder_system_prompt()


def test_every_payload_constructor_is_documented() -> None:
    public = {
        f"Payload.{name}"
        for name, member in inspect.getmembers(Payload, inspect.ismethod)
        if not name.startswith("_") and member.__self__ is Payload
    }
    documented = {name for name, _, _ in prompts.KIT_API}
    assert public <= documented, f"undocumented in the Coder prompt: {sorted(public - documented)}"


@pytest.mark.parametrize("name,func,note", prompts.KIT_API, ids=[name for name, _, _ in prompts.KIT_API])
def test_prompt_shows_the_real_signature(coder_prompt: str, name: str, func, note: str) -> None:
    signature = inspect.signature(func)
    shown = f"`{name}{prompts.plain_signature(func)}`"
    assert shown in coder_prompt
    for parameter in signature.parameters.values():
        assert re.search(rf"\b{parameter.name}\b", shown), f"{name}: parameter {parameter.name!r} not shown"
        if parameter.default is not inspect.Parameter.empty:
            assert f"{parameter.name}={parameter.default!r}" in shown


@pytest.mark.parametrize(
    "name,func,note", prompts.SOLUTION_API, ids=[name for name, _, _ in prompts.SOLUTION_API]
)
def test_prompt_shows_the_real_solution_signature(coder_prompt: str, name: str, func, note: str) -> None:
    shown = f"`{name}{prompts.plain_signature(func)}`"
    assert shown in coder_prompt
    for parameter in inspect.signature(func).parameters.values():
        if parameter.name in ("self",):
            continue
        assert re.search(rf"\b{parameter.name}\b", shown), f"{name}: parameter {parameter.name!r} not shown"
        if parameter.default is not inspect.Parameter.empty:
            assert f"{parameter.name}={parameter.default!r}" in shown


def test_prompt_states_the_solution_limits_and_codes(coder_prompt: str) -> None:
    limits = solution_limits
    for phrase in (
        f"at most {limits.MAX_PARTS} parts and {limits.MAX_MOVERS} movers",
        f"slider force <= {limits.MAX_FORCE_N:g} N",
        f"horizon <= {limits.MAX_HORIZON_S:g} s",
    ):
        assert phrase in coder_prompt
    documented = {code: meaning for code, meaning in CODE_ROW.findall(SOLUTION_DOC.read_text())}
    for code in SOLUTION_CODES:
        assert documented[code.value] == prompts.SOLUTION_CODE_MEANINGS[code]
        assert f"| {code.value} | {prompts.SOLUTION_CODE_MEANINGS[code]} |" in coder_prompt
    assert prompts.EXAMPLE_WITNESS in coder_prompt


def test_prompt_lists_materials_labels_and_codes(coder_prompt: str) -> None:
    for material in MATERIALS.values():
        assert f"| {material.name} | {material.density_kg_m3:g} | {material.friction:g} |" in coder_prompt
    assert f"at most {MAX_LABEL_LENGTH} characters" in coder_prompt
    for label in RESERVED_LABELS:
        assert label in coder_prompt
    for code in SCENARIO_CODES:
        assert f"| {code.value} | {prompts.FAILURE_CODE_MEANINGS[code]} |" in coder_prompt
    assert prompts.EXAMPLE_SCRIPT in coder_prompt


def test_prompt_states_the_validators_source_rules(coder_prompt: str) -> None:
    for module in ALLOWED_IMPORTS:
        assert f"`{module}`" in coder_prompt
    for method in PLACEMENT_METHODS:
        assert f"`.{method}()`" in coder_prompt


def test_failure_code_meanings_match_the_contract_document() -> None:
    documented = {code: meaning for code, meaning in CODE_ROW.findall(CONTRACT_DOC.read_text())}
    assert set(documented) == {code.value for code in SCENARIO_CODES}
    assert {code.value: meaning for code, meaning in prompts.FAILURE_CODE_MEANINGS.items()} == documented


def test_lessons_are_appended_to_the_coder_prompt() -> None:
    lesson = "PAYLOAD_OVERLAPS_FIXTURE kept recurring; e.g. raise start z to >= 100"
    assert f"- {lesson}" in prompts.coder_system_prompt([lesson])
    assert "Lessons from earlier failures" not in prompts.coder_system_prompt([])


def test_the_worked_example_passes_validation_and_its_witness_solves_it() -> None:
    witness = Witness(name="solution.py", source=prompts.EXAMPLE_WITNESS)
    with SandboxRunner() as runner:
        report = validate_source(
            prompts.EXAMPLE_SCRIPT, "example.py", EXAMPLE_SEEDS, EXAMPLE_SCALES, runner=runner
        )
        report = check_witness(report, prompts.EXAMPLE_SCRIPT, witness, required=True, runner=runner)
    assert report.ok, [
        f"{f.code.value} (seed {f.seed}, scale {f.scale}): {f.message}" for f in report.failures
    ]
    assert len(report.variants) == len(EXAMPLE_SEEDS) * len(EXAMPLE_SCALES)
    assert report.solvability is Solvability.PROVEN


def test_model_reply_schemas_cover_the_exchanged_types() -> None:
    """What the model writes plus what benchgen fills in must be exactly a Plan / ReviewDecision."""
    assert set(PlanReply.model_fields) | {"theme", "usage", "parameters"} == set(Plan.model_fields)
    assert set(ReviewReply.model_fields) | {"reviewer", "saw_images", "usage"} == set(
        ReviewDecision.model_fields
    )
