"""Data types the renderer produces and the reviewers read."""

from pathlib import Path

from pydantic import BaseModel, Field


class ViewMetrics(BaseModel):
    """What one rendered view shows, measured from MuJoCo's segmentation rendering."""

    view: str
    payload_fraction: float = Field(ge=0, le=1, description="Share of pixels covered by the payload.")
    fixture_fraction: float = Field(ge=0, le=1, description="Share of pixels covered by fixtures.")
    zone_fraction: float = Field(ge=0, le=1, description="Share of pixels covered by zone sites.")
    payload_in_frame: bool
    goal_in_frame: bool
    fixtures_in_frame: bool = True


class RenderBundle(BaseModel):
    """Where a review bundle was written and what it measured."""

    directory: Path
    views: dict[str, Path]
    contact_sheet: Path
    clip: Path | None = None
    metrics: list[ViewMetrics] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="What could not be rendered, and why.")
