"""The dataset pipeline with witnesses required: an accepted benchmark is one whose witness solved every
variant, published beside its script with its evaluation, its clip and the targets it sets, shown on its
gallery page, and `benchgen reproduce` evaluates it again; a benchmark whose witness fails is never
accepted."""

import json
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from benchgen import db, pipeline
from benchgen.contract import TARGET_CAP_FACTOR, WITNESS_FILE
from benchgen.dataset.index import INDEX_FILE
from benchgen.dataset.publish import GALLERY_DIR, SEALED_DIR, version_prefix
from benchgen.evaluation.render import WITNESS_CLIP_FILE
from benchgen.offline import coder
from benchgen.reproduce import reproduce
from benchgen.settings import Settings, get_settings

THEME = "ball must cross a gap"  # the gap_crossing family, which has a witness
MIN_CLIP_FRAMES = 10  # a clip of the witness at work, not a still: 1 s at the clip's 10 fps
DO_NOTHING_WITNESS = '''from build123d import Box, Pos

from benchgen.kit import Part, Solution


def solve(scenario) -> Solution:
    """A post far from the payload: it moves nothing."""
    corner = scenario.build_zone.min
    post = Part("post", Pos(corner[0] + 5, corner[1] + 5, corner[2] + 5) * Box(4, 4, 4), material="wood")
    return Solution(parts=[post], horizon=2.0)
'''


def witnessed_params(version: str, *, sealed: bool = False) -> pipeline.BuildParameters:
    return pipeline.BuildParameters(
        themes=[THEME],
        seeds_per_theme=1,
        variant_seeds=[0, 1],
        dataset_version=version,
        seal_witnesses=sealed,
        thresholds={"min_accepted_per_theme": 1, "min_difficulty_stdev": 0, "require_witness": True},
    )


@pytest.fixture(scope="module")
def witnessed_build(tmp_path_factory) -> tuple[Settings, list[pipeline.Candidate]]:
    """One generate -> validate -> render of the witnessed theme, shared by the publishing tests: these
    steps depend on neither the version nor sealing (persist and publish do; each test runs them)."""
    root = tmp_path_factory.mktemp("witnessed")
    settings = get_settings(data_dir=root / "data", database_url=None, store_url=None)
    params = witnessed_params("w1")
    pipeline.prepare_database(settings)
    return settings, pipeline.make_candidates(params, pipeline.DirectSteps(params, settings, root / "docs"))


def publish_witnessed(
    witnessed_build: tuple[Settings, list[pipeline.Candidate]], params: pipeline.BuildParameters, docs: Path
) -> tuple[Settings, pipeline.BuildSummary]:
    """The rest of `build_dataset_directly` (persist, check, publish, gallery) on the shared candidates."""
    settings, candidates = witnessed_build
    steps = pipeline.DirectSteps(params, settings, docs)
    return settings, pipeline.admit(candidates, params, settings, steps)


