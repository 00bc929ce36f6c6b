"""MJCF builder and settle simulation on tiny real scenarios (real build123d, real MuJoCo)."""

import math
import random

import mujoco
import numpy as np
import pytest
from build123d import Box, Cylinder, Pos, Rot

from benchgen.codes import FailureCode
from benchgen.kit import Fixture, Payload, Scenario, Zone
from benchgen.kit.exchange import shape_to_brep
from benchgen.kit.materials import MATERIALS
from benchgen.physics import MjcfScene, SettleResult, SettleSettings, build_mjcf, meshing, simulate_settle
from benchgen.physics.meshing import fixture_pieces, is_convex
from benchgen.physics.mjcf import CCD_TOLERANCE_M, GROUND_GEOM, OVERVIEW_CAMERA
from benchgen.units import mm_to_m

BALL_RADIUS_MM = 20.0
DECK_TOP_MM = 80.0
DECK = Pos(0, 0, DECK_TOP_MM / 2) * Box(200, 200, DECK_TOP_MM)
FAR_GOAL = Zone((300, -50, 0), (400, 50, 100))  # nowhere near where the tests' payloads rest
BOUNDS = Zone((-500, -300, -100), (500, 300, 400))


def scenario(
    fixtures: list[Fixture],
    payload: Payload,
    goal: Zone = FAR_GOAL,
    forbid: tuple[Zone, ...] = (),
) -> Scenario:
    return Scenario(
        fixtures=fixtures,
        payload=payload,
        goal=goal,
        forbid=list(forbid),
        build_zone=Zone((-450, -250, -50), (450, 250, 350)),
        bounds=BOUNDS,
    )


def ball(start: tuple[float, float, float], jitter=(0, 0, 0), material: str = "steel") -> Payload:
    return Payload.sphere(radius=BALL_RADIUS_MM, start=start, jitter=jitter, material=material)


def scene_of(sc: Scenario) -> MjcfScene:
    return build_mjcf(sc.spec(), {f.label: shape_to_brep(f.shape) for f in sc.fixtures})


def settle(sc: Scenario) -> SettleResult:
    return simulate_settle(scene_of(sc), sc.spec())


def codes(result: SettleResult) -> set[FailureCode]:
    return {f.code for f in result.failures}


def u_channel() -> Fixture:
    """A 300 mm channel along x: outer 100 wide x 60 high, inner 60 wide, floor top at z=20."""
    return Fixture("channel", Pos(0, 0, 30) * Box(300, 100, 60) - Pos(0, 0, 50) * Box(320, 60, 60))


def half_pipe() -> Fixture:
    """A 300 mm trough along x: a 120 x 80 block with a r=50 cylinder cut out, floor at z=30."""
    return Fixture(
        "pipe", Pos(0, 0, 40) * Box(300, 120, 80) - Pos(0, 0, 80) * Rot(0, 90, 0) * Cylinder(50, 320)
    )


class TestDecomposition:
    def test_u_channel_splits_into_convex_pieces_of_the_same_volume(self):
        channel = u_channel()
        pieces = fixture_pieces("channel", shape_to_brep(channel.shape))
        assert len(pieces) > 1
        assert all(p.is_watertight and is_convex(p) for p in pieces)
        assert sum(p.volume for p in pieces) == pytest.approx(channel.shape.volume, rel=1e-6)

    def test_curved_half_pipe_is_decomposed_not_hulled(self):
        pipe = half_pipe()
        pieces = fixture_pieces("pipe", shape_to_brep(pipe.shape))
        assert len(pieces) > 1
        hull_volume = pipe.shape.bounding_box().size.X * pipe.shape.bounding_box().size.Y * 80
        assert sum(p.volume for p in pieces) < 0.8 * hull_volume

    def test_cache_returns_the_same_pieces_and_stays_bounded(self, monkeypatch):
        monkeypatch.setattr(meshing, "MAX_CACHED_FIXTURES", 2)
        meshing.clear_cache()
        breps = [shape_to_brep(Pos(0, 0, 10 * i) * DECK) for i in range(3)]
        first = fixture_pieces("deck", breps[0])
        assert fixture_pieces("deck", breps[0]) is first
        for brep in breps[1:]:
            fixture_pieces("deck", brep)
        assert len(meshing._PIECE_CACHE) == 2
        assert fixture_pieces("deck", breps[0]) is not first  # the oldest was dropped

    def test_convex_deck_is_one_piece(self):
        (piece,) = fixture_pieces("deck", shape_to_brep(DECK))
        assert piece.volume == pytest.approx(200 * 200 * DECK_TOP_MM, rel=1e-6)


