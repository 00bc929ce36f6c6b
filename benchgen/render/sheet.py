"""A labelled contact sheet: every view in one PNG, with the variant's identity and a colour legend."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from benchgen.kit.materials import MATERIALS
from benchgen.kit.spec import ScenarioSpec
from benchgen.render.views import (
    BUILD_ZONE_EDGE_RGBA,
    FORBID_RGBA,
    GOAL_RGBA,
    PAYLOAD_RGBA,
    RenderedView,
)

SHEET_COLUMNS = 2  # views per row
PADDING_PX = 12  # space around and between views
CAPTION_PX = 26  # height of the caption strip above each view
SWATCH_PX = 18  # side of a legend colour square
TITLE_FONT_PX = 22
TEXT_FONT_PX = 16
SHEET_PNG_COMPRESSION = 3  # zlib level 0..9; 3 is ~3x faster than Pillow's 6 for a few % more bytes
BACKGROUND = (255, 255, 255)
TEXT = (20, 20, 20)
MUTED_TEXT = (90, 90, 90)
WARNING_TEXT = (170, 20, 20)


@dataclass(frozen=True)
class LegendEntry:
    """One colour key: `outline_only` draws a hollow square (the build zone is drawn as an outline)."""

    rgba: tuple[float, float, float, float]
    text: str
    outline_only: bool = False


def _rgb255(rgba: Sequence[float], over: tuple[int, int, int] = BACKGROUND) -> tuple[int, int, int]:
    """The colour as it appears over `over` with its alpha, in 0..255 RGB."""
    alpha = rgba[3]
    return tuple(round(255 * c * alpha + o * (1 - alpha)) for c, o in zip(rgba[:3], over))  # type: ignore[return-value]


def legend_for(spec: ScenarioSpec | None) -> list[LegendEntry]:
    """Legend entries for the payload, the zones and each fixture material present in the scene."""
    payload_text = "payload"
    if spec is not None:
        payload_text = f"payload: {spec.payload.size_label} mm, {spec.payload.material}"
    payload_text += " (tinted outline where hidden)"
    entries = [
        LegendEntry(PAYLOAD_RGBA, payload_text),
        LegendEntry(GOAL_RGBA, "goal zone"),
        LegendEntry(
            FORBID_RGBA,
            "forbid zone"
            + (f" ({', '.join(z.name or '?' for z in spec.forbid)})" if spec and spec.forbid else ""),
        ),
        LegendEntry(BUILD_ZONE_EDGE_RGBA, "build zone (outline)", outline_only=True),
    ]
    if spec is not None:
        by_material: dict[str, list[str]] = {}
        for fixture in spec.fixtures:
            by_material.setdefault(fixture.material, []).append(fixture.label)
        for material, labels in sorted(by_material.items()):
            entries.append(LegendEntry(MATERIALS[material].rgba, f"{material}: {', '.join(labels)}"))
    return entries


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    """Greedy word wrap so long notes stay inside the sheet."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def make_contact_sheet(
    views: Sequence[RenderedView],
    path: Path,
    *,
    title: str,
    subtitle: str,
    legend: Sequence[LegendEntry],
    notes: Sequence[str] = (),
) -> Path:
    """Lay the views out in a grid under a title, with the legend and any notes below; write PNG."""
    if not views:
        raise ValueError("a contact sheet needs at least one view")
    view_h, view_w = views[0].image.shape[:2]
    rows = math.ceil(len(views) / SHEET_COLUMNS)
    columns = min(SHEET_COLUMNS, len(views))
    width = columns * view_w + (columns + 1) * PADDING_PX
    title_font, text_font = _font(TITLE_FONT_PX), _font(TEXT_FONT_PX)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    note_lines = [
        line for note in notes for line in _wrap(measure, f"- {note}", text_font, width - 2 * PADDING_PX)
    ]
    line_px = TEXT_FONT_PX + 6
    header_px = PADDING_PX + TITLE_FONT_PX + 6 + line_px
    grid_px = rows * (CAPTION_PX + view_h + PADDING_PX)
    legend_rows = _legend_layout(measure, legend, text_font, width)
    footer_px = (
        PADDING_PX + len(legend_rows) * line_px + (len(note_lines) + (1 if note_lines else 0)) * line_px
    )
    sheet = Image.new("RGB", (width, header_px + grid_px + footer_px + PADDING_PX), BACKGROUND)
    draw = ImageDraw.Draw(sheet)

    draw.text((PADDING_PX, PADDING_PX), title, fill=TEXT, font=title_font)
    draw.text((PADDING_PX, PADDING_PX + TITLE_FONT_PX + 6), subtitle, fill=MUTED_TEXT, font=text_font)

    y0 = header_px
    for i, view in enumerate(views):
        row, column = divmod(i, SHEET_COLUMNS)
        x = PADDING_PX + column * (view_w + PADDING_PX)
        y = y0 + row * (CAPTION_PX + view_h + PADDING_PX)
        draw.text((x, y + 4), view.name, fill=TEXT, font=text_font)
        if view.caption:
            name_px = int(draw.textlength(view.name, font=text_font))
            draw.text((x + name_px + 10, y + 4), f"({view.caption})", fill=MUTED_TEXT, font=text_font)
        sheet.paste(Image.fromarray(view.image), (x, y + CAPTION_PX))

    y = header_px + grid_px
    for row_entries in legend_rows:
        x = PADDING_PX
        for entry, entry_width in row_entries:
            box = (x, y + 2, x + SWATCH_PX, y + 2 + SWATCH_PX)
            if entry.outline_only:
                draw.rectangle(box, outline=_rgb255(entry.rgba), width=2)
            else:
                draw.rectangle(box, fill=_rgb255(entry.rgba), outline=_rgb255((*entry.rgba[:3], 1.0)))
            draw.text((x + SWATCH_PX + 6, y + 2), entry.text, fill=TEXT, font=text_font)
            x += entry_width
        y += line_px
    if note_lines:
        y += line_px // 2
        for line in note_lines:
            draw.text((PADDING_PX, y), line, fill=WARNING_TEXT, font=text_font)
            y += line_px
    path = Path(path)
    sheet.save(path, format="PNG", compress_level=SHEET_PNG_COMPRESSION)
    return path


def _legend_layout(
    draw, legend: Sequence[LegendEntry], font, width: int
) -> list[list[tuple[LegendEntry, int]]]:
    """Flow legend entries into rows that fit the sheet width."""
    rows: list[list[tuple[LegendEntry, int]]] = [[]]
    used = PADDING_PX
    for entry in legend:
        entry_width = SWATCH_PX + 6 + int(draw.textlength(entry.text, font=font)) + 2 * PADDING_PX
        if rows[-1] and used + entry_width > width - PADDING_PX:
            rows.append([])
            used = PADDING_PX
        rows[-1].append((entry, entry_width))
        used += entry_width
    return rows
