"""Hostile scenario scripts: each attack must be contained (checked from the host) and reported with a
code, and the runner must stay usable afterwards. Small limits keep the suite fast."""

import ast
import json
import os
import resource
import secrets
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchgen.codes import FailureCode
from benchgen.physics.budget import MAX_CONTACTS, MAX_FIXTURES
from benchgen.sandbox import BuildFailure, BuildResult, SandboxLimits, SandboxRunner, build_in_process
from benchgen.sandbox.bwrap import SANDBOX_HOME, python_paths
from benchgen.sandbox.isolate import SCRATCH_MOUNTS
from benchgen.sandbox.limits import MIB
from benchgen.validation.report import VariantReport
from benchgen.validation.validator import (
    ValidationSettings,
    _validate_variants,
    check_built_variant,
    validate_variant,
)

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = (REPO / "examples" / "gap_crossing.py").read_text()
SECRET = f"benchgen-secret-{secrets.token_hex(16)}"
SECRET_ENV = "BENCHGEN_TEST_SANDBOX_SECRET"
# Small limits: a fork-, memory- or output bomb stops within seconds. A forked worker child already maps
# ~1.05 GiB, so 1400 MiB leaves the bomb ~300 MiB to fill.
HOSTILE_LIMITS = SandboxLimits(
    cpu_seconds=1,
    wall_seconds=3,
    memory_mb=1400,
    max_processes=12,
    max_output_bytes=4 * 1024 * 1024,
    max_text_bytes=4096,
)


@pytest.fixture(scope="module")
def runner() -> Iterator[SandboxRunner]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SECRET_ENV, SECRET)  # in the host's environment before the worker starts
        with SandboxRunner(HOSTILE_LIMITS) as sandbox:
            yield sandbox


def run_hostile(runner: SandboxRunner, body: str, codes: set[FailureCode]) -> BuildFailure:
    """Build a script whose build() runs `body`; check the code, that no secret leaked, and that the
    runner still builds a valid scenario afterwards."""
    source = "import os, sys, signal, socket, time\n\ndef build(seed, scale):\n" + textwrap.indent(
        textwrap.dedent(body), "    "
    )
    outcome = runner.build(source, 0, 1.0)
    assert isinstance(outcome, BuildFailure), f"hostile script was not stopped: {outcome!r}"
    assert outcome.code in codes, outcome
    assert SECRET not in outcome.model_dump_json()
    assert isinstance(runner.build(EXAMPLE, 0, 1.0), BuildResult), "runner unusable after a hostile build"
    return outcome


# --- file system --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        Path.home() / "benchgen_pwned",
        Path("/etc/benchgen_pwned"),
        REPO / "benchgen_pwned",
        REPO / "benchgen" / "benchgen_pwned",
        Path("/tmp/benchgen_pwned"),
    ],
    ids=["home", "etc", "repo", "package", "host_tmp"],
)
def test_writes_outside_the_sandbox_do_not_reach_the_host(runner: SandboxRunner, target: Path) -> None:
    path = target.with_name(f"{target.name}_{secrets.token_hex(4)}")
    run_hostile(
        runner,
        f"""
        os.makedirs({str(path.parent)!r}, exist_ok=True)
        with open({str(path)!r}, "w") as handle:
            handle.write("pwned")
        raise RuntimeError("wrote the file")
        """,
        {FailureCode.SCRIPT_ERROR},
    )
    assert not path.exists()


def test_secret_files_cannot_be_read(runner: SandboxRunner, tmp_path: Path) -> None:
    in_tmp = tmp_path / "secret.txt"
    in_repo = REPO / f".benchgen_test_secret_{secrets.token_hex(4)}"
    in_tmp.write_text(SECRET)
    in_repo.write_text(SECRET)
    try:
        outcome = run_hostile(
            runner,
            f"""
            found = []
            for path in ({str(in_tmp)!r}, {str(in_repo)!r}):
                try:
                    found.append(open(path).read())
                except OSError as error:
                    found.append(repr(error))
            print(found)
            raise RuntimeError(found)
            """,
            {FailureCode.SCRIPT_ERROR},
        )
    finally:
        in_repo.unlink()
    assert "No such file or directory" in outcome.message


