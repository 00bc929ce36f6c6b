"""Write the static HTML gallery of a published dataset version: index, one page per benchmark, rejected runs.

The site is self-contained: CSS and JS are inline, images and clips are copied next to the pages, and
nothing is fetched from the network, so it renders offline from any folder or bucket.
"""

import tempfile
import uuid
from collections import Counter
from pathlib import Path, PurePosixPath

from jinja2 import DictLoader, Environment, select_autoescape
from pydantic import BaseModel, Field
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from benchgen.contract import TARGET_CAP_FACTOR
from benchgen.dataset.publish import PublishedDataset
from benchgen.dataset.published import PublishedVersion
from benchgen.errors import BenchgenError
from benchgen.gallery.source import BenchmarkPage, DatasetRecord, read_dataset
from benchgen.gallery.templates import FILTER_SCRIPT, STYLE, TEMPLATES
from benchgen.measures.difficulty import difficulty_tier
from benchgen.settings import Settings, get_settings
from benchgen.store import ArtifactStore

GALLERY_DIR = (
    "gallery"  # inside the version folder, next to the card; derived from it, so not in the manifest
)
INDEX_PAGE = "index.html"
REJECTED_PAGE = "rejected.html"
CANDIDATES_DIR = "candidates"  # candidates/<session id>.html
PAGE_FILE = "index.html"  # a benchmark's page sits inside its copied folder: benchmarks/<id>/index.html
GALLERY_CLIP_FILE = "gallery_settle.gif"  # a clip the gallery rendered itself from the published MJCF
HISTOGRAM_BINS = 10  # bars over the difficulty score range [0, 1]
HISTOGRAM_WIDTH_PX = 420
HISTOGRAM_HEIGHT_PX = 140
HISTOGRAM_MARGIN_PX = 24  # room for the axis labels
CODE_CSS_CLASS = "code"
NO_CLIP_NOTE = (
    "this dataset version holds no settle clip and the gallery was built with render_clips=False "
    "(`--no-clips`); build it with clips to see the payload left alone"
)
ZONE_LABELS = ("goal", "build_zone", "bounds")


class ClipUnavailable(BenchgenError):
    """A benchmark has no settle clip and its published files do not say how to film one."""


class GallerySite(BaseModel):
    """Where a gallery was written and what it shows."""

    directory: Path
    index: Path
    benchmarks: int
    rejected: int
    sessions_note: str = Field(description="Where sessions came from, or why journals are missing.")


UNKNOWN_DIFFICULTY = "unknown"  # a rejected candidate has no score


def difficulty_band(score: float | None) -> str:
    return UNKNOWN_DIFFICULTY if score is None else difficulty_tier(score).value


