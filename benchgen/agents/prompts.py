"""System prompts and request texts of the LLM roles; the Coder's API section is generated from the kit."""

import inspect
import json
from collections.abc import Callable, Iterable

from benchgen.agents.schemas import ScriptDraft
from benchgen.codes import SCENARIO_CODES, SOLUTION_CODES, FailureCode
from benchgen.contract import MAX_SCALE, MIN_SCALE
from benchgen.decisions import Plan
from benchgen.evaluation.report import EvaluationReport
from benchgen.kit import (
    MATERIALS,
    Fixture,
    Hinge,
    Part,
    Payload,
    Scenario,
    ScenarioView,
    Slider,
    Solution,
    Zone,
    solution_limits,
)
from benchgen.kit.scenario import LABEL_PATTERN, MAX_LABEL_LENGTH, RESERVED_LABELS
from benchgen.render.types import RenderBundle
from benchgen.validation.language import FORBIDDEN_BUILTINS
from benchgen.validation.report import ValidationReport
from benchgen.validation.static_checks import ALLOWED_IMPORTS, PLACEMENT_METHODS

MAX_FAILURES_IN_REQUEST = 12  # failures quoted back to the Coder; more only repeat the same lesson

# What each failure code means, as in the contract's table (docs/scenario-contract.md); a test pins both.
FAILURE_CODE_MEANINGS: dict[FailureCode, str] = {
    FailureCode.SCRIPT_ERROR: "the script does not import or `build` raises",
    FailureCode.TIMEOUT: "a variant exceeds its time limit",
    FailureCode.RESOURCE_LIMIT: (
        "a variant exceeds its memory, process, output or scratch limits, or a host-side budget on meshing or simulation"
    ),
    FailureCode.CONTRACT_VIOLATION: (
        "wrong return type, bad or duplicate label, unknown material, missing part, scale or units misuse, "
        "a construct outside the scenario language"
    ),
    FailureCode.NONDETERMINISTIC: "the same (seed, scale) gives different geometry",
    FailureCode.NO_VARIATION: "every seed gives the same geometry",
    FailureCode.ZONE_INVALID: "a zone with min >= max on some axis",
    FailureCode.INVALID_GEOMETRY: "an invalid or degenerate solid, or a mesh that cannot be made watertight",
    FailureCode.FIXTURE_OUT_OF_BOUNDS: "a fixture reaches outside `bounds`",
    FailureCode.FIXTURE_INTERSECTION: "two fixtures overlap by more than a small tolerance volume",
    FailureCode.BUILD_ZONE_OUT_OF_BOUNDS: "the build zone is not inside `bounds`",
    FailureCode.GOAL_OUT_OF_BOUNDS: "the goal is not inside `bounds`",
    FailureCode.GOAL_OUTSIDE_BUILD_ZONE: "the goal does not overlap the build zone (no solver could reach it)",
    FailureCode.GOAL_OVERLAPS_FORBID: "the goal intersects a forbid zone",
    FailureCode.PAYLOAD_OUT_OF_BOUNDS: "the payload's start envelope (start +- jitter +- size) leaves `bounds`",
    FailureCode.PAYLOAD_IN_GOAL: "the payload starts inside the goal",
    FailureCode.PAYLOAD_IN_FORBID: "the payload's start envelope touches a forbid zone",
    FailureCode.PAYLOAD_OVERLAPS_FIXTURE: (
        "the payload at its start (or anywhere in its jitter envelope) intersects a fixture"
    ),
    FailureCode.PHYSICS_UNSTABLE: "NaN, simulator warnings, speeds over 100 m/s, energy that grows",
    FailureCode.OUT_OF_BOUNDS: "left alone, the payload leaves `bounds` during the simulated settle",
    FailureCode.FORBID_ZONE_HIT: "left alone, the payload touches a forbid zone",
    FailureCode.GOAL_REACHED_UNAIDED: "left alone, the payload ends in the goal: the benchmark is trivial",
    FailureCode.NOT_SETTLED: "left alone, the payload is still moving at the end of the settle time",
    FailureCode.GOAL_BLOCKED: "no placement of the payload with its centre in the goal is free of fixtures",
    FailureCode.GOAL_UNREACHABLE: (
        "no collision-free path of the payload from its start to the goal exists inside the bounds "
        "without touching a forbid zone"
    ),
    FailureCode.PAYLOAD_TRAPPED: "the payload cannot leave its start region at all (enclosed)",
    FailureCode.PAYLOAD_UNREACHABLE: (
        "the build zone never comes within reach of the payload, at its start or wherever it could fall "
        "or roll from there, so no part could move it"
    ),
    FailureCode.NO_WITNESS: (
        "a witness is required and none was given: no solution file proves the scenario solvable"
    ),
    FailureCode.WITNESS_FAILED: (
        "the witness does not solve some variant; its first evaluation failures are quoted with their codes"
    ),
}

