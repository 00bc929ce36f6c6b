"""Data types the renderer produces and the reviewers read."""

from pathlib import Path

from pydantic import BaseModel, Field


class ViewMetrics(BaseModel):
    """What one rendered view shows, measured from MuJoCo's segmentation rendering."""

    view: str
    payload_fraction: float = Field(ge=0, le=1, description="Share of pixels covered by the payload.")
    fixture_fraction: float = Field(ge=0, le=1, description="Share of pixels covered by fixtures.")
    zone_fraction: float = Field(
        ge=0, le=1, description="Share of pixels covered by the goal and forbid zones."
    )
    payload_in_frame: bool = Field(description="The payload is visible and not cut by the frame edge.")
    goal_in_frame: bool = Field(description="The goal zone is drawn and not cut by the frame edge.")
    fixtures_in_frame: bool = Field(default=True, description="No fixture is cut by the frame edge.")
    goal_fraction: float = Field(
        default=0.0, ge=0, le=1, description="Share of pixels covered by the goal zone."
    )
    forbid_fraction: float = Field(
        default=0.0, ge=0, le=1, description="Share of pixels covered by forbid zones."
    )
    fixtures_visible: list[str] = Field(
        default_factory=list, description="Labels of fixtures with visible pixels."
    )
    fixtures_cropped: list[str] = Field(
        default_factory=list, description="Labels of fixtures cut by the frame edge."
    )


class RenderBundle(BaseModel):
    """Where a review bundle was written and what it measured."""

    directory: Path
    views: dict[str, Path]
    contact_sheet: Path
    clip: Path | None = None
    witness_clip: Path | None = Field(default=None, description="The witness solving this variant (GIF).")
    witness_strip: Path | None = Field(
        default=None,
        description="Frames of the witness clip side by side (PNG), for image-reading reviewers.",
    )
    metrics: list[ViewMetrics] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="What could not be rendered, and why.")
