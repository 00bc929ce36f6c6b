"""Unsolvability proofs: the clearance bounds are upper bounds (soundness), each proof fires on its scene
and says where and by how much, and no example or offline family output is ever rejected by them.

Scripts here are trusted (examples, the corpus, the offline families) and built in process; the corpus
tests in tests/test_validate.py run the same scenes through the sandbox.
"""

import math
from pathlib import Path

import numpy as np
import pytest
import trimesh

from benchgen.codes import FailureCode
from benchgen.kit.spec import FixtureSpec, PayloadShape, PayloadSpec, ScenarioSpec, ZoneSpec
from benchgen.offline.coder import OfflineCoder
from benchgen.offline.families import FAMILIES
from benchgen.offline.planner import OfflinePlanner
from benchgen.sandbox import BuildFailure, build_in_process
from benchgen.validation import solvability, static_checks

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").glob("*.py"))
CORPUS = REPO / "tests" / "corpus"
UNSOLVABLE = {
    FailureCode.GOAL_BLOCKED,
    FailureCode.GOAL_UNREACHABLE,
    FailureCode.PAYLOAD_TRAPPED,
    FailureCode.PAYLOAD_UNREACHABLE,
}
SCALES = (0.5, 1.0, 2.0)  # the contract's range and its middle
FAMILY_SEEDS = (0, 1, 2)


def proofs(source: str, seed: int, scale: float) -> solvability.SolvabilityResult:
    """Build in process, run the static checks, then the proofs exactly as the validator does."""
    outcome = build_in_process(source, seed, scale)
    assert not isinstance(outcome, BuildFailure), outcome.message
    static, _ = static_checks.check_variant(outcome.spec, outcome.breps)
    return solvability.check_solvability(outcome.spec, outcome.breps, static)


def box_spec(payload: PayloadSpec, forbid: list[ZoneSpec] = ()) -> ScenarioSpec:
    """A scene whose one fixture is the piece each test passes to the proofs itself (a spec needs one)."""
    bounds = ZoneSpec(min=(-100, -100, -100), max=(100, 100, 100))
    goal = ZoneSpec(min=(50, -20, -20), max=(90, 20, 20))
    block = FixtureSpec(label="block", material="abs", volume_mm3=1.0, bbox_min=(0, 0, 0), bbox_max=(1, 1, 1))
    return ScenarioSpec(
        fixtures=[block], payload=payload, goal=goal, forbid=list(forbid), build_zone=bounds, bounds=bounds
    )


def sphere(radius: float, start=(-60.0, 0.0, 0.0)) -> PayloadSpec:
    return PayloadSpec(shape=PayloadShape.SPHERE, radius=radius, start=start, material="abs")


# --- the payload's sizes ---------------------------------------------------------------------------------


def test_inscribed_and_circumscribed_radii() -> None:
    box = PayloadSpec(shape=PayloadShape.BOX, size=(40, 60, 80), start=(0, 0, 0), material="abs")
    puck = PayloadSpec(shape=PayloadShape.CYLINDER, radius=30, height=20, start=(0, 0, 0), material="abs")
    assert solvability.inscribed_radius(sphere(15)) == solvability.circumscribed_radius(sphere(15)) == 15
    assert solvability.inscribed_radius(box) == 20  # it may turn its thinnest side to any passage
    assert solvability.circumscribed_radius(box) == pytest.approx(math.sqrt(20**2 + 30**2 + 40**2))
    assert solvability.inscribed_radius(puck) == 10  # flat puck: half its height
    assert solvability.circumscribed_radius(puck) == pytest.approx(math.hypot(30, 10))


# --- soundness: the bounds are upper bounds ------------------------------------------------------------


def _rotated_box(angle_deg: float) -> tuple[trimesh.Trimesh, np.ndarray]:
    transform = trimesh.transformations.rotation_matrix(math.radians(angle_deg), (1, 1, 0.3))
    transform[:3, 3] = (10, -5, 3)
    return trimesh.creation.box(extents=(60, 20, 40), transform=transform), transform