# What each evaluation code means for a witness, as in docs/solution-contract.md's table; a test pins both.
SOLUTION_CODE_MEANINGS: dict[FailureCode, str] = {
    FailureCode.SOLUTION_ERROR: (
        "`solve` does not import, raises, returns the wrong type, misuses the kit (bad label, material, shape), "
        "or sends back data that does not check out"
    ),
    FailureCode.PART_OUTSIDE_BUILD_ZONE: (
        "a part, or a mover anywhere along its motion (the slider's swept box; the hinge's pieces turned in "
        "1 degree steps), leaves the build zone"
    ),
    FailureCode.PART_OVERLAPS_FIXTURE: (
        "a part or mover intersects a fixture at t = 0 by more than 1 mm^3 (exact B-rep), or a mover runs "
        "more than 1 mm into a fixture or part during the run"
    ),
    FailureCode.PART_OVERLAPS_PAYLOAD: (
        "a part or mover intersects the payload's start envelope (start +- jitter +- size) at t = 0 (exact B-rep)"
    ),
    FailureCode.OVER_LIMITS: (
        "too many parts or movers, a mover asks beyond its force, torque, speed, travel or angle limit, or "
        "the horizon is too long"
    ),
    FailureCode.GOAL_NOT_REACHED: (
        "at the end of the horizon the payload's centre is not in the goal, or it has not rested there "
        "(< 1 mm/s, < 0.05 rad/s) for the last 0.5 s"
    ),
}

# The kit entry points a script may call, in the order the prompt documents them, each with one usage note.
KIT_API: tuple[tuple[str, Callable, str], ...] = (
    ("Fixture", Fixture, "A static, labelled solid already placed with Pos/Rot/Location (never .translate)."),
    (
        "Payload.sphere",
        Payload.sphere,
        "`start` is the centre (mm); `jitter` the largest start offset per axis.",
    ),
    ("Payload.box", Payload.box, "`size` is the edge lengths (x, y, z) in mm; the box is axis-aligned."),
    ("Payload.cylinder", Payload.cylinder, "An upright cylinder: its axis is z, `height` along z."),
    ("Zone", Zone, "Axis-aligned box in mm; min < max on every axis."),
    ("Scenario", Scenario, "Keyword-only; `build` returns exactly one of these."),
)

EXAMPLE_SCRIPT = """\
import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    # Dimensions first, in mm, every length multiplied by scale; the gap varies with the seed.
    gap = rng.uniform(80, 160) * scale
    deck_w, deck_h = 200 * scale, 80 * scale
    radius = 20 * scale
    clearance = 1.0  # mm between the ball and the deck at start: it drops onto the deck and rests
    left_x = -(gap / 2 + deck_w / 2)
    right_x = gap / 2 + deck_w / 2
    # Two decks, placed with Pos; their tops are at z = deck_h.
    deck = Box(deck_w, deck_w, deck_h)
    left = Fixture("left_deck", Pos(left_x, 0, deck_h / 2) * deck)
    right = Fixture("right_deck", Pos(right_x, 0, deck_h / 2) * deck, material="wood")
    return Scenario(
        fixtures=[left, right],
        # The payload is only declared; the simulator spawns it at `start`.
        payload=Payload.sphere(
            radius=radius, start=(left_x, 0, deck_h + radius + clearance), jitter=(5, 5, 0), material="steel"
        ),
        goal=Zone((right_x - 50 * scale, -60 * scale, deck_h), (right_x + 50 * scale, 60 * scale, deck_h + 80 * scale)),
        forbid=[Zone((-gap / 2, -150 * scale, -10), (gap / 2, 150 * scale, deck_h - 20 * scale), name="gap")],
        build_zone=Zone((-400 * scale, -200 * scale, 0), (400 * scale, 200 * scale, 300 * scale)),
        bounds=Zone((-500 * scale, -300 * scale, -100), (500 * scale, 300 * scale, 400 * scale)),
    )
"""

