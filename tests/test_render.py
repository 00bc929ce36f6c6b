"""Render tests: real offscreen MuJoCo (EGL), a hand-written scene in the builder's naming, and one real
bundle built from an example script through the sandbox and the validator."""

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from benchgen.codes import FailureCode
from benchgen.failures import Failure
from benchgen.render.bundle import MANIFEST_FILE, RenderBuildFailed, render_bundle
from benchgen.render.clip import ClipError, GifStream, clip_frame_count, render_settle_clip
from benchgen.render.metrics import GEOM_TYPE, measure_view, measure_views
from benchgen.render.sheet import legend_for, make_contact_sheet
from benchgen.render.views import STANDARD_VIEWS, SceneRenderer, camera_axes, frame_camera
from benchgen.sandbox import SandboxRunner
from benchgen.validation.validator import validate_source

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "gap_crossing.py"
BENCHGEN = Path(sys.executable).parent / "benchgen"
SIZE = (320, 240)  # small views keep the suite fast; framing and metrics do not depend on size
SIZE_SMALL = (64, 48)  # clip tests: many frames, size irrelevant
MIN_PIXEL_STD = 10.0  # grey levels; a blank or single-colour render is far below this

# Two decks, a steel ball, a gap forbid zone, a goal over the right deck; metres, benchgen.physics naming.
SCENE_XML = """
<mujoco model="gap">
  <option timestep="0.002"/>
  <worldbody>
    <light name="key" directional="true" pos="0 0 1" dir="0.3 0.4 -1"/>
    <body name="fixture_left_deck">
      <geom name="fixture_left_deck_0" type="box" pos="-0.2 0 0.04" size="0.1 0.1 0.04"/>
    </body>
    <body name="fixture_right_deck">
      <geom name="fixture_right_deck_0" type="box" pos="{right_x} 0 0.04" size="0.1 0.1 0.04"/>
    </body>
    <body name="payload" pos="-0.2 0 0.1">
      <freejoint name="payload_joint"/>
      <geom name="payload_geom" type="sphere" size="0.02" density="7850"/>
    </body>
    <site name="goal" type="box" pos="{right_x} 0 0.12" size="0.05 0.06 0.04" group="3"/>
    <site name="forbid_gap" type="box" pos="0 0 0.025" size="0.1 0.15 0.035" group="3"/>
    <site name="build_zone" type="box" pos="0 0 0.15" size="0.4 0.2 0.15" group="3"/>
    <site name="bounds" type="box" group="5" pos="0 0 0.15" size="0.5 0.3 0.25"/>
  </worldbody>
</mujoco>
"""


def scene_xml(right_x: float = 0.2) -> str:
    return SCENE_XML.format(right_x=right_x)


@pytest.fixture(scope="module")
def renderer():
    with SceneRenderer(SIZE) as r:
        yield r


@pytest.fixture(scope="module")
def gap_scene(renderer):
    return renderer.load(scene_xml(), {})


@pytest.fixture(scope="module")
def gap_views(renderer, gap_scene):
    return renderer.render_views(gap_scene)


@pytest.fixture(scope="module")
def sandbox():
    with SandboxRunner() as runner:
        yield runner


# --- views ------------------------------------------------------------------------------------------


def test_every_standard_view_is_rendered_at_the_requested_size_and_is_not_blank(gap_views):
    assert [v.name for v in gap_views] == ["isometric", "front", "side", "top"]
    for view in gap_views:
        assert view.image.shape == (SIZE[1], SIZE[0], 3)
        assert view.image.std() > MIN_PIXEL_STD, f"{view.name} looks blank (std {view.image.std():.1f})"


def test_payload_is_visible_in_at_least_three_views(renderer, gap_scene, gap_views):
    metrics = measure_views(renderer, gap_scene, [v.camera for v in gap_views])
    visible = [m.view for m in metrics if m.payload_in_frame and m.payload_fraction > 0]
    assert len(visible) >= 3, f"payload visible only in {visible}: {metrics}"


def test_goal_zone_green_is_drawn(gap_views):
    iso = gap_views[0].image.astype(int)
    greenish = (iso[..., 1] > iso[..., 0] + 40) & (iso[..., 1] > iso[..., 2] + 40)
    assert greenish.sum() > 100, f"only {greenish.sum()} green pixels in the isometric view"


def test_zones_are_measured_from_segmentation(renderer, gap_scene, gap_views):
    for m in measure_views(renderer, gap_scene, [v.camera for v in gap_views]):
        assert m.goal_in_frame and m.goal_fraction > 0, m
        assert m.forbid_fraction > 0, m
        assert m.zone_fraction >= max(m.goal_fraction, m.forbid_fraction)


