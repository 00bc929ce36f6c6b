"""What a scenario family is: typed parameters with ranges, text for the planner, and a script template.

A family renders a standalone scenario script: a header, the plan's parameters as named constants, a
shared block of small helpers (`SCRIPT_HELPERS`) and the family's own `build()` body. The rendered
script imports only `random`, `math`, `build123d` and `benchgen.kit`; it never imports family code.

Every length parameter is in millimetres at scale 1.0; the script multiplies each by `scale` and moves
each by up to +-`variation` (relative) with `random.Random(seed)`.
"""

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

from benchgen.kit.spec import PayloadShape

# Payload shapes and materials, indexed by the integer parameters `payload_shape_index` and
# `payload_material_index` (plans carry only numbers).
PAYLOAD_SHAPES: tuple[PayloadShape, ...] = (PayloadShape.SPHERE, PayloadShape.BOX, PayloadShape.CYLINDER)
PAYLOAD_MATERIALS: tuple[str, ...] = ("abs", "pla", "aluminium", "steel", "wood", "rubber", "glass")
FIXTURE_MATERIALS: tuple[str, ...] = ("abs", "wood", "aluminium", "pla", "steel")

# Parameters that are not dimensions: rendered as names (shape, materials) or as plain numbers.
INDEX_PARAMETERS = frozenset({"payload_shape_index", "payload_material_index", "fixture_material_index"})


class Hardness(StrEnum):
    """Which direction of a difficulty parameter makes the benchmark harder."""

    HIGHER = "harder when higher"
    LOWER = "harder when lower"


def difficulty_field(default: float, low: float, high: float, description: str, harder: Hardness) -> Any:
    """A parameter the difficulty score sees; `difficulty_score` is monotone in it (tested)."""
    return Field(default, ge=low, le=high, description=description, json_schema_extra={"difficulty": harder.value})


def shape_field(default: float, low: float, high: float, description: str) -> Any:
    """A parameter that shapes the scene but is not a difficulty knob."""
    return Field(default, ge=low, le=high, description=description)


def repair_field(default: float, low: float, high: float, description: str) -> Any:
    """A knob the offline Coder's repair moves turn; negative values are injected faults (tests)."""
    return Field(default, ge=low, le=high, description=description, json_schema_extra={"repair": True})


class FamilyParams(BaseModel):
    """Parameters every family shares: payload, materials, variation, goal size and the repair knobs."""

    model_config = ConfigDict(extra="forbid")

    payload_size: float = shape_field(18.0, 12.0, 28.0, "mm: sphere or cylinder radius, or half the box edge")
    payload_shape_index: int = Field(0, ge=0, le=len(PAYLOAD_SHAPES) - 1, description="index into PAYLOAD_SHAPES")
    payload_material_index: int = Field(
        3, ge=0, le=len(PAYLOAD_MATERIALS) - 1, description="index into PAYLOAD_MATERIALS"
    )
    fixture_material_index: int = Field(
        0, ge=0, le=len(FIXTURE_MATERIALS) - 1, description="index into FIXTURE_MATERIALS"
    )
    variation: float = shape_field(0.1, 0.0, 0.2, "relative +- change of every dimension per seed (0 is a fault)")
    goal_size_ratio: float = difficulty_field(
        2.5, 1.4, 4.0, "goal edge length over the payload's width", Hardness.LOWER
    )
    start_clearance: float = repair_field(2.0, -60.0, 60.0, "mm: gap between the payload's bottom and its support")
    goal_shift: float = repair_field(0.0, -2000.0, 400.0, "mm: extra distance of the goal along the payload's path")
    support_margin: float = repair_field(0.0, -200.0, 200.0, "mm: extra size of the payload's support on each side")
    bounds_margin: float = repair_field(0.0, -500.0, 1000.0, "mm: extra room between the scene and its bounds")

    @property
    def payload_shape(self) -> PayloadShape:
        return PAYLOAD_SHAPES[self.payload_shape_index]

    @property
    def payload_material(self) -> str:
        return PAYLOAD_MATERIALS[self.payload_material_index]

    @property
    def fixture_material(self) -> str:
        return FIXTURE_MATERIALS[self.fixture_material_index]

    @classmethod
    def difficulty_parameters(cls) -> dict[str, Hardness]:
        """Names of the difficulty parameters and which direction is harder."""
        out: dict[str, Hardness] = {}
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra
            if isinstance(extra, dict) and "difficulty" in extra:
                out[name] = Hardness(extra["difficulty"])
        return out

    @classmethod
    def repair_parameters(cls) -> tuple[str, ...]:
        return tuple(
            name
            for name, info in cls.model_fields.items()
            if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("repair")
        )

    @classmethod
    def varied_parameters(cls) -> tuple[str, ...]:
        """Dimensions the script randomizes with its seed (everything but indices, variation and repair knobs)."""
        fixed = INDEX_PARAMETERS | {"variation"} | set(cls.repair_parameters())
        return tuple(name for name in cls.model_fields if name not in fixed)

    @classmethod
    def bounds_of(cls, name: str) -> tuple[float, float]:
        """The (low, high) range a parameter may take, from its field constraints."""
        info: FieldInfo = cls.model_fields[name]
        low = high = None
        for meta in info.metadata:  # annotated_types.Ge / Le objects from Field(ge=..., le=...)
            if getattr(meta, "ge", None) is not None:
                low = meta.ge
            if getattr(meta, "le", None) is not None:
                high = meta.le
        if low is None or high is None:
            raise ValueError(f"parameter {name!r} of {cls.__name__} has no (ge, le) range")
        return float(low), float(high)


