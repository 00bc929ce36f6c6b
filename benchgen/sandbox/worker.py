"""The warm worker that runs INSIDE the sandbox: imports build123d and the kit once, then serves build
requests from the host, each in a freshly forked child with its own rlimits, namespaces, scratch and clock.

Run as `python -m benchgen.sandbox.worker` with the host channel on stdin/stdout (frames, see protocol).
The worker is the sandbox's pid 1 and undumpable. Per build it forks a child that is pid 1 of a new
pid namespace; the child enters fresh mount, IPC, network and UTS namespaces with fresh scratch (see
`isolate`), drops every capability and runs the script. The script sees neither the worker nor the host
channel: the worker has no pid in its namespace and its /proc, and the child holds only its own request,
reply and output files. After every build the worker kills the child, which makes the kernel kill
everything the build started, and waits for it before the next build starts. One fork per build, as
with no namespaces at all: forking the worker (~0.5 GiB resident) is the cost that matters.
"""

import ctypes
import gc
import math
import os
import resource
import select
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from typing import NoReturn

from benchgen.codes import FailureCode
from benchgen.sandbox.bwrap import SANDBOX_TMP, SETUP_FAILED_MARK, python_paths
from benchgen.sandbox.execute import execute_build, execute_solve, truncated_text
from benchgen.sandbox.isolate import (
    drop_capabilities,
    enter_build_namespaces,
    fork_into_new_pid_namespace,
    mount_build_proc,
    own_pid_namespace,
)
from benchgen.sandbox.limits import DEFAULT_MAX_OUTPUT_BYTES, MIB, SandboxLimits
from benchgen.sandbox.outcome import BuildFailure, BuildOutcome, BuildResult, SolveFailure, SolveOutcome
from benchgen.sandbox.protocol import (
    FRAME_OVERHEAD_BYTES,
    MAX_REQUEST_BYTES,
    BuildReply,
    BuildRequest,
    InvalidFrame,
    PeerClosed,
    ProtocolError,
    WorkerReady,
    WorkerStats,
    bytes_reader,
    encode_frame,
    fd_reader,
    read_frame,
    write_all,
)
from benchgen.sandbox.seccomp import confine_signals

PR_SET_DUMPABLE = 4  # prctl option (linux/prctl.h)
CPU_HARD_GRACE_SECONDS = 1  # s between RLIMIT_CPU's SIGXCPU (soft) and its SIGKILL (hard)
MAX_OPEN_FILES = 256  # file descriptors a build may hold open (RLIMIT_NOFILE)
OUTPUT_MEMFD_NAME = "build-output"  # the build's captured stdout and stderr: a memory file of the worker
# s a waiting child idles before it warms up: a request sent back to back arrives sooner and is better
# served at once than after a warm-up
WARM_UP_AFTER_IDLE_SECONDS = 0.05
# A scenario using the kit's whole path (box and cylinder fixtures, every part declared, BREP export).
WARM_UP_SCRIPT = """
from build123d import Box, Cylinder, Pos
from benchgen.kit import Fixture, Payload, Scenario, Zone

def build(seed, scale):
    deck = Fixture("deck", Pos(0, 0, 20) * Box(200, 200, 40))
    post = Fixture("post", Pos(80, 80, 90) * Cylinder(10, 100), material="steel")
    return Scenario(
        fixtures=[deck, post],
        payload=Payload.sphere(radius=10, start=(0, 0, 60), jitter=(1, 1, 0)),
        goal=Zone((50, -50, 40), (100, 0, 100)),
        forbid=[Zone((-100, -100, -50), (-50, -50, 0), name="pit")],
        build_zone=Zone((-100, -100, 0), (100, 100, 200)),
        bounds=Zone((-200, -200, -100), (200, 200, 300)),
    )
"""
SANDBOX_WORKER_PID = 1  # bwrap runs the worker as the sandbox's pid 1 (--as-pid-1)
# RLIMIT_CPU sends SIGXCPU at the soft limit (fatal: Python leaves it at its default) and SIGKILL at the
# hard one (if a script ignored SIGXCPU). rusage samples CPU time more coarsely than the limit counts it,
# so a SIGKILL counts as the CPU limit when rusage is within this many seconds of it.
CPU_ACCOUNTING_SLACK_SECONDS = 0.5


