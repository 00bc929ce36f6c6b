"""`benchgen evaluate --render DIR`: per variant, the standard views of the scene with the solution in
place (movers in their own colour) and a clip of the solution run from the payload's nominal start."""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from benchgen.evaluation.evaluator import EvaluatedVariant
from benchgen.evaluation.simulate import MoverControl
from benchgen.kit.solution_spec import SolutionSpec
from benchgen.render.clip import CLOCK_MIN_FONT_PX, CLOCK_TEXT_RGB, DEFAULT_FPS, GifStream, clip_frame_count
from benchgen.render.gl import mujoco
from benchgen.render.views import DEFAULT_SIZE, STANDARD_VIEWS, CameraParams, LoadedScene, SceneRenderer

CLIP_VIEW = "isometric"  # the clip is filmed from this view's camera
CLIP_FILE = "solution.gif"
VIEWS_DIR = "views"
MJCF_DIR = "mjcf"
REPORT_FILE = "evaluation.json"
# s filmed after the nominal start's run ended (early, at rest in the goal, or at its failure)
CLIP_TAIL_S = 0.5


class VariantFilm:
    """Writes one folder per evaluated variant under `directory`."""

    def __init__(self, directory: Path, size: tuple[int, int] = DEFAULT_SIZE, fps: int = DEFAULT_FPS) -> None:
        self.directory = Path(directory)
        self.size = size
        self.fps = fps

    def variant_dir(self, seed: int, scale: float) -> Path:
        return self.directory / f"seed{seed}_scale{scale:g}"

    def record(self, evaluated: EvaluatedVariant) -> None:
        report = evaluated.report
        out = self.variant_dir(report.seed, report.scale)
        out.mkdir(parents=True, exist_ok=True)
        (out / REPORT_FILE).write_text(report.model_dump_json(indent=2), encoding="utf-8")
        if evaluated.scene is None or evaluated.built is None or evaluated.solved is None:
            return  # nothing to film: the pair did not get as far as a scene (the report says why)
        evaluated.scene.write(out / MJCF_DIR)
        with SceneRenderer(self.size) as renderer:
            loaded = renderer.load_mjcf(evaluated.scene, evaluated.built.spec)
            (out / VIEWS_DIR).mkdir(exist_ok=True)
            views = renderer.render_views(loaded, STANDARD_VIEWS)
            for view in views:
                Image.fromarray(view.image).save(out / VIEWS_DIR / f"{view.name}.png", format="PNG")
            camera = next(v.camera for v in views if v.name == CLIP_VIEW)
            nominal = report.starts[0].simulated_s if report.starts else evaluated.solved.solution.horizon_s
            seconds = min(evaluated.solved.solution.horizon_s, nominal + CLIP_TAIL_S)
            film_solution(renderer, loaded, camera, out / CLIP_FILE, evaluated.solved.solution, seconds, self.fps)


def film_solution(
    renderer: SceneRenderer,
    scene: LoadedScene,
    camera: CameraParams,
    path: Path,
    solution: SolutionSpec,
    seconds: float,
    fps: int = DEFAULT_FPS,
) -> int:
    """Run the solution from the nominal start (movers driven as in the evaluation) and write the clip."""
    frames = clip_frame_count(seconds, fps)
    model = scene.model
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    control = MoverControl(model, solution)
    font = ImageFont.load_default(size=max(CLOCK_MIN_FONT_PX, renderer.size[1] // 30))
    step = 0
    with GifStream(path, renderer.size, fps) as gif:
        for index in range(frames):
            target_step = round(index / fps / control.timestep)
            while step < target_step:
                control.apply(data, step)
                event = control.next_event(step)
                block = min(target_step - step, (event - step) if event is not None else target_step)
                mujoco.mj_step(model, data, block)
                step += block
            gif.append(_stamp(renderer.render(scene, camera, data=data), data.time, font))
    return frames


def _stamp(frame: np.ndarray, time_s: float, font) -> np.ndarray:
    image = Image.fromarray(frame)
    ImageDraw.Draw(image).text((6, 4), f"solution run: t = {time_s:.2f} s", fill=CLOCK_TEXT_RGB, font=font)
    return np.asarray(image)