@pytest.mark.slow
def test_a_witnessed_dataset_publishes_each_witness_and_reproduces_it(witnessed_build, tmp_path):
    settings, summary = publish_witnessed(witnessed_build, witnessed_params("w1"), tmp_path / "docs")
    (candidate,) = summary.candidates
    assert candidate.accepted, candidate.reason
    witness = candidate.entry.witness
    assert witness is not None and witness.solved and witness.cost > 0 and witness.weight_kg > 0
    assert witness.cost_cap == pytest.approx(TARGET_CAP_FACTOR * witness.cost)

    folder = Path(summary.dataset_url.removeprefix("file://"))
    benchmark = folder / "benchmarks" / candidate.entry.benchmark_id
    assert (benchmark / WITNESS_FILE).read_text() == candidate.generation.witness
    evaluation = json.loads((benchmark / pipeline.WITNESS_REPORT_FILE).read_text())
    assert evaluation["solved"] is True and [v["seed"] for v in evaluation["variants"]] == [0, 1]
    row = pd.read_parquet(folder / INDEX_FILE).iloc[0]
    assert row["witness_solved"] and row["cost_cap"] == pytest.approx(witness.cost_cap)

    clip = benchmark / pipeline.REVIEW_DIR / WITNESS_CLIP_FILE
    with Image.open(clip) as gif:
        assert gif.format == "GIF" and gif.n_frames >= MIN_CLIP_FRAMES, gif.n_frames
    page_dir = folder / GALLERY_DIR / "benchmarks" / candidate.entry.benchmark_id
    page = (page_dir / "index.html").read_text()
    assert f'src="{pipeline.REVIEW_DIR}/{WITNESS_CLIP_FILE}"' in page and 'src="gallery_settle.gif"' in page
    assert f'href="{WITNESS_FILE}"' in page and witness.sha256 in page and 'class="sealed"' not in page
    numbers = (
        witness.cost,
        witness.weight_kg,
        witness.time_to_goal_s,
        witness.cost_cap,
        witness.weight_cap_kg,
    )
    for number in numbers:
        assert f"<td>{number:.4g}</td>" in page, number
    assert (page_dir / WITNESS_FILE).read_text() == candidate.generation.witness
    assert (page_dir / pipeline.REVIEW_DIR / WITNESS_CLIP_FILE).read_bytes() == clip.read_bytes()

    (reproduced,) = reproduce([], settings, published_url=summary.dataset_url)
    assert reproduced.identical, [d.line() for d in reproduced.differences]
    assert version_prefix("benchgen", "w1") in summary.dataset_url


@pytest.mark.slow
def test_a_sealed_witness_publishes_only_its_hash_and_still_reproduces(witnessed_build, tmp_path):
    params = witnessed_params("s1", sealed=True)
    settings, summary = publish_witnessed(witnessed_build, params, tmp_path / "docs")
    (candidate,) = summary.candidates
    assert candidate.accepted, candidate.reason
    folder = Path(summary.dataset_url.removeprefix("file://"))
    benchmark = Path("benchmarks") / candidate.entry.benchmark_id
    assert not (folder / benchmark / WITNESS_FILE).exists()
    assert not (folder / benchmark / pipeline.WITNESS_REPORT_FILE).exists()
    assert not (
        folder / benchmark / pipeline.REVIEW_DIR / WITNESS_CLIP_FILE
    ).exists()  # it shows the mechanism
    row = pd.read_parquet(folder / INDEX_FILE).iloc[0]
    assert row["witness_sealed"] and row["witness_sha256"] == candidate.entry.witness.sha256
    sealed = folder.parent / SEALED_DIR / "s1" / benchmark / WITNESS_FILE
    assert sealed.read_text() == candidate.generation.witness

    (reproduced,) = reproduce([], settings, published_url=summary.dataset_url)
    assert reproduced.identical, [d.line() for d in reproduced.differences]
    sealed.write_text(candidate.generation.witness + "\n# changed\n")
    (tampered,) = reproduce([], settings, published_url=summary.dataset_url)
    assert [d.what for d in tampered.differences] == ["witness sha256"]


@pytest.mark.slow
def test_a_benchmark_whose_witness_fails_is_never_accepted(tmp_path, monkeypatch):
    monkeypatch.setattr(
        coder, "witness_source", lambda family, tuning=None: DO_NOTHING_WITNESS
    )  # the Coder's input data
    settings = get_settings(data_dir=tmp_path / "data", database_url=None, store_url=None)
    params = witnessed_params("w2")
    steps = pipeline.DirectSteps(params, settings, tmp_path / "docs")
    pipeline.prepare_database(settings)
    (candidate,) = pipeline.make_candidates(params, steps)
    assert not candidate.accepted and candidate.evidence is None
    # The session validates each draft with its witness: the failure reaches the Coder, which cannot
    # make a witness that does nothing solve, so the session and the candidate end there.
    assert candidate.generation is not None and not candidate.generation.accepted
    assert "WITNESS_FAILED" in candidate.reason, candidate.reason
    [row] = db.list_sessions(db.get_engine(settings))
    assert row.validation_logs[-1].report.solvability == "witness_failed"
