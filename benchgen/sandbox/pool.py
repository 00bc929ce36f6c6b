"""Warm sandbox workers shared by the builds of one process, so a build pays build123d's import once.

A dataset build runs many short jobs (agent sessions, evidence renders) in the same process; each used to
start its own worker, about 3 s of import for a job of a few seconds. Reuse is safe because a worker
runs every build in a fresh child with its own namespaces, limits and scratch: nothing of one script
reaches the next, whichever job sent it. A runner whose job raised is closed, not reused.
"""

import atexit
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from benchgen.sandbox.limits import DEFAULT_LIMITS, SandboxLimits
from benchgen.sandbox.runner import SandboxRunner

MAX_IDLE_RUNNERS = 4  # idle workers kept per process (~0.5 GiB resident each); more are closed on return

_idle: dict[SandboxLimits, list[SandboxRunner]] = {}
_lock = threading.Lock()


@contextmanager
def warm_runner(limits: SandboxLimits = DEFAULT_LIMITS) -> Iterator[SandboxRunner]:
    """A started runner with these limits for the caller alone until the block ends, then kept warm."""
    with _lock:
        idle = _idle.get(limits, [])
        runner = idle.pop() if idle else None
    if runner is None:
        runner = SandboxRunner(limits=limits).__enter__()
    try:
        yield runner
    except BaseException:
        runner.close()
        raise
    with _lock:
        kept = sum(len(runners) for runners in _idle.values())
        if kept < MAX_IDLE_RUNNERS:
            _idle.setdefault(limits, []).append(runner)
            return
    runner.close()


@atexit.register
def close_idle_runners() -> None:
    with _lock:
        runners = [runner for idle in _idle.values() for runner in idle]
        _idle.clear()
    for runner in runners:
        runner.close()