class WarmUpFailed(Exception):
    """The worker's own warm-up scenario did not build: the kit or build123d is broken here."""


class BuildSetupFailed(Exception):
    """A build child could not enter its namespaces (its traceback is on stderr); no build can run safely."""


def main() -> None:
    if os.getpid() != SANDBOX_WORKER_PID:
        raise SystemExit(
            "benchgen.sandbox.worker runs only inside its bubblewrap sandbox, as its pid 1; start it through "
            "benchgen.sandbox.SandboxRunner"
        )
    _make_undumpable()
    own_pid_namespace()
    channel_in, channel_out = _take_channel()
    import build123d  # noqa: F401  (the point of a warm worker: pay this import once)
    import OCP.BRepTools  # noqa: F401  (used by every serialization)

    gc.freeze()  # keep imported objects out of every child's garbage collections (fewer copy-on-write faults)
    builds = 0
    spare = _fork_child()
    write_all(channel_out, encode_frame(WorkerReady(stats=_stats(builds))))
    read_request = fd_reader(channel_in)
    while True:
        try:
            request, _ = read_frame(read_request, BuildRequest, MAX_REQUEST_BYTES)
        except PeerClosed:
            return  # the host closed the channel: a normal shutdown
        reply, blobs = _read_back(*_serve(spare, request), request.limits)
        builds += 1
        write_all(channel_out, encode_frame(reply.model_copy(update={"stats": _stats(builds)}), blobs))
        _end_build(spare)  # while the host works on the reply
        spare = _fork_child()


def _read_back(
    reply: BuildReply, blobs: list[bytes], limits: SandboxLimits
) -> tuple[BuildReply, list[bytes]]:
    """Parse every BREP blob here first, under the build's memory limit: the host parses them in its own
    process, and bytes a script forged (counts that make OCCT's reader allocate gigabytes) must cost the
    sandbox, not the host. A blob that makes the reader loop runs out the host's clock for this reply
    (wall time + grace), which stops the whole sandbox; the host never reads it. (A CPU rlimit cannot
    help here: the worker is its namespace's pid 1, which the kernel's SIGXCPU does not end.)"""
    from benchgen.kit.errors import InvalidGeometry
    from benchgen.kit.exchange import brep_to_shape

    if not blobs:
        return reply, blobs
    owners = [f"fixture {label[:48]!r}" for label in reply.labels] + [
        f"solution part {label[:48]!r}" for label in reply.solution_labels
    ]
    if len(owners) != len(blobs):
        return _failure(
            FailureCode.SCRIPT_ERROR, "the build process sent a malformed reply: labels and blobs differ"
        )
    memory = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(
        resource.RLIMIT_AS, (_capped(_mapped_bytes() + limits.memory_mb * MIB, memory[1]), memory[1])
    )
    try:
        for owner, blob in zip(owners, blobs):
            brep_to_shape(blob)
    except (InvalidGeometry, MemoryError) as error:
        code = FailureCode.RESOURCE_LIMIT if isinstance(error, MemoryError) else FailureCode.INVALID_GEOMETRY
        why = (
            f"reading it needs more than {limits.memory_mb} MiB"
            if code is FailureCode.RESOURCE_LIMIT
            else error
        )
        return _failure(
            code, f"the BREP of {owner} could not be read back ({why}); build solids with build123d"
        )
    finally:
        resource.setrlimit(resource.RLIMIT_AS, memory)
    return reply, blobs


