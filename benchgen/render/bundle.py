"""A review bundle: one folder holding everything a reviewer needs to judge one variant by looking at it.

Layout of `out_dir`:
    views/<view>.png        isometric, front, side, top at the payload's nominal start
    sheet.png               all views with captions and a colour legend
    settle.gif              the payload left alone (optional)
    mjcf/                   the simulated scene (scene.xml + meshes/)
    script.py               the scenario script as rendered
    validation_report.json  the validation report of this variant
    render_manifest.json    views, cameras, sizes, metrics, notes and the sha256 of every file above

Local filesystem only; copying the folder to the artifact store is the caller's job.
"""

from contextlib import ExitStack
from pathlib import Path

from PIL import Image

# gl first: a bad MUJOCO_GL must fail as GLBackendUnavailable, not inside benchgen.physics's mujoco import
import benchgen.render.gl  # noqa: F401  # isort: skip

from benchgen.errors import BenchgenError
from benchgen.kit import KitError
from benchgen.kit.exchange import sha256_hex
from benchgen.physics import build_mjcf
from benchgen.render.clip import DEFAULT_CLIP_SECONDS, DEFAULT_FPS, render_settle_clip
from benchgen.render.manifest import ClipRecord, RenderManifest, ViewRecord
from benchgen.render.metrics import measure_views
from benchgen.render.sheet import legend_for, make_contact_sheet
from benchgen.render.types import RenderBundle, ViewMetrics
from benchgen.render.views import DEFAULT_SIZE, STANDARD_VIEWS, SceneRenderer
from benchgen.validation.report import ValidationReport, VariantReport
from benchgen.versions import RENDER_VERSION

VIEWS_DIR = "views"
SHEET_FILE = "sheet.png"
CLIP_FILE = "settle.gif"
MJCF_DIR = "mjcf"
SCRIPT_FILE = "script.py"
REPORT_FILE = "validation_report.json"
MANIFEST_FILE = "render_manifest.json"
CLIP_VIEW = "isometric"  # the clip is filmed from this view's camera
MAX_FAILURE_NOTES = 6  # validation failures quoted on the sheet; the report JSON has them all


class RenderBuildFailed(BenchgenError):
    """The variant could not be built, so there is nothing to draw; the message carries the build failure."""


def _failure_notes(report: ValidationReport) -> list[str]:
    if report.ok:
        return []
    notes = [f"validation FAILED ({len(report.failures)} failure(s)); the scene is drawn as built"]
    for failure in report.failures[:MAX_FAILURE_NOTES]:
        notes.append(f"{failure.code.value}: {failure.message}")
    if len(report.failures) > MAX_FAILURE_NOTES:
        notes.append(f"... and {len(report.failures) - MAX_FAILURE_NOTES} more in {REPORT_FILE}")
    return notes


def _visibility_notes(metrics: list[ViewMetrics]) -> list[str]:
    """What the renders fail to show, so a reviewer does not read absence of evidence as evidence."""
    notes = []
    if not any(m.payload_in_frame for m in metrics):
        notes.append("the payload is not fully visible in any view (hidden or cut by the frame)")
    if not any(m.goal_in_frame for m in metrics):
        notes.append("the goal zone is not fully inside any view")
    cropped = sorted({label for m in metrics for label in m.fixtures_cropped})
    if cropped:
        notes.append(f"fixtures cut by a frame edge in some view: {', '.join(cropped)}")
    return notes