# The solution entry points a witness may call, in the order the prompt documents them.
SOLUTION_API: tuple[tuple[str, Callable, str], ...] = (
    ("Part", Part, "A static solid welded in place: bridge, ramp, guide, stop."),
    (
        "Slider",
        Slider,
        "Moves its shape `travel` mm along the unit vector `axis` at `speed` mm/s from `start_time` s.",
    ),
    (
        "Hinge",
        Hinge,
        "Turns its shape `angle` degrees about `axis` through `pivot` at `speed` deg/s from `start_time` s.",
    ),
    ("Solution", Solution, "Keyword-only; `solve` returns exactly one of these."),
    (
        "scenario.fixture",
        ScenarioView.fixture,
        "A fixture by label: `.label`, `.material`, `.shape`, `.bbox`.",
    ),
)

# A witness for EXAMPLE_SCRIPT: it solves every variant from every start (tests/test_prompt_drift.py).
EXAMPLE_WITNESS = """\
from build123d import Box, Pos

from benchgen.kit import Part, Slider, Solution


def solve(scenario) -> Solution:
    # Read every size from the scenario: one witness must solve every seed and scale.
    left = scenario.fixture("left_deck").bbox
    right = scenario.fixture("right_deck").bbox
    goal, payload = scenario.goal, scenario.payload
    radius = payload.radius
    deck_top = left.max[2]
    width = left.size[1] * 0.6  # across y: wider than the ball's jitter
    # A bridge flush with the decks fills the gap (it lies outside the gap's forbid zone, which ends lower).
    gap = right.min[0] - left.max[0]
    bridge = Part(
        "bridge",
        Pos((left.max[0] + right.min[0]) / 2, 0, deck_top - radius / 4) * Box(gap, width, radius / 2),
        material="aluminium",
    )
    # A stop just past the goal holds the ball in it.
    stop = Part(
        "stop", Pos(goal.max[0] + radius / 4, 0, deck_top + radius) * Box(radius / 2, width, 2 * radius), "wood"
    )
    # A pusher starts clear of the ball's whole jitter envelope, rides 1 mm above the deck and pushes the
    # ball up to the stop.
    front = payload.envelope().min[0] - 2.0
    pusher = Slider(
        "pusher",
        Pos(front - radius / 2, 0, deck_top + 1.0 + 0.75 * radius) * Box(radius, width, 1.5 * radius),
        axis=(1, 0, 0),
        travel=goal.max[0] - 1.0 - 2 * radius - front,
        speed=4 * radius,
        start_time=0.2,
    )
    return Solution(parts=[bridge, stop], movers=[pusher], horizon=10.0)
"""


def plain_signature(func: Callable) -> str:
    """A signature with parameter names and defaults only: what a script author needs to call it."""
    signature = inspect.signature(func)
    parameters = [p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()]
    return str(signature.replace(parameters=parameters, return_annotation=inspect.Signature.empty))


def kit_api_reference() -> str:
    """The kit's callable API as documented to the Coder, generated from the real signatures."""
    lines = [f"- `{name}{plain_signature(func)}`: {note}" for name, func, note in KIT_API]
    lines.append(
        f"- Labels match `{LABEL_PATTERN.pattern}`, at most {MAX_LABEL_LENGTH} characters, unique; reserved: "
        + ", ".join(sorted(RESERVED_LABELS))
        + "."
    )
    lines.append("- Forbid zones without a name are called forbid_0, forbid_1, ... in list order.")
    return "\n".join(lines)


