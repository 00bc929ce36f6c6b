"""Hostile solutions: `solve` runs in the same sandbox child as `build`, so each attack must be contained
(checked from the host) and reported with a code, and the runner must stay usable afterwards."""

import os
import secrets
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchgen.codes import FailureCode
from benchgen.evaluation import EvaluationSettings, evaluate_sources
from benchgen.sandbox import BuildResult, SandboxLimits, SandboxRunner

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = (REPO / "examples" / "gap_crossing.py").read_text()
SECRET = f"benchgen-secret-{secrets.token_hex(16)}"
SECRET_ENV = "BENCHGEN_TEST_SOLUTION_SECRET"
# The hostile-script limits (tests/test_sandbox_hostile.py): bombs stop within seconds.
HOSTILE_LIMITS = SandboxLimits(
    cpu_seconds=2,
    wall_seconds=4,
    memory_mb=1400,
    max_processes=12,
    max_output_bytes=4 * 1024 * 1024,
    max_text_bytes=4096,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runner() -> Iterator[SandboxRunner]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SECRET_ENV, SECRET)
        with SandboxRunner(HOSTILE_LIMITS) as sandbox:
            yield sandbox


def run_hostile(runner: SandboxRunner, body: str, codes: set[FailureCode]) -> str:
    """Evaluate a solution whose solve() runs `body`; check the code, that no secret leaked, and that the
    runner still builds afterwards. Returns the failure's message."""
    solution = "import os, sys, signal, socket, time\n\ndef solve(scenario):\n" + textwrap.indent(
        textwrap.dedent(body), "    "
    )
    report = evaluate_sources(
        EXAMPLE, solution, "gap_crossing.py", "hostile.py", EvaluationSettings(seeds=(0,)), runner=runner
    )
    assert not report.solved
    assert report.codes() <= codes and report.codes(), report.failures
    assert SECRET not in report.model_dump_json()
    assert isinstance(runner.build(EXAMPLE, 0, 1.0), BuildResult), "runner unusable after a hostile solve"
    return report.failures[0].message


def test_solution_cannot_read_host_files_or_secrets(runner: SandboxRunner, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    message = run_hostile(
        runner,
        f"""
        seen = [dict(os.environ)]
        try:
            seen.append(open({str(secret_file)!r}).read())
        except OSError as error:
            seen.append(repr(error))
        raise RuntimeError(seen)
        """,
        {FailureCode.SOLUTION_ERROR},
    )
    assert "No such file or directory" in message and "RuntimeError during solve()" in message


def test_solution_cannot_write_to_the_host(runner: SandboxRunner, tmp_path: Path) -> None:
    target = tmp_path / "planted.txt"
    run_hostile(runner, f"open({str(target)!r}, 'w').write('x')", {FailureCode.SOLUTION_ERROR})
    assert not target.exists()


def test_solution_cannot_reach_the_network(runner: SandboxRunner) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        run_hostile(
            runner,
            f'socket.create_connection(("127.0.0.1", {port}), timeout=2)',
            {FailureCode.SOLUTION_ERROR},
        )
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_fork_bomb_in_solve_hits_the_process_limit(runner: SandboxRunner) -> None:
    message = run_hostile(runner, "while True:\n    os.fork()", {FailureCode.RESOURCE_LIMIT})
    assert "process limit" in message


def test_memory_bomb_in_solve_hits_the_memory_limit(runner: SandboxRunner) -> None:
    run_hostile(
        runner,
        "hoard = []\nwhile True:\n    hoard.append(bytearray(32 * 1024 * 1024))",
        {FailureCode.RESOURCE_LIMIT},
    )


def test_endless_solve_hits_the_time_limit(runner: SandboxRunner) -> None:
    message = run_hostile(runner, "while True:\n    pass", {FailureCode.TIMEOUT})
    # The build alone finishes within the limits, so the message blames the half that was running.
    assert message.startswith("build + solve ") and "so solve() was running" in message


def test_output_flood_in_solve_is_cut(runner: SandboxRunner) -> None:
    run_hostile(runner, "while True:\n    print('x' * 65536)", {FailureCode.RESOURCE_LIMIT})


def test_exiting_the_process_is_the_solutions_fault(runner: SandboxRunner) -> None:
    message = run_hostile(runner, "os._exit(0)", {FailureCode.SOLUTION_ERROR})
    assert "the scenario builds alone" in message


def test_environment_is_clean(runner: SandboxRunner) -> None:
    assert os.environ[SECRET_ENV] == SECRET
    message = run_hostile(runner, "raise RuntimeError(sorted(os.environ))", {FailureCode.SOLUTION_ERROR})
    assert SECRET_ENV not in message


def test_a_solution_cannot_rewrite_the_scenario_it_is_judged_on(runner: SandboxRunner) -> None:
    """The solve shares its child with the build: a solution that moves the goal over the whole scene in
    the reply (and returns no parts) is still judged, from the host, against the scenario built alone."""
    forger = """
        built = sys._getframe(1).f_locals["built"]
        object.__setattr__(built, "spec", built.spec.model_copy(update={"goal": built.spec.bounds}))
        from benchgen.kit import Solution
        return Solution(parts=[], movers=[])
        """
    run_hostile(runner, forger, {FailureCode.GOAL_NOT_REACHED, FailureCode.OUT_OF_BOUNDS})
