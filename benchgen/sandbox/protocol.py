"""Frames between host, worker and build child: data only (JSON header + raw blobs), never pickle.

A frame is a 4-byte big-endian header length, the header as UTF-8 JSON (a pydantic model whose
`blob_sizes` lists the blobs), then the blobs back to back. Readers check every length against a byte
budget before reading, so a hostile peer cannot make the reader allocate more than the budget.
"""

import os
import select
import struct
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from pydantic import BaseModel, Field, ValidationError

from benchgen.codes import FailureCode
from benchgen.kit.solution_spec import SolutionSpec
from benchgen.kit.spec import ScenarioSpec, describe_validation_error
from benchgen.sandbox.limits import SandboxLimits

LENGTH = struct.Struct(">I")  # the header-length prefix
READ_CHUNK_BYTES = 1 << 16  # bytes per os.read from a pipe
FRAME_OVERHEAD_BYTES = 1 << 20  # bytes allowed for a reply's JSON header on top of the output limit
MAX_SOURCE_BYTES = 4 << 20  # bytes of script source a request may carry; real scripts are a few KiB
# bytes of a whole request frame: a scenario script and, for an evaluation, a solution script
MAX_REQUEST_BYTES = 2 * MAX_SOURCE_BYTES + FRAME_OVERHEAD_BYTES


class ProtocolError(Exception):
    """A peer sent bytes that are not a valid frame (truncated, malformed or over the budget)."""


class InvalidFrame(ProtocolError):
    """A well-formed frame whose content breaks the models' checks (a spec that breaks the contract)."""


class FrameTooLarge(ProtocolError):
    """A frame announced more bytes than the reader's budget."""


class FrameTimeout(ProtocolError):
    """The frame did not arrive before the deadline."""


class PeerClosed(ProtocolError):
    """The peer closed the stream (exited or died) before a whole frame arrived."""


class FrameHeader(BaseModel):
    blob_sizes: list[int] = Field(default_factory=list)


class BuildRequest(FrameHeader):
    """Host -> worker: build this source for one variant under these limits, then (when a solution source
    is given) run its `solve` on the built variant in the same child, under the same limits."""

    source: str
    seed: int
    scale: float
    limits: SandboxLimits
    solution_source: str | None = None


class WorkerStats(BaseModel):
    """How the worker is doing; lets the host prove it is warm (same pid, rising count) and flat in memory."""

    pid: int
    builds: int
    peak_rss_kb: int


class WorkerReady(FrameHeader):
    """Worker -> host, once: build123d and the kit are imported; requests may come."""

    stats: WorkerStats


class BuildReply(FrameHeader):
    """Build child -> worker -> host: a scenario spec plus one BREP blob per label, or a coded failure.

    With a solution: its spec, and one BREP blob per solution label after the fixtures' blobs, or the
    solve's coded failure."""

    spec: ScenarioSpec | None = None
    labels: list[str] = Field(default_factory=list)
    build_s: float = 0.0
    code: FailureCode | None = None
    message: str = ""
    output: str = ""
    stats: WorkerStats | None = None
    solution: SolutionSpec | None = None
    solution_labels: list[str] = Field(default_factory=list)
    solve_s: float = 0.0
    solve_code: FailureCode | None = None
    solve_message: str = ""


Header = TypeVar("Header", bound=FrameHeader)
ReadExact = Callable[[int], bytes]


def encode_frame(header: FrameHeader, blobs: Sequence[bytes] = ()) -> bytes:
    header = header.model_copy(update={"blob_sizes": [len(blob) for blob in blobs]})
    body = header.model_dump_json().encode()
    return b"".join([LENGTH.pack(len(body)), body, *blobs])


def read_frame(
    read_exact: ReadExact, header_type: type[Header], max_bytes: int
) -> tuple[Header, list[bytes]]:
    """Read one frame, refusing any frame whose header plus blobs exceed `max_bytes`."""
    (header_len,) = LENGTH.unpack(read_exact(LENGTH.size))
    if header_len > max_bytes:
        raise FrameTooLarge(f"frame header of {header_len} bytes exceeds the budget of {max_bytes} bytes")
    body = read_exact(header_len)
    try:
        header = header_type.model_validate_json(body)
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise ProtocolError(f"malformed {header_type.__name__} frame: {error}") from None
        raise InvalidFrame(describe_validation_error(error)) from None
    total = header_len + sum(header.blob_sizes)
    if total > max_bytes or any(size < 0 for size in header.blob_sizes):
        raise FrameTooLarge(f"frame of {total} bytes exceeds the budget of {max_bytes} bytes")
    return header, [read_exact(size) for size in header.blob_sizes]


def fd_reader(fd: int, deadline: float | None = None) -> ReadExact:
    """A `read_exact` over a pipe; `deadline` is a time.monotonic() value, None waits forever."""

    def read_exact(size: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < size:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                    raise FrameTimeout(f"no complete frame after waiting; {len(chunks)} of {size} bytes came")
            chunk = os.read(fd, min(READ_CHUNK_BYTES, size - len(chunks)))
            if not chunk:
                raise PeerClosed(f"peer closed the stream after {len(chunks)} of {size} bytes")
            chunks += chunk
        return bytes(chunks)

    return read_exact


def bytes_reader(data: bytes) -> ReadExact:
    """A `read_exact` over bytes already received."""
    offset = 0

    def read_exact(size: int) -> bytes:
        nonlocal offset
        if offset + size > len(data):
            raise PeerClosed(f"frame truncated: needed {offset + size} bytes, got {len(data)}")
        chunk = data[offset : offset + size]
        offset += size
        return chunk

    return read_exact


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