def solution_api_reference() -> str:
    """The solution kit's API as documented to the Coder, generated from the real signatures and limits."""
    lines = [f"- `{name}{plain_signature(func)}`: {note}" for name, func, note in SOLUTION_API]
    lines.append(
        "- `scenario.payload` has `.shape`, `.material`, `.start`, `.radius`, `.size`, `.height`, `.jitter`, "
        "`.half_extents` and `.envelope()` (the box of every start); `scenario.goal`, `.build_zone`, `.bounds` and each of "
        "`scenario.forbid` have `.min`, `.max`, `.center`, `.size` (mm)."
    )
    limits = solution_limits
    lines.append(
        f"- Limits: at most {limits.MAX_PARTS} parts and {limits.MAX_MOVERS} movers; slider force <= "
        f"{limits.MAX_FORCE_N:g} N (default {limits.DEFAULT_FORCE_N:g}), speed <= {limits.MAX_SPEED_MM_S:g} mm/s, "
        f"travel <= {limits.MAX_TRAVEL_MM:g} mm; hinge torque <= {limits.MAX_TORQUE_NM:g} N*m (default "
        f"{limits.DEFAULT_TORQUE_NM:g}), speed <= {limits.MAX_ANGULAR_SPEED_DEG_S:g} deg/s, |angle| <= "
        f"{limits.MAX_ANGLE_DEG:g} deg; horizon <= {limits.MAX_HORIZON_S:g} s (default {limits.DEFAULT_HORIZON_S:g})."
    )
    return "\n".join(lines)


def materials_table() -> str:
    rows = ["| name | density kg/m^3 | friction |", "| --- | --- | --- |"]
    rows += [f"| {m.name} | {m.density_kg_m3:g} | {m.friction:g} |" for m in MATERIALS.values()]
    return "\n".join(rows)


def codes_table(meanings: dict[FailureCode, str], codes: Iterable[FailureCode]) -> str:
    """The codes with their meanings as the contract documents' tables write them."""
    rows = ["| code | when |", "| --- | --- |"]
    rows += [f"| {code.value} | {meanings[code]} |" for code in codes]
    return "\n".join(rows)


PLANNER_SYSTEM = """\
You plan mechanical-engineering benchmark scenarios. A benchmark is a puzzle: a payload (sphere, box or
upright cylinder) starts at rest on static fixtures; a solver will later design a mechanism inside the
build zone that moves it into the goal zone without touching a forbid zone. You plan only the environment,
never a solution.

Given a theme, answer with a plan: the puzzle idea, every fixture with its label, the payload (shape, size
in mm, material), where the goal, forbid zones, build zone and bounds go, and which dimensions vary with
the seed (name, low, high in mm, whether they scale with `scale`). Left alone, the payload must rest: it
must not roll into the goal or a forbid zone by itself. Leave margins larger than the payload's jitter.
Materials: {materials}.
"""


def planner_system_prompt() -> str:
    return PLANNER_SYSTEM.format(materials=", ".join(MATERIALS))


