"""Run a scenario script's `build(seed, scale)` (and a solution's `solve(scenario)`) and turn the result
into data: one code path for the sandbox worker's child and for trusted in-process builds."""

import errno
import time
import traceback
import types

from OCP.Standard import Standard_OutOfMemory
from pydantic import ValidationError

from benchgen.codes import FailureCode
from benchgen.kit import KitError, OverLimits, Scenario, ScenarioView, Solution
from benchgen.kit.exchange import shape_to_brep
from benchgen.kit.spec import describe_validation_error
from benchgen.sandbox.limits import MIB
from benchgen.sandbox.outcome import (
    BuildFailure,
    BuildOutcome,
    BuildResult,
    SolveFailure,
    SolveOutcome,
    SolveResult,
)

SCRIPT_FILENAME = "<scenario>"  # filename the script's code is compiled under; traceback frames match it
SCRIPT_MODULE_NAME = "scenario_script"
SOLUTION_FILENAME = "<solution>"  # filename a solution's code is compiled under
SOLUTION_MODULE_NAME = "solution_script"
MAX_SCRIPT_FRAMES = 3  # traceback frames from the script quoted in a SCRIPT_ERROR message


class OutputTooLarge(Exception):
    """The built scenario serializes to more bytes than the output limit."""


def execute_build(source: str, seed: int, scale: float, max_output_bytes: int) -> BuildOutcome:
    """Compile and import `source`, call its `build(seed, scale)` and serialize the Scenario it returns."""
    try:
        code = compile(source, SCRIPT_FILENAME, "exec")
    except SyntaxError as error:
        return BuildFailure(code=FailureCode.SCRIPT_ERROR, message=_syntax_message(error))
    module = types.ModuleType(SCRIPT_MODULE_NAME)
    module.__file__ = SCRIPT_FILENAME
    stage = "import"
    try:
        exec(code, module.__dict__)  # noqa: S102  (running the script is the point; the sandbox contains it)
        build = getattr(module, "build", None)
        if not callable(build):
            return BuildFailure(
                code=FailureCode.CONTRACT_VIOLATION,
                message="the script defines no callable `build`; define "
                "`def build(seed: int, scale: float = 1.0) -> Scenario` at module level",
            )
        stage = "build"
        started = time.perf_counter()
        scenario = build(seed, scale)
        build_s = time.perf_counter() - started
        if not isinstance(scenario, Scenario):
            return BuildFailure(
                code=FailureCode.CONTRACT_VIOLATION,
                message=f"build({seed}, {scale:g}) returned {type(scenario).__module__}."
                f"{type(scenario).__qualname__}; it must return benchgen.kit.Scenario(...)",
            )
        stage = "serialize"
        spec = scenario.spec()
        breps = {fixture.label: shape_to_brep(fixture.shape) for fixture in scenario.fixtures}
        total = sum(len(blob) for blob in breps.values())
        if total > max_output_bytes:
            raise OutputTooLarge(
                f"the fixtures serialize to {total / MIB:.1f} MiB of BREP, more than the limit of "
                f"{max_output_bytes / MIB:.1f} MiB; use fewer or simpler fixtures"
            )
        return BuildResult(spec=spec, breps=breps, build_s=build_s)
    except KitError as error:
        return BuildFailure(code=error.code, message=f"{error}{_script_location(error)}")
    except ValidationError as error:  # the spec's own checks: what the host checks again on arrival
        return BuildFailure(
            code=FailureCode.CONTRACT_VIOLATION,
            message=f"the scenario breaks the contract: {describe_validation_error(error)}"
            f"{_script_location(error)}",
        )
    except OutputTooLarge as error:
        return BuildFailure(code=FailureCode.RESOURCE_LIMIT, message=str(error))
    except (MemoryError, Standard_OutOfMemory):  # Python's and OCCT's way of saying RLIMIT_AS was hit
        return BuildFailure(
            code=FailureCode.RESOURCE_LIMIT,
            message=f"the script ran out of memory during {stage}; build smaller or fewer shapes",
        )
    except OSError as error:
        return _os_error_failure(error, stage, source)
    except KeyboardInterrupt:
        raise  # the operator's Ctrl-C during an in-process build, not the script's failure
    # The boundary of untrusted code: whatever it raises (even SystemExit) becomes a reported failure.
    except BaseException as error:  # noqa: BLE001
        return BuildFailure(code=FailureCode.SCRIPT_ERROR, message=_exception_message(error, stage, source))