def _exact_box_sd(points: np.ndarray, transform: np.ndarray, extents) -> np.ndarray:
    local = (points - transform[:3, 3]) @ transform[:3, :3]  # into the box's frame
    half = np.array(extents) / 2
    q = np.abs(local) - half
    return np.linalg.norm(np.maximum(q, 0), axis=1) + np.minimum(q.max(axis=1), 0)


def test_piece_distance_is_an_upper_bound_and_exact_near_the_piece() -> None:
    mesh, transform = _rotated_box(37)
    piece = solvability._piece(0, mesh)
    assert not piece.is_box
    points = np.random.default_rng(0).uniform(-90, 90, size=(20_000, 3))
    limit = 25.0
    bound = piece.signed_distance_bound(points, limit)
    exact = _exact_box_sd(points, transform, (60, 20, 40))
    # Only whether a distance is below the limit matters: capped there, the bound is an upper bound.
    assert (np.minimum(bound, limit) >= np.minimum(exact, limit) - 1e-6).all()
    near = exact < limit
    assert np.allclose(bound[near], exact[near], atol=1e-3)


def test_piece_distance_ignores_the_mesh_winding() -> None:
    mesh, transform = _rotated_box(12)
    inverted = trimesh.Trimesh(vertices=mesh.vertices, faces=mesh.faces[:, ::-1], process=False)
    points = np.random.default_rng(1).uniform(-60, 60, size=(2_000, 3))
    bound = np.minimum(solvability._piece(0, inverted).signed_distance_bound(points, 20.0), 20.0)
    assert (bound >= np.minimum(_exact_box_sd(points, transform, (60, 20, 40)), 20.0) - 1e-6).all()


def test_cell_clearance_bounds_every_point_in_the_cell() -> None:
    mesh, transform = _rotated_box(37)
    forbid = ZoneSpec(min=(30, 30, -100), max=(60, 100, 100), name="pit")
    spec = box_spec(sphere(12), [forbid])
    grid = solvability.make_grid(spec, 7.0)
    clear = solvability.clearance(spec, [solvability._piece(0, mesh)], grid, 11.0)
    rng = np.random.default_rng(2)
    cells = np.stack([rng.integers(0, n, 4_000) for n in grid.shape], axis=1)
    lo = np.stack([grid.nodes[i][cells[:, i]] for i in range(3)], axis=1)
    hi = np.stack([grid.nodes[i][cells[:, i] + 1] for i in range(3)], axis=1)
    points = lo + rng.uniform(size=lo.shape) * (hi - lo)
    bounds = np.minimum(points - spec.bounds.min, np.array(spec.bounds.max) - points).min(axis=1)
    fixture = _exact_box_sd(points, transform, (60, 20, 40))
    zone = solvability._box_signed_distance(points, np.array(forbid.min), np.array(forbid.max))
    true = np.minimum(np.minimum(fixture, zone), bounds)
    limit = 11.0
    bound = np.minimum(clear.total[tuple(cells.T)], limit)
    assert (bound >= np.minimum(true, limit) - 1e-4).all()
    fixtures = np.minimum(clear.fixtures[tuple(cells.T)], limit)
    assert (fixtures >= np.minimum(fixture, limit) - 1e-4).all()


# --- each proof on its scene ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,code",
    [
        ("goal_blocked", FailureCode.GOAL_BLOCKED),
        ("goal_unreachable", FailureCode.GOAL_UNREACHABLE),
        ("goal_unreachable_sealed_box", FailureCode.GOAL_UNREACHABLE),
        ("goal_unreachable_window", FailureCode.GOAL_UNREACHABLE),
        ("goal_unreachable_beside_forbid", FailureCode.GOAL_UNREACHABLE),
        ("payload_trapped", FailureCode.PAYLOAD_TRAPPED),
        ("payload_unreachable", FailureCode.PAYLOAD_UNREACHABLE),
    ],
)
@pytest.mark.parametrize("scale", SCALES)
def test_each_unsolvable_scene_is_proven_at_every_scale(name: str, code: FailureCode, scale: float) -> None:
    result = proofs((CORPUS / f"{name}.py").read_text(), 0, scale)
    assert [f.code for f in result.failures] == [code], [f.message for f in result.failures]
    assert result.seconds is not None and result.notes == []