def _capped(soft: int, hard: int) -> int:
    """A soft limit no higher than the hard one; RLIM_INFINITY (-1) is no cap, not the smallest number."""
    return soft if hard == resource.RLIM_INFINITY else min(soft, hard)


def _mapped_bytes() -> int:
    """This process's address space now (VmSize), the base the read-back's memory limit adds to."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise OSError("VmSize missing from /proc/self/status")


def _make_undumpable() -> None:
    """Builds run as the same user as this worker; undumpable, it cannot be ptraced or read via /proc."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def _take_channel() -> tuple[int, int]:
    """Move the host channel off fds 0/1 so that stray prints cannot corrupt the frame stream."""
    channel_in, channel_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    return channel_in, channel_out


def _stats(builds: int) -> WorkerStats:
    return WorkerStats(
        pid=os.getpid(), builds=builds, peak_rss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    )


# --- one build ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Child:
    """A build waiting for its request: set up ahead, so that the fork and mounts stay off its path."""

    pid: int  # pid 1 of the build's own pid namespace
    request_fd: int  # the worker writes the request here
    reply_fd: int  # and reads the reply here
    output_fd: int  # the child's captured stdout and stderr: a memory file only the worker reads back


def _fork_child() -> Child:
    """Fork the next build child and wait until it is isolated (a few ms, while the host is busy)."""
    output_fd = os.memfd_create(OUTPUT_MEMFD_NAME)
    request_read, request_write = os.pipe()
    reply_read, reply_write = os.pipe()
    isolated_read, isolated_write = os.pipe()
    pid = fork_into_new_pid_namespace()
    if pid == 0:
        for fd in (request_write, reply_read, isolated_read):
            os.close(fd)
        _run_child(request_read, reply_write, output_fd, isolated_write)
    for fd in (request_read, reply_write, isolated_write):
        os.close(fd)
    isolated = os.read(isolated_read, 1)
    os.close(isolated_read)
    if not isolated:
        raise BuildSetupFailed(f"{SETUP_FAILED_MARK} a build child could not enter its namespaces")
    return Child(pid=pid, request_fd=request_write, reply_fd=reply_read, output_fd=output_fd)


def _serve(child: Child, request: BuildRequest) -> tuple[BuildReply, list[bytes]]:
    """Hand the request to the waiting child and collect its reply; call `_end_build` after answering."""
    try:
        write_all(child.request_fd, encode_frame(request))
        os.close(child.request_fd)
        reply, blobs = _collect(child, request.limits)
    finally:
        os.close(child.reply_fd)
    output = _read_output(child.output_fd, request.limits.max_text_bytes)
    return reply.model_copy(update={"output": output}), blobs


def _end_build(child: Child) -> None:
    """Kill the build's pid 1: the kernel then kills every process of its pid namespace, and the wait
    returns only after they are all gone. The build's mounts and IPC objects go with them."""
    _kill_build(child.pid)
    try:
        os.waitpid(child.pid, 0)
    except ChildProcessError:
        pass  # already reaped by `_collect`
    os.close(child.output_fd)


