"""A seccomp filter for the build child: it may signal only itself and its own process group.

Each build runs in its own pid namespace where the worker has no pid at all, so a script cannot name the
worker; this filter is the second wall. It answers EPERM to every signal aimed elsewhere; to signal
routing that the kernel delivers later on the script's behalf (fcntl F_SETOWN, F_SETOWN_EX, F_SETSIG and
the FIOSETOWN/SIOCSPGRP ioctls); to ptrace and process_vm_*; to the key management calls (a user's
keyrings outlive the build and would carry state to the next one); and to memfd_create (memory files
that no scratch size limit counts).
"""

import ctypes
import errno
import os
import platform
import struct

PR_SET_NO_NEW_PRIVS = 38  # prctl options (linux/prctl.h)
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
BPF_LD_W_ABS = 0x20  # classic BPF opcodes
BPF_JEQ_K = 0x15
BPF_JGE_K = 0x35
BPF_RET_K = 0x06
SECCOMP_DATA_NR = 0  # offsets into struct seccomp_data
SECCOMP_DATA_ARCH = 4
SECCOMP_DATA_ARG0_LOW = 16
SECCOMP_DATA_ARG1_LOW = 24
X32_SYSCALL_BIT = 0x40000000  # x86_64's x32 ABI: denied outright so it cannot bypass the numbers below
# fcntl commands (asm-generic/fcntl.h) and ioctl requests (asm-generic/sockios.h, ioctls.h) that make the
# kernel send signals to a process chosen by the caller, later, when a file becomes ready.
F_SETOWN = 8
F_SETSIG = 10
F_SETOWN_EX = 15
FIOSETOWN = 0x8901
SIOCSPGRP = 0x8902
SIGNAL_ROUTING_FCNTL = (F_SETOWN, F_SETSIG, F_SETOWN_EX)
SIGNAL_ROUTING_IOCTL = (FIOSETOWN, SIOCSPGRP)


class Syscalls:
    """Syscall numbers the filter looks at, for one architecture."""

    def __init__(self, audit_arch: int, kill: int, tkill: int, tgkill: int, rt_sigqueueinfo: int,
                 rt_tgsigqueueinfo: int, pidfd_send_signal: int, ptrace: int, process_vm_readv: int,
                 process_vm_writev: int, fcntl: int, ioctl: int, add_key: int, request_key: int,
                 keyctl: int, memfd_create: int) -> None:  # fmt: skip
        self.audit_arch = audit_arch
        self.by_pid = (kill, rt_sigqueueinfo)  # first argument: pid, 0 or -pgid
        self.by_tgid = (tgkill, rt_tgsigqueueinfo)  # first argument: thread group id
        self.fcntl = fcntl  # second argument: the command
        self.ioctl = ioctl  # second argument: the request
        self.denied = (tkill, pidfd_send_signal, ptrace, process_vm_readv, process_vm_writev, add_key,
                       request_key, keyctl, memfd_create)  # fmt: skip


SYSCALLS = {
    "x86_64": Syscalls(0xC000003E, kill=62, tkill=200, tgkill=234, rt_sigqueueinfo=129, rt_tgsigqueueinfo=297,
                       pidfd_send_signal=424, ptrace=101, process_vm_readv=310, process_vm_writev=311,
                       fcntl=72, ioctl=16, add_key=248, request_key=249, keyctl=250, memfd_create=319),
    "aarch64": Syscalls(0xC00000B7, kill=129, tkill=130, tgkill=131, rt_sigqueueinfo=138, rt_tgsigqueueinfo=240,
                        pidfd_send_signal=424, ptrace=117, process_vm_readv=270, process_vm_writev=271,
                        fcntl=25, ioctl=29, add_key=217, request_key=218, keyctl=219, memfd_create=279),
}  # fmt: skip


class SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def confine_signals() -> None:
    """Install the filter in the calling process (and all it forks later); irreversible."""
    syscalls = SYSCALLS.get(platform.machine())
    if syscalls is None:
        raise OSError(errno.ENOSYS, f"no seccomp syscall table for {platform.machine()}")
    program = _assemble(_program(syscalls, os.getpid()))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    fprog = SockFprog(len(program), program)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")


def _program(syscalls: Syscalls, pid: int) -> list[tuple[int, str | int, str | int, int]]:
    """(opcode, jump-if-true, jump-if-false, k); jumps are labels or 0 (fall through). Classic BPF only
    jumps forward, so every label comes after the rows that jump to it."""
    own_group = struct.unpack("<I", struct.pack("<i", -pid))[0]  # kill(-pid, ...) as the u32 BPF sees
    program: list[tuple[int, str | int, str | int, int]] = [
        (BPF_LD_W_ABS, 0, 0, SECCOMP_DATA_ARCH),
        (BPF_JEQ_K, 0, "deny", syscalls.audit_arch),
        (BPF_LD_W_ABS, 0, 0, SECCOMP_DATA_NR),
        (BPF_JGE_K, "deny", 0, X32_SYSCALL_BIT),
    ]
    program += [(BPF_JEQ_K, "deny", 0, nr) for nr in syscalls.denied]
    program += [(BPF_JEQ_K, "check_pid", 0, nr) for nr in syscalls.by_pid]
    program += [(BPF_JEQ_K, "check_tgid", 0, nr) for nr in syscalls.by_tgid]
    program += [
        (BPF_JEQ_K, "check_fcntl", 0, syscalls.fcntl),
        (BPF_JEQ_K, "check_ioctl", 0, syscalls.ioctl),
        (BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),  # every syscall the filter does not look at
        ("check_fcntl", 0, 0, 0),
        (BPF_LD_W_ABS, 0, 0, SECCOMP_DATA_ARG1_LOW),
    ]
    program += [(BPF_JEQ_K, "deny", 0, command) for command in SIGNAL_ROUTING_FCNTL]
    program += [
        (BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
        ("check_ioctl", 0, 0, 0),
        (BPF_LD_W_ABS, 0, 0, SECCOMP_DATA_ARG1_LOW),
    ]
    program += [(BPF_JEQ_K, "deny", 0, request) for request in SIGNAL_ROUTING_IOCTL]
    program += [
        (BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
        ("check_pid", 0, 0, 0),
        (BPF_LD_W_ABS, 0, 0, SECCOMP_DATA_ARG0_LOW),
        (BPF_JEQ_K, "allow", 0, 0),
        (BPF_JEQ_K, "allow", 0, own_group),
        (BPF_JEQ_K, "allow", "deny", pid),
        ("check_tgid", 0, 0, 0),
        (BPF_LD_W_ABS, 0, 0, SECCOMP_DATA_ARG0_LOW),
        (BPF_JEQ_K, "allow", "deny", pid),
        ("deny", 0, 0, 0),
        (BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM),
        ("allow", 0, 0, 0),
        (BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
    ]
    return program  # type: ignore[return-value]


def _assemble(program: list[tuple[int | str, str | int, str | int, int]]) -> ctypes.Array[SockFilter]:
    """Resolve label rows (a str opcode marks the next instruction) into relative jumps."""
    labels: dict[str, int] = {}
    instructions: list[tuple[int, str | int, str | int, int]] = []
    for code, jt, jf, k in program:
        if isinstance(code, str):
            labels[code] = len(instructions)
        else:
            instructions.append((code, jt, jf, k))

    def offset(target: str | int, index: int) -> int:
        return target if isinstance(target, int) else labels[target] - index - 1

    array = (SockFilter * len(instructions))()
    for index, (code, jt, jf, k) in enumerate(instructions):
        array[index] = SockFilter(code, offset(jt, index), offset(jf, index), k)
    return array