class TestBuilder:
    def test_lengths_become_metres(self):
        sc = scenario(
            [Fixture("deck", DECK)],
            Payload.box(size=(200, 200, 200), start=(0, 0, DECK_TOP_MM + 100)),
        )
        model = scene_of(sc).load_model()
        assert model.geom("payload_geom").size == pytest.approx([0.1, 0.1, 0.1])
        mesh_id = model.geom("fixture_deck_0").dataid[0]
        start, count = model.mesh_vertadr[mesh_id], model.mesh_vertnum[mesh_id]
        extents = np.ptp(model.mesh_vert[start : start + count], axis=0)  # in the mesh's inertia frame
        assert sorted(extents) == pytest.approx([0.08, 0.2, 0.2], abs=1e-6)
        assert model.body("payload").pos == pytest.approx([0, 0, 0.18])

    def test_payload_mass_from_density(self):
        sc = scenario([Fixture("deck", DECK)], ball((0, 0, 100), material="steel"))
        model = scene_of(sc).load_model()
        expected = 4 / 3 * math.pi * 0.02**3 * MATERIALS["steel"].density_kg_m3
        assert model.body("payload").mass[0] == pytest.approx(expected, rel=1e-6)

    def test_names_and_zone_sites(self):
        sc = scenario(
            [Fixture("channel", u_channel().shape, material="wood")],
            ball((0, 0, 45)),
            forbid=(Zone((-10, -10, -90), (10, 10, -80), name="pit"),),
        )
        model = scene_of(sc).load_model()
        assert model.joint("payload_joint").type[0] == mujoco.mjtJoint.mjJNT_FREE
        assert model.geom("fixture_channel_0").friction[0] == MATERIALS["wood"].friction
        assert model.site("goal").rgba == pytest.approx([0.1, 0.8, 0.2, 0.25])
        for site in ("forbid_pit", "build_zone", "bounds"):
            model.site(site)
        assert model.vis.global_.offwidth >= 1280 and model.vis.global_.offheight >= 960
        assert model.opt.enableflags & mujoco.mjtEnableBit.mjENBL_ENERGY
        assert model.opt.ccd_tolerance == CCD_TOLERANCE_M

    def test_viewer_sees_a_ground_grid_that_never_collides_a_framing_camera_and_the_zones(self):
        sc = scenario([Fixture("floor", DECK)], ball((0, 0, DECK_TOP_MM + 30)))
        model = scene_of(sc).load_model()
        ground = model.geom(GROUND_GEOM)
        assert ground.contype[0] == 0 and ground.conaffinity[0] == 0
        assert ground.pos[2] < mm_to_m(BOUNDS.min[2])
        shown = mujoco.MjvOption()  # what `python -m mujoco.viewer` draws before any key is pressed
        assert shown.geomgroup[ground.group[0]]
        for site in ("goal", "build_zone"):
            assert shown.sitegroup[model.site(site).group[0]]
        assert not shown.sitegroup[model.site("bounds").group[0]]
        camera = model.camera(OVERVIEW_CAMERA)
        data = mujoco.MjData(model)
        mujoco.mj_forward(model, data)
        eye, axes = data.cam_xpos[camera.id], data.cam_xmat[camera.id].reshape(3, 3)
        half_fov = math.radians(model.cam_fovy[camera.id] / 2)
        for corner in np.array(np.meshgrid(*zip(BOUNDS.min, BOUNDS.max, strict=True))).T.reshape(-1, 3):
            seen = axes.T @ (mm_to_m(corner) - eye)  # camera frame: looks along -z
            assert seen[2] < 0
            assert abs(seen[1] / seen[2]) < math.tan(half_fov)
            aspect = model.vis.global_.offwidth / model.vis.global_.offheight
            assert abs(seen[0] / seen[2]) < math.tan(half_fov) * aspect

    def test_write_makes_a_folder_mujoco_loads(self, tmp_path):
        sc = scenario([u_channel()], ball((0, 0, 45)))
        scene = scene_of(sc)
        path = scene.write(tmp_path / "scene")
        model = mujoco.MjModel.from_xml_path(str(path))
        assert model.ngeom == scene.load_model().ngeom
        assert sorted(p.name for p in (tmp_path / "scene" / "meshes").iterdir()) == sorted(scene.assets)


