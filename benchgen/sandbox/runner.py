"""Host side of the sandbox: a warm, bubblewrapped worker that builds untrusted scenario scripts.

One `SandboxRunner` owns one worker process and serves one build at a time: an internal lock makes
concurrent `build` calls from several threads wait for each other. For parallel builds use one runner
per thread or process (each costs one worker: ~0.5 GiB resident, one build123d import). The worker is
restarted transparently when it dies (crash, kill, timeout).
"""

import os
import signal
import subprocess
import tempfile
import threading
import time
from typing import Self

from benchgen.codes import FailureCode
from benchgen.errors import SandboxUnavailable
from benchgen.sandbox.bwrap import startup_failure, worker_command
from benchgen.sandbox.limits import DEFAULT_LIMITS, MIB, SandboxLimits
from benchgen.sandbox.outcome import (
    BuildFailure,
    BuildOutcome,
    BuildResult,
    SolveFailure,
    SolveOutcome,
    SolveResult,
)
from benchgen.sandbox.protocol import (
    FRAME_OVERHEAD_BYTES,
    MAX_SOURCE_BYTES,
    BuildReply,
    BuildRequest,
    FrameTimeout,
    ProtocolError,
    WorkerReady,
    WorkerStats,
    encode_frame,
    fd_reader,
    read_frame,
    write_all,
)

STDERR_TAIL_BYTES = 4096  # bytes of the worker's stderr quoted when it fails to start or dies

WORKER_DIED = (
    "the sandbox worker failed while building this variant ({how}); the script must not signal, kill or "
    "exhaust the processes around it. A new worker starts for the next build."
)


class SandboxRunner:
    """A warm sandboxed worker: build123d imported once, one fresh rlimited child per build."""

    def __init__(self, limits: SandboxLimits = DEFAULT_LIMITS, bwrap: str = "bwrap") -> None:
        self.limits = limits
        self.bwrap = bwrap
        self.worker_starts = 0  # how many workers this runner started (1 unless some died)
        self.worker_stats: WorkerStats | None = None  # as reported with the last reply
        self._process: subprocess.Popen[bytes] | None = None
        self._to_worker = -1  # fd of the worker's stdin (requests), valid while _process runs
        self._from_worker = -1  # fd of the worker's stdout (replies)
        self._stderr: tempfile._TemporaryFileWrapper[bytes] | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        with self._lock:
            self._ensure_worker()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def worker_pid(self) -> int | None:
        """Host pid of the running sandbox (the launcher process), None when no worker runs."""
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def build(self, source: str, seed: int, scale: float) -> BuildOutcome:
        """Build one variant of `source` in the sandbox. Raises SandboxUnavailable only if no worker starts."""
        outcome, _ = self._run(BuildRequest(source=source, seed=seed, scale=scale, limits=self.limits))
        return outcome

    def build_and_solve(
        self, source: str, seed: int, scale: float, solution_source: str
    ) -> tuple[BuildOutcome, SolveOutcome | None]:
        """Build one variant and run the solution's `solve` on it, in one sandboxed child under the same
        limits. The solve outcome is None when the build failed (or a limit stopped the pair)."""
        solution_bytes = len(solution_source.encode())
        if solution_bytes > MAX_SOURCE_BYTES:
            failure = SolveFailure(
                code=FailureCode.RESOURCE_LIMIT,
                message=f"the solution is {solution_bytes / MIB:.1f} MiB of source, more than the limit of "
                f"{MAX_SOURCE_BYTES / MIB:.0f} MiB; solutions build geometry, they do not embed data",
            )
            return self.build(source, seed, scale), failure
        request = BuildRequest(
            source=source, seed=seed, scale=scale, limits=self.limits, solution_source=solution_source
        )
        return self._run(request)

    def _run(self, build_request: BuildRequest) -> tuple[BuildOutcome, SolveOutcome | None]:
        source_bytes = len(build_request.source.encode())
        if source_bytes > MAX_SOURCE_BYTES:
            return BuildFailure(
                code=FailureCode.RESOURCE_LIMIT,
                message=f"the script is {source_bytes / MIB:.1f} MiB of source, more than the limit of "
                f"{MAX_SOURCE_BYTES / MIB:.0f} MiB; scenario scripts build geometry, they do not embed data",
            ), None
        with self._lock:
            request = encode_frame(build_request)
            self._send(request)
            deadline = time.monotonic() + self.limits.wall_seconds + self.limits.host_grace_seconds
            try:
                reply, blobs = read_frame(
                    fd_reader(self._from_worker, deadline),
                    BuildReply,
                    self.limits.max_output_bytes + FRAME_OVERHEAD_BYTES,
                )
            except FrameTimeout:
                self._stop()
                return BuildFailure(
                    code=FailureCode.TIMEOUT,
                    message=f"build did not finish within {self.limits.wall_seconds:g} s of wall time "
                    "(the host stopped the whole sandbox); remove loops that do not end",
                ), None
            except ProtocolError as error:
                how = self._death_note(error)
                self._stop()
                return BuildFailure(code=FailureCode.SCRIPT_ERROR, message=WORKER_DIED.format(how=how)), None
            self.worker_stats = reply.stats
            fixture_blobs = blobs[: len(reply.labels)]
            return _outcome(reply, fixture_blobs), _solve_outcome(reply, blobs[len(reply.labels) :])

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _send(self, request: bytes) -> None:
        """Send a request, restarting the worker once if it died since the last build."""
        self._ensure_worker()
        try:
            write_all(self._to_worker, request)
        except BrokenPipeError:
            self._stop()
            self._ensure_worker()
            write_all(self._to_worker, request)

    # --- worker lifecycle ---------------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        self._stop()
        self._stderr = tempfile.TemporaryFile(prefix="benchgen-sandbox-", suffix=".stderr")  # noqa: SIM115  (lives as long as the worker)
        try:
            process = subprocess.Popen(
                worker_command(self.bwrap),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env={"PATH": os.environ.get("PATH", os.defpath)},
                start_new_session=True,
            )
        except OSError as error:
            raise SandboxUnavailable(
                f"could not start bubblewrap ({error}); benchgen never runs scripts unsandboxed"
            ) from None
        self._process = process
        self._to_worker = process.stdin.fileno()  # type: ignore[union-attr]  (both piped above)
        self._from_worker = process.stdout.fileno()  # type: ignore[union-attr]
        deadline = time.monotonic() + self.limits.startup_seconds
        try:
            ready, _ = read_frame(fd_reader(self._from_worker, deadline), WorkerReady, FRAME_OVERHEAD_BYTES)
        except ProtocolError as error:
            status = self._exit_note(error)
            stderr = self._stderr_tail()
            self._stop()
            raise SandboxUnavailable(startup_failure(stderr, status)) from None
        self.worker_stats = ready.stats
        self.worker_starts += 1

    def _stop(self) -> None:
        """Kill the sandbox (the worker keeps no state worth a graceful exit) and release its pipes."""
        process, self._process = self._process, None
        self._to_worker = self._from_worker = -1
        if process is not None:
            _kill_session(process)
            process.wait()
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _death_note(self, error: Exception) -> str:
        """How the worker ended, with the tail of its stderr, for messages."""
        parts = [self._exit_note(error)]
        tail = self._stderr_tail().strip()
        if tail:
            parts.append(f"stderr: {tail}")
        return "; ".join(parts)

    def _exit_note(self, error: Exception) -> str:
        process = self._process
        status = process.poll() if process is not None else None
        if status is None and process is not None:
            try:
                status = process.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                status = None
        return f"exit status {status}" if status is not None else str(error)

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(max(0, self._stderr.seek(0, os.SEEK_END) - STDERR_TAIL_BYTES))
        return self._stderr.read().decode("utf-8", errors="replace")


