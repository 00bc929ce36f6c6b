"""`benchgen evaluate --render DIR`: per variant, the standard views of the scene with the solution in
place (movers in their own colour) and a clip of the solution run from the payload's nominal start."""

from pathlib import Path

from PIL import Image

from benchgen.evaluation.evaluator import EvaluatedVariant
from benchgen.evaluation.simulate import MoverControl
from benchgen.render.clip import DEFAULT_FPS, render_settle_clip
from benchgen.render.views import DEFAULT_SIZE, STANDARD_VIEWS, SceneRenderer

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
            control = MoverControl(loaded.model, evaluated.solved.solution)
            render_settle_clip(
                renderer,
                loaded,
                camera,
                out / CLIP_FILE,
                seconds=seconds,
                fps=self.fps,
                control=lambda data: control.apply(data, round(data.time / control.timestep)),
                clock_label="solution run",
            )