class TestSettle:
    def test_ball_rests_on_the_floor_of_a_u_channel_not_on_its_hull(self):
        result = settle(scenario([u_channel()], ball((0, 0, 45), jitter=(5, 5, 0))))
        assert result.failures == []
        assert len(result.starts) == 5
        for outcome in result.starts:
            assert outcome.settled
            assert outcome.final_mm[2] == pytest.approx(20 + BALL_RADIUS_MM, abs=0.5)  # hull top is z=60

    def test_ball_rests_at_the_bottom_of_a_curved_trough(self):
        result = settle(scenario([half_pipe()], ball((0, 0, 60))))
        assert result.failures == []
        assert result.starts[0].final_mm[2] == pytest.approx(30 + BALL_RADIUS_MM, abs=2.0)  # hull top is z=80

    def test_ball_stays_put_on_the_flat_floor_of_a_round_cup(self):
        # The cup is split at its floor plane first, so no bisection seam runs under the ball.
        cup = Fixture("cup", Pos(0, 0, 30) * (Cylinder(80, 60) - Pos(0, 0, 20) * Cylinder(70, 60)))
        result = settle(scenario([cup], ball((30, 0, 60), jitter=(3, 3, 0))))
        assert result.failures == []
        for outcome in result.starts:
            assert outcome.final_mm[2] == pytest.approx(20 + BALL_RADIUS_MM, abs=0.2)
            assert outcome.final_mm[:2] == pytest.approx(outcome.start_mm[:2], abs=0.1)

    def test_ball_on_a_flat_deck_settles(self):
        result = settle(scenario([Fixture("deck", DECK)], ball((0, 0, DECK_TOP_MM + 25), jitter=(5, 5, 3))))
        assert result.failures == []
        outcome = result.starts[0]
        assert outcome.settled and outcome.settle_time_s is not None and outcome.settle_time_s < 1.0
        assert outcome.drift_mm == pytest.approx(5, abs=0.5)
        assert outcome.max_speed_m_s < 1.0

    def test_ball_on_a_tilted_plane_does_not_settle(self):
        tilt_deg = 8.0
        plane = Fixture("ramp", Rot(0, tilt_deg, 0) * Box(800, 300, 20))
        normal = (math.sin(math.radians(tilt_deg)), 0.0, math.cos(math.radians(tilt_deg)))
        start = tuple(n * (10 + BALL_RADIUS_MM + 0.5) for n in normal)
        result = settle(scenario([plane], ball(start)))
        assert codes(result) & {FailureCode.NOT_SETTLED, FailureCode.OUT_OF_BOUNDS}
        assert not result.starts[0].settled

    def test_not_settled_message_says_speed_direction_and_fix(self):
        plane = Fixture("ramp", Rot(0, 2.0, 0) * Box(900, 300, 20))
        settings = SettleSettings(duration_s=0.5, rest_window_s=0.2)
        sc = scenario([plane], ball((0, 0, 31)))
        result = simulate_settle(scene_of(sc), sc.spec(), settings)
        (failure,) = result.failures
        assert failure.code is FailureCode.NOT_SETTLED
        assert "nominal start (0, 0, 31) mm: payload still rolling or sliding (up to" in failure.message
        assert "m/s toward +x in the last 0.2 s) at t=0.5 s" in failure.message
        assert "flatten the support under the start or add a stop" in failure.message

    def test_ball_over_a_gap_falls_into_the_forbid_zone(self):
        left = Fixture("left_deck", Pos(-160, 0, 0) * DECK)
        right = Fixture("right_deck", Pos(160, 0, 0) * DECK)
        gap = Zone((-60, -150, -90), (60, 150, 60), name="gap")
        result = settle(scenario([left, right], ball((0, 0, 100)), forbid=(gap,)))
        assert codes(result) == {FailureCode.FORBID_ZONE_HIT}
        assert "touched forbid zone 'forbid_gap'" in result.failures[0].message

    def test_ball_dropping_into_the_goal_reaches_it_unaided(self):
        goal = Zone((-50, -50, DECK_TOP_MM), (50, 50, DECK_TOP_MM + 30))
        result = settle(scenario([Fixture("deck", DECK)], ball((0, 0, DECK_TOP_MM + 50)), goal=goal))
        assert codes(result) == {FailureCode.GOAL_REACHED_UNAIDED}
        assert result.starts[0].final_mm[2] == pytest.approx(DECK_TOP_MM + BALL_RADIUS_MM, abs=0.5)

    def test_ball_beside_everything_falls_out_of_bounds(self):
        result = settle(scenario([Fixture("deck", DECK)], ball((250, 0, 100))))
        (failure,) = result.failures
        assert failure.code is FailureCode.OUT_OF_BOUNDS
        assert "left bounds through min z=-100 mm" in failure.message
        assert "put a fixture under the start" in failure.message

    def test_ball_spawned_inside_a_fixture_is_unstable(self):
        result = settle(scenario([Fixture("deck", DECK)], ball((0, 0, DECK_TOP_MM + 5))))
        (failure,) = result.failures
        assert failure.code is FailureCode.PHYSICS_UNSTABLE
        assert "starts 15.0 mm deep inside fixture 'deck' at t=0" in failure.message
        assert "raise start z by >= 15.0 mm" in failure.message
        assert result.starts[0].min_contact_distance_mm == pytest.approx(-15.0, abs=0.1)

    def test_energy_growth_is_unstable(self):
        # Spawned 1.5 mm into the deck (under the deep-penetration limit): the contact pushes it out.
        sc = scenario([Fixture("deck", DECK)], ball((0, 0, DECK_TOP_MM + BALL_RADIUS_MM - 1.5)))
        settings = SettleSettings(energy_growth_tolerance=0.0)
        (failure,) = simulate_settle(scene_of(sc), sc.spec(), settings).failures
        assert failure.code is FailureCode.PHYSICS_UNSTABLE
        assert "simulation unstable: total energy grew by" in failure.message
        assert "(tolerance 0 J)" in failure.message

    def test_speed_limit_is_unstable(self):
        sc = scenario([Fixture("deck", DECK)], ball((0, 0, 300)))
        settings = SettleSettings(max_speed_m_s=0.5)
        (failure,) = simulate_settle(scene_of(sc), sc.spec(), settings).failures
        assert failure.code is FailureCode.PHYSICS_UNSTABLE
        assert "(limit 0.5 m/s)" in failure.message


