"""Resource limits of one sandboxed build: what an untrusted scenario script may use before it is stopped."""

from pydantic import BaseModel, ConfigDict, Field

MIB = 1024 * 1024  # bytes per mebibyte

DEFAULT_CPU_SECONDS = 20  # s of CPU time per build; the examples need well under 1 s
DEFAULT_WALL_SECONDS = 40.0  # s of wall time per build, measured by the worker from fork to reply
# MiB of address space per build. A forked child of the warm worker already maps ~1.05 GiB (OCCT, numpy,
# libraries; measured with build123d 0.13) and building the examples adds < 10 MiB. 2 GiB leaves ~1 GiB
# for real geometry while a memory bomb still fails quickly.
DEFAULT_MEMORY_MB = 2048
# Processes and threads of the sandbox's host user counted together: bwrap, the worker and its waiting
# parent, the build and what it starts. Spare slots let OCCT start threads; a fork bomb stops here.
DEFAULT_MAX_PROCESSES = 24
DEFAULT_MAX_OUTPUT_BYTES = 64 * MIB  # bytes: cap on everything a build sends back (spec JSON + BREP blobs)
DEFAULT_MAX_TEXT_BYTES = 64 * 1024  # bytes of the script's stdout/stderr kept in the outcome
DEFAULT_STARTUP_SECONDS = 120.0  # s the worker may take to start and import build123d on a busy machine
DEFAULT_HOST_GRACE_SECONDS = 10.0  # s the host waits beyond wall_seconds before it kills the whole sandbox


class SandboxLimits(BaseModel):
    """Per-build limits, enforced in the sandbox with rlimits and by the worker's and host's clocks."""

    model_config = ConfigDict(frozen=True)

    cpu_seconds: int = Field(DEFAULT_CPU_SECONDS, gt=0, description="CPU time per build, s (RLIMIT_CPU).")
    wall_seconds: float = Field(DEFAULT_WALL_SECONDS, gt=0, description="Wall time per build, s.")
    memory_mb: int = Field(DEFAULT_MEMORY_MB, gt=0, description="Address space per build, MiB (RLIMIT_AS).")
    max_processes: int = Field(
        DEFAULT_MAX_PROCESSES, gt=0, description="Processes and threads of the sandbox user (RLIMIT_NPROC)."
    )
    max_output_bytes: int = Field(
        DEFAULT_MAX_OUTPUT_BYTES, gt=0, description="Bytes a build may send back or write to a file."
    )
    max_text_bytes: int = Field(
        DEFAULT_MAX_TEXT_BYTES, gt=0, description="Bytes of captured stdout/stderr kept in `output`."
    )
    startup_seconds: float = Field(
        DEFAULT_STARTUP_SECONDS, gt=0, description="Time the worker may take to start and import, s."
    )
    host_grace_seconds: float = Field(
        DEFAULT_HOST_GRACE_SECONDS, gt=0, description="Extra wall time before the host kills the sandbox, s."
    )


DEFAULT_LIMITS = SandboxLimits()  # frozen, so one shared instance serves as every default