def _run_child(request_fd: int, reply_fd: int, output_fd: int, isolated_fd: int) -> NoReturn:
    """The build child, pid 1 of its namespace: isolate, wait for the request, limit, build, reply, exit.
    Never returns."""
    status = 1
    child_pid = os.getpid()
    try:
        enter_build_namespaces(python_paths())
        mount_build_proc()
        drop_capabilities()
    except BaseException:  # noqa: BLE001  (to the worker's stderr: the worker stops, the host says why)
        traceback.print_exc()
        os._exit(status)
    try:
        write_all(isolated_fd, b"\x01")
        os.close(isolated_fd)
        os.setsid()  # own session and process group, apart from the worker's
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        keep = sorted((request_fd, reply_fd))
        os.closerange(3, keep[0])  # whatever the worker held, the host channel among them
        os.closerange(keep[0] + 1, keep[1])
        os.closerange(keep[1] + 1, MAX_OPEN_FILES * 4)
        os.chdir(SANDBOX_TMP)
        if not select.select([request_fd], [], [], WARM_UP_AFTER_IDLE_SECONDS)[0]:
            _warm_up()  # the host is busy elsewhere: use the idle time
        request, _ = read_frame(fd_reader(request_fd), BuildRequest, MAX_REQUEST_BYTES)
        os.close(request_fd)
        _apply_limits(request.limits)
        confine_signals()
        outcome = execute_build(request.source, request.seed, request.scale, request.limits.max_output_bytes)
        solved = None
        if request.solution_source is not None and isinstance(outcome, BuildResult):
            solved = execute_solve(request.solution_source, outcome, request.limits.max_output_bytes)
        if os.getpid() != child_pid:
            return  # a process the script forked came back here: only the build child replies
        _flush_captured_output()
        write_all(reply_fd, _encode_outcome(outcome, solved))
        os.close(reply_fd)  # end of stream now, not after the (slow) teardown of this process's memory
        status = 0
    except PeerClosed:
        status = 0  # the worker shut down before sending a request
    except BaseException:  # noqa: BLE001  (report anything to the captured output, then exit)
        traceback.print_exc()
    finally:
        os._exit(status)


def _warm_up() -> None:
    """Build a small trusted scenario while the host is busy. A forked child pays a copy-on-write fault on
    the first write to each page it shares with the worker (measured: a build in a fresh child takes ~4x
    as long as in a warmed one); this pays them for the pages every build touches before the real build's
    clock starts. Its outcome is not used."""
    outcome = execute_build(WARM_UP_SCRIPT, 0, 1.0, DEFAULT_MAX_OUTPUT_BYTES)
    if isinstance(outcome, BuildFailure):
        raise WarmUpFailed(f"the worker's warm-up scenario failed: {outcome.message}")
    _encode_outcome(outcome)


