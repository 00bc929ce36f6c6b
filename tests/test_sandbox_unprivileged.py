"""The sandbox as most users start it: from an unprivileged account, where bubblewrap makes its own user
namespace (benchgen.sandbox.bwrap's non-root path). Run as root, the suite would never take that path,
so this test runs the sandbox and hostile-script tests again as an unprivileged uid.

That uid must be able to read the Python installation; a pyenv Python under /root (mode 700) is not.
A private mount namespace covers each unreadable ancestor with a world-readable tmpfs and binds the
Python paths back at their own places, so the paths inside the sandbox do not change. The repository
gets a writable overlay there (the tests plant secrets in it), so the real checkout is never written.
"""

import os
import shlex
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from benchgen.sandbox.bwrap import python_paths

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.geteuid() != 0, reason="not root: every sandbox test already takes the unprivileged path"
    ),
]

REPO = Path(__file__).resolve().parents[1]
UNPRIVILEGED_UID = 4_100_000  # a host uid no account uses, above the range the sandbox gives its workers as root
SANDBOX_TESTS = ["tests/test_sandbox.py", "tests/test_sandbox_hostile.py"]
RUN_TIMEOUT_S = 600
STAGING = "/mnt"  # covered by a tmpfs in the test's private mount namespace


def hidden_ancestor(path: str) -> str | None:
    """The topmost folder above `path` that other users cannot traverse, if any."""
    parts = Path(path).parents
    for folder in reversed([p for p in parts if p != Path("/")]):
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return str(folder)
    return None


def exposing_script(paths: list[str]) -> str:
    """Shell lines that make `paths` reachable for every uid in this mount namespace, at the same place."""
    lines = ["set -e", f"mount -t tmpfs -o mode=0755,size=64m benchgen-stage {STAGING}"]
    covered: dict[str, list[tuple[int, str]]] = {}
    for i, path in enumerate(paths):
        ancestor = hidden_ancestor(path)
        if ancestor is not None:
            lines += [f"mkdir {STAGING}/{i}", f"mount --bind {shlex.quote(path)} {STAGING}/{i}"]
            covered.setdefault(ancestor, []).append((i, path))
    for ancestor, staged in covered.items():
        lines.append(f"mount -t tmpfs -o mode=0755,size=1m benchgen-cover {shlex.quote(ancestor)}")
        for i, path in staged:
            lines += [f"mkdir -p {shlex.quote(path)}", f"mount --bind {STAGING}/{i} {shlex.quote(path)}"]
    return "\n".join(lines)


def writable_overlay_script(folder: Path) -> str:
    """Shell lines that overlay `folder` with a tmpfs anyone may write to, in this mount namespace."""
    upper, work = f"{STAGING}/overlay-upper", f"{STAGING}/overlay-work"
    return "\n".join(
        [
            f"mkdir {upper} {work}",
            f"chmod 0777 {upper}",
            f"mount -t overlay benchgen-repo -o lowerdir={folder},upperdir={upper},workdir={work} {folder}",
        ]
    )


def test_sandbox_and_hostile_tests_pass_as_an_unprivileged_user() -> None:
    readable = [*python_paths(), str(REPO)]
    with tempfile.TemporaryDirectory(prefix="benchgen-unprivileged-") as scratch:
        os.chmod(scratch, 0o777)  # the unprivileged uid's home and pytest's temporary folder
        setpriv = (
            f"setpriv --reuid={UNPRIVILEGED_UID} --regid={UNPRIVILEGED_UID} --clear-groups "
            "--inh-caps=-all --bounding-set=-all --no-new-privs"
        )
        pytest_command = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "--basetemp", f"{scratch}/pytest", *SANDBOX_TESTS,
        ]  # fmt: skip
        script = "\n".join(
            [
                exposing_script(readable),
                writable_overlay_script(REPO),
                f"cd {shlex.quote(str(REPO))}",
                f"exec {setpriv} -- env -i PATH=/usr/bin:/bin HOME={scratch} MUJOCO_GL=egl "
                + shlex.join(pytest_command),
            ]
        )
        result = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script],
            check=False,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in output and "skipped" not in output, output[-2000:]
