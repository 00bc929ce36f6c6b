"""The bubblewrap command line that starts the worker: no network, read-only system, private tmpfs,
nothing of the project but the `benchgen` package, an unprivileged uid with no capabilities.

As root, bwrap's user namespace would map the sandbox uid to host root, and the kernel exempts host
root from RLIMIT_NPROC: a fork bomb would not stop. So as root each worker is started (setpriv) as its
own unprivileged host uid, picked at random from a range no account uses, so that RLIMIT_NPROC counts
only that sandbox's processes. That uid cannot traverse /root, where the Python installation may live,
so a private mount namespace (unshare) first binds the Python paths read-only under a staging tmpfs that
only this launcher sees; bwrap then binds them back at their original paths inside the sandbox.
"""

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import benchgen
from benchgen.errors import SandboxUnavailable

SANDBOX_UID = 65534  # uid (`nobody`) and gid (`nogroup`) inside the sandbox
SANDBOX_GID = 65534
# Host uids/gids a worker started by root runs as: one at random per worker, far above login accounts
# (< 60000) and the usual subordinate-id ranges (100000 + 65536 per user).
HOST_ID_FIRST = 3_000_000
HOST_ID_COUNT = 1_000_000
SANDBOX_HOME = "/home/sandbox"  # private tmpfs
SANDBOX_TMP = "/tmp"  # private tmpfs; each build gets its own directory in it
SANDBOX_SHM = "/dev/shm"  # private tmpfs
SCRATCH_DIRS = (SANDBOX_TMP, SANDBOX_HOME, SANDBOX_SHM)  # emptied by the worker after every build
TMPFS_SIZE_BYTES = 256 * 1024 * 1024  # bytes per private tmpfs; they live in host memory
STAGING_DIR = "/mnt"  # covered by a private tmpfs in the launcher's own mount namespace only
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)"
)
# System paths Python and OCCT need, bound read-only. Top-level symlinks (usrmerge: /lib -> usr/lib)
# are recreated as symlinks, real directories are bound.
SYSTEM_PATHS = ("/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc/ld.so.cache", "/etc/localtime")
PROBE_PROGRAM = "/usr/bin/true"  # what ensure_bubblewrap runs in a sandbox to prove one can start
PROBE_TIMEOUT_SECONDS = 30.0  # s a probe sandbox may take to start and exit on a busy machine
SANDBOX_ENV = {
    "PATH": "/usr/bin:/bin",
    "HOME": SANDBOX_HOME,
    "TMPDIR": SANDBOX_TMP,
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",  # set and dict order of strings must not vary between runs
    "PYTHONDONTWRITEBYTECODE": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
# Mounts a tmpfs on $1, binds each following path read-only at $1/0, $1/1, ... up to "--", then execs the
# remaining arguments (setpriv, bwrap, the worker).
STAGING_SCRIPT = """set -e
staging=$1; shift
mount -t tmpfs -o mode=0755,size=1m benchgen-staging "$staging"
i=0
while [ "$1" != "--" ]; do
  mkdir "$staging/$i"
  mount --bind "$1" "$staging/$i"
  mount -o remount,bind,ro "$staging/$i"
  i=$((i + 1)); shift
done
shift
exec "$@"
"""


def python_paths() -> list[str]:
    """The Python installation, the venv and the benchgen package: all the sandbox sees of this host's files."""
    candidates = [sys.base_prefix, sys.prefix, str(Path(benchgen.__file__).resolve().parent)]
    paths: list[str] = []
    for path in sorted({os.path.realpath(p) for p in candidates}, key=len):
        if not any(path == kept or path.startswith(kept + os.sep) for kept in paths):
            paths.append(path)
    return paths


def find_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SandboxUnavailable(
            f"`{name}` was not found on PATH; {INSTALL_HINT}. benchgen never runs scripts unsandboxed"
        )
    return found


def ensure_bubblewrap(bwrap: str = "bwrap") -> None:
    """Raise SandboxUnavailable unless a sandbox with the worker's options can be created here."""
    try:
        probe = subprocess.run(
            sandbox_command([PROBE_PROGRAM], bwrap),
            capture_output=True,
            timeout=PROBE_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SandboxUnavailable(
            f"bubblewrap did not start a sandbox within {PROBE_TIMEOUT_SECONDS:g} s"
        ) from None
    if probe.returncode != 0:
        stderr = probe.stderr.decode(errors="replace").strip()
        raise SandboxUnavailable(
            f"bubblewrap cannot create a sandbox here (exit status {probe.returncode}: {stderr}); "
            "user namespaces must be enabled. benchgen never runs scripts unsandboxed"
        )


def worker_command(bwrap: str = "bwrap") -> list[str]:
    """The command that starts the sandboxed worker; raises SandboxUnavailable if a tool is missing."""
    return sandbox_command(_python_command(), bwrap)


def sandbox_command(program: list[str], bwrap: str = "bwrap") -> list[str]:
    """`program` (paths as seen inside) wrapped in the sandbox; raises SandboxUnavailable if a tool is missing."""
    bwrap_path = find_tool(bwrap)
    paths = python_paths()
    if os.geteuid() != 0:
        return [bwrap_path, *_bwrap_args({path: path for path in paths}), *program]
    staged = {os.path.join(STAGING_DIR, str(i)): path for i, path in enumerate(paths)}
    host_id = HOST_ID_FIRST + random.SystemRandom().randrange(HOST_ID_COUNT)
    setpriv = [
        find_tool("setpriv"),
        f"--reuid={host_id}",
        f"--regid={host_id}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
    ]
    return [
        find_tool("unshare"), "--mount", "--propagation", "private", "--",
        "sh", "-c", STAGING_SCRIPT, "sh", STAGING_DIR, *paths, "--",
        *setpriv, bwrap_path, *_bwrap_args(staged), *program,
    ]  # fmt: skip


def _bwrap_args(binds: dict[str, str]) -> list[str]:
    """bwrap options; `binds` maps a host source path to the path it appears at in the sandbox."""
    args = [
        "--unshare-all",  # network, pid, ipc, uts, cgroup, user; never --share-net
        "--unshare-user",
        "--disable-userns",
        "--uid", str(SANDBOX_UID),
        "--gid", str(SANDBOX_GID),
        "--cap-drop", "ALL",
        "--die-with-parent",
        "--new-session",
        "--hostname", "sandbox",
        "--clearenv",
    ]  # fmt: skip
    for key, value in SANDBOX_ENV.items():
        args += ["--setenv", key, value]
    for path in SYSTEM_PATHS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            args += ["--ro-bind", path, path]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for tmpfs in SCRATCH_DIRS:
        args += ["--size", str(TMPFS_SIZE_BYTES), "--tmpfs", tmpfs]
    # After the scratch tmpfs mounts, so that a checkout or venv under /tmp stays visible on top of them.
    for source, target in binds.items():
        args += ["--ro-bind", source, target]
    args += ["--remount-ro", "/dev"]  # device nodes still work; no files can be stored in /dev itself
    args += ["--chdir", SANDBOX_TMP, "--"]
    return args


def _python_command() -> list[str]:
    """The venv's interpreter without user site, bytecode writes or the cwd on sys.path."""
    venv_python = os.path.join(sys.prefix, "bin", "python")
    return [venv_python, "-s", "-B", "-P", "-m", "benchgen.sandbox.worker"]