CODER_SYSTEM = """\
You write one Python file: a randomized build123d benchmark scenario for benchgen.

## Contract
- Define `build(seed: int, scale: float = 1.0) -> Scenario`; it is the only entry point. Draw every
  random number from `random.Random(seed)`; the same (seed, scale) must give the same scenario and
  different seeds must give different geometry. Multiply every length by `scale` ({min_scale}..{max_scale}).
- Import only from: {imports}.
- No work at import time, no `__main__` block, no I/O, no network, no environment variables, no clock.
- People run published scripts outside any sandbox, so the validator accepts only the scenario
  language: no attribute or keyword argument that starts with `_`, no `__dunder__` names; never
  {builtins}; no `.format()` or `.format_map()` (use f-strings); use an imported module only as
  `module.name`; no file export/import, fonts or `Text` from build123d; no `from m import *`.
- Units are millimetres. Place shapes with `Pos(...) * shape`, `Rot(...)` or `Location`, never with
  {placement}: the placement would be lost.
- Fixtures are static solids; there is no implicit floor, so whatever supports the payload is a fixture.
- The payload is declared with `Payload.*`, never drawn as a fixture: the simulator spawns it at `start`.
- Left alone under gravity the payload must come to rest on a fixture, outside the goal and every forbid
  zone, inside `bounds`, with margins larger than its jitter. The goal must overlap the build zone and
  lie inside `bounds`; the build zone lies inside `bounds`; fixtures stay inside `bounds` and do not overlap.

## Kit API (generated from benchgen.kit)
{api}

## Materials
{materials}

## Failure codes the validator reports
{codes}

## Worked example (it passes validation)
```python
{example}```

## The witness
With the script you write its witness: a solution file that proves the scenario solvable. A solver will
later design its own mechanism; the witness shows one exists. It defines `solve(scenario) -> Solution`,
imports only from `build123d` and `benchgen.kit`, and builds a plausible mechanism (bridges, ramps,
pushers, lifts, guides, stops) inside the build zone, never inside a fixture, a forbid zone or the
payload's start envelope. The validator evaluates it on every variant the script is validated on, from
the payload's nominal start and every corner of its jitter envelope: it must bring the payload's centre
into the goal and hold it there at rest. Read every size from `scenario` (fixtures by their labels, the
zones, the payload), so one witness solves every seed and scale. A witness that cheats (a part that
only teleports or traps the payload, a mechanism no engineer would build) is rejected by the reviewer.

### Solution API (generated from benchgen.kit)
{solution_api}

### Evaluation codes a witness can fail with (plus FORBID_ZONE_HIT, OUT_OF_BOUNDS, PHYSICS_UNSTABLE)
{solution_codes}

### Worked witness for the example above (it solves every variant)
```python
{example_witness}```

## Answer format
Answer with two ```python fenced blocks and nothing else but an optional one-line note before them: first
the complete script (it defines `build`), then the complete witness (it defines `solve`). Never prefix
lines with line numbers.
{lessons}"""


def coder_system_prompt(lessons: list[str] | None = None) -> str:
    """The Coder's system prompt, with recurring failure lessons appended when there are any."""
    lesson_text = ""
    if lessons:
        lesson_text = (
            "\n## Lessons from earlier failures\n" + "\n".join(f"- {lesson}" for lesson in lessons) + "\n"
        )
    return CODER_SYSTEM.format(
        min_scale=MIN_SCALE,
        max_scale=MAX_SCALE,
        imports=", ".join(f"`{module}`" for module in ALLOWED_IMPORTS),
        builtins=", ".join(f"`{name}`" for name in FORBIDDEN_BUILTINS),
        placement=", ".join(f"`.{method}()`" for method in sorted(PLACEMENT_METHODS)),
        api=kit_api_reference(),
        materials=materials_table(),
        codes=codes_table(FAILURE_CODE_MEANINGS, SCENARIO_CODES),
        example=EXAMPLE_SCRIPT,
        solution_api=solution_api_reference(),
        solution_codes=codes_table(SOLUTION_CODE_MEANINGS, sorted(SOLUTION_CODES)),
        example_witness=EXAMPLE_WITNESS,
        lessons=lesson_text,
    )


REVIEWER_SYSTEM = """\
You review benchmark scenarios that already passed every machine check (contract, geometry, physics
settle over several seeds) and, when they come with a witness (a reference mechanism written with the
script), whose witness solved every variant from every start. Checks decide validity; you judge what they cannot: does the scene fit the
theme and the plan, is it uncluttered and physically plausible, is the puzzle not trivial, and is the
witness a plausible mechanism rather than a loophole. A loophole is a witness that solves only by
exploiting the simulation or the checks: a part that traps or launches the payload without a mechanism
an engineer would build, a part that does nothing but fill the goal, parts balanced on numerical
tolerances. The witness clip, when given, shows it solving the nominal variant.

Answer with a verdict:
- APPROVE when the scenario is a good benchmark for the theme.
- REJECT_CODE when the plan is fine but the script should change (say exactly what, with numbers).
- REJECT_PLAN when the idea itself does not fit the theme or cannot make a good puzzle.
Give at least one reason, and concrete feedback for the role that acts next.
"""


