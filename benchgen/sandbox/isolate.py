"""Fresh namespaces for every build, so that nothing one build leaves can reach the next.

The worker holds CAP_SYS_ADMIN in the sandbox's user namespace (only there) to set each build up:

- the build child is forked as pid 1 of a new pid namespace. When it dies the kernel kills every process
  of that namespace, zombie thread-group leaders and daemons in new sessions included.
- the child unshares new mount, IPC, network and UTS namespaces; its mounts are private, and fresh tmpfs
  mounts, limited in bytes and in inodes, cover every writable directory. Everything else is read-only
  (bwrap remounts the root read-only). System V and POSIX IPC objects, sockets and files of one build die
  with its namespaces.
- the child mounts a /proc that shows only the build's own processes (the worker has no pid there) and
  drops every capability before the script runs.
"""

import ctypes
import os

from benchgen.sandbox.limits import MIB

CLONE_NEWNS = 0x00020000  # unshare(2) flags (linux/sched.h)
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
BUILD_NAMESPACES = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET  # besides the pid namespace
MS_NOSUID = 0x2  # mount(2) flags (linux/mount.h)
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
PR_SET_NO_NEW_PRIVS = 38  # prctl option (linux/prctl.h)
LINUX_CAPABILITY_VERSION_3 = 0x20080522  # capset(2) header version with two 32-bit data words
SCRATCH_FLAGS = MS_NOSUID | MS_NODEV | MS_NOEXEC

# Writable directories of a build, each a fresh tmpfs: (bytes, inodes). tmpfs lives in host memory and no
# rlimit counts it, so these bound what a build can store; an inode costs the kernel ~1 KiB of its own
# memory even for an empty file, hence the inode cap. A build's files die with the build.
SCRATCH_MOUNTS = {
    "/tmp": (128 * MIB, 4096),
    "/home/sandbox": (32 * MIB, 1024),
    "/dev/shm": (64 * MIB, 1024),
}
SCRATCH_MODE = "0755"  # owned by the build user, who alone writes there


class IsolationError(OSError):
    """A namespace, mount or capability call failed while setting a build up."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise IsolationError(errno, f"{what} failed: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    encode = lambda text: None if text is None else text.encode()
    _check(
        _libc().mount(encode(source), encode(target), encode(fstype), flags, encode(data)),
        f"mount {fstype or 'bind'} on {target}",
    )


def own_pid_namespace() -> None:
    """Continue as pid 1 of a new pid namespace that belongs to this process's own user namespace.

    bwrap's pid namespace belongs to an outer user namespace (--disable-userns nests one more), so the
    worker could not setns back into it after forking a build; into its own one it can. Returns in the
    child; the calling process closes every file, waits for the child and exits with its status."""
    _check(_libc().unshare(CLONE_NEWPID), "unshare of the worker's pid namespace")
    pid = os.fork()
    if pid == 0:
        return
    os.closerange(0, 2)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    _, status = os.waitpid(pid, 0)
    os._exit(os.waitstatus_to_exitcode(status) % 256)


def fork_into_new_pid_namespace() -> int:
    """os.fork() whose child is pid 1 of a new pid namespace; the caller's own namespaces stay as they were
    (its children-to-be go back to its own pid namespace), so it can do this once per build."""
    libc = _libc()
    own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    try:
        _check(libc.unshare(CLONE_NEWPID), "unshare of a pid namespace")
        pid = -1
        try:
            pid = os.fork()
        finally:
            if pid != 0:  # the parent, also when the fork failed
                _check(libc.setns(own, CLONE_NEWPID), "setns back to the worker's pid namespace")
        return pid
    finally:
        os.close(own)


def enter_build_namespaces(kept_paths: list[str]) -> None:
    """In the build child: new namespaces and fresh scratch mounts. `kept_paths` (read-only binds of
    Python and benchgen) that lie inside a scratch directory are bound again over its fresh tmpfs."""
    _check(_libc().unshare(BUILD_NAMESPACES), "unshare of the build namespaces")
    _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    for directory, (size_bytes, inodes) in SCRATCH_MOUNTS.items():
        inside = [path for path in kept_paths if path.startswith(directory + os.sep)]
        handles = [os.open(path, os.O_PATH | os.O_DIRECTORY) for path in inside]
        _mount(
            "benchgen-scratch",
            directory,
            "tmpfs",
            SCRATCH_FLAGS,
            f"size={size_bytes},nr_inodes={inodes},mode={SCRATCH_MODE}",
        )
        for path, handle in zip(inside, handles):
            os.makedirs(path, exist_ok=True)
            _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC, None)
            os.close(handle)
            # A bind copies the source mount's flags, read-only included (bwrap's --ro-bind locks them).
            if not os.statvfs(path).f_flag & os.ST_RDONLY:
                raise IsolationError(0, f"{path} is not read-only after binding it over {directory}'s scratch")


def mount_build_proc() -> None:
    """In the build child: a /proc of the build's pid namespace only."""
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_capabilities() -> None:
    """Drop every capability (effective, permitted, inheritable, and with them the ambient set) for good:
    the uid is not 0, and no_new_privs keeps an exec from gaining any back."""
    libc = _libc()
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(libc.capset(ctypes.byref(header), data), "capset to no capabilities")
