"""Static checks: source rules on snippets, and exact geometry checks on tiny in-process scenes."""

import pytest
from build123d import Box, Cylinder, Pos, Sphere

from benchgen.codes import SCENARIO_CODES, FailureCode
from benchgen.kit import Fixture, Payload, Scenario, Zone
from benchgen.kit.exchange import shape_to_brep
from benchgen.kit.spec import ZoneSpec
from benchgen.validation import language
from benchgen.validation import static_checks as sc

ALLOWED = ", ".join(sc.ALLOWED_IMPORTS[:-1])
GOOD_SOURCE = '''"""A valid script."""

import random

from build123d import Box, Pos

from benchgen.kit import Fixture, Payload, Scenario, Zone

DECK_HEIGHT = 80  # mm
HALF = DECK_HEIGHT / 2


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    return rng
'''
# The message fields for a 20 mm ball centred at z=95 over an 80 mm deck (tests/corpus/payload_overlaps_fixture.py).
BALL_AT_95_ON_DECK = {
    "payload": "sphere r=20",
    "x": 0.0,
    "y": 0.0,
    "z": 95.0,
    "where": "",
    "label": "deck",
    "top": 80.0,
    "depth": 5.0,
    "needed_z": 100.0,
}
BUILD = "\n\ndef build(seed, scale=1.0):\n    return None\n"


def codes(failures) -> list[FailureCode]:
    return sorted(f.code for f in failures)


# --- source ---------------------------------------------------------------------------------------


def test_good_source_passes():
    assert sc.check_source(GOOD_SOURCE) == []


@pytest.mark.parametrize(
    "source, message",
    [
        ("import os" + BUILD, sc.SOURCE_BAD_IMPORT.format(line=1, module="os", allowed=ALLOWED)),
        (
            "from subprocess import run" + BUILD,
            sc.SOURCE_BAD_IMPORT.format(line=1, module="subprocess", allowed=ALLOWED),
        ),
        ("from . import x" + BUILD, sc.SOURCE_BAD_IMPORT.format(line=1, module=".", allowed=ALLOWED)),
        (
            "import random\nDECK = random.Random(0)" + BUILD,
            sc.SOURCE_TOP_LEVEL_WORK.format(line=2, what="assignment with a call"),
        ),
        ("print('hi')" + BUILD, sc.SOURCE_TOP_LEVEL_WORK.format(line=1, what="expr statement")),
        (BUILD + "\nif __name__ == '__main__':\n    build(0)\n", sc.SOURCE_MAIN_BLOCK.format(line=6)),
        (
            "def build(seed, scale=1.0):\n    return open('/etc/passwd')\n",
            language.LANGUAGE_BUILTIN.format(line=2, name="open", why=language.FORBIDDEN_BUILTINS["open"]),
        ),
        (
            "def build(seed, scale=1.0):\n    return eval('1')\n",
            language.LANGUAGE_BUILTIN.format(line=2, name="eval", why=language.FORBIDDEN_BUILTINS["eval"]),
        ),
        (
            "import random\n\ndef build(seed, scale=1.0):\n    return random.__builtins__\n",
            language.LANGUAGE_PRIVATE.format(line=4, what="attribute", name="__builtins__"),
        ),
        (
            "def build(seed, scale=1.0):\n    return shape.translate((0, 0, 1))\n",
            sc.SOURCE_PLACEMENT.format(line=2, method="translate"),
        ),
        (
            "def build(seed, scale=1.0):\n    return shape.move(loc)\n",
            sc.SOURCE_PLACEMENT.format(line=2, method="move"),
        ),
        ("def make(seed):\n    return None\n", sc.SOURCE_NO_BUILD),
        ("def build(size):\n    return None\n", sc.SOURCE_BUILD_SIGNATURE.format(line=1, params="size")),
    ],
)
def test_source_violation_names_the_line_and_the_fix(source, message):
    failures = sc.check_source(source)
    assert [f.message for f in failures] == [message]
    assert codes(failures) == [FailureCode.CONTRACT_VIOLATION]


def test_names_the_script_binds_itself_are_not_forbidden():
    source = "def build(seed, scale=1.0):\n    time = 3 * scale\n    sys = [time]\n    return sys\n"
    assert sc.check_source(source) == []