def test_environment_secrets_do_not_reach_the_script(runner: SandboxRunner) -> None:
    assert os.environ[SECRET_ENV] == SECRET  # set in the host for the module's whole lifetime
    outcome = run_hostile(
        runner,
        """
        seen = dict(os.environ)
        for pid in os.listdir("/proc"):
            try:
                seen[pid] = open(f"/proc/{pid}/environ").read()
            except OSError:
                pass
        print(seen)
        raise RuntimeError(seen)
        """,
        {FailureCode.SCRIPT_ERROR},
    )
    assert "PYTHONHASHSEED" in outcome.message  # the script did see its own (clean) environment


def test_the_worker_has_no_pid_in_the_build(runner: SandboxRunner) -> None:
    """The build is pid 1 of its own pid namespace: its parent, the worker, is outside it and its /proc."""
    outcome = run_hostile(
        runner,
        'raise RuntimeError(f"ppid={os.getppid()} pids={[p for p in os.listdir(\'/proc\') if p.isdigit()]}")',
        {FailureCode.SCRIPT_ERROR},
    )
    assert "ppid=0 pids=['1']" in outcome.message


# --- network ------------------------------------------------------------------------------------------


def test_network_connection_to_host_loopback_fails(runner: SandboxRunner) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        run_hostile(
            runner,
            f"""
            with socket.create_connection(("127.0.0.1", {port}), timeout=2) as conn:
                conn.sendall(b"hello")
            """,
            {FailureCode.SCRIPT_ERROR},
        )
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_no_route_to_the_outside(runner: SandboxRunner) -> None:
    outcome = run_hostile(
        runner, 'socket.create_connection(("1.1.1.1", 53), timeout=2)', {FailureCode.SCRIPT_ERROR}
    )
    assert "unreachable" in outcome.message


# --- resources ----------------------------------------------------------------------------------------


def test_fork_bomb_hits_the_process_limit(runner: SandboxRunner) -> None:
    outcome = run_hostile(
        runner,
        """
        while True:
            os.fork()
        """,
        {FailureCode.RESOURCE_LIMIT},
    )
    assert "process limit" in outcome.message


def test_memory_bomb_hits_the_memory_limit(runner: SandboxRunner) -> None:
    run_hostile(
        runner,
        """
        hoard = []
        while True:
            hoard.append(bytearray(32 * 1024 * 1024))
        """,
        {FailureCode.RESOURCE_LIMIT},
    )


def test_infinite_loop_hits_the_cpu_limit(runner: SandboxRunner) -> None:
    # On a busy machine the wall limit may come first; either way it is a TIMEOUT.
    run_hostile(runner, "while True:\n    pass", {FailureCode.TIMEOUT})


def test_cpu_spin_in_threads_hits_the_cpu_limit(runner: SandboxRunner) -> None:
    run_hostile(
        runner,
        """
        import threading
        def spin():
            while True:
                sum(i * i for i in range(1000))
        for _ in range(2):
            threading.Thread(target=spin, daemon=True).start()
        spin()
        """,
        {FailureCode.TIMEOUT},
    )


def test_sleeping_forever_hits_the_wall_limit(runner: SandboxRunner) -> None:
    outcome = run_hostile(runner, "time.sleep(3600)", {FailureCode.TIMEOUT})
    assert "wall-time limit" in outcome.message


def test_stdout_flood_hits_the_output_limit(runner: SandboxRunner) -> None:
    outcome = run_hostile(
        runner,
        """
        while True:
            print("x" * 4096)
        """,
        {FailureCode.RESOURCE_LIMIT},
    )
    assert len(outcome.output.encode()) < 2 * HOSTILE_LIMITS.max_text_bytes
    assert "output truncated" in outcome.output


def test_huge_reply_hits_the_output_limit(runner: SandboxRunner) -> None:
    """A script that writes straight into the reply pipe cannot push more than the budget back."""
    run_hostile(
        runner,
        """
        import stat
        chunk = b"\\xff" * (1024 * 1024)
        for fd in range(3, 256):
            try:
                if stat.S_ISFIFO(os.fstat(fd).st_mode):
                    while True:
                        os.write(fd, chunk)
            except OSError:
                pass
        """,
        {FailureCode.RESOURCE_LIMIT},
    )


