"""`benchgen evaluate --render DIR`: per variant, the standard views of the scene with the solution in
place (movers in their own colour) and a clip of the solution run from the payload's nominal start.
The pipeline's evidence films a benchmark's witness the same way (`witness_clip`)."""

import io
import tempfile
from pathlib import Path

from PIL import Image

from benchgen.evaluation.evaluator import EvaluatedVariant, evaluate_variant
from benchgen.evaluation.report import StartResult
from benchgen.evaluation.simulate import MoverControl
from benchgen.kit.solution_spec import SolutionSpec
from benchgen.render.clip import DEFAULT_FPS, render_settle_clip
from benchgen.render.views import DEFAULT_SIZE, STANDARD_VIEWS, CameraParams, LoadedScene, SceneRenderer
from benchgen.sandbox.outcome import BuildResult

CLIP_VIEW = "isometric"  # the clip is filmed from this view's camera
CLIP_FILE = "solution.gif"
WITNESS_CLIP_FILE = "witness.gif"  # the pipeline's clip of a benchmark's witness, in its review folder
WITNESS_STRIP_FILE = "witness_strip.png"  # frames of the witness clip side by side, for an LLM reviewer
# frames per simulated second of the witness clip: half the evaluate clips' rate, since every accepted
# benchmark gets one (its rendering dominates the clip's cost; GIF delays stay whole centiseconds)
WITNESS_CLIP_FPS = 10
VIEWS_DIR = "views"
MJCF_DIR = "mjcf"
REPORT_FILE = "evaluation.json"
# s filmed after the nominal start's run ended (early, at rest in the goal, or at its failure)
CLIP_TAIL_S = 0.5
STRIP_FRAMES = 4  # frames of a witness clip a strip shows: the start, two moments between, the end
STRIP_FRAME_SCALE = 0.5  # each frame of a strip at half the clip's size: one image a reviewer reads at once


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
            film_solution_run(
                renderer, loaded, camera, evaluated.solved.solution, report.starts, out / CLIP_FILE, self.fps
            )


def film_solution_run(
    renderer: SceneRenderer,
    loaded: LoadedScene,
    camera: CameraParams,
    solution: SolutionSpec,
    starts: list[StartResult],
    path: Path,
    fps: int = DEFAULT_FPS,
) -> int:
    """Film the solution run from the payload's nominal start (`starts[0]`) until that run ended plus
    CLIP_TAIL_S (the whole horizon when no start was simulated); return the frame count."""
    seconds = min(solution.horizon_s, (starts[0].simulated_s if starts else solution.horizon_s) + CLIP_TAIL_S)
    control = MoverControl(loaded.model, solution)
    return render_settle_clip(
        renderer,
        loaded,
        camera,
        path,
        seconds=seconds,
        fps=fps,
        control=lambda data: control.apply(data, round(data.time / control.timestep)),
        clock_label="solution run",
    )


def witness_clip(
    script: str,
    witness: str,
    seed: int,
    scale: float,
    size: tuple[int, int] = DEFAULT_SIZE,
    built_alone: BuildResult | None = None,
) -> bytes | None:
    """The GIF of the witness solving variant (seed, scale), filmed like `benchgen evaluate --render`.

    The variant is evaluated again (validation keeps no scenes); None when that run did not get as far as
    a scene, which validation would already have rejected, so the evidence then simply has no clip."""
    from benchgen.sandbox.pool import warm_runner

    with warm_runner() as runner:
        evaluated = evaluate_variant(script, witness, seed, scale, runner, built_alone=built_alone)
    if evaluated.scene is None or evaluated.built is None or evaluated.solved is None:
        return None
    with tempfile.TemporaryDirectory(prefix="benchgen-witness-clip-") as tmp, SceneRenderer(size) as renderer:
        loaded = renderer.load_mjcf(evaluated.scene, evaluated.built.spec)
        camera = renderer.camera_for(loaded, next(v for v in STANDARD_VIEWS if v.name == CLIP_VIEW))
        path = Path(tmp) / WITNESS_CLIP_FILE
        solution, starts = evaluated.solved.solution, evaluated.report.starts
        film_solution_run(renderer, loaded, camera, solution, starts, path, WITNESS_CLIP_FPS)
        return path.read_bytes()


def witness_strip(clip: bytes, path: Path, frames: int = STRIP_FRAMES) -> Path:
    """Write `frames` evenly spaced frames of a witness clip side by side as one PNG: how a reviewer that
    reads still images sees the witness move."""
    with Image.open(io.BytesIO(clip)) as gif:
        count = gif.n_frames
        picks = sorted({round(i * (count - 1) / max(frames - 1, 1)) for i in range(frames)})
        width, height = (round(side * STRIP_FRAME_SCALE) for side in gif.size)
        strip = Image.new("RGB", (width * len(picks), height), "white")
        for slot, index in enumerate(picks):
            gif.seek(index)
            strip.paste(gif.convert("RGB").resize((width, height)), (slot * width, 0))
    strip.save(path, format="PNG")
    return path