# Helpers every rendered script carries. They read the constants rendered above them.
SCRIPT_HELPERS = '''
# Payload and layout constants shared by every offline family (mm at scale 1.0).
JITTER_XY = 4.0  # mm: largest start offset along x and y the benchmark must tolerate
JITTER_Z = 1.0  # mm: largest start offset along z (kept below START_CLEARANCE)
BOX_HEIGHT_RATIO = 1.6  # box payload height over PAYLOAD_SIZE (its width is 2 * PAYLOAD_SIZE)
CYLINDER_HEIGHT_RATIO = 1.4  # cylinder payload height over PAYLOAD_SIZE
GOAL_HEIGHT_RATIO = 3.0  # goal zone height over the payload height
GOAL_ROOM_RATIO = 4.0  # half the widest goal edge over PAYLOAD_SIZE: room kept free around a goal's centre
BUILD_ZONE_PAD = 40.0  # mm: room around fixtures, goal and payload where a solver may build
BUILD_ZONE_HEADROOM = 150.0  # mm: room above the highest fixture for a solver's mechanism
BOUNDS_PAD = 60.0  # mm: room between the build zone and the bounds


def vary(rng, nominal):
    """The nominal value moved by up to +-VARIATION (relative), drawn from the seeded RNG."""
    return nominal * rng.uniform(1.0 - VARIATION, 1.0 + VARIATION)


def block(label, x0, x1, y0, y1, z0, z1, material=FIXTURE_MATERIAL):
    """A box fixture given by its extents in mm."""
    centre = ((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2)
    return Fixture(label, Pos(*centre) * Box(x1 - x0, y1 - y0, z1 - z0), material)


def payload_height(size):
    """Full height of the payload whose width is 2 * size."""
    if PAYLOAD_SHAPE == "sphere":
        return 2 * size
    if PAYLOAD_SHAPE == "box":
        return BOX_HEIGHT_RATIO * size
    return CYLINDER_HEIGHT_RATIO * size


def resting_payload(x, y, support_top, size, scale):
    """The payload centred at (x, y), START_CLEARANCE above the level top of its support."""
    z = support_top + payload_height(size) / 2 + START_CLEARANCE * scale
    start = (x, y, z)
    jitter = (JITTER_XY * scale, JITTER_XY * scale, JITTER_Z * scale)
    if PAYLOAD_SHAPE == "sphere":
        return Payload.sphere(radius=size, start=start, jitter=jitter, material=PAYLOAD_MATERIAL)
    if PAYLOAD_SHAPE == "box":
        edges = (2 * size, 2 * size, payload_height(size))
        return Payload.box(size=edges, start=start, jitter=jitter, material=PAYLOAD_MATERIAL)
    return Payload.cylinder(
        radius=size, height=payload_height(size), start=start, jitter=jitter, material=PAYLOAD_MATERIAL
    )


def goal_room(size):
    """Half the widest goal edge: goals are centred this far inside their surface, whatever their size."""
    return GOAL_ROOM_RATIO * size


def goal_edge_for(rng, size):
    """The goal's edge: GOAL_SIZE_RATIO payload widths, never wider than the room kept for it."""
    return min(vary(rng, GOAL_SIZE_RATIO) * 2 * size, 2 * goal_room(size))


def goal_on(x, y, surface_top, edge, size):
    """A square goal of side `edge` centred at (x, y), resting on a surface at height `surface_top`."""
    height = GOAL_HEIGHT_RATIO * payload_height(size)
    return Zone((x - edge / 2, y - edge / 2, surface_top), (x + edge / 2, y + edge / 2, surface_top + height))


def enclosing(boxes, pad, headroom=0.0, name=None):
    """The smallest zone holding every (min, max) box, grown by `pad` and raised by `headroom`."""
    lows = [min(b[0][axis] for b in boxes) - pad for axis in range(3)]
    highs = [max(b[1][axis] for b in boxes) + pad for axis in range(3)]
    highs[2] += headroom
    return Zone(tuple(lows), tuple(highs), name=name)


def extents(fixture):
    """A fixture's bounding box as a (min, max) pair of points."""
    bb = fixture.shape.bounding_box()
    return (bb.min.X, bb.min.Y, bb.min.Z), (bb.max.X, bb.max.Y, bb.max.Z)


def scenario(fixtures, payload, goal, forbid, scale):
    """Assemble the scenario: the build zone holds fixtures, goal and payload; bounds hold all of it."""
    envelope = payload.spec().envelope()
    boxes = [extents(f) for f in fixtures] + [(goal.min, goal.max), (envelope.min, envelope.max)]
    build_zone = enclosing(boxes, BUILD_ZONE_PAD * scale, BUILD_ZONE_HEADROOM * scale)
    everything = [(build_zone.min, build_zone.max)] + [(z.min, z.max) for z in forbid]
    bounds = enclosing(everything, (BOUNDS_PAD + BOUNDS_MARGIN) * scale)
    return Scenario(
        fixtures=fixtures, payload=payload, goal=goal, forbid=forbid, build_zone=build_zone, bounds=bounds
    )
'''