# The payload of offline family drop_into_bin (plan seed 0, variant seed 1) on its deck alone: with
# MuJoCo's default narrow-phase tolerance its jitter corner 2 lost its contacts for a step at t=2.5 s
# and t=2.9 s and ended NOT_SETTLED at 2.5e-3 m/s.
REPORTED_DECK_SIDE_MM = 184.19476268028976
REPORTED_DECK_TOP_MM = 202.15513921360937
REPORTED_DECK_CENTRE_X_MM = -92.09738134014488
REPORTED_CYLINDER = Payload.cylinder(
    radius=13.96671691616416,
    height=19.55340368262982,
    start=(REPORTED_DECK_CENTRE_X_MM, 0.0, 213.9318410549243),
    jitter=(4, 4, 1),
    material="abs",
)
RESTING_HEIGHT_TOLERANCE_MM = 0.01  # mm; resting contacts sink < 1 um into the deck
RESTING_SLIDE_TOLERANCE_MM = 0.01  # mm; a payload resting flat must not creep sideways
VERTICAL_NORMAL_MIN_Z = 0.999  # |z| of a contact normal on a level deck (about 2.6 degrees of tilt)


def flat_deck(side_mm: float, top_mm: float, centre_x_mm: float = 0.0) -> Fixture:
    return Fixture("deck", Pos(centre_x_mm, 0, top_mm / 2) * Box(side_mm, side_mm, top_mm))