def test_messages_say_where_the_way_is_cut_and_by_how_much() -> None:
    window = proofs((CORPUS / "goal_unreachable_window.py").read_text(), 1, 1.0).failures[0].message
    assert "no way past x = " in window and "fixture 'barrier'" in window
    assert "no opening wider than" in window and "the payload needs 40 mm" in window
    assert "less 1 mm contact slack" in window
    moat = proofs((CORPUS / "goal_unreachable.py").read_text(), 0, 1.0).failures[0].message
    assert "forbid zone 'moat' with no opening at all" in moat and "no way past x = " in moat
    no_room = proofs((CORPUS / "goal_unreachable_beside_forbid.py").read_text(), 0, 1.0).failures[0].message
    assert "without touching forbid zone 'hot_plate'" in no_room and "at most 15 mm of clearance" in no_room
    blocked = proofs((CORPUS / "goal_blocked.py").read_text(), 0, 1.0).failures[0].message
    assert "clear of fixture 'block'" in blocked and "needs 20 mm" in blocked
    trapped = proofs((CORPUS / "payload_trapped.py").read_text(), 0, 1.0).failures[0].message
    assert "is enclosed" in trapped and "fixture 'cage'" in trapped
    unreachable = proofs((CORPUS / "payload_unreachable.py").read_text(), 0, 1.0).failures[0].message
    assert "build zone x -300..300, y -150..150, z 150..350" in unreachable


@pytest.mark.parametrize("window", [41, 44])
def test_a_window_just_wider_than_the_payload_is_not_rejected(window: int) -> None:
    """The proof's own margin: a 40 mm cube fits a 41 mm window, so the scene is not provably unsolvable."""
    source = (CORPUS / "goal_unreachable_window.py").read_text().replace("WINDOW = 28", f"WINDOW = {window}")
    for seed in (0, 1):
        for scale in SCALES:
            assert proofs(source, seed, scale).failures == []


def test_a_sealed_box_with_a_door_the_ball_fits_is_not_rejected() -> None:
    source = (CORPUS / "goal_unreachable_sealed_box.py").read_text().replace("DOOR = 0", "DOOR = 42")
    for scale in SCALES:
        assert proofs(source, 0, scale).failures == []


def test_proofs_skip_a_scene_whose_static_checks_failed() -> None:
    outcome = build_in_process((CORPUS / "payload_overlaps_fixture.py").read_text(), 0, 1.0)
    static, _ = static_checks.check_variant(outcome.spec, outcome.breps)
    result = solvability.check_solvability(outcome.spec, outcome.breps, static)
    assert result.failures == [] and result.notes == [solvability.NOTE_SKIPPED_STATIC]
    assert result.seconds is None


# --- no false rejections ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_no_example_is_rejected_at_any_seed_or_scale(path: Path) -> None:
    source = path.read_text()
    for seed in range(5):
        for scale in SCALES:
            result = proofs(source, seed, scale)
            assert result.failures == [] and result.notes == [], (seed, scale, result)


@pytest.fixture(scope="module")
def planner() -> OfflinePlanner:
    return OfflinePlanner()


@pytest.mark.parametrize("key", list(FAMILIES))
def test_no_offline_family_output_is_rejected(planner: OfflinePlanner, key: str) -> None:
    """A few seeds per family at every scale here; tests/test_offline_sweep.py checks the whole sweep."""
    for seed in FAMILY_SEEDS:
        source = OfflineCoder().write(planner.plan(FAMILIES[key].title, seed), attempt=1).source
        for scale in SCALES:
            result = proofs(source, seed, scale)
            assert not {f.code for f in result.failures} & UNSOLVABLE, (seed, scale, result.failures)