SCRIPT_IMPORTS = (
    "{math}import random\n\n"
    "from build123d import {names}\n\n"
    "from benchgen.kit import Fixture, Payload, Scenario, Zone\n"
)


def _constant_line(name: str, value: Any, info: FieldInfo) -> str:
    rendered = repr(round(value, 3)) if isinstance(value, float) else repr(value)
    note = info.description or ""
    extra = info.json_schema_extra
    if isinstance(extra, dict) and "difficulty" in extra:
        note += f" (difficulty: {extra['difficulty']})"
    return f"{name.upper()} = {rendered}  # {note}"


class Family:
    """A parametric scenario family; subclasses set the class attributes and the `body` template."""

    key: ClassVar[str]
    title: ClassVar[str]
    keywords: ClassVar[tuple[str, ...]]
    description: ClassVar[str]
    params_model: ClassVar[type[FamilyParams]]
    build123d_names: ClassVar[tuple[str, ...]] = ("Box", "Pos")
    fixture_labels: ClassVar[tuple[tuple[str, str], ...]]  # (label, what it is)
    payload_shapes: ClassVar[tuple[PayloadShape, ...]] = PAYLOAD_SHAPES
    puzzle: ClassVar[str]
    zones: ClassVar[str]
    body: ClassVar[str]

    def default_params(self) -> FamilyParams:
        return self.params_model()

    def params_from(self, parameters: dict[str, float]) -> FamilyParams:
        """This family's parameters from a plan's number table (indices arrive as floats)."""
        values = {name: round(v) if name in INDEX_PARAMETERS else v for name, v in parameters.items()}
        return self.params_model(**values)

    def unit_of(self, name: str) -> str:
        """The unit a parameter's description starts with ('mm', 'degrees'), else 'ratio'."""
        description = self.params_model.model_fields[name].description or ""
        head = description.split(":", 1)[0]
        return head if head in ("mm", "degrees") and ":" in description else "ratio"

    def render_script(self, params: FamilyParams) -> str:
        """The standalone scenario script for these parameters."""
        if not isinstance(params, self.params_model):
            raise TypeError(f"family {self.key!r} renders {self.params_model.__name__}, got {type(params).__name__}")
        fields = type(params).model_fields
        lines = [
            f'PAYLOAD_SHAPE = "{params.payload_shape.value}"  # sphere, box or cylinder (upright)',
            f'PAYLOAD_MATERIAL = "{params.payload_material}"',
            f'FIXTURE_MATERIAL = "{params.fixture_material}"',
        ]
        lines += [
            _constant_line(name, getattr(params, name), info)
            for name, info in fields.items()
            if name not in INDEX_PARAMETERS
        ]
        header = (
            f'"""{self.title}: {self.puzzle}\n\n'
            f"Rendered by benchgen's offline family {self.key!r}. Every length below is millimetres at scale 1.0;\n"
            "build() moves each by up to +-VARIATION with random.Random(seed) and multiplies it by scale.\n"
            '"""\n\n'
        )
        imports = SCRIPT_IMPORTS.format(
            math="import math\n" if "math." in self.body else "",
            names=", ".join(sorted(set(self.build123d_names) | {"Box", "Pos"})),
        )
        constants = "\n# Plan parameters\n" + "\n".join(lines) + "\n"
        return header + imports + constants + SCRIPT_HELPERS + "\n" + self.body.strip("\n") + "\n"
