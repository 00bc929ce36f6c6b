"""The scenario kit: constructors accept the contract's API and reject misuse with the right code."""

import pytest
from build123d import Box, Circle, Pos, Sphere, extrude

from benchgen.codes import FailureCode
from benchgen.kit import ContractViolation, Fixture, InvalidGeometry, Payload, Scenario, Zone, ZoneInvalid
from benchgen.kit.exchange import brep_to_shape, shape_to_brep
from benchgen.kit.spec import PayloadShape


def deck(label: str = "deck", x: float = 0.0) -> Fixture:
    return Fixture(label, Pos(x, 0, 40) * Box(200, 200, 80))


def scenario(**overrides) -> Scenario:
    parts = {
        "fixtures": [deck()],
        "payload": Payload.sphere(radius=20, start=(0, 0, 100), jitter=(5, 5, 0), material="steel"),
        "goal": Zone((150, -50, 80), (250, 50, 160)),
        "forbid": [Zone((-300, -300, -100), (-200, 300, 60), name="pit")],
        "build_zone": Zone((-400, -200, 0), (400, 200, 300)),
        "bounds": Zone((-500, -300, -100), (500, 300, 400)),
    }
    parts.update(overrides)
    return Scenario(**parts)


class TestZone:
    def test_valid_zone_keeps_values(self):
        z = Zone((0, 1, 2), (3, 4, 5), name="goal")
        assert z.spec().size == (3, 3, 3)
        assert z.spec().center == (1.5, 2.5, 3.5)

    @pytest.mark.parametrize("axis,lo,hi", [(0, (5, 0, 0), (5, 1, 1)), (2, (0, 0, 9), (1, 1, 3))])
    def test_min_not_below_max_is_zone_invalid(self, axis, lo, hi):
        with pytest.raises(ZoneInvalid, match=f"min {'xyz'[axis]}=") as info:
            Zone(lo, hi)
        assert info.value.code is FailureCode.ZONE_INVALID

    @pytest.mark.parametrize("bad", [(0, 0), "abc", (0, 0, float("nan")), (0, "x", 0)])
    def test_malformed_vector_is_contract_violation(self, bad):
        with pytest.raises(ContractViolation, match="Zone min"):
            Zone(bad, (1, 1, 1))


class TestFixture:
    def test_spec_has_bbox_and_volume(self):
        spec = deck().spec()
        assert spec.bbox_min == pytest.approx((-100, -100, 0))
        assert spec.bbox_max == pytest.approx((100, 100, 80))
        assert spec.volume_mm3 == pytest.approx(200 * 200 * 80)

    @pytest.mark.parametrize("label", ["Deck", "1deck", "de-ck", "", "a" * 49, "payload", "goal"])
    def test_bad_or_reserved_labels(self, label):
        with pytest.raises(ContractViolation):
            Fixture(label, Box(10, 10, 10))

    @pytest.mark.parametrize("label", ["floor", "world", "ground_grid", "overview"])
    def test_names_the_mjcf_prefixes_are_free_labels(self, label):
        assert Fixture(label, Box(10, 10, 10)).label == label

    def test_unknown_material_lists_known_ones(self):
        with pytest.raises(ContractViolation, match="unknown material 'unobtainium'.*steel"):
            Fixture("deck", Box(10, 10, 10), material="unobtainium")

    def test_face_is_not_a_solid(self):
        with pytest.raises(ContractViolation, match="got Face"):
            Fixture("disc", Circle(10).face())

    def test_part_from_extrude_is_accepted(self):
        assert Fixture("disc", extrude(Circle(10), 5)).spec().volume_mm3 > 0

    def test_empty_compound_is_invalid_geometry(self):
        from build123d import Compound

        with pytest.raises(InvalidGeometry):
            Fixture("empty", Compound([]))


class TestPayload:
    def test_sphere_half_extents_and_mass(self):
        p = Payload.sphere(radius=10, start=(0, 0, 10), material="steel").spec()
        assert p.shape is PayloadShape.SPHERE
        assert p.half_extents == (10, 10, 10)
        assert p.mass_kg == pytest.approx(4 / 3 * 3.14159265 * 1000 * 1e-9 * 7850, rel=1e-6)

    def test_box_and_cylinder_extents(self):
        assert Payload.box(size=(10, 20, 30), start=(0, 0, 0)).spec().half_extents == (5, 10, 15)
        assert Payload.cylinder(radius=5, height=40, start=(0, 0, 0)).spec().half_extents == (5, 5, 20)

    def test_start_positions_cover_jitter_corners(self):
        p = Payload.sphere(radius=5, start=(0, 0, 50), jitter=(2, 3, 0)).spec()
        positions = p.start_positions()
        assert positions[0] == (0, 0, 50)
        assert set(positions[1:]) == {(-2, -3, 50), (-2, 3, 50), (2, -3, 50), (2, 3, 50)}

    def test_envelope_is_start_plus_jitter_plus_size(self):
        env = Payload.sphere(radius=5, start=(0, 0, 50), jitter=(2, 3, 0)).spec().envelope()
        assert env.min == (-7, -8, 45) and env.max == (7, 8, 55)

    @pytest.mark.parametrize(
        "make",
        [
            lambda: Payload.sphere(radius=-1, start=(0, 0, 0)),
            lambda: Payload.sphere(radius=5, start=(0, 0, 0), jitter=(-1, 0, 0)),
            lambda: Payload.box(size=(1, 0, 1), start=(0, 0, 0)),
            lambda: Payload.cylinder(radius=1, height=2, start=(0, 0), material="steel"),
            lambda: Payload.sphere(radius=5, start=(0, 0, 0), material="cheese"),
        ],
    )
    def test_misuse_is_contract_violation(self, make):
        with pytest.raises(ContractViolation):
            make()


class TestScenario:
    def test_spec_round_trips_through_json(self):
        spec = scenario().spec()
        again = type(spec).model_validate_json(spec.model_dump_json())
        assert again == spec
        assert [z.name for z in spec.forbid] == ["pit"]
        assert spec.goal.name == "goal"

    def test_unnamed_forbid_zones_get_indexed_names(self):
        spec = scenario(forbid=[Zone((0, 0, 0), (1, 1, 1)), Zone((2, 2, 2), (3, 3, 3))]).spec()
        assert [z.name for z in spec.forbid] == ["forbid_0", "forbid_1"]

    def test_duplicate_labels_rejected(self):
        with pytest.raises(ContractViolation, match=r"duplicate fixture labels \['deck'\]"):
            scenario(fixtures=[deck(), deck(x=300)])

    def test_no_fixtures_rejected(self):
        with pytest.raises(ContractViolation, match="at least one fixture"):
            scenario(fixtures=[])

    def test_payload_drawn_as_shape_is_rejected(self):
        with pytest.raises(ContractViolation, match="Payload.sphere/box/cylinder"):
            scenario(payload=Sphere(20))

    def test_zone_given_as_tuple_is_rejected(self):
        with pytest.raises(ContractViolation, match="goal must be a Zone"):
            scenario(goal=((0, 0, 0), (1, 1, 1)))


def test_brep_exchange_preserves_placement_and_volume():
    shape = Pos(10, -20, 40) * Box(30, 40, 50)
    back = brep_to_shape(shape_to_brep(shape))
    bb = back.bounding_box()
    assert (bb.min.X, bb.min.Y, bb.min.Z) == pytest.approx((-5, -40, 15))
    assert back.volume == pytest.approx(30 * 40 * 50)


def test_brep_exchange_rejects_garbage():
    with pytest.raises(InvalidGeometry):
        brep_to_shape(b"not a brep")