def _kill_session(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _outcome(reply: BuildReply, blobs: list[bytes]) -> BuildOutcome:
    """Turn the worker's reply (already validated by pydantic) into the public outcome, checking labels."""
    if reply.code is not None:
        return BuildFailure(code=reply.code, message=reply.message, output=reply.output)
    if reply.spec is None or len(reply.labels) != len(blobs):
        return BuildFailure(
            code=FailureCode.SCRIPT_ERROR,
            message="the sandbox sent a reply without a scenario",
            output=reply.output,
        )
    expected = [fixture.label for fixture in reply.spec.fixtures]
    if reply.labels != expected:
        return BuildFailure(
            code=FailureCode.SCRIPT_ERROR,
            message=f"the sandbox sent geometry for labels {reply.labels} but the spec lists {expected}",
            output=reply.output,
        )
    return BuildResult(
        spec=reply.spec, breps=dict(zip(reply.labels, blobs)), build_s=reply.build_s, output=reply.output
    )


def _solve_outcome(reply: BuildReply, blobs: list[bytes]) -> SolveOutcome | None:
    """The solve half of a reply; its labels and numbers are re-checked later by the evaluator."""
    if reply.solve_code is not None:
        return SolveFailure(code=reply.solve_code, message=reply.solve_message)
    if reply.solution is None:
        return None
    if len(reply.solution_labels) != len(blobs):
        return SolveFailure(
            code=FailureCode.SOLUTION_ERROR,
            message=f"the sandbox sent {len(blobs)} shapes for solution labels {reply.solution_labels}",
        )
    return SolveResult(
        solution=reply.solution, breps=dict(zip(reply.solution_labels, blobs)), solve_s=reply.solve_s
    )


def build_and_solve_in_process(
    source: str, seed: int, scale: float, solution_source: str, limits: SandboxLimits = DEFAULT_LIMITS
) -> tuple[BuildOutcome, SolveOutcome | None]:
    """`SandboxRunner.build_and_solve` for trusted code (bench baselines) in this process, no sandbox."""
    from benchgen.sandbox.execute import execute_build, execute_solve

    built = execute_build(source, seed, scale, limits.max_output_bytes)
    if isinstance(built, BuildFailure):
        return built, None
    return built, execute_solve(solution_source, built, limits.max_output_bytes)


def build_in_process(
    source: str, seed: int, scale: float, limits: SandboxLimits = DEFAULT_LIMITS
) -> BuildOutcome:
    """Build trusted code (bench baselines, offline families) in this process: same code path, no sandbox.

    The script's prints are not captured (`output` stays empty): redirecting `sys.stdout` is
    process-wide, and builds run in parallel threads would swallow each other's and the host's output.
    """
    from benchgen.sandbox.execute import execute_build  # imports OCP (~3 s): only when used

    return execute_build(source, seed, scale, limits.max_output_bytes)