def render_bundle(
    source: str,
    report: ValidationReport,
    seed: int,
    scale: float,
    out_dir: Path,
    *,
    script_name: str,
    size: tuple[int, int] = DEFAULT_SIZE,
    clip_seconds: float | None = DEFAULT_CLIP_SECONDS,
    fps: int = DEFAULT_FPS,
    renderer: SceneRenderer | None = None,
) -> RenderBundle:
    """Write the review bundle of variant (seed, scale) as `report`'s validation built it; nothing is
    built again, and `source` is only copied into the bundle.

    `clip_seconds=None` skips the clip. A variant that fails validation is still drawn, and its
    failures are listed in the notes; a variant that did not build raises RenderBuildFailed.
    """
    out_dir = Path(out_dir)
    variant = report.variant(seed, scale)
    if variant is None or variant.built is None:
        raise RenderBuildFailed(
            f"cannot render {script_name} seed {seed} scale {scale:g}: {_why_not_built(report, variant)}"
        )
    built = variant.built
    try:
        scene = build_mjcf(built.spec, built.breps)
    except KitError as exc:
        raise RenderBuildFailed(
            f"cannot render {script_name} seed {seed} scale {scale:g}: no MJCF scene "
            f"({exc.code.value}: {exc})"
        ) from exc
    with ExitStack() as stack:
        if renderer is None:
            renderer = stack.enter_context(SceneRenderer(size))
        elif renderer.size != tuple(size):
            raise ValueError(
                f"renderer is {renderer.size[0]}x{renderer.size[1]}, bundle asks {size[0]}x{size[1]}"
            )
        return _write_bundle(
            out_dir, source, seed, scale, script_name, built.spec, scene, report, renderer, clip_seconds, fps
        )


def _why_not_built(report: ValidationReport, variant: VariantReport | None) -> str:
    if variant is None:
        checked = ", ".join(f"seed {v.seed} scale {v.scale:g}" for v in report.variants)
        return f"the validation report does not hold this variant (it holds {checked or 'none'})"
    failure = next(iter(variant.failures or report.failures), None)
    if failure is None:
        return "the validation report kept no build of it (validate the script again to render it)"
    return f"the build failed with {failure.code.value}: {failure.message}"


def _write_bundle(
    out_dir, source, seed, scale, script_name, spec, scene, report, renderer, clip_seconds, fps
):
    (out_dir / VIEWS_DIR).mkdir(parents=True, exist_ok=True)
    loaded = renderer.load_mjcf(scene, spec)
    views = renderer.render_views(loaded, STANDARD_VIEWS)
    view_paths = {}
    for view in views:
        path = out_dir / VIEWS_DIR / f"{view.name}.png"
        Image.fromarray(view.image).save(path, format="PNG")
        view_paths[view.name] = path
    metrics = measure_views(renderer, loaded, [v.camera for v in views])
    notes = _failure_notes(report) + _visibility_notes(metrics)

    status = "valid" if report.ok else "INVALID"
    sheet = make_contact_sheet(
        views,
        out_dir / SHEET_FILE,
        title=f"{script_name}  ({status})",
        subtitle=f"seed {seed}  |  scale {scale:g}  |  {len(spec.fixtures)} fixture(s)  |  payload at its nominal start",
        legend=legend_for(spec),
        notes=notes,
    )

    clip_record = None
    if clip_seconds is not None:
        camera = next(v.camera for v in views if v.name == CLIP_VIEW)
        frames = render_settle_clip(
            renderer, loaded, camera, out_dir / CLIP_FILE, seconds=clip_seconds, fps=fps
        )
        clip_record = ClipRecord(file=CLIP_FILE, frames=frames, fps=fps, seconds=clip_seconds, camera=camera)

    scene.write(out_dir / MJCF_DIR)
    (out_dir / SCRIPT_FILE).write_text(source, encoding="utf-8")
    (out_dir / REPORT_FILE).write_text(report.model_dump_json(indent=2), encoding="utf-8")
    written = [*view_paths.values(), sheet, out_dir / SCRIPT_FILE, out_dir / REPORT_FILE]
    written += [p for p in sorted((out_dir / MJCF_DIR).rglob("*")) if p.is_file()]
    if clip_record:
        written.append(out_dir / CLIP_FILE)

    manifest = RenderManifest(
        render_version=RENDER_VERSION,
        script_name=script_name,
        seed=seed,
        scale=scale,
        width=renderer.size[0],
        height=renderer.size[1],
        validation_ok=report.ok,
        views=[ViewRecord(name=v.name, file=f"{VIEWS_DIR}/{v.name}.png", camera=v.camera) for v in views],
        sheet=SHEET_FILE,
        clip=clip_record,
        metrics=metrics,
        notes=notes,
        sha256={path.relative_to(out_dir).as_posix(): sha256_hex(path.read_bytes()) for path in written},
    )
    (out_dir / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
    return RenderBundle(
        directory=out_dir,
        views=view_paths,
        contact_sheet=sheet,
        clip=out_dir / CLIP_FILE if clip_record else None,
        metrics=metrics,
        notes=notes,
    )
