"""Time the review views of one variant (4 views + contact sheet) against raw MuJoCo renders of the same frames.

Ours: SceneRenderer start, dressing and compiling the scene, framing four cameras, rendering them and
laying out the contact sheet PNG. Raw: compile the same dressed scene, start one mujoco.Renderer and render
the same four cameras, nothing else. Both pay the renderer start once; the budget is ours <= 1.5x raw.
The variant is built in this process (no sandbox) so only rendering is timed.

    .venv/bin/python bench/bench_render.py [--example gap_crossing] [--seed 0] [--size 640x480] [--repeats 5]
"""

import argparse
import importlib.util
import statistics
import tempfile
import time
from pathlib import Path

from benchgen.kit.exchange import shape_to_brep
from benchgen.physics import build_mjcf
from benchgen.physics.mjcf import MESH_DIRECTORY
from benchgen.render.gl import mujoco
from benchgen.render.sheet import legend_for, make_contact_sheet
from benchgen.render.views import STANDARD_VIEWS, SceneRenderer, dress_spec, free_camera

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BUDGET_RATIO = 1.5  # ours / raw


def load_build(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build


def ours_s(
    xml: str, assets: dict[str, bytes], spec, size: tuple[int, int], sheet_path: Path
) -> tuple[float, list]:
    started = time.perf_counter()
    with SceneRenderer(size) as renderer:
        scene = renderer.load(xml, assets, spec)
        views = renderer.render_views(scene, STANDARD_VIEWS)
        make_contact_sheet(views, sheet_path, title="bench", subtitle="seed 0", legend=legend_for(spec))
    return time.perf_counter() - started, [v.camera for v in views]


def raw_s(dressed_xml: str, assets: dict[str, bytes], cameras, size: tuple[int, int]) -> float:
    started = time.perf_counter()
    model = mujoco.MjModel.from_xml_string(dressed_xml, assets)
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    with mujoco.Renderer(model, height=size[1], width=size[0]) as renderer:
        for camera in cameras:
            renderer.update_scene(data, free_camera(camera))
            renderer.render()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="gap_crossing")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))

    scenario = load_build(EXAMPLES / f"{args.example}.py")(args.seed, 1.0)
    spec = scenario.spec()
    scene = build_mjcf(spec, {f.label: shape_to_brep(f.shape) for f in scenario.fixtures})
    assets = {f"{MESH_DIRECTORY}/{name}": data for name, data in scene.assets.items()}
    dressed_xml = dress_spec(scene.xml, assets, spec, size).to_xml()  # the raw baseline renders these frames

    ours, raw = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            seconds, cameras = ours_s(scene.xml, assets, spec, size, Path(tmp) / "sheet.png")
            ours.append(seconds)
            raw.append(raw_s(dressed_xml, assets, cameras, size))
    ours_median, raw_median = statistics.median(ours), statistics.median(raw)
    ratio = ours_median / raw_median
    print(
        f"{args.example} seed {args.seed}, {size[0]}x{size[1]}, {len(STANDARD_VIEWS)} views, {args.repeats} repeats"
    )
    print(f"  ours (start + dress + 4 views + sheet): median {ours_median:.3f} s")
    print(f"  raw  (compile + start + 4 renders):     median {raw_median:.3f} s")
    print(
        f"  ratio {ratio:.2f}x (budget <= {BUDGET_RATIO}x): {'within' if ratio <= BUDGET_RATIO else 'OVER'} budget"
    )


if __name__ == "__main__":
    main()
