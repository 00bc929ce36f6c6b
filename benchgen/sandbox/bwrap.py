"""The bubblewrap command line that starts the worker: no network, a read-only file system, nothing of
the project but the `benchgen` package, an unprivileged uid.

The worker is the sandbox's pid 1 (`--as-pid-1`, no bwrap init holding the host's pipes) and keeps one
capability, CAP_SYS_ADMIN in the sandbox's own user namespace, to give every build fresh namespaces and
scratch mounts (see `isolate`); builds drop it before the script runs. The root is read-only: the only
writable places are the per-build tmpfs mounts over SCRATCH_MOUNTS.

As root, bwrap's user namespace would map the sandbox uid to host root, and the kernel exempts host
root from RLIMIT_NPROC: a fork bomb would not stop. So as root each worker is started (setpriv) as its
own unprivileged host uid, picked at random from a range no account uses, so that RLIMIT_NPROC counts
only that sandbox's processes. That uid cannot traverse /root, where the Python installation may live,
so a private mount namespace (unshare) first binds the Python paths read-only under a staging tmpfs that
only this launcher sees; bwrap then binds them back at their original paths inside the sandbox.
"""

import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import benchgen
from benchgen.errors import SandboxUnavailable
from benchgen.sandbox.isolate import SCRATCH_MOUNTS

SANDBOX_UID = 65534  # uid (`nobody`) and gid (`nogroup`) inside the sandbox
SANDBOX_GID = 65534
# Host uids/gids a worker started by root runs as: one at random per worker, far above login accounts
# (< 60000) and the usual subordinate-id ranges (100000 + 65536 per user).
HOST_ID_FIRST = 3_000_000
HOST_ID_COUNT = 1_000_000
SANDBOX_HOME = "/home/sandbox"  # a fresh tmpfs per build
SANDBOX_TMP = "/tmp"  # a fresh tmpfs per build, the build's working directory
WORKER_CAPABILITY = "CAP_SYS_ADMIN"  # kept by the worker in the sandbox's user namespace to set builds up
STAGING_DIR = "/mnt"  # covered by a private tmpfs in the launcher's own mount namespace only
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)"
)
# System paths Python and OCCT need, bound read-only. Top-level symlinks (usrmerge: /lib -> usr/lib)
# are recreated as symlinks, real directories are bound.
SYSTEM_PATHS = ("/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc/ld.so.cache", "/etc/localtime")
# bwrap's own errors (its stderr lines start with "bwrap: ") that mean it could not create or map the
# user namespace, rather than a bad option or path.
USERNS_ERROR = re.compile(
    r"namespace|uid map|gid map|setgroups|Operation not permitted|Permission denied", re.IGNORECASE
)
USERNS_HINT = (
    "user namespaces must be allowed for this user: check `sysctl user.max_user_namespaces` (> 0), "
    "`sysctl kernel.unprivileged_userns_clone` (1, Debian kernels), "
    "`sysctl kernel.apparmor_restrict_unprivileged_userns` (0, or an AppArmor profile for bwrap, "
    "Ubuntu 24.04) "
    "and that no container runtime forbids them (seccomp, missing CAP_SYS_ADMIN)"
)
# Printed by the worker's bootstrap (stderr) when the sandbox's Python cannot import benchgen.
IMPORT_FAILED_MARK = "benchgen-sandbox-import-failed:"
WORKER_BOOTSTRAP = f"""import sys
try:
    from benchgen.sandbox.worker import main
except ImportError as error:
    sys.exit(f"{IMPORT_FAILED_MARK} {{error!r}}; sys.path={{sys.path!r}}")
main()
"""
# Printed by the worker (stderr) when a build child cannot enter its namespaces or mount its scratch.
SETUP_FAILED_MARK = "benchgen-sandbox-setup-failed:"
PROBE_PROGRAM = "/usr/bin/true"  # what ensure_bubblewrap runs in a sandbox to prove one can start
STDERR_LINES_QUOTED = 5  # last stderr lines quoted when a start-up failure has no known cause
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
        stderr = probe.stderr.decode(errors="replace")
        raise SandboxUnavailable(startup_failure(stderr, f"exit status {probe.returncode}"))


def startup_failure(stderr: str, status: str) -> str:
    """Why a sandbox did not start, from its stderr: benchgen not importable inside (and where Python
    looked), bwrap unable to create the user namespace, or otherwise the status and the stderr's tail."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(IMPORT_FAILED_MARK):
            what = line.removeprefix(IMPORT_FAILED_MARK).strip()
            return (
                f"the sandbox started, but its Python ({_python_command()[0]}) could not import benchgen: "
                f"{what}. Only these host paths are bound into the sandbox: {', '.join(python_paths())}; "
                "install benchgen into the environment of the Python that runs it (pip install -e . in "
                "the checkout), not only on PYTHONPATH. benchgen never runs scripts unsandboxed"
            )
    if any(SETUP_FAILED_MARK in line for line in lines):
        cause = next((line for line in reversed(lines) if line.startswith("benchgen.sandbox.isolate.")), "")
        return (
            f"the sandbox started, but could not give a build its own namespaces and scratch ({cause}); "
            "the kernel must allow mount, IPC, network, UTS and pid namespaces and tmpfs and proc mounts "
            "inside a user namespace. benchgen never runs scripts unsandboxed"
        )
    bwrap_errors = [line for line in lines if line.startswith("bwrap:")]
    if bwrap_errors and USERNS_ERROR.search(bwrap_errors[-1]):
        return (
            f"bubblewrap cannot create a sandbox here: it could not set up the user namespace "
            f"({bwrap_errors[-1]}); {USERNS_HINT}. benchgen never runs scripts unsandboxed"
        )
    if bwrap_errors:
        return (
            f"bubblewrap cannot create a sandbox here ({bwrap_errors[-1]}). benchgen never runs scripts "
            "unsandboxed"
        )
    tail = " | ".join(lines[-STDERR_LINES_QUOTED:]) or "no output"
    return (
        f"bubblewrap cannot create a sandbox here, or the sandbox exited while starting ({status}; "
        f"stderr: {tail}). benchgen never runs scripts unsandboxed"
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
        "--cap-add", WORKER_CAPABILITY,
        "--as-pid-1",
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
    for directory in SCRATCH_MOUNTS:
        args += ["--dir", directory]  # a mount point only: each build mounts its own tmpfs there
    for source, target in binds.items():
        args += ["--ro-bind", source, target]
    args += ["--remount-ro", "/dev"]  # device nodes still work; no files can be stored in /dev itself
    args += ["--remount-ro", "/"]  # nothing but the per-build scratch mounts is writable
    args += ["--chdir", SANDBOX_TMP, "--"]
    return args


def _python_command() -> list[str]:
    """The venv's interpreter without user site, bytecode writes or the cwd on sys.path."""
    venv_python = os.path.join(sys.prefix, "bin", "python")
    return [venv_python, "-s", "-B", "-P", "-c", WORKER_BOOTSTRAP]