# --- signals ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attack",
    [
        "os.kill(os.getppid(), signal.SIGKILL)",
        "os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)",
        "os.kill(-1, signal.SIGKILL)",
        "os.killpg(0, signal.SIGKILL)",
    ],
    ids=["kill_parent", "killpg_parent", "kill_all", "killpg_own"],
)
def test_signals_stay_inside_the_sandbox(runner: SandboxRunner, attack: str) -> None:
    # A build that survives its own attack (as pid 1 of its namespace it ignores its own signals) fails.
    survived = f"{attack}\ntime.sleep(1)\nraise RuntimeError('survived')"
    run_hostile(runner, survived, {FailureCode.SCRIPT_ERROR, FailureCode.RESOURCE_LIMIT})


# --- state between builds -----------------------------------------------------------------------------


def test_nothing_survives_into_the_next_build(runner: SandboxRunner) -> None:
    """Files in the scratch tmpfs and daemonized processes are gone before the next build starts."""
    run_hostile(
        runner,
        """
        for directory in ("/tmp", os.path.expanduser("~"), "/dev/shm"):
            with open(os.path.join(directory, "left_behind"), "w") as handle:
                handle.write("state")
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(3600)
            os._exit(0)
        raise RuntimeError("planted")
        """,
        {FailureCode.SCRIPT_ERROR},
    )
    outcome = run_hostile(
        runner,
        """
        files = [os.path.join(d, "left_behind") for d in ("/tmp", os.path.expanduser("~"), "/dev/shm")]
        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        raise RuntimeError(f"files={[f for f in files if os.path.exists(f)]} pids={pids}")
        """,
        {FailureCode.SCRIPT_ERROR},
    )
    assert "files=[]" in outcome.message
    assert "pids=[1]\n" in outcome.message, "only this build: the worker has no pid in its namespace"


def test_dev_holds_no_files(runner: SandboxRunner) -> None:
    outcome = run_hostile(runner, 'open("/dev/stash", "w")', {FailureCode.SCRIPT_ERROR})
    assert "Read-only file system" in outcome.message


# --- the trust boundary: verdicts stay honest ---------------------------------------------------------
# Every script below has full Python in the sandbox (the import allow-list is a separate layer that scripts
# have bypassed before: `random._os`, `functools.__builtins__`). Verdicts come from the validator on the
# host; the scripts run one after the other in one warm sandbox, as in one `benchgen validate` call.

RETURNS_NONE = "def build(seed, scale):\n    return None\n"
# MiB: the validating CLI (build123d, MuJoCo, one scene at a time) stays near 1 GiB; the misaligned pockets
# alone drove an unbudgeted host to 8 GB.
HOST_PEAK_RSS_BUDGET_MIB = 2048
KEY_SYSCALLS = {"x86_64": 248, "aarch64": 217}  # add_key
EXIT_THREAD_SYSCALLS = {"x86_64": 60, "aarch64": 93}  # exit: ends the calling thread only

FORGER = f"""
import ctypes, fcntl, os, platform, signal

FORGED = b"\\x00\\x00\\x00\\x02{{}}"  # a frame: a reply with no failure code

def build(seed, scale):
    me = os.getpid()
    reached = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        for leaf in ("mem", "environ"):
            try:
                os.close(os.open(f"/proc/{{entry}}/{{leaf}}", os.O_RDWR))
                reached.append(f"{{entry}}/{{leaf}}")
            except OSError:
                pass
        try:
            for fd in os.listdir(f"/proc/{{entry}}/fd"):
                handle = os.open(f"/proc/{{entry}}/fd/{{fd}}", os.O_WRONLY | os.O_NONBLOCK)
                os.write(handle, FORGED)
                reached.append(f"{{entry}}/fd/{{fd}}")
        except OSError:
            pass
        try:
            os.kill(int(entry), signal.SIGKILL)
            reached.append(f"kill {{entry}}")
        except OSError:
            pass
    for command, name in ((8, "F_SETOWN"), (10, "F_SETSIG")):
        try:
            fcntl.fcntl(2, command, 1 if command == 8 else signal.SIGKILL)
            reached.append(name)
        except OSError:
            pass
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall({KEY_SYSCALLS}[platform.machine()], b"user", b"stash", b"state", 5, -4) >= 0:
        reached.append("add_key")
    status = open("/proc/self/status").read()
    caps = [line for line in status.splitlines() if line.startswith(("CapInh", "CapPrm", "CapEff", "CapAmb"))]
    raise RuntimeError(f"reached={{reached}} caps={{caps}}")
"""


