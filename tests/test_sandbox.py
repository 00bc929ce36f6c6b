"""The sandbox's contract with its callers: outcomes, failure codes, the warm worker and its restarts.

All builds run in real bubblewrap sandboxes; one warm runner serves the whole module.
"""

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchgen.codes import FailureCode
from benchgen.errors import SandboxUnavailable
from benchgen.kit.exchange import brep_to_shape
from benchgen.sandbox import (
    BuildFailure,
    BuildResult,
    SandboxLimits,
    SandboxRunner,
    build_in_process,
    ensure_bubblewrap,
)
from benchgen.sandbox.protocol import MAX_SOURCE_BYTES

EXAMPLE = (Path(__file__).resolve().parents[1] / "examples" / "gap_crossing.py").read_text()
TEST_LIMITS = SandboxLimits(cpu_seconds=5, wall_seconds=10, max_text_bytes=1024)
VOLUME_REL_TOL = 1e-6  # BREP round trip keeps the exact geometry
WARM_BUILDS = 20
DEATH_NOTICE_S = 10.0  # s a killed worker may take to be reaped


@pytest.fixture(scope="module")
def runner() -> Iterator[SandboxRunner]:
    with SandboxRunner(TEST_LIMITS) as sandbox:
        yield sandbox


def failure(outcome: object) -> BuildFailure:
    assert isinstance(outcome, BuildFailure), f"expected a failure, got {outcome!r}"
    return outcome


def test_valid_build_round_trips_spec_and_brep(runner: SandboxRunner) -> None:
    outcome = runner.build(EXAMPLE, 3, 1.5)
    assert isinstance(outcome, BuildResult), outcome
    labels = [fixture.label for fixture in outcome.spec.fixtures]
    assert labels == ["left_deck", "right_deck"]
    assert set(outcome.breps) == set(labels)
    for fixture in outcome.spec.fixtures:
        shape = brep_to_shape(outcome.breps[fixture.label])
        assert shape.volume == pytest.approx(fixture.volume_mm3, rel=VOLUME_REL_TOL)
    assert outcome.spec.payload.material == "steel"
    assert outcome.build_s > 0


def test_sandbox_and_in_process_builds_agree(runner: SandboxRunner) -> None:
    sandboxed = runner.build(EXAMPLE, 1, 1.0)
    local = build_in_process(EXAMPLE, 1, 1.0)
    assert isinstance(sandboxed, BuildResult) and isinstance(local, BuildResult)
    assert sandboxed.spec == local.spec
    assert sandboxed.breps == local.breps


def test_exception_in_build_is_script_error_with_line(runner: SandboxRunner) -> None:
    source = "def helper(x):\n    return 1 / x\n\ndef build(seed, scale):\n    return helper(0)\n"
    outcome = failure(runner.build(source, 0, 1.0))
    assert outcome.code is FailureCode.SCRIPT_ERROR
    assert "ZeroDivisionError" in outcome.message
    assert "line 5, in build: return helper(0)" in outcome.message
    assert "line 2, in helper: return 1 / x" in outcome.message


def test_exception_at_import_is_script_error(runner: SandboxRunner) -> None:
    outcome = failure(runner.build("import no_such_module_here\n", 0, 1.0))
    assert outcome.code is FailureCode.SCRIPT_ERROR
    assert "ModuleNotFoundError during importing the script" in outcome.message
    assert "line 1" in outcome.message


def test_syntax_error_names_the_line(runner: SandboxRunner) -> None:
    outcome = failure(runner.build("x = 1\ndef build(seed, scale:\n    pass\n", 0, 1.0))
    assert outcome.code is FailureCode.SCRIPT_ERROR
    assert outcome.message.startswith("syntax error at line 2")


def test_kit_error_keeps_its_code(runner: SandboxRunner) -> None:
    source = (
        "from benchgen.kit import Zone\n\ndef build(seed, scale):\n    return Zone((0, 0, 0), (10, -1, 5))\n"
    )
    outcome = failure(runner.build(source, 0, 1.0))
    assert outcome.code is FailureCode.ZONE_INVALID
    assert "min y=0 >= max y=-1" in outcome.message
    assert "(at line 4 in build)" in outcome.message


def test_non_scenario_return_is_contract_violation(runner: SandboxRunner) -> None:
    outcome = failure(runner.build("def build(seed, scale):\n    return {'fixtures': []}\n", 0, 1.0))
    assert outcome.code is FailureCode.CONTRACT_VIOLATION
    assert "returned builtins.dict" in outcome.message


def test_missing_build_is_contract_violation(runner: SandboxRunner) -> None:
    outcome = failure(runner.build("build = 3\n", 0, 1.0))
    assert outcome.code is FailureCode.CONTRACT_VIOLATION
    assert "no callable `build`" in outcome.message