def test_a_forbidden_builtin_stays_forbidden_when_the_script_binds_it():
    """A binding in one scope would not stop the builtin from being reached in another (or after a del)."""
    source = "def build(seed, scale=1.0):\n    input = [3 * scale]\n    return input\n"
    why = language.FORBIDDEN_BUILTINS["input"]
    assert [f.message for f in sc.check_source(source)] == [
        language.LANGUAGE_BUILTIN.format(line=line, name="input", why=why) for line in (2, 3)
    ]


def test_syntax_error_is_a_script_error():
    (failure,) = sc.check_source("def build(seed, scale=1.0)\n    return 1\n")
    assert failure.code is FailureCode.SCRIPT_ERROR
    assert failure.message.startswith("line 1: the script does not parse")


# --- zones and payload boxes ----------------------------------------------------------------------

DECK = Box(200, 200, 80)
BOUNDS = Zone((-500, -300, -100), (500, 300, 400))
BUILD_ZONE = Zone((-400, -200, 0), (400, 200, 300))
GOAL = Zone((200, -50, 80), (300, 50, 160))


def variant(fixtures, payload, goal=GOAL, forbid=(), build_zone=BUILD_ZONE, bounds=BOUNDS):
    scenario = Scenario(
        fixtures=fixtures,
        payload=payload,
        goal=goal,
        forbid=list(forbid),
        build_zone=build_zone,
        bounds=bounds,
    )
    return scenario.spec(), {f.label: shape_to_brep(f.shape) for f in scenario.fixtures}


def overlap_failures(fixtures, payload):
    spec, breps = variant(fixtures, payload)
    return sc.check_payload_fixtures(spec, sc.load_fixture_shapes(spec, breps)[0])


def ball(start, jitter=(0, 0, 0), radius=20.0):
    return Payload.sphere(radius=radius, start=start, jitter=jitter)


def deck():
    return Fixture("deck", Pos(0, 0, 40) * DECK)


def test_valid_scene_has_no_failures():
    failures, notes = sc.check_variant(*variant([deck()], ball((0, 0, 100), jitter=(5, 5, 0))))
    assert failures == [] and notes == []


def test_invalid_zone_in_the_spec_is_reported_and_later_checks_are_noted():
    spec, breps = variant([deck()], ball((0, 0, 100)))
    spec = spec.model_copy(update={"goal": ZoneSpec(min=(0, 0, 10), max=(1, 1, 5), name="goal")})
    failures, notes = sc.check_variant(spec, breps)
    assert [f.message for f in failures] == [sc.ZONE_INVALID.format(zone="goal", axis="z", lo=10, hi=5)]
    assert notes and "ZONE_INVALID" in notes[0]


def test_goal_sharing_only_a_face_with_the_build_zone_is_outside_it():
    goal = Zone((400, -50, 80), (450, 50, 160))
    failures = sc.check_zone_layout(variant([deck()], ball((0, 0, 100)), goal=goal)[0])
    assert codes(failures) == [FailureCode.GOAL_OUTSIDE_BUILD_ZONE]
    assert "apart on x by 0 mm" in failures[0].message


def test_forbid_zone_beside_the_ball_diagonally_is_exact_for_spheres():
    # The zone's corner is 20 mm from the centre along each of x and y: inside the envelope box,
    # but sqrt(2) * 20 mm = 28 mm away, clear of a 20 mm ball.
    clear = Zone((20, 20, 0), (100, 100, 200), name="corner")
    assert sc.check_payload_zones(variant([deck()], ball((0, 0, 100)), forbid=[clear])[0]) == []
    touching = Zone((10, 10, 0), (100, 100, 200), name="corner")
    (failure,) = sc.check_payload_zones(variant([deck()], ball((0, 0, 100)), forbid=[touching])[0])
    assert failure.code is FailureCode.PAYLOAD_IN_FORBID
    assert "reaches 5.858 mm into forbid zone 'corner'" in failure.message


def test_payload_in_goal_at_a_jitter_corner():
    goal = Zone((4, 4, 90), (60, 60, 150))
    (failure,) = sc.check_payload_zones(variant([deck()], ball((0, 0, 100), jitter=(5, 5, 0)), goal=goal)[0])
    assert failure.code is FailureCode.PAYLOAD_IN_GOAL
    assert failure.message.startswith("payload sphere r=20 starts at (5, 5, 100), inside the goal")