def _flush_captured_output() -> None:
    """Flush the script's buffered prints. Past the output-size limit the flush fails; the outcome already
    says so (or the text is cut anyway), so the reply must still go out."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            continue


def _apply_limits(limits: SandboxLimits) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    already_s = math.ceil(usage.ru_utime + usage.ru_stime)  # the warm-up's CPU time is not the build's
    soft_s = already_s + limits.cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (soft_s, soft_s + CPU_HARD_GRACE_SECONDS))
    memory_bytes = limits.memory_mb * MIB
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_output_bytes, limits.max_output_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (MAX_OPEN_FILES, MAX_OPEN_FILES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _encode_outcome(outcome: BuildOutcome, solved: SolveOutcome | None = None) -> bytes:
    if isinstance(outcome, BuildFailure):
        return encode_frame(BuildReply(code=outcome.code, message=outcome.message))
    labels = list(outcome.breps)
    reply = BuildReply(spec=outcome.spec, labels=labels, build_s=outcome.build_s)
    blobs = [outcome.breps[k] for k in labels]
    if isinstance(solved, SolveFailure):
        reply = reply.model_copy(update={"solve_code": solved.code, "solve_message": solved.message})
    elif solved is not None:
        solution_labels = list(solved.breps)
        reply = reply.model_copy(
            update={
                "solution": solved.solution,
                "solution_labels": solution_labels,
                "solve_s": solved.solve_s,
            }
        )
        blobs += [solved.breps[k] for k in solution_labels]
    return encode_frame(reply, blobs)


def _collect(child: Child, limits: SandboxLimits) -> tuple[BuildReply, list[bytes]]:
    """Read the child's reply while watching the build's end and the wall clock; kill it at a limit.

    Returns as soon as a whole, valid reply has arrived: the build's end and clean-up happen after the
    worker has answered the host (see `_end_build`).
    """
    read_fd = child.reply_fd
    budget = limits.max_output_bytes + FRAME_OVERHEAD_BYTES
    deadline = time.monotonic() + limits.wall_seconds
    pidfd = os.pidfd_open(child.pid)
    os.set_blocking(read_fd, False)
    data = bytearray()
    watched = [read_fd, pidfd]
    try:
        while pidfd in watched:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _kill_build(child.pid)
                return _failure(
                    FailureCode.TIMEOUT,
                    f"build did not finish within the wall-time limit of {limits.wall_seconds:g} s; "
                    "remove loops that do not end or make the geometry simpler",
                )
            ready = select.select(watched, [], [], remaining)[0]
            if read_fd in ready:
                _drain(read_fd, data, watched, budget)
            if len(data) > budget:
                _kill_build(child.pid)
                return _failure(
                    FailureCode.RESOURCE_LIMIT,
                    f"build sent back more than {budget / MIB:.1f} MiB; use fewer or simpler fixtures",
                )
            if read_fd in ready and read_fd not in watched:  # end of stream: the child closed its end
                try:
                    return read_frame(bytes_reader(bytes(data)), BuildReply, budget)
                except ProtocolError:
                    pass  # no valid reply: the exit status below says why
            if pidfd in ready:
                watched.remove(pidfd)
        _drain(read_fd, data, watched, budget)
        _, status, usage = os.wait4(child.pid, 0)
    finally:
        os.close(pidfd)
    return _decode_exit(status, usage.ru_utime + usage.ru_stime, bytes(data), limits, budget)


def _drain(fd: int, data: bytearray, watched: list[int], budget: int) -> None:
    """Read what the pipe holds now, up to just over `budget` bytes; at the end of the stream stop watching."""
    while len(data) <= budget:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            if fd in watched:
                watched.remove(fd)
            return
        data += chunk


def _decode_exit(
    status: int, cpu_s: float, data: bytes, limits: SandboxLimits, budget: int
) -> tuple[BuildReply, list[bytes]]:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        cpu_limit_hit = sig == signal.SIGXCPU or (
            sig == signal.SIGKILL and cpu_s >= limits.cpu_seconds - CPU_ACCOUNTING_SLACK_SECONDS
        )
        if cpu_limit_hit:
            return _failure(
                FailureCode.TIMEOUT,
                f"build hit the CPU-time limit of {limits.cpu_seconds} s; "
                "remove loops that do not end or make the geometry simpler",
            )
        return _failure(
            FailureCode.RESOURCE_LIMIT,
            f"build was killed by {signal.Signals(sig).name}; most often this is the memory limit of "
            f"{limits.memory_mb} MiB or the script signalling itself; build smaller shapes",
        )
    exit_code = os.WEXITSTATUS(status)
    if exit_code != 0 or not data:
        return _failure(
            FailureCode.SCRIPT_ERROR,
            f"the build process exited with status {exit_code} without a result; scripts must not exit "
            "the process (os._exit, sys.exit from a thread) or close its files",
        )
    try:
        return read_frame(bytes_reader(data), BuildReply, budget)
    except InvalidFrame as error:
        return _failure(
            FailureCode.CONTRACT_VIOLATION,
            f"the build sent back a scenario that breaks the contract: {error}",
        )
    except ProtocolError as error:
        return _failure(FailureCode.SCRIPT_ERROR, f"the build process sent a malformed reply: {error}")


def _failure(code: FailureCode, message: str) -> tuple[BuildReply, list[bytes]]:
    return BuildReply(code=code, message=message), []


def _kill_build(pid: int) -> None:
    """Kill the build child; as pid 1 of its namespace it takes every other process there with it."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _read_output(output_fd: int, max_text_bytes: int) -> str:
    """The head of the build's captured output (a memory file the worker created and alone reads back)."""
    head = os.pread(output_fd, max_text_bytes, 0)
    return truncated_text(head, os.fstat(output_fd).st_size, max_text_bytes)


if __name__ == "__main__":
    main()
