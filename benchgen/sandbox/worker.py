"""The warm worker that runs INSIDE the sandbox: imports build123d and the kit once, then serves build
requests from the host, each in a freshly forked child with its own rlimits, private directory and clock.

Run as `python -m benchgen.sandbox.worker` with the host channel on stdin/stdout (frames, see protocol).
"""

import ctypes
import os
import resource
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback
from typing import NoReturn

from benchgen.codes import FailureCode
from benchgen.sandbox.execute import execute_build, truncated_text
from benchgen.sandbox.limits import MIB, SandboxLimits
from benchgen.sandbox.outcome import BuildFailure, BuildOutcome
from benchgen.sandbox.protocol import (
    FRAME_OVERHEAD_BYTES,
    BuildReply,
    BuildRequest,
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
MAX_REQUEST_BYTES = 16 * MIB  # bytes: a request is a script's source text plus a little JSON
CPU_HARD_GRACE_SECONDS = 1  # s between RLIMIT_CPU's SIGXCPU (soft) and its SIGKILL (hard)
MAX_OPEN_FILES = 256  # file descriptors a build may hold open (RLIMIT_NOFILE)
OUTPUT_FILENAME = "output.txt"  # the build's captured stdout and stderr, in its private directory
SANDBOX_INIT_PID = 1  # bwrap's reaper process in the sandbox's pid namespace: never signalled
# Signals the kernel sends when the CPU limit is exceeded: SIGXCPU at the soft limit, SIGKILL at the hard.
CPU_LIMIT_SIGNALS = (signal.SIGXCPU, signal.SIGKILL)


def main() -> None:
    _make_undumpable()
    channel_in, channel_out = _take_channel()
    import build123d  # noqa: F401  (the point of a warm worker: pay this import once)
    import OCP.BRepTools  # noqa: F401  (used by every serialization)

    builds = 0
    write_all(channel_out, encode_frame(WorkerReady(stats=_stats(builds))))
    read_request = fd_reader(channel_in)
    while True:
        try:
            request, _ = read_frame(read_request, BuildRequest, MAX_REQUEST_BYTES)
        except PeerClosed:
            return  # the host closed the channel: a normal shutdown
        reply, blobs = _serve(request)
        builds += 1
        write_all(channel_out, encode_frame(reply.model_copy(update={"stats": _stats(builds)}), blobs))


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


def _serve(request: BuildRequest) -> tuple[BuildReply, list[bytes]]:
    limits = request.limits
    workdir = tempfile.mkdtemp(prefix="build-")
    output_path = os.path.join(workdir, OUTPUT_FILENAME)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _run_child(request, workdir, output_path, write_fd)
    os.close(write_fd)
    try:
        reply, blobs = _collect(pid, read_fd, limits)
        output = _read_output(output_path, limits.max_text_bytes)
    finally:
        os.close(read_fd)
        _kill_strays()
        _clear_scratch()
    return reply.model_copy(update={"output": output}), blobs


def _run_child(request: BuildRequest, workdir: str, output_path: str, reply_fd: int) -> NoReturn:
    """The forked child: isolate, limit, build, reply, exit. Never returns into the worker's loop."""
    status = 1
    child_pid = os.getpid()
    try:
        os.setsid()  # own process group: the worker kills the build and all it started at once
        output_fd = os.open(output_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.closerange(3, reply_fd)  # the host channel among them
        os.closerange(reply_fd + 1, MAX_OPEN_FILES * 4)
        os.chdir(workdir)
        _apply_limits(request.limits)
        confine_signals()
        outcome = execute_build(request.source, request.seed, request.scale, request.limits.max_output_bytes)
        if os.getpid() != child_pid:
            return  # a process the script forked came back here: only the build child replies
        _flush_captured_output()
        write_all(reply_fd, _encode_outcome(outcome))
        status = 0
    except BaseException:  # noqa: BLE001  (report anything to the captured output, then exit)
        traceback.print_exc()
    finally:
        os._exit(status)


def _flush_captured_output() -> None:
    """Flush the script's buffered prints. Past the output-size limit the flush fails; the outcome already
    says so (or the text is cut anyway), so the reply must still go out."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            continue


def _apply_limits(limits: SandboxLimits) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + CPU_HARD_GRACE_SECONDS))
    memory_bytes = limits.memory_mb * MIB
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_output_bytes, limits.max_output_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (MAX_OPEN_FILES, MAX_OPEN_FILES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _encode_outcome(outcome: BuildOutcome) -> bytes:
    if isinstance(outcome, BuildFailure):
        return encode_frame(BuildReply(code=outcome.code, message=outcome.message))
    labels = list(outcome.breps)
    return encode_frame(
        BuildReply(spec=outcome.spec, labels=labels, build_s=outcome.build_s),
        [outcome.breps[k] for k in labels],
    )


def _collect(pid: int, read_fd: int, limits: SandboxLimits) -> tuple[BuildReply, list[bytes]]:
    """Read the child's reply while watching its exit and the wall clock; kill it when a limit is hit."""
    budget = limits.max_output_bytes + FRAME_OVERHEAD_BYTES
    deadline = time.monotonic() + limits.wall_seconds
    pidfd = os.pidfd_open(pid)
    os.set_blocking(read_fd, False)
    data = bytearray()
    watched = [read_fd, pidfd]
    exited = timed_out = too_large = False
    try:
        while not exited:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            ready = select.select(watched, [], [], remaining)[0]
            if read_fd in ready:
                _drain(read_fd, data, watched, budget)
            if len(data) > budget:
                too_large = True
                break
            exited = pidfd in ready
        if exited:
            _drain(read_fd, data, watched, budget)
            too_large = len(data) > budget
        else:
            _kill_group(pid)
        _, status, usage = os.wait4(pid, 0)
    finally:
        os.close(pidfd)
    if timed_out:
        return _failure(
            FailureCode.TIMEOUT,
            f"build did not finish within the wall-time limit of {limits.wall_seconds:g} s; "
            "remove loops that do not end or make the geometry simpler",
        )
    if too_large:
        return _failure(
            FailureCode.RESOURCE_LIMIT,
            f"build sent back more than {budget / MIB:.1f} MiB; use fewer or simpler fixtures",
        )
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
        if sig in CPU_LIMIT_SIGNALS and cpu_s >= limits.cpu_seconds:
            return _failure(
                FailureCode.TIMEOUT,
                f"build used {cpu_s:.1f} s of CPU, over the limit of {limits.cpu_seconds} s; "
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
    except ProtocolError as error:
        return _failure(FailureCode.SCRIPT_ERROR, f"the build process sent a malformed reply: {error}")


def _failure(code: FailureCode, message: str) -> tuple[BuildReply, list[bytes]]:
    return BuildReply(code=code, message=message), []


def _kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _kill_strays() -> None:
    """Kill whatever a build left behind (daemons, processes in new sessions): only the worker may remain.

    The sandbox has its own pid namespace, so /proc lists exactly the sandbox's processes.
    """
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in (SANDBOX_INIT_PID, os.getpid()):
            try:
                os.kill(int(entry), signal.SIGKILL)
            except ProcessLookupError:
                pass


def _clear_scratch() -> None:
    """Empty the private tmpfs directories so that no build sees files an earlier build left."""
    for scratch in (tempfile.gettempdir(), os.path.expanduser("~")):
        for entry in os.scandir(scratch):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)


def _read_output(path: str, max_text_bytes: int) -> str:
    try:
        with open(path, "rb") as handle:
            head = handle.read(max_text_bytes)
            size = os.fstat(handle.fileno()).st_size
    except FileNotFoundError:
        return ""
    return truncated_text(head, size, max_text_bytes)


if __name__ == "__main__":
    main()