def verdict(runner: SandboxRunner, source: str, seed: int = 0) -> VariantReport:
    return validate_variant(source, seed, 1.0, runner, ValidationSettings(seeds=(seed,)))


def codes(report: VariantReport) -> set[FailureCode]:
    return {failure.code for failure in report.failures}


def test_forger_reaches_nothing_and_the_next_scripts_get_their_own_verdicts(runner: SandboxRunner) -> None:
    forger = verdict(runner, FORGER)
    assert codes(forger) == {FailureCode.SCRIPT_ERROR}, forger
    message = forger.failures[0].message
    assert "reached=[]" in message, message
    assert "0000000000000000" in message and "CapEff:\\t0000000000000000" in message, message
    assert codes(verdict(runner, RETURNS_NONE)) == {FailureCode.CONTRACT_VIOLATION}
    example = verdict(runner, EXAMPLE)
    assert example.ok, example.failures
    assert runner.worker_starts == 1, "the forger must not have killed the worker"


def test_urandom_cached_in_the_sandbox_cannot_fool_the_determinism_check(runner: SandboxRunner) -> None:
    """Geometry drawn from os.urandom once and cached in any writable place would look deterministic."""
    cached = EXAMPLE.replace(
        "    gap = rng.uniform(80, 160) * scale  # mm between the decks\n",
        "    gap = rng.uniform(80, 160) * scale + _noise()\n",
    ).replace(
        "def build(",
        textwrap.dedent(
            """
            import os

            def _noise():
                places = ("/etc", "/", "/usr", "/var/tmp", "/tmp", "/home/sandbox", "/dev/shm")
                for place in places:
                    try:
                        return float(open(os.path.join(place, ".noise")).read())
                    except OSError:
                        pass
                value = os.urandom(2)[0] / 10
                for place in places:
                    try:
                        with open(os.path.join(place, ".noise"), "w") as handle:
                            handle.write(repr(value))
                    except OSError:
                        pass
                return value

            def build("""
        ),
        1,
    )
    report = _validate_variants(cached, "cached.py", [(0, 1.0)], runner, ValidationSettings(seeds=(0,)), None)
    assert FailureCode.NONDETERMINISTIC in {f.code for f in report.failures}, report.failures


def _sandbox_processes(runner: SandboxRunner) -> list[str]:
    """Host view: every process and thread below the runner's sandbox launcher, as 'pid/tid comm'."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat_line = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat_line.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [runner.worker_pid]
    while todo:
        pid = todo.pop()
        for tid in os.listdir(f"/proc/{pid}/task") if os.path.exists(f"/proc/{pid}/task") else []:
            found.append(f"{pid}/{tid} {Path(f'/proc/{pid}/task/{tid}/comm').read_text().strip()}")
        todo += children.get(pid, [])
    return sorted(found)


def test_daemon_with_a_zombie_leader_dies_with_its_build(runner: SandboxRunner) -> None:
    assert isinstance(runner.build(EXAMPLE, 0, 1.0), BuildResult)
    clean = len(_sandbox_processes(runner))
    daemon = f"""
import ctypes, os, platform, threading, time

def build(seed, scale):
    if os.fork() == 0:
        os.setsid()
        threading.Thread(target=time.sleep, args=(3600,)).start()
        ctypes.CDLL(None).syscall({EXIT_THREAD_SYSCALLS}[platform.machine()], 0)  # the leader alone exits
    time.sleep(0.3)
    raise RuntimeError("planted a daemon")