def test_oversized_source_is_refused_before_the_sandbox(runner: SandboxRunner) -> None:
    starts = runner.worker_starts
    outcome = failure(runner.build("x = 1\n" * (MAX_SOURCE_BYTES // 6 + 1), 0, 1.0))
    assert outcome.code is FailureCode.RESOURCE_LIMIT
    assert "MiB of source" in outcome.message
    assert runner.worker_starts == starts


def test_output_is_captured_and_truncated(runner: SandboxRunner) -> None:
    source = "import sys\nprint('hello from the script')\nsys.stderr.write('e' * 5000)\n" + EXAMPLE
    outcome = runner.build(source, 0, 1.0)
    assert isinstance(outcome, BuildResult), outcome
    assert outcome.output.startswith("hello from the script\neee")
    assert f"the first {TEST_LIMITS.max_text_bytes} kept" in outcome.output


def test_worker_stays_warm_over_many_builds(runner: SandboxRunner) -> None:
    runner.build(EXAMPLE, 0, 1.0)
    starts, stats, pid = runner.worker_starts, runner.worker_stats, runner.worker_pid
    assert stats is not None
    for seed in range(WARM_BUILDS):
        assert isinstance(runner.build(EXAMPLE, seed, 1.0), BuildResult)
    after = runner.worker_stats
    assert after is not None
    assert runner.worker_starts == starts, "a new worker (a new build123d import) was started"
    assert runner.worker_pid == pid
    assert after.builds == stats.builds + WARM_BUILDS


def test_worker_restarts_after_it_dies(runner: SandboxRunner) -> None:
    assert isinstance(runner.build(EXAMPLE, 0, 1.0), BuildResult)
    starts, pid = runner.worker_starts, runner.worker_pid
    assert pid is not None
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + DEATH_NOTICE_S
    while runner.worker_pid is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runner.worker_pid is None, "the killed worker still counts as running"
    assert isinstance(runner.build(EXAMPLE, 0, 1.0), BuildResult)
    assert runner.worker_starts == starts + 1
    assert runner.worker_pid not in (None, pid)


def descendants(pid: int) -> list[int]:
    """Host pids of every process below `pid` (the sandbox's init and worker below the launcher)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def test_host_stops_a_hung_worker() -> None:
    """The host's own clock is the backstop when the worker itself stops answering."""
    with SandboxRunner(SandboxLimits(wall_seconds=1, host_grace_seconds=1)) as sandbox:
        assert sandbox.worker_pid is not None
        for pid in descendants(sandbox.worker_pid):
            os.kill(pid, signal.SIGSTOP)
        outcome = failure(sandbox.build(EXAMPLE, 0, 1.0))
        assert outcome.code is FailureCode.TIMEOUT
        assert "the host stopped the whole sandbox" in outcome.message
        assert sandbox.worker_pid is None  # killed; the next build starts a new worker (see the restart test)


def test_missing_bwrap_raises_sandbox_unavailable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(SandboxUnavailable, match="`/nonexistent/bwrap` was not found"):
        SandboxRunner(TEST_LIMITS, bwrap="/nonexistent/bwrap").build(EXAMPLE, 0, 1.0)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SandboxUnavailable, match="`bwrap` was not found on PATH; install bubblewrap"):
        ensure_bubblewrap()


def test_bwrap_that_cannot_sandbox_raises_sandbox_unavailable() -> None:
    with pytest.raises(SandboxUnavailable, match="cannot create a sandbox"):
        ensure_bubblewrap("false")


def test_in_process_build_enforces_output_limit() -> None:
    outcome = failure(build_in_process(EXAMPLE, 0, 1.0, SandboxLimits(max_output_bytes=1000)))
    assert outcome.code is FailureCode.RESOURCE_LIMIT
    assert "more than the limit" in outcome.message


def test_binds_inside_a_scratch_directory_stay_visible_over_the_fresh_scratch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A checkout or venv under /tmp is bound inside the sandbox's /tmp: a build's fresh /tmp keeps it."""
    from benchgen.sandbox import bwrap

    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "kept.txt").write_text("kept")
    os.chmod(tmp_path, 0o755)  # the sandbox's uid (as root: a random host uid) must reach it
    paths = bwrap.python_paths()
    monkeypatch.setattr(bwrap, "python_paths", lambda: [*paths, str(checkout)])
    program = (
        "import os; from benchgen.sandbox.isolate import enter_build_namespaces; "
        f"enter_build_namespaces([{str(checkout)!r}]); "
        f"print(sorted(os.listdir({str(checkout)!r})), open({str(checkout / 'kept.txt')!r}).read(), "
        f"os.path.exists({str(tmp_path / 'elsewhere')!r}))"
    )
    (tmp_path / "elsewhere").write_text("not bound")
    command = bwrap.sandbox_command([os.path.join(sys.prefix, "bin", "python"), "-c", program])
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['kept.txt'] kept False"


def test_start_up_error_names_a_module_not_found_and_where_python_looked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """benchgen not bound into the sandbox (installed only on the host's PYTHONPATH, say)."""
    from benchgen.sandbox import bwrap

    without_package = [p for p in bwrap.python_paths() if not p.endswith(os.sep + "benchgen")]
    monkeypatch.setattr(bwrap, "python_paths", lambda: without_package)
    with pytest.raises(SandboxUnavailable) as raised:
        SandboxRunner(TEST_LIMITS).build(EXAMPLE, 0, 1.0)
    message = str(raised.value)
    assert "could not import benchgen" in message and "No module named 'benchgen'" in message, message
    assert "sys.path=[" in message and without_package[0] in message, message
    assert "user namespace" not in message


def test_start_up_error_names_a_user_namespace_problem() -> None:
    """A real refusal: the user namespaces this process may create are capped at its own one."""
    program = (
        "from benchgen.errors import SandboxUnavailable\n"
        "from benchgen.sandbox import SandboxRunner, ensure_bubblewrap\n"
        "for attempt in (ensure_bubblewrap, lambda: SandboxRunner().build('', 0, 1.0)):\n"
        "    try:\n"
        "        attempt()\n"
        "    except SandboxUnavailable as error:\n"
        "        print(error)\n"
    )
    script = (
        "echo 1 > /proc/sys/user/max_user_namespaces && "
        f"exec unshare --user {shlex.quote(sys.executable)} -c {shlex.quote(program)}"
    )
    result = subprocess.run(
        ["unshare", "--user", "--map-root-user", "sh", "-c", script],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2, result.stdout + result.stderr
    for line in lines:
        assert "could not set up the user namespace" in line and "max_user_namespaces" in line, line
        assert "import" not in line
