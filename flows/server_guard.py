"""Stop the main job's temporary Prefect server when the main job dies, even by SIGKILL.

Run by `flows.build_dataset` as `python server_guard.py <main job pid> <server pid>`. The guard asks the
kernel to send it SIGTERM when its parent dies (PR_SET_PDEATHSIG), then stops the server. At a normal
exit the main job kills the guard first and Prefect stops its server itself.
"""

import ctypes
import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1  # prctl option from <linux/prctl.h>
STOP_GRACE_S = 5.0  # s the server gets to exit after SIGTERM before it is killed
POLL_S = 0.1  # s between two checks that the server is gone


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop(server: int) -> None:
    """SIGTERM, then SIGKILL after STOP_GRACE_S."""
    try:
        os.kill(server, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_GRACE_S
    while alive(server) and time.monotonic() < deadline:
        time.sleep(POLL_S)
    if alive(server):
        os.kill(server, signal.SIGKILL)


def main(parent: int, server: int) -> None:
    def on_parent_death(signum: int, frame: object) -> None:
        stop(server)
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_parent_death)
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the main job died before the request took effect
        stop(server)
        return
    while True:
        signal.pause()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