"""
    assert codes(verdict(runner, daemon)) == {FailureCode.SCRIPT_ERROR}
    example = verdict(runner, EXAMPLE)
    assert example.ok, example.failures
    assert len(_sandbox_processes(runner)) == clean, _sandbox_processes(runner)


PLANT = """
import ctypes, os

def build(seed, scale):
    report = {}
    for place in ("/", "/etc", "/usr"):
        try:
            open(os.path.join(place, "left_behind"), "w").close()
            report[place] = "written"
        except OSError as error:
            report[place] = error.strerror
    for place in ("/tmp", os.path.expanduser("~"), "/dev/shm"):
        open(os.path.join(place, "left_behind"), "w").close()
    os.mkdir("/tmp/locked")
    open("/tmp/locked/file", "w").close()
    os.chmod("/tmp/locked", 0)
    libc = ctypes.CDLL(None, use_errno=True)
    report["shm"] = libc.shmget(0x6265, 4096, 0o1000 | 0o600)  # IPC_CREAT
    report["mq"] = ctypes.CDLL("librt.so.1").mq_open(b"/left_behind", os.O_CREAT | os.O_RDWR, 0o600, None)
    mib = 0
    try:
        while True:
            with open(f"/tmp/big{mib}", "wb") as handle:
                handle.write(b"x" * (1 << 20))
            mib += 1
    except OSError as error:
        report["mib"] = (mib, error.strerror)
    for index in range(mib):
        os.unlink(f"/tmp/big{index}")
    files = 0
    try:
        while True:
            open(f"/tmp/empty{files}", "w").close()
            files += 1
    except OSError as error:
        report["files"] = (files, error.strerror)
    raise RuntimeError(repr(report))
"""

LOOK = """
import ctypes, os

def build(seed, scale):
    report = {place: sorted(os.listdir(place)) for place in ("/tmp", os.path.expanduser("~"), "/dev/shm")}
    report["shm"] = ctypes.CDLL(None).shmget(0x6265, 0, 0)
    report["mq"] = ctypes.CDLL("librt.so.1").mq_open(b"/left_behind", os.O_RDONLY)
    raise RuntimeError(repr(report))
"""


def test_every_build_starts_with_fresh_limited_scratch_and_ipc(runner: SandboxRunner) -> None:
    planted = verdict(runner, PLANT)
    assert codes(planted) == {FailureCode.SCRIPT_ERROR}
    report = ast.literal_eval(planted.failures[0].message.split(": ", 1)[1].split("\n")[0])
    assert {report[p] for p in ("/", "/etc", "/usr")} == {"Read-only file system"}, report
    assert report["shm"] >= 0 and report["mq"] >= 0, report  # created: the cleanup has work to do
    scratch_bytes, scratch_inodes = SCRATCH_MOUNTS["/tmp"]
    assert report["mib"][0] <= scratch_bytes // MIB and report["mib"][1] == "No space left on device"
    assert report["files"][0] < scratch_inodes and report["files"][1] == "No space left on device"
    looked = verdict(runner, LOOK)
    report = ast.literal_eval(looked.failures[0].message.split(": ", 1)[1].split("\n")[0])
    # A checkout or venv under /tmp is bound read-only over the fresh /tmp: its top folder is the only entry.
    bound = sorted({Path(p).relative_to("/tmp").parts[0] for p in python_paths() if p.startswith("/tmp/")})
    assert report == {"/tmp": bound, SANDBOX_HOME: [], "/dev/shm": [], "shm": -1, "mq": -1}
    assert verdict(runner, EXAMPLE).ok


# --- data the host re-checks, and host-side limits ---------------------------------------------------

MUTATED_MATERIAL = """
from build123d import Box, Pos
from benchgen.kit import Fixture, Payload, Scenario, Zone