def payload_on_deck(shape: str, seed: int) -> tuple[Fixture, Payload]:
    """A seeded deck with an upright cylinder or box, 2 mm above it, sized like the offline families'."""
    rng = random.Random(seed)
    size, top = rng.uniform(8, 30), rng.uniform(20, 220)
    material = rng.choice(["abs", "pla", "wood", "steel"])
    height = 1.4 * size if shape == "cylinder" else 1.6 * size
    start = (rng.uniform(-40, 40), rng.uniform(-40, 40), top + height / 2 + 2)
    if shape == "cylinder":
        payload = Payload.cylinder(
            radius=size, height=height, start=start, jitter=(4, 4, 1), material=material
        )
    else:
        payload = Payload.box(
            size=(2 * size, 2 * size, height), start=start, jitter=(4, 4, 1), material=material
        )
    return flat_deck(rng.uniform(150, 250), top), payload


def assert_rests_flat_in_place(result: SettleResult, payload: Payload, deck_top_mm: float) -> None:
    assert result.failures == []
    spec = payload.spec()
    for outcome in result.starts:
        assert outcome.settled
        assert outcome.final_mm[2] == pytest.approx(
            deck_top_mm + spec.half_extents[2], abs=RESTING_HEIGHT_TOLERANCE_MM
        )
        assert outcome.final_mm[:2] == pytest.approx(outcome.start_mm[:2], abs=RESTING_SLIDE_TOLERANCE_MM)


class TestRestingOnAFlatDeck:
    def test_reported_light_cylinder_settles_from_every_corner(self):
        deck = flat_deck(REPORTED_DECK_SIDE_MM, REPORTED_DECK_TOP_MM, centre_x_mm=REPORTED_DECK_CENTRE_X_MM)
        result = settle(scenario([deck], REPORTED_CYLINDER))
        assert len(result.starts) == 9
        assert_rests_flat_in_place(result, REPORTED_CYLINDER, REPORTED_DECK_TOP_MM)

    def test_reported_cylinder_contacts_stay_vertical(self):
        """The cause, not the symptom: every contact normal on the level deck stays vertical."""
        deck = flat_deck(REPORTED_DECK_SIDE_MM, REPORTED_DECK_TOP_MM, centre_x_mm=REPORTED_DECK_CENTRE_X_MM)
        sc = scenario([deck], REPORTED_CYLINDER)
        model = scene_of(sc).load_model()
        data = mujoco.MjData(model)
        qpos_adr = int(model.joint("payload_joint").qposadr[0])
        steps = round(SettleSettings().duration_s / model.opt.timestep)
        for start in sc.spec().payload.start_positions():
            mujoco.mj_resetData(model, data)  # upright again
            data.qpos[qpos_adr : qpos_adr + 3] = mm_to_m(np.array(start))
            tilted = 0
            for _ in range(steps):
                mujoco.mj_step(model, data)
                normals_z = np.abs(data.contact.frame[: data.ncon, 2])
                if normals_z.size and normals_z.min() < VERTICAL_NORMAL_MIN_Z:
                    tilted += 1
            assert tilted == 0, f"start {start}: {tilted} steps with a tilted contact normal"

    @pytest.mark.parametrize("seed", [0, 1, 2])
    @pytest.mark.parametrize("shape", ["cylinder", "box"])
    def test_payload_rests_in_place_from_every_corner(self, shape, seed):
        deck, payload = payload_on_deck(shape, seed)
        deck_top = deck.shape.bounding_box().max.Z
        assert_rests_flat_in_place(settle(scenario([deck], payload)), payload, deck_top)


@pytest.mark.parametrize(
    "field, value",
    [("timestep_s", 0.004), ("duration_s", 0.0), ("rest_speed_m_s", -1.0), ("rest_window_s", 5.0)],
)
def test_settle_settings_reject_bad_values(field, value):
    with pytest.raises(ValueError):
        SettleSettings(**{field: value})


def test_result_summarises_the_starts_for_variant_metrics():
    result = settle(scenario([Fixture("deck", DECK)], ball((0, 0, DECK_TOP_MM + 25), jitter=(5, 0, 0))))
    assert len(result.starts) == 3
    assert result.settle_time_s == max(o.settle_time_s for o in result.starts)
    assert result.max_drift_mm == pytest.approx(max(o.drift_mm for o in result.starts))
    # Contacts are soft: the landing dents the deck a little, never by millimetres.
    assert result.min_contact_distance_mm is not None and -3.0 < result.min_contact_distance_mm < 0
    assert 0 < result.max_speed_m_s < 1.0