def test_units_in_metres_are_a_contract_violation():
    spec, _ = variant(
        [Fixture("deck", Box(0.2, 0.2, 0.08))],
        ball((0, 0, 0.1), radius=0.02),
        goal=Zone((0.2, -0.05, 0), (0.3, 0.05, 0.1)),
        build_zone=Zone((-0.4, -0.2, 0), (0.4, 0.2, 0.3)),
        bounds=Zone((-0.5, -0.3, -0.1), (0.5, 0.3, 0.4)),
    )
    failures = sc.check_units(spec)
    assert [f.message for f in failures] == [
        sc.UNITS_SCENE_TOO_SMALL.format(extent=1.0, minimum=sc.MIN_SCENE_EXTENT_MM),
        sc.UNITS_PAYLOAD_TOO_SMALL.format(payload="sphere r=0.02", extent=0.04),
    ]


# --- exact geometry -------------------------------------------------------------------------------


class TestPayloadOverlapsFixture:
    def test_message_gives_top_depth_and_needed_start(self):
        (failure,) = sc.check_variant(*variant([deck()], ball((0, 0, 95))))[0]
        assert failure.message == sc.PAYLOAD_OVERLAPS_FIXTURE.format(**BALL_AT_95_ON_DECK)

    def test_resting_exactly_on_top_is_not_an_overlap(self):
        for payload in (
            ball((0, 0, 100)),
            Payload.box((30, 30, 40), (0, 0, 100)),
            Payload.cylinder(20, 40, (0, 0, 100)),
        ):
            assert overlap_failures([deck()], payload) == []

    def test_jitter_corner_in_z_needs_a_higher_start(self):
        (failure,) = overlap_failures([deck()], ball((0, 0, 100), jitter=(5, 5, 10)))
        assert "(a corner of its jitter envelope)" in failure.message
        assert "raise start z to >= 110" in failure.message

    @pytest.mark.parametrize(
        "payload",
        [
            ball((0, 0, 100), jitter=(30, 0, 0), radius=10),
            Payload.cylinder(10, 20, (0, 0, 100), jitter=(30, 0, 0)),
            Payload.box((20, 20, 20), (0, 0, 100), jitter=(30, 0, 0)),
        ],
    )
    def test_post_between_the_corners_is_caught_by_the_swept_envelope(self, payload):
        # A thin post at x=13..17: clear of the nominal start (reaches x=10) and of both corners
        # (x=20..40 and -40..-20), but in the way of every start in between.
        post = Fixture("post", Pos(15, 0, 100) * Box(4, 4, 40))
        (failure,) = overlap_failures([post], payload)
        assert failure.code is FailureCode.PAYLOAD_OVERLAPS_FIXTURE
        assert "between the corners of its jitter envelope" in failure.message
        assert "'post'" in failure.message

    def test_ball_inside_a_bigger_fixture_overlaps(self):
        block = Fixture("block", Pos(0, 0, 100) * Box(200, 200, 200))
        (failure,) = overlap_failures([block], ball((0, 0, 100)))
        assert failure.code is FailureCode.PAYLOAD_OVERLAPS_FIXTURE