def planner_request(theme: str, seed: int, feedback: str | None) -> str:
    text = f"Theme: {theme}\nSession seed: {seed}\n"
    if feedback:
        text += f"\nThe reviewer rejected the previous plan. Its feedback:\n{feedback}\n"
    return text


def plan_text(plan: Plan) -> str:
    """The plan as the Coder and Reviewer read it."""
    return json.dumps(plan.model_dump(mode="json", exclude={"usage"}), indent=2)


def coder_request(
    plan: Plan,
    attempt: int,
    previous: ScriptDraft | None,
    report: ValidationReport | None,
    feedback: str | None,
) -> str:
    text = f"Attempt {attempt}. Write the script and its witness for this plan:\n{plan_text(plan)}\n"
    if previous is not None:
        text += f"\nYour previous script:\n```python\n{previous.source}```\n"
        if previous.witness is not None:
            text += f"\nYour previous witness:\n```python\n{previous.witness}```\n"
    if report is not None and not report.ok:
        failures = report.failures[:MAX_FAILURES_IN_REQUEST]
        listed = "\n".join(
            f"- {f.code.value} (seed {f.seed}, scale {f.scale}): {f.message}" for f in failures
        )
        text += f"\nIt failed validation ({len(report.failures)} failures). Fix every one:\n{listed}\n"
        if report.witness is not None and not report.witness.solved:
            text += "\nThe witness's evaluation, per variant and start:\n" + witness_evaluation_text(
                report.witness
            )
    if feedback:
        text += f"\nThe reviewer's feedback on the previous script:\n{feedback}\n"
    return text


def witness_evaluation_text(evaluation: EvaluationReport) -> str:
    """The witness's evaluation as the Coder and the Reviewer read it: a line per variant and per start."""
    lines = []
    for variant in evaluation.variants:
        verdict = "solved" if variant.solved else "NOT solved"
        numbers = (
            f"cost {variant.cost:g}, {variant.weight_kg:.3g} kg, {variant.parts} parts, {variant.movers} movers"
            if variant.cost is not None and variant.weight_kg is not None
            else "no mechanism was built"
        )
        if variant.time_to_goal_s is not None:
            numbers += f", time to goal {variant.time_to_goal_s:.2f} s"
        lines.append(f"- seed {variant.seed} scale {variant.scale:g}: {verdict}; {numbers}")
        for start in variant.starts:
            end = "in the goal" if start.reached_goal else f"ended at {_mm(start.final_mm)}"
            failure = f", {start.failure.value}" if start.failure else ""
            lines.append(f"  - start {start.index} from {_mm(start.start_mm)}: {end}{failure}")
    return "\n".join(lines) + "\n"


def _mm(point: tuple[float, float, float]) -> str:
    return "(" + ", ".join(f"{value:.0f}" for value in point) + ") mm"


def reviewer_request(
    plan: Plan, draft: ScriptDraft, report: ValidationReport, bundle: RenderBundle | None
) -> str:
    text = f"Plan:\n{plan_text(plan)}\n\nScript:\n```python\n{draft.source}```\n"
    if draft.witness is not None:
        text += f"\nWitness:\n```python\n{draft.witness}```\n"
    if report.witness is not None:
        text += "\nThe witness's evaluation:\n" + witness_evaluation_text(report.witness)
    text += "\nValidation report:\n"
    text += report.model_dump_json(indent=1, exclude={"script", "witness"})
    if bundle is not None:
        text += "\n\nRender metrics per view:\n" + "\n".join(m.model_dump_json() for m in bundle.metrics)
        if bundle.notes:
            text += "\nRender notes:\n" + "\n".join(f"- {note}" for note in bundle.notes)
        if bundle.witness_strip is not None:
            text += "\nThe last image is the witness running on the rendered variant: frames from start to end, left to right."
    return text
