"""A settle clip: the payload left alone for a few seconds, streamed to an animated GIF frame by frame.

Pillow and imageio's GIF writers keep every frame until the file is closed (or leave each encoded frame
to the cyclic garbage collector), so a long clip would grow in memory. `GifStream` writes each frame's
GIF blocks to the file as soon as the frame is rendered: memory stays one frame deep.
"""

import io
import math
import struct
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from benchgen.errors import BenchgenError
from benchgen.render.gl import mujoco
from benchgen.render.views import CameraParams, LoadedScene, SceneRenderer

DEFAULT_CLIP_SECONDS = 3.0  # simulated seconds shown
DEFAULT_FPS = 20  # frames per simulated second; GIF delays are whole centiseconds, so 20 fps is exact
MAX_CLIP_FRAMES = 3000  # frames; above this a clip is a mistake (minutes of GIF), not evidence
GIF_COLORS = 256  # palette size per frame
CLOCK_MIN_FONT_PX = 10  # the time stamp is 1/30 of the frame height, at least this
CLOCK_TEXT_RGB = (20, 20, 20)

_GIF_TRAILER = b"\x3b"
_IMAGE_SEPARATOR = 0x2C
_EXTENSION_INTRODUCER = 0x21


class ClipError(BenchgenError):
    """The settle clip cannot be made with the requested duration or frame rate."""


def clip_frame_count(seconds: float, fps: int) -> int:
    """Frames in a clip of `seconds` at `fps`: duration x fps, rounded to whole frames."""
    if not (math.isfinite(seconds) and seconds > 0) or fps <= 0:
        raise ClipError(f"clip needs seconds > 0 and fps > 0, got seconds={seconds} fps={fps}")
    frames = round(seconds * fps)
    if frames > MAX_CLIP_FRAMES:
        raise ClipError(
            f"clip of {seconds:g} s at {fps} fps has {frames} frames, over the {MAX_CLIP_FRAMES} limit; "
            "shorten clip_seconds or lower fps"
        )
    return max(frames, 1)


def _frame_blocks(image: Image.Image) -> bytes:
    """One frame as GIF image blocks with a local colour table, cut from Pillow's single-frame GIF."""
    buffer = io.BytesIO()
    image.save(buffer, format="GIF", optimize=False)
    data = buffer.getvalue()
    flags = data[10]
    position = 13
    palette = b""
    if flags & 0x80:  # a global colour table follows the logical screen descriptor
        palette_bits = flags & 0x07
        palette_length = 3 * (2 ** (palette_bits + 1))
        palette = data[position : position + palette_length]
        position += palette_length
    while data[position] == _EXTENSION_INTRODUCER:  # skip Pillow's extensions; we write our own
        position += 2
        while data[position]:
            position += data[position] + 1
        position += 1
    if data[position] != _IMAGE_SEPARATOR:
        raise ClipError(f"unexpected GIF block 0x{data[position]:02x} from Pillow at byte {position}")
    descriptor = bytearray(data[position : position + 10])
    rest = data[position + 10 : -1]  # image data up to (not including) the trailer
    if descriptor[9] & 0x80 or not palette:  # already has its own table
        return bytes(descriptor) + rest
    descriptor[9] = (descriptor[9] & 0x40) | 0x80 | (flags & 0x07)  # keep interlace, add the local table
    return bytes(descriptor) + palette + rest


class GifStream:
    """Append RGB frames to an animated GIF on disk, one at a time."""

    def __init__(self, path: Path, size: tuple[int, int], fps: int) -> None:
        self.path = Path(path)
        self.size = size
        self.delay_cs = max(1, round(100 / fps))  # GIF frame delay, centiseconds
        self.frames = 0
        self._file = self.path.open("wb")
        width, height = size
        self._file.write(b"GIF89a" + struct.pack("<HHBBB", width, height, 0x70, 0, 0))
        self._file.write(b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", 0) + b"\x00")  # loop forever

    def append(self, frame: np.ndarray) -> None:
        if frame.shape[1::-1] != self.size:
            raise ClipError(
                f"frame is {frame.shape[1]}x{frame.shape[0]}, the clip is {self.size[0]}x{self.size[1]}"
            )
        image = Image.fromarray(frame).quantize(colors=GIF_COLORS, method=Image.Quantize.FASTOCTREE)
        control = b"\x21\xf9\x04\x04" + struct.pack("<H", self.delay_cs) + b"\x00\x00"  # keep previous frame
        self._file.write(control + _frame_blocks(image))
        self.frames += 1

    def close(self) -> None:
        if not self._file.closed:
            self._file.write(_GIF_TRAILER)
            self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def render_settle_clip(
    renderer: SceneRenderer,
    scene: LoadedScene,
    camera: CameraParams,
    path: Path,
    *,
    seconds: float = DEFAULT_CLIP_SECONDS,
    fps: int = DEFAULT_FPS,
    control: Callable[[object], None] | None = None,
    clock_label: str = "left alone",
) -> int:
    """Simulate the payload left alone from its nominal start and write the clip; return its frame count.

    `control(data)`, when given, runs before every step (a solution's movers are driven that way)."""
    frames = clip_frame_count(seconds, fps)
    data = mujoco.MjData(scene.model)
    mujoco.mj_forward(scene.model, data)
    frame_period_s = 1.0 / fps
    font = ImageFont.load_default(size=max(CLOCK_MIN_FONT_PX, renderer.size[1] // 30))
    with GifStream(path, renderer.size, fps) as gif:
        for index in range(frames):
            target_time = index * frame_period_s
            while data.time < target_time - 0.5 * scene.model.opt.timestep:
                if control is not None:
                    control(data)
                mujoco.mj_step(scene.model, data)
            gif.append(_stamp_time(renderer.render(scene, camera, data=data), data.time, font, clock_label))
    return frames


def _stamp_time(frame: np.ndarray, time_s: float, font, label: str) -> np.ndarray:
    """Write the simulated time in the top-left corner, so a viewer knows how long it has been running."""
    image = Image.fromarray(frame)
    ImageDraw.Draw(image).text((6, 4), f"{label}: t = {time_s:.2f} s", fill=CLOCK_TEXT_RGB, font=font)
    return np.asarray(image)