def histogram_svg(scores: list[float]) -> str:
    """Inline SVG bars: how many benchmarks fall in each tenth of the difficulty score."""
    counts = Counter(min(int(score * HISTOGRAM_BINS), HISTOGRAM_BINS - 1) for score in scores)
    tallest = max(counts.values(), default=1)
    plot_h = HISTOGRAM_HEIGHT_PX - HISTOGRAM_MARGIN_PX
    bar_w = (HISTOGRAM_WIDTH_PX - 2 * HISTOGRAM_MARGIN_PX) / HISTOGRAM_BINS
    header = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{HISTOGRAM_WIDTH_PX}" height="{HISTOGRAM_HEIGHT_PX}" '
        'role="img" aria-label="difficulty histogram">'
    )
    parts = [header]
    for b in range(HISTOGRAM_BINS):
        height = plot_h * counts.get(b, 0) / tallest
        x = HISTOGRAM_MARGIN_PX + b * bar_w
        parts.append(
            f'<rect x="{x:.1f}" y="{plot_h - height:.1f}" width="{bar_w - 2:.1f}" height="{height:.1f}" '
            f'fill="#4a7bd0"><title>{b / HISTOGRAM_BINS:.1f}-{(b + 1) / HISTOGRAM_BINS:.1f}: '
            f"{counts.get(b, 0)}</title></rect>"
        )
        if counts.get(b, 0):
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{plot_h - height - 2:.1f}" font-size="10" '
                f'text-anchor="middle">{counts[b]}</text>'
            )
    for tick in (0.0, 0.5, 1.0):
        x = HISTOGRAM_MARGIN_PX + tick * (HISTOGRAM_WIDTH_PX - 2 * HISTOGRAM_MARGIN_PX)
        parts.append(
            f'<text x="{x:.1f}" y="{HISTOGRAM_HEIGHT_PX - 8}" font-size="11" text-anchor="middle">'
            f"{tick:g}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _environment() -> Environment:
    env = Environment(loader=DictLoader(TEMPLATES), autoescape=select_autoescape(default=True))
    env.globals.update(
        fmt=lambda v: "(" + ", ".join(f"{c:.1f}" for c in v) + ")",
        num=lambda v: "" if v is None else f"{v:.4g}",
        style=STYLE,
    )
    return env


def _copy(version: PublishedVersion, path: str, out_dir: Path) -> str:
    """Copy one checked file of the version into the site at the same relative path; return that path."""
    target = out_dir / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(version.read(path))
    return path


def _render_clip(version: PublishedVersion, record: BenchmarkPage, out_dir: Path) -> str:
    """Film the payload left alone from the published MJCF scene (no script runs); return the clip's path."""
    from benchgen.physics.mjcf import MESH_DIRECTORY, SCENE_FILE
    from benchgen.render.bundle import MJCF_DIR
    from benchgen.render.clip import render_settle_clip
    from benchgen.render.views import CameraParams, SceneRenderer

    folder = PurePosixPath(record.row.script_file or "").parent.as_posix()
    mjcf = f"{folder}/{MJCF_DIR}"
    xml = version.read(f"{mjcf}/{SCENE_FILE}").decode("utf-8")
    assets = {
        p.removeprefix(f"{mjcf}/"): version.read(p) for p in version.paths_under(f"{mjcf}/{MESH_DIRECTORY}")
    }
    if record.clip_camera is None or record.render_size is None:
        raise ClipUnavailable(
            f"benchmark {record.row.benchmark_id} has no isometric camera in its render_manifest.json, so the "
            "gallery cannot film its settle clip; build the gallery with --no-clips (render_clips=False)"
        )
    path = f"{folder}/{GALLERY_CLIP_FILE}"
    (out_dir / path).parent.mkdir(parents=True, exist_ok=True)
    with SceneRenderer(record.render_size) as renderer:
        loaded = renderer.load(xml, assets, record.definition)
        render_settle_clip(renderer, loaded, CameraParams.model_validate(record.clip_camera), out_dir / path)
    return path


def _benchmark_title(record: BenchmarkPage) -> str:
    return f"{record.row.theme} #{record.row.seed}"


def _write_benchmark(
    env: Environment,
    version: PublishedVersion,
    dataset: DatasetRecord,
    record: BenchmarkPage,
    out_dir: Path,
    render_clips: bool,
) -> None:
    folder = PurePosixPath(record.row.script_file or "").parent.as_posix()
    page_dir = out_dir / folder

    def local(path: str) -> str:
        return PurePosixPath(path).relative_to(folder).as_posix()

    views = [(name, local(_copy(version, path, out_dir))) for name, path in sorted(record.views.items())]
    sheet = local(_copy(version, record.sheet, out_dir)) if record.sheet else None
    if record.clip is not None:
        clip = local(_copy(version, record.clip, out_dir))
    elif render_clips:
        clip = local(_render_clip(version, record, out_dir))
    else:
        clip = None
    witness_clip = local(_copy(version, record.witness_clip, out_dir)) if record.witness_clip else None
    witness_file = local(_copy(version, record.witness_file, out_dir)) if record.witness_file else None
    formatter = HtmlFormatter(cssclass=CODE_CSS_CLASS, linenos="table")
    spec = record.definition
    zones = [(label, getattr(spec, label)) for label in ZONE_LABELS]
    zones += [(f"forbid {zone.name or i}", zone) for i, zone in enumerate(spec.forbid)]
    html = env.get_template("benchmark").render(
        title=_benchmark_title(record),
        dataset_name=dataset.manifest.name,
        dataset_version=dataset.manifest.version,
        root="../../",
        row=record.row,
        difficulty=difficulty_band(record.row.difficulty_score),
        views=views,
        sheet=sheet,
        clip=clip,
        clip_note=NO_CLIP_NOTE,
        render_notes=record.render_notes,
        witness_clip=witness_clip,
        witness_file=witness_file,
        cap_factor=f"{TARGET_CAP_FACTOR:g}",
        spec=spec,
        payload_shape=f"{spec.payload.size_label}, {spec.payload.mass_kg:.3f} kg",
        zones=zones,
        variants=record.variants,
        session=record.session,
        missing_session=f"No session {record.row.session_id} was found ({dataset.sessions_note}).",
        script_html=highlight(record.script, PythonLexer(), formatter),
        code_style=formatter.get_style_defs(f".{CODE_CSS_CLASS}"),
    )
    page_dir.mkdir(parents=True, exist_ok=True)
    (page_dir / PAGE_FILE).write_text(html, encoding="utf-8")


def _cards(dataset: DatasetRecord) -> list[dict]:
    cards = []
    for record in dataset.benchmarks:
        folder = PurePosixPath(record.row.script_file or "").parent.as_posix()
        cards.append(
            {
                "title": _benchmark_title(record),
                "theme": record.row.theme,
                "family": record.row.family,
                "difficulty": difficulty_band(record.row.difficulty_score),
                "score": record.row.difficulty_score,
                "status": "accepted",
                "codes": [],
                "href": f"{folder}/{PAGE_FILE}",
                "thumbnail": record.sheet,
            }
        )
    for session in dataset.rejected:
        cards.append(
            {
                "title": f"{session.theme} ({session.session_id[:8]})",
                "theme": session.theme,
                "family": session.family or "unknown",
                "difficulty": difficulty_band(None),
                "score": None,
                "status": session.status.value,
                "codes": session.failure_codes,
                "href": f"{CANDIDATES_DIR}/{session.session_id}.html",
                "thumbnail": None,
            }
        )
    return cards


def _write_index(env: Environment, dataset: DatasetRecord, out_dir: Path) -> Path:
    cards = _cards(dataset)
    filters = [
        (key, label, sorted({c[key] for c in cards}))
        for key, label in (
            ("theme", "Theme"),
            ("family", "Family"),
            ("difficulty", "Difficulty"),
            ("status", "Status"),
        )
    ]
    html = env.get_template("index").render(
        title=f"{dataset.manifest.name} {dataset.manifest.version}",
        dataset_name=dataset.manifest.name,
        dataset_version=dataset.manifest.version,
        root="",
        benchmarks=dataset.benchmarks,
        rejected=dataset.rejected,
        published_at=f"{dataset.manifest.published_at:%Y-%m-%d %H:%M} UTC",
        sessions_note=dataset.sessions_note,
        histogram=histogram_svg(
            [b.row.difficulty_score for b in dataset.benchmarks if b.row.difficulty_score is not None]
        ),
        filters=filters,
        cards=cards,
        card_text=dataset.card,
        filter_script=FILTER_SCRIPT,
    )
    path = out_dir / INDEX_PAGE
    path.write_text(html, encoding="utf-8")
    return path


def _write_rejected(env: Environment, dataset: DatasetRecord, out_dir: Path) -> None:
    common = {
        "dataset_name": dataset.manifest.name,
        "dataset_version": dataset.manifest.version,
        "sessions_note": dataset.sessions_note,
    }
    html = env.get_template("rejected").render(
        title="Rejected candidates", root="", rejected=dataset.rejected, **common
    )
    (out_dir / REJECTED_PAGE).write_text(html, encoding="utf-8")
    (out_dir / CANDIDATES_DIR).mkdir(parents=True, exist_ok=True)
    for session in dataset.rejected:
        page = env.get_template("candidate").render(
            title=f"Rejected: {session.theme}", root="../", session=session, **common
        )
        (out_dir / CANDIDATES_DIR / f"{session.session_id}.html").write_text(page, encoding="utf-8")


def build_gallery(
    dataset_url: str,
    out_dir: Path,
    *,
    settings: Settings | None = None,
    rejected_session_ids: list[uuid.UUID] | None = None,
    render_clips: bool = True,
) -> GallerySite:
    """Write the gallery of the published version at `dataset_url` (`<store>/<name>/<version>`) into `out_dir`.

    Sessions (review decisions, journals) come from the settings' database when reachable. Rejected
    candidates are `rejected_session_ids` when given (the pipeline knows them), otherwise the sessions of
    the dataset's themes between the run's first accepted session and publication that are not in it.
    With `render_clips`, a version without settle clips gets them filmed from its published MJCF scenes.
    """
    settings = settings or get_settings()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    version = PublishedVersion(dataset_url, settings)
    dataset = read_dataset(version, settings, rejected_session_ids)
    env = _environment()
    for record in dataset.benchmarks:
        _write_benchmark(env, version, dataset, record, out_dir, render_clips)
    index = _write_index(env, dataset, out_dir)
    _write_rejected(env, dataset, out_dir)
    return GallerySite(
        directory=out_dir,
        index=index,
        benchmarks=len(dataset.benchmarks),
        rejected=len(dataset.rejected),
        sessions_note=dataset.sessions_note,
    )


def gallery_index_key(version_prefix: str) -> str:
    """Store key of the gallery index page of the version at `version_prefix`."""
    return f"{version_prefix}/{GALLERY_DIR}/{INDEX_PAGE}"


def publish_gallery(
    store: ArtifactStore,
    published: PublishedDataset,
    settings: Settings,
    *,
    rejected_session_ids: list[uuid.UUID] | None = None,
    render_clips: bool = True,
) -> str:
    """Build the gallery of a just-published version and store it in the version's `gallery/` folder.

    Returns the URL of its index page. The gallery is a view of the sealed files, so the manifest does
    not list it; a forced re-publish removes it with the version, and the pipeline builds it again.
    """
    prefix = f"{published.prefix}/{GALLERY_DIR}"
    with tempfile.TemporaryDirectory(prefix="benchgen-gallery-") as tmp:
        build_gallery(
            published.url,
            Path(tmp),
            settings=settings,
            rejected_session_ids=rejected_session_ids,
            render_clips=render_clips,
        )
        store.delete(prefix)
        store.put_dir(prefix, Path(tmp))
    return store.url_for(gallery_index_key(published.prefix))
