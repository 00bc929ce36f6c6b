"""`render_manifest.json`: what a review bundle holds, how each image was taken, and checksums."""

from pydantic import BaseModel, Field

from benchgen.render.types import ViewMetrics
from benchgen.render.views import CameraParams


class ViewRecord(BaseModel):
    name: str
    file: str = Field(description="Path relative to the bundle folder.")
    camera: CameraParams


class ClipRecord(BaseModel):
    file: str
    frames: int
    fps: int
    seconds: float = Field(description="Simulated seconds shown.")
    camera: CameraParams


class RenderManifest(BaseModel):
    render_version: str
    script_name: str
    seed: int
    scale: float
    width: int = Field(description="Pixels of each view.")
    height: int
    validation_ok: bool
    views: list[ViewRecord]
    sheet: str
    clip: ClipRecord | None
    metrics: list[ViewMetrics]
    notes: list[str]
    sha256: dict[str, str] = Field(
        description="Bundle-relative path -> sha256 of every file but this manifest."
    )