def execute_solve(source: str, built: BuildResult, max_output_bytes: int) -> SolveOutcome:
    """Compile and import a solution, call its `solve(scenario)` on the built variant and serialize the
    Solution it returns. `solve` sees the scenario as it crossed the boundary (spec + BREP), read-only."""
    try:
        code = compile(source, SOLUTION_FILENAME, "exec")
    except SyntaxError as error:
        return SolveFailure(code=FailureCode.SOLUTION_ERROR, message=f"solution: {_syntax_message(error)}")
    module = types.ModuleType(SOLUTION_MODULE_NAME)
    module.__file__ = SOLUTION_FILENAME
    stage = "import"
    try:
        exec(code, module.__dict__)  # noqa: S102  (the sandbox contains it)
        solve = getattr(module, "solve", None)
        if not callable(solve):
            return SolveFailure(
                code=FailureCode.SOLUTION_ERROR,
                message="the solution defines no callable `solve`; define `def solve(scenario) -> Solution` "
                "at module level",
            )
        scenario = ScenarioView(built.spec, built.breps)
        stage = "solve"
        started = time.perf_counter()
        solution = solve(scenario)
        solve_s = time.perf_counter() - started
        if not isinstance(solution, Solution):
            return SolveFailure(
                code=FailureCode.SOLUTION_ERROR,
                message=f"solve(scenario) returned {type(solution).__module__}.{type(solution).__qualname__}; "
                "it must return benchgen.kit.Solution(parts=[...], movers=[...])",
            )
        stage = "serialize"
        spec = solution.spec()
        breps = solution.breps()
        total = sum(len(blob) for blob in breps.values())
        if total > max_output_bytes:
            raise OutputTooLarge(
                f"the solution's parts serialize to {total / MIB:.1f} MiB of BREP, more than the limit of "
                f"{max_output_bytes / MIB:.1f} MiB; use fewer or simpler parts"
            )
        return SolveResult(solution=spec, breps=breps, solve_s=solve_s)
    except KitError as error:
        code = FailureCode.OVER_LIMITS if isinstance(error, OverLimits) else FailureCode.SOLUTION_ERROR
        return SolveFailure(code=code, message=f"{error}{_script_location(error, SOLUTION_FILENAME)}")
    except OutputTooLarge as error:
        return SolveFailure(code=FailureCode.RESOURCE_LIMIT, message=str(error))
    except (MemoryError, Standard_OutOfMemory):
        return SolveFailure(
            code=FailureCode.RESOURCE_LIMIT,
            message=f"the solution ran out of memory during {stage}; build smaller or fewer shapes",
        )
    except OSError as error:
        failure = _os_error_failure(error, stage, source)
        code = FailureCode.SOLUTION_ERROR if failure.code is FailureCode.SCRIPT_ERROR else failure.code
        message = failure.message.replace("the script", "the solution")
        if code is FailureCode.SOLUTION_ERROR:
            message = _exception_message(error, stage, source, SOLUTION_FILENAME)
        return SolveFailure(code=code, message=message)
    except KeyboardInterrupt:
        raise
    # The boundary of untrusted code: whatever it raises (even SystemExit) becomes a reported failure.
    except BaseException as error:  # noqa: BLE001
        return SolveFailure(
            code=FailureCode.SOLUTION_ERROR,
            message=_exception_message(error, stage, source, SOLUTION_FILENAME),
        )


def truncated_text(head: bytes, size: int, max_bytes: int) -> str:
    """Captured output for an outcome: the first `max_bytes` of `size` bytes, marked when cut."""
    text = head[:max_bytes].decode("utf-8", errors="replace")
    if size > max_bytes:
        text += f"\n[output truncated: {size} bytes written, the first {max_bytes} kept]"
    return text


def _os_error_failure(error: OSError, stage: str, source: str) -> BuildFailure:
    """Limits surface as OSErrors: EFBIG for the output-size rlimit, EAGAIN for the process limit."""
    if error.errno == errno.EFBIG:
        return BuildFailure(
            code=FailureCode.RESOURCE_LIMIT,
            message="the script wrote more output than the limit allows; do not print or write large data",
        )
    if error.errno == errno.EAGAIN:
        return BuildFailure(
            code=FailureCode.RESOURCE_LIMIT,
            message=f"the script hit the process limit during {stage} ({error}); scripts must not "
            "start processes or threads",
        )
    return BuildFailure(code=FailureCode.SCRIPT_ERROR, message=_exception_message(error, stage, source))


def _syntax_message(error: SyntaxError) -> str:
    text = (error.text or "").strip()
    where = f"line {error.lineno}" + (f", column {error.offset}" if error.offset else "")
    return f"syntax error at {where}: {error.msg}" + (f": `{text}`" if text else "")


def _script_location(error: BaseException, filename: str = SCRIPT_FILENAME) -> str:
    """' (at line N in f)' for the innermost script frame of `error`, or '' when none is in the script."""
    frames = _script_frames(error, filename)
    if not frames:
        return ""
    frame = frames[-1]
    return f" (at line {frame.lineno} in {frame.name})"


def _script_frames(error: BaseException, filename: str = SCRIPT_FILENAME) -> list[traceback.FrameSummary]:
    frames = traceback.extract_tb(error.__traceback__)
    return [frame for frame in frames if frame.filename == filename][-MAX_SCRIPT_FRAMES:]


def _exception_message(error: BaseException, stage: str, source: str, filename: str = SCRIPT_FILENAME) -> str:
    what = {"import": "importing the script", "build": "build()", "solve": "solve()"}.get(stage, stage)
    lines = [f"{type(error).__name__} during {what}: {error}"]
    frames = _script_frames(error, filename)
    if frames:
        source_lines = source.splitlines()
        lines.append("script traceback (innermost last):")
        for frame in frames:
            text = (
                source_lines[frame.lineno - 1].strip()
                if frame.lineno and frame.lineno <= len(source_lines)
                else ""
            )
            lines.append(f"  line {frame.lineno}, in {frame.name}: {text}")
    return "\n".join(lines)