def build(seed, scale):
    ball = Payload.sphere(radius=20, start=(0, 0, 100), material="steel")
    object.__setattr__(ball._spec, "material", "unobtanium")  # after the kit checked it
    return Scenario(
        fixtures=[Fixture("deck", Pos(0, 0, 40) * Box(200, 200, 80))],
        payload=ball,
        goal=Zone((150, -50, 0), (250, 50, 100)),
        build_zone=Zone((-300, -300, 0), (300, 300, 300)),
        bounds=Zone((-400, -400, -100), (400, 400, 400)),
    )
"""


def test_a_spec_changed_after_the_kit_checked_it_is_a_contract_violation(runner: SandboxRunner) -> None:
    report = verdict(runner, MUTATED_MATERIAL)
    assert codes(report) == {FailureCode.CONTRACT_VIOLATION}, report.failures
    assert "unknown material 'unobtanium'" in report.failures[0].message


def test_a_reply_forged_past_the_kit_is_checked_again(runner: SandboxRunner) -> None:
    """The script writes its own reply frame (spec with a bad material, absurd sizes) and exits."""
    forged = """
import json, os, stat, struct

def build(seed, scale):
    zone = {"min": [0, 0, 0], "max": [1, 1, 1]}
    spec = {
        "fixtures": [
            {"label": "deck", "material": "abs", "volume_mm3": 1.0,
             "bbox_min": [0, 0, 0], "bbox_max": [1, 1, 1]}
        ],
        "payload": {
            "shape": "sphere", "radius": 1e300, "start": [0, 0, 0], "jitter": [-1, 0, 0],
            "material": "unobtanium",
        },
        "goal": zone, "forbid": [], "build_zone": zone, "bounds": zone,
    }
    body = json.dumps({"spec": spec, "labels": ["deck"], "blob_sizes": [0]}).encode()
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, struct.pack(">I", len(body)) + body)
        except OSError:
            pass
    os._exit(0)
"""
    report = verdict(runner, forged)
    assert codes(report) == {FailureCode.CONTRACT_VIOLATION}, report.failures
    message = report.failures[0].message
    assert "radius" in message and "jitter" in message and "unobtanium" in message, message
    assert verdict(runner, EXAMPLE).ok


BREP_BOMB = """
import io, json, os, stat, struct
from build123d import Box
from OCP.BRepTools import BRepTools

def build(seed, scale):
    buffer = io.BytesIO()
    BRepTools.Write_s(Box(10, 10, 10).wrapped, buffer)
    lines = buffer.getvalue().decode().splitlines()
    {edit}
    blob = ("\\n".join(lines) + "\\n").encode()
    zone = {{"min": [-50, -50, -50], "max": [50, 50, 50]}}
    spec = {{
        "fixtures": [{{"label": "deck", "material": "abs", "volume_mm3": 1000.0,
                      "bbox_min": [-5, -5, -5], "bbox_max": [5, 5, 5]}}],
        "payload": {{"shape": "sphere", "radius": 2, "start": [0, 0, 20], "material": "abs"}},
        "goal": {{"min": [20, 20, 0], "max": [40, 40, 20]}}, "forbid": [], "build_zone": zone, "bounds": zone,
    }}
    body = json.dumps({{"spec": spec, "labels": ["deck"], "blob_sizes": [len(blob)]}}).encode()
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, struct.pack(">I", len(body)) + body + blob)
        except OSError:
            pass
    os._exit(0)
"""
# Counts in a BREP that make OCCT's reader allocate or loop: 2e9 B-spline poles (48 GB), 2e9 2D curves.
BREP_BOMB_EDITS = {
    "memory": 'lines[lines.index(next(l for l in lines if l.startswith("Curves "))) + 1] = "7 0 0 1 2000000000 2"',
    "cpu": 'lines[lines.index(next(l for l in lines if l.startswith("Curve2ds ")))] = "Curve2ds 2000000000"',
}


@pytest.mark.parametrize("bomb", sorted(BREP_BOMB_EDITS))
def test_a_forged_brep_costs_the_sandbox_not_the_host(runner: SandboxRunner, bomb: str) -> None:
    """A reply whose BREP declares counts that make OCCT's reader allocate gigabytes or loop for minutes is
    read back by the worker under the build's limits first; the host never parses it."""
    host_peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = verdict(runner, BREP_BOMB.format(edit=BREP_BOMB_EDITS[bomb]))
    assert not report.ok and codes(report) <= {
        FailureCode.RESOURCE_LIMIT,
        FailureCode.INVALID_GEOMETRY,
        FailureCode.SCRIPT_ERROR,  # the worker was killed reading it (SIGXCPU) and restarted
        FailureCode.TIMEOUT,  # the host's clock ran out first and it stopped the sandbox
    }, report.failures
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - host_peak_kib < 256 * 1024  # KiB
    assert verdict(runner, EXAMPLE).ok