@pytest.mark.parametrize("right_x", [0.2, 1.5, -2.0])
def test_framing_keeps_every_fixture_in_every_view(renderer, right_x):
    """Move one deck far away: the cameras must reframe so neither deck is cut or lost."""
    scene = renderer.load(scene_xml(right_x), {})
    for view in STANDARD_VIEWS:
        metrics = measure_view(renderer, scene, renderer.camera_for(scene, view))
        assert metrics.fixtures_in_frame, f"{view.name}: cropped {metrics.fixtures_cropped}"
        assert metrics.fixtures_visible == ["left_deck", "right_deck"], f"{view.name}: {metrics}"


def test_frame_camera_puts_all_box_corners_inside_the_frustum():
    lo, hi = np.array([-1.0, -0.1, 0.0]), np.array([3.0, 0.4, 0.2])
    aspect, fovy = 4 / 3, 45.0
    for view in STANDARD_VIEWS:
        camera = frame_camera(view, lo, hi, fovy, aspect)
        forward, right, up = camera_axes(view)
        eye = np.array(camera.lookat) - camera.distance * forward
        tan_y = np.tan(np.radians(fovy) / 2)
        for corner in np.array(np.meshgrid(*zip(lo, hi))).T.reshape(-1, 3):
            depth = (corner - eye) @ forward
            assert depth > 0
            assert abs((corner - eye) @ up) / depth <= tan_y + 1e-9, view.name
            assert abs((corner - eye) @ right) / depth <= tan_y * aspect + 1e-9, view.name


def test_payload_xray_outline_matches_the_segmented_payload(renderer, gap_scene, gap_views):
    """The outline drawn where fixtures hide the payload must sit where MuJoCo draws the payload."""
    for view in gap_views:
        outline = renderer.payload_silhouette(gap_scene, view.camera, None)
        segmented = renderer.segment(gap_scene, view.camera, geoms=True, sites=False)
        payload = (segmented[..., 1] == GEOM_TYPE) & np.isin(
            segmented[..., 0], list(gap_scene.index.payload_geoms)
        )
        iou = (outline & payload).sum() / (outline | payload).sum()
        assert iou > 0.8, f"{view.name}: outline and segmented payload overlap only {iou:.2f}"


def test_render_size_too_small_is_rejected():
    with pytest.raises(ValueError, match="at least 16x16"):
        SceneRenderer((8, 8))


# --- contact sheet ----------------------------------------------------------------------------------


def test_contact_sheet_holds_every_view_and_the_notes(tmp_path, gap_views):
    path = make_contact_sheet(
        gap_views,
        tmp_path / "sheet.png",
        title="gap",
        subtitle="seed 0",
        legend=legend_for(None),
        notes=["validation FAILED: a very long note " * 8],
    )
    sheet = np.asarray(Image.open(path).convert("RGB"))
    assert sheet.shape[1] > 2 * SIZE[0] and sheet.shape[0] > 2 * SIZE[1]
    reddish = (sheet[..., 0] > 150) & (sheet[..., 1] < 60)  # the note text is drawn in dark red
    assert reddish.sum() > 50


# --- clip -------------------------------------------------------------------------------------------