class TestFixtures:
    def test_touching_or_tiny_overlap_is_not_an_intersection(self):
        a = Fixture("a", Pos(0, 0, 40) * DECK)
        b = Fixture("b", Pos(200, 0, 40) * DECK)  # shares the face x=100 with a
        c = Fixture("c", Pos(100.4, 100.4, 40) * Box(1, 1, 1))  # 0.01 mm^3 into a, 0.09 mm^3 into b
        spec, breps = variant([a, b, c], ball((0, 0, 100)))
        assert sc.check_fixtures(spec, sc.load_fixture_shapes(spec, breps)[0]) == []

    def test_overlap_reports_volume_and_region(self):
        a = Fixture("a", Pos(0, 0, 40) * DECK)
        b = Fixture("b", Pos(190, 0, 40) * DECK)
        spec, breps = variant([a, b], ball((0, 0, 100)))
        (failure,) = sc.check_fixtures(spec, sc.load_fixture_shapes(spec, breps)[0])
        assert failure.message == sc.FIXTURE_INTERSECTION.format(
            a="a",
            b="b",
            volume=10 * 200 * 80.0,
            tol=sc.FIXTURE_OVERLAP_TOL_MM3,
            x0=90.0,
            x1=100.0,
            y0=-100.0,
            y1=100.0,
            z0=0.0,
            z1=80.0,
        )

    def test_out_of_bounds_uses_the_exact_bounding_box(self):
        sphere = Fixture("dome", Pos(0, 0, 0) * Sphere(99.9))
        bounds = Zone((-100, -100, -100), (100, 100, 400))
        spec, breps = variant(
            [sphere],
            ball((0, 0, 150)),
            bounds=bounds,
            build_zone=Zone((-90, -90, 0), (90, 90, 300)),
            goal=Zone((50, -50, 120), (80, 50, 160)),
        )
        assert sc.check_fixtures(spec, sc.load_fixture_shapes(spec, breps)[0]) == []

    def test_out_of_bounds_message(self):
        post = Fixture("post", Pos(300, 0, 250) * Box(40, 40, 500))
        spec, breps = variant([deck(), post], ball((0, 0, 100)))
        (failure,) = sc.check_fixtures(spec, sc.load_fixture_shapes(spec, breps)[0])
        assert failure.message == sc.FIXTURE_OUT_OF_BOUNDS.format(
            label="post", side="up to", axis="z", value=500.0, limit=400.0, by=100.0
        )


class TestBrepExchange:
    def test_missing_and_extra_breps_are_contract_violations(self):
        spec, breps = variant([deck()], ball((0, 0, 100)))
        failures = sc.load_fixture_shapes(spec, {"stray": breps["deck"]})[1]
        assert codes(failures) == [FailureCode.CONTRACT_VIOLATION] * 2

    def test_unreadable_or_tampered_brep_is_invalid_geometry(self):
        spec, _ = variant([deck()], ball((0, 0, 100)))
        other = shape_to_brep(Pos(0, 0, 40) * Box(100, 100, 80))
        assert codes(sc.load_fixture_shapes(spec, {"deck": b"garbage"})[1]) == [FailureCode.INVALID_GEOMETRY]
        (failure,) = sc.load_fixture_shapes(spec, {"deck": other})[1]
        assert "differs from the declared 3200000.0 mm^3" in failure.message


BOX_100 = ((0.0, 0.0, 0.0), (60.0, 80.0, 0.0))  # diagonal 100 mm
BOX_200 = ((0.0, 0.0, 0.0), (120.0, 160.0, 0.0))  # diagonal 200 mm


@pytest.mark.parametrize(
    "hash_b, box_b, messages",
    [
        ("h2", BOX_200, []),
        (
            "h2",
            BOX_100,
            [sc.SCALE_NOT_UNIFORM.format(seed=0, scale_a=1.0, scale_b=2.0, actual=1.0, expected=2.0)],
        ),
        ("h1", BOX_100, [sc.SCALE_IGNORED.format(seed=0, scale_a=1.0, scale_b=2.0)]),
    ],
)
def test_scale_response(hash_b, box_b, messages):
    failures = sc.check_scale_response(0, 1.0, "h1", BOX_100, 2.0, hash_b, box_b)
    assert [f.message for f in failures] == messages
    assert all(f.code is FailureCode.CONTRACT_VIOLATION for f in failures)


def test_cylinder_rests_in_a_hole_without_overlap():
    plate = Fixture("plate", Pos(0, 0, 10) * Box(200, 200, 20) - Pos(0, 0, 10) * Cylinder(21, 20))
    base = Fixture("base", Pos(0, 0, -5) * Box(200, 200, 10))
    assert overlap_failures([plate, base], Payload.cylinder(20, 30, (0, 0, 15))) == []


def test_writing_scenarios_doc_lists_every_code_material_and_import():
    from pathlib import Path

    from benchgen.kit import MATERIALS

    doc = (Path(__file__).resolve().parents[1] / "docs" / "writing-scenarios.md").read_text()
    for code in SCENARIO_CODES:
        assert f"| {code.value} |" in doc
    for m in MATERIALS.values():
        assert f"| {m.name} | {m.density_kg_m3:g} | {m.friction:.1f} |" in doc
    for module in sc.ALLOWED_IMPORTS[:-1]:
        assert f"`{module}`" in doc