def test_over_the_fixture_budget_is_a_resource_limit_before_any_host_work() -> None:
    many = MAX_FIXTURES + 1
    source = (
        "from build123d import Box, Pos\nfrom benchgen.kit import Fixture, Payload, Scenario, Zone\n\n"
        "def build(seed, scale):\n"
        f"    posts = [Fixture(f'post_{{i}}', Pos(i * 20, 0, 5) * Box(10, 10, 10)) for i in range({many})]\n"
        "    return Scenario(fixtures=posts, payload=Payload.sphere(radius=4, start=(0, 0, 20)),\n"
        "                    goal=Zone((100, 50, 0), (120, 70, 20)),\n"
        "                    build_zone=Zone((-10, -10, 0), (2000, 100, 100)),\n"
        "                    bounds=Zone((-20, -20, -20), (2100, 200, 200)))\n"
    )
    report = check_built_variant(build_in_process(source, 0, 1.0), 0, 1.0, ValidationSettings(seeds=(0,)))
    assert codes(report) == {FailureCode.RESOURCE_LIMIT}, report.failures
    assert f"fixtures: {many}, over the limit of {MAX_FIXTURES} by 1" in report.failures[0].message


def test_a_payload_on_too_many_pieces_is_stopped_at_the_contact_budget() -> None:
    source = (REPO / "tests" / "hostile" / "studded_bed.py").read_text()
    report = check_built_variant(build_in_process(source, 0, 1.0), 0, 1.0, ValidationSettings(seeds=(0,)))
    assert codes(report) == {FailureCode.RESOURCE_LIMIT}, report.failures
    assert "MuJoCo contacts at t=" in report.failures[0].message
    assert f"over the limit of {MAX_CONTACTS}" in report.failures[0].message


@pytest.mark.slow
def test_cli_gives_every_script_in_one_call_its_honest_verdict(tmp_path: Path) -> None:
    """One `benchgen validate --json` call: a forger, a build that returns None, a radius of 1e300, a deck
    whose misaligned pockets would cost the host's meshing gigabytes, then a valid example."""
    scripts = {
        "forger.py": FORGER,
        "returns_none.py": RETURNS_NONE,
        "huge_radius.py": EXAMPLE.replace("radius=20 * scale", "radius=1e300"),
        "pockets.py": (REPO / "tests" / "hostile" / "misaligned_pockets.py").read_text(),
        "example.py": EXAMPLE,
    }
    for name, source in scripts.items():
        (tmp_path / name).write_text(source)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "benchgen"), "validate", *scripts, "--seeds", "0", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # largest child waited for so far
    assert peak_kib < HOST_PEAK_RSS_BUDGET_MIB * 1024, f"a host process peaked at {peak_kib // 1024} MiB"
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    reports = {Path(report["script"]).name: report for report in lines}
    verdicts = {name: {f["code"] for f in r["failures"]} for name, r in reports.items()}
    assert not reports["forger.py"]["ok"] and verdicts["forger.py"] <= {"SCRIPT_ERROR", "CONTRACT_VIOLATION"}
    assert verdicts["returns_none.py"] == {"CONTRACT_VIOLATION"}
    assert verdicts["huge_radius.py"] == {"CONTRACT_VIOLATION"}
    assert "radius" in reports["huge_radius.py"]["failures"][0]["message"]
    assert verdicts["pockets.py"] == {"RESOURCE_LIMIT"}
    assert "over the limit of" in reports["pockets.py"]["failures"][0]["message"]
    assert reports["example.py"]["ok"], reports["example.py"]["failures"]