def test_clip_has_duration_times_fps_frames(tmp_path, gap_scene):
    with SceneRenderer(SIZE_SMALL) as small:
        scene = small.load(scene_xml(), {})
        camera = small.camera_for(scene, STANDARD_VIEWS[0])
        frames = render_settle_clip(small, scene, camera, tmp_path / "settle.gif", seconds=1.0, fps=10)
        first = small.render(scene, camera)
    assert frames == 10 == clip_frame_count(1.0, 10)
    with Image.open(tmp_path / "settle.gif") as gif:
        assert gif.n_frames == 10
        assert gif.info["duration"] == 100
        decoded = np.asarray(gif.convert("RGB"), dtype=int)
    lower_half = slice(SIZE_SMALL[1] // 2, None)  # the upper half carries the time stamp
    difference = np.abs(decoded[lower_half] - first[lower_half].astype(int)).mean()
    assert difference < 8, f"first GIF frame differs from the render by {difference:.1f} grey levels"


@pytest.mark.parametrize(("seconds", "fps"), [(0, 20), (-1, 20), (1.0, 0), (1000.0, 20)])
def test_clip_rejects_bad_duration_or_rate(seconds, fps):
    with pytest.raises(ClipError):
        clip_frame_count(seconds, fps)


def test_clip_memory_stays_flat_over_many_frames(tmp_path):
    """Rendered frames stream to disk: 200 frames must not hold more memory than 20."""
    with SceneRenderer(SIZE_SMALL) as small:
        scene = small.load(scene_xml(), {})
        camera = small.camera_for(scene, STANDARD_VIEWS[0])
        render_settle_clip(small, scene, camera, tmp_path / "warm.gif", seconds=0.5, fps=20)
        tracemalloc.start()
        try:
            render_settle_clip(small, scene, camera, tmp_path / "short.gif", seconds=1.0, fps=20)
            _, short_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            render_settle_clip(small, scene, camera, tmp_path / "long.gif", seconds=10.0, fps=20)
            _, long_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert long_peak < short_peak + 256 * 1024, f"peak {short_peak} B for 20 frames, {long_peak} B for 200"


def test_gif_stream_rejects_frames_of_another_size(tmp_path):
    with GifStream(tmp_path / "x.gif", (32, 24), fps=10) as gif, pytest.raises(ClipError, match="32x24"):
        gif.append(np.zeros((10, 10, 3), dtype=np.uint8))


# --- GL backend -------------------------------------------------------------------------------------


def test_missing_gl_backend_names_the_fix():
    env = {**os.environ, "MUJOCO_GL": "bogus"}
    result = subprocess.run(
        [sys.executable, "-c", "import benchgen.render.views"],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "GLBackendUnavailable" in result.stderr
    assert "MUJOCO_GL=egl" in result.stderr and "libegl1" in result.stderr and "libosmesa6" in result.stderr


def test_cli_reports_missing_gl_backend_as_one_line(tmp_path):
    env = {**os.environ, "MUJOCO_GL": "bogus"}
    result = subprocess.run(
        [str(BENCHGEN), "render", str(EXAMPLE), "--seed", "0", "--out", str(tmp_path / "b")],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "MUJOCO_GL=egl" in result.stderr and "Traceback" not in result.stderr


# --- bundle and CLI ---------------------------------------------------------------------------------


def test_bundle_of_a_failing_variant_still_renders_and_says_why(tmp_path, sandbox):
    validated = validate_source(EXAMPLE.read_text(), "gap.py", [0], [1.0], runner=sandbox)
    failure = Failure(code=FailureCode.NOT_SETTLED, message="payload still rolling", seed=0, scale=1.0)
    report = validated.model_copy(update={"ok": False, "failures": [failure]})
    bundle = render_bundle(
        EXAMPLE.read_text(),
        report,
        0,
        1.0,
        tmp_path / "b",
        script_name="gap.py",
        size=SIZE,
        clip_seconds=0.5,
        fps=10,
    )
    assert any("validation FAILED" in n for n in bundle.notes)
    assert any("NOT_SETTLED: payload still rolling" in n for n in bundle.notes)
    assert sorted(bundle.views) == ["front", "isometric", "side", "top"]
    with Image.open(bundle.clip) as gif:
        assert gif.n_frames == 5
    manifest = json.loads((bundle.directory / MANIFEST_FILE).read_text())
    assert manifest["validation_ok"] is False and manifest["clip"]["frames"] == 5


def test_bundle_of_a_script_that_does_not_build_raises_with_the_build_failure(tmp_path, sandbox):
    report = validate_source("def build(:\n", "broken.py", [0], [1.0], runner=sandbox)
    with pytest.raises(RenderBuildFailed, match="SCRIPT_ERROR"):
        render_bundle("def build(:\n", report, 0, 1.0, tmp_path / "b", script_name="broken.py", size=SIZE)


def test_cli_render_writes_a_complete_bundle(tmp_path):
    from benchgen.cli import app

    out = tmp_path / "bundle"
    result = CliRunner().invoke(
        app, ["render", str(EXAMPLE), "--seed", "0", "--out", str(out), "--size", "320x240", "--no-clip"]
    )
    assert result.exit_code == 0, result.output
    assert f"bundle: {out}" in result.output
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert manifest["validation_ok"] is True and manifest["clip"] is None
    assert [v["name"] for v in manifest["views"]] == ["isometric", "front", "side", "top"]
    assert {"sheet.png", "script.py", "validation_report.json", "mjcf/scene.xml", "views/top.png"} <= set(
        manifest["sha256"]
    )
    for relative, digest in manifest["sha256"].items():
        import hashlib

        assert hashlib.sha256((out / relative).read_bytes()).hexdigest() == digest, relative
    for metrics in manifest["metrics"]:
        assert metrics["fixtures_in_frame"], metrics
    assert sum(m["payload_in_frame"] for m in manifest["metrics"]) >= 3
    with Image.open(out / "views" / "isometric.png") as image:
        assert image.size == (320, 240)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.py", "--seed", "0"], "does not exist"),
        ([str(EXAMPLE), "--seed", "0", "--size", "big"], "WIDTHxHEIGHT"),
        ([str(EXAMPLE), "--seed", "0", "--size", "10x10"], "64..4096"),
        ([str(EXAMPLE), "--seed", "0", "--scale", "3"], "[0.5, 2.0]"),
        ([str(EXAMPLE), "--seed", "x"], "seed"),
    ],
)
def test_cli_bad_input_is_a_usage_error(tmp_path, args, message):
    result = subprocess.run(
        [str(BENCHGEN), "render", *args, "--out", str(tmp_path / "b")],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "b").exists()
