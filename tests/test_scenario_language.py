"""The scenario language: every known way past the import allow-list is a CONTRACT_VIOLATION naming the
construct and its line, and every script benchgen ships or generates is written in the language."""

import importlib
import importlib.util
import inspect
import os
import random
import re
import types
from pathlib import Path

import pytest

from benchgen.agents.prompts import EXAMPLE_SCRIPT, coder_system_prompt
from benchgen.codes import FailureCode
from benchgen.offline.families import FAMILIES
from benchgen.validation import language
from benchgen.validation.static_checks import check_source

REPO = Path(__file__).resolve().parents[1]
SOURCE_CHECK_CORPUS = {"contract_violation_import.py", "contract_violation_translate.py"}  # fail on purpose
FAMILY_SEEDS = range(4)  # parameter draws per offline family (rendering is fast; the sweep builds them)
HEADER = "import random\nimport functools\nimport dataclasses\nimport typing\nimport enum\nimport build123d\n"
HEADER += "from build123d import Box, Compound, Pos\nfrom benchgen.kit import Fixture, Material, Scenario\n\n"
BODY_LINE = HEADER.count("\n") + 2  # the first line of build()'s body

# (what it tries, body of build() (first line at BODY_LINE), the construct the message must name, line offset)
BYPASSES = [
    ("os through random", "return random._os.system('id')", "attribute `_os`", 0),
    ("builtins through functools", "return functools.__builtins__['open']", "attribute `__builtins__`", 0),
    ("os re-exported by build123d", "return build123d.os.system('id')", "`build123d.os`", 0),
    ("sys re-exported by typing", "return typing.sys.modules['os']", "`typing.sys`", 0),
    ("builtins re-exported by dataclasses", "return dataclasses.builtins", "`dataclasses.builtins`", 0),
    ("builtins re-exported by enum", "return enum.bltns", "`enum.bltns`", 0),
    ("a module aliased away from the check", "m = dataclasses\n    return m.sys", "module `dataclasses`", 0),
    ("subclasses of object", "return type(seed).__subclasses__()", "`type`", 0),
    ("subclasses, attribute", "return seed.__class__.__subclasses__()", "attribute `__class__`", 0),
    ("format-string attribute access", "return '{0.__class__}'.format(seed)", "attribute `.format`", 0),
    ("format_map", "return '{x.gi_frame}'.format_map({'x': seed})", "attribute `.format_map`", 0),
    ("a generator's frame", "g = (i for i in [1])\n    return g.gi_frame.f_back", "attribute `.gi_frame`", 1),
    ("a frame's globals", "return seed.f_globals", "attribute `.f_globals`", 0),
    ("a traceback's frame", "return seed.tb_frame", "attribute `.tb_frame`", 0),
    ("a code object", "return seed.gi_code.co_consts", "attribute `.gi_code`", 0),
    (
        "the module inside an AttributeError",
        "try:\n        return seed.nope\n    except AttributeError as e:\n        return e.obj",
        "attribute `.obj`",
        3,
    ),
    ("getattr by name", "return getattr(random, '_os')", "`getattr`", 0),
    ("setattr", "setattr(random, 'x', 1)", "`setattr`", 0),
    ("delattr", "delattr(random, 'x')", "`delattr`", 0),
    ("eval", "return eval('1')", "`eval`", 0),
    ("exec", "exec('x = 1')", "`exec`", 0),
    ("compile", "return compile('1', 'f', 'eval')", "`compile`", 0),
    ("open", "return open('/etc/passwd')", "`open`", 0),
    ("__import__", "return __import__('os')", "name `__import__`", 0),
    ("globals", "return globals()['__builtins__']", "`globals`", 0),
    ("locals", "return locals()", "`locals`", 0),
    ("vars", "return vars(random)", "`vars`", 0),
    ("breakpoint", "breakpoint()", "`breakpoint`", 0),
    ("input", "return input()", "`input`", 0),
    ("the builtins object", "return __builtins__", "name `__builtins__`", 0),
    ("the module loader", "return __loader__.get_data('/etc/passwd')", "name `__loader__`", 0),
    ("a builtin kept in a variable", "f = eval\n    return f('1')", "`eval`", 0),
    (
        "file export from build123d",
        "return build123d.export_stl(Box(1, 1, 1), '/tmp/x.stl')",
        "attribute `.export_stl`",
        0,
    ),
    ("file export as a method", "return Box(1, 1, 1).export_stl('/tmp/x.stl')", "attribute `.export_stl`", 0),
    (
        "fonts read from any path",
        "return Compound.make_text('x', 5, font_path='/etc/passwd')",
        "attribute `.make_text`",
        0,
    ),
    ("OS entropy", "return random.SystemRandom().random()", "`random.SystemRandom`", 0),
    ("string annotations evaluated", "return typing.get_type_hints(build)", "`typing.get_type_hints`", 0),
    (
        "getattr by name in functools",
        "return functools.update_wrapper(seed, random, ('_os',), ())",
        "`functools.update_wrapper`",
        0,
    ),
    ("wraps", "return functools.wraps(random, ('_os',))", "`functools.wraps`", 0),
    ("a class from any namespace", "return typing.TypedDict('T', {'x=1': int})", "`typing.TypedDict`", 0),
    ("an enum written into builtins", "return enum.global_enum(seed)", "`enum.global_enum`", 0),
    (
        "a private keyword argument",
        "return Material.model_rebuild(_parent_namespace_depth=9)",
        "keyword argument `_parent_namespace_depth`",
        0,
    ),
    (
        "a match class pattern reading __class__",
        "match seed:\n        case object(__class__=c):\n            return c",
        "match keyword pattern `__class__`",
        1,
    ),
    (
        "a match class pattern reading a frame",
        "match seed:\n        case object(gi_frame=f):\n            return f",
        "attribute `.gi_frame`",
        1,
    ),
    (
        "a match class pattern reading what __match_args__ names",
        "match seed:\n        case Box(f):\n            return f",
        "`case Box(...)` has a positional sub-pattern",
        1,
    ),
    (
        "an abstract base class widened for the whole program",
        "return typing.Hashable.register(Box)",
        "attribute `.register`",
        0,
    ),
    (
        "a pickle loaded by pydantic",
        "return Material.parse_raw(b'cposix\\nsystem\\n(S\\'id\\'\\ntR.', proto='pickle', allow_pickle=True)",
        "attribute `.parse_raw`",
        0,
    ),
    (
        "private keywords unpacked from a dict",
        "return Material.model_rebuild(**{'_types_namespace': {'float': print}}, force=True)",
        "attribute `.model_rebuild`",
        0,
    ),
    (
        "forward refs resolved in names the caller chooses",
        "return Material.update_forward_refs(float=print)",
        "attribute `.update_forward_refs`",
        0,
    ),
    (
        "a dataclass with special field names",
        "return dataclasses.make_dataclass('G', ['__globals__'])",
        "`dataclasses.make_dataclass`",
        0,
    ),
]

# Classes that isinstance() accepts for any generator, any hashable object (ABCMeta.register), whose
# `__match_args__` name a generator's frame and a frame's globals: positional class patterns read them, and the
# globals hand over the builtins. No name in it is private, special or forbidden as an attribute.
MATCH_ARGS_ESCAPE = """import collections
import collections.abc
import dataclasses


class FrameOf(collections.namedtuple("Fields", "gi_frame"), collections.abc.Sized):
    pass


@dataclasses.dataclass
class GlobalsOf(collections.abc.Sized):
    f_globals: int

    def __len__(self):
        return 0


def steps():
    yield 1


def build(seed, scale=1.0):
    FrameOf.register(collections.abc.Generator)
    GlobalsOf.register(collections.abc.Hashable)
    match steps():
        case FrameOf(frame):
            pass
    match frame:
        case GlobalsOf(namespace):
            return namespace["__builtins__"]["__import__"]("os")
"""


def test_match_args_escape_reaches_os_in_plain_python_and_is_rejected(tmp_path):
    """Run outside any sandbox, the script hands back `os`; the check rejects both class patterns."""
    path = tmp_path / "match_args_escape.py"
    path.write_text(MATCH_ARGS_ESCAPE)
    spec = importlib.util.spec_from_file_location("match_args_escape", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build(0).getcwd is os.getcwd

    failures = check_source(MATCH_ARGS_ESCAPE)
    positional = [f.message for f in failures if "has a positional sub-pattern" in f.message]
    assert [line_of(m) for m in positional] == [26, 29], [f.message for f in failures]


def line_of(message: str) -> int:
    return int(re.match(r"line (\d+):", message).group(1))


def script(body: str) -> str:
    return HEADER + "def build(seed, scale=1.0):\n    " + body + "\n"


@pytest.mark.parametrize("what, body, construct, offset", BYPASSES, ids=[b[0] for b in BYPASSES])
def test_each_bypass_is_a_contract_violation_naming_the_construct_and_line(what, body, construct, offset):
    failures = check_source(script(body))
    assert failures, f"{what}: passed the check"
    assert {f.code for f in failures} == {FailureCode.CONTRACT_VIOLATION}
    named = [f.message for f in failures if construct in f.message]
    assert named, [f.message for f in failures]
    assert line_of(named[0]) == BODY_LINE + offset, named[0]


@pytest.mark.parametrize(
    "source, construct, line",
    [
        ("from build123d import *\n", "`from build123d import *`", 1),
        ("import build123d.exporters\n", "import of 'build123d.exporters'", 1),
        ("from build123d.exporters import ExportSVG\n", "import of 'build123d.exporters'", 1),
        ("from benchgen.kit.exchange import brep_to_shape\n", "import of 'benchgen.kit.exchange'", 1),
        ("import benchgen.kit\nX = benchgen.sandbox\n", "`benchgen.sandbox`", 2),
        ("import collections.abc\nX = collections.abc\n", "module `collections.abc`", 2),
        ("from build123d import export_step\n", "`build123d.export_step`", 1),
        ("from typing import get_type_hints as hints\n", "`typing.get_type_hints`", 1),
        ("from . import kit\n", "import of '.'", 1),
        ("import random as r\nX = r._inst\n", "attribute `_inst`", 2),
        (
            "import functools\n\n@functools.singledispatch\ndef f(x):\n    return x\n",
            "`functools.singledispatch`",
            3,
        ),
        ("def f(x: \"__import__('os')\"):\n    return x\n", "name `__import__`", 1),
        ("def f(x) -> 'a b':\n    return x\n", "the string annotation 'a b'", 1),
        (
            "from benchgen.kit import Material\n\nclass M(Material):\n    x: int = 0\n",
            "derives from benchgen.kit's 'Material'",
            3,
        ),
        ("class A(metaclass=print):\n    pass\n", "passes 'metaclass'", 1),
        ("X = eval\n", "`eval`", 1),
        ("def f(eval):\n    return eval('1')\n", "`eval`", 2),
        ("class A:\n    __slots__ = ()\n", "name `__slots__`", 2),
        ("import random\n\ndef f():\n    random.random = f\n", "`random.random` is assigned", 4),
        (
            "from build123d import Box\n\ndef f():\n    del Box.volume\n",
            "`Box.volume` is assigned or deleted",
            4,
        ),
    ],
)
def test_module_level_bypasses(source, construct, line):
    failures = check_source(source + "\n\ndef build(seed, scale=1.0):\n    return None\n")
    assert {f.code for f in failures} == {FailureCode.CONTRACT_VIOLATION}
    named = [f.message for f in failures if construct in f.message]
    assert named and line_of(named[0]) == line, [f.message for f in failures]


def test_ordinary_python_passes():
    """What scenario code does every day stays in the language: classes, dataclasses, f-strings, comprehensions."""
    source = '''"""A scenario with the usual constructs."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

from build123d import Box, Cylinder, Pos, Rot

from benchgen.kit import Fixture, Payload, Scenario, Zone

class Step(NamedTuple):
    x: float
    height: float


class Side(Enum):
    LEFT = -1
    RIGHT = 1


@dataclass
class Deck:
    width: float
    tags: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.width = max(self.width, 1.0)


def heights(rng: random.Random, count: int) -> Sequence[float]:
    return [rng.uniform(40, 80) for _ in range(count)]


def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    deck = Deck(width=rng.uniform(150, 250) * scale)
    label = f"deck_{Side.LEFT.name.lower()}"
    steps = [Step(x, h) for x, h in zip(itertools.count(0, 100), heights(rng, 2))]
    post = Rot(0, 0, math.degrees(math.pi / 4)) * Cylinder(5 * scale, steps[0].height * scale)
    match steps[0]:
        case Step(x=0, height=h) if h > 0:
            pass
    return Scenario(
        fixtures=[Fixture(label, Pos(0, 0, 40 * scale) * Box(deck.width, 200 * scale, 80 * scale)),
                  Fixture("post", Pos(300 * scale, 0, 40 * scale) * post)],
        payload=Payload.sphere(radius=20 * scale, start=(0, 0, 100 * scale)),
        goal=Zone((200 * scale, -50 * scale, 0), (300 * scale, 50 * scale, 100 * scale)),
        build_zone=Zone((-350 * scale, -200 * scale, 0), (350 * scale, 200 * scale, 300 * scale)),
        bounds=Zone((-400 * scale, -300 * scale, -100 * scale), (400 * scale, 300 * scale, 400 * scale)),
    )
'''
    assert check_source(source) == []


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in sorted((REPO / "examples").glob("*.py")) + sorted((REPO / "tests" / "corpus").glob("*.py"))
        if p.name not in SOURCE_CHECK_CORPUS
    ],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_shipped_scripts_are_in_the_language(path):
    assert check_source(path.read_text()) == []


def test_the_coders_worked_example_is_in_the_language():
    assert check_source(EXAMPLE_SCRIPT) == []


@pytest.mark.parametrize("key", sorted(FAMILIES))
def test_every_offline_family_renders_scripts_in_the_language(key):
    family = FAMILIES[key]
    model = family.params_model
    for draw in FAMILY_SEEDS:
        rng = random.Random(draw)
        values = {name: rng.uniform(*model.bounds_of(name)) for name in model.varied_parameters()}
        values["payload_shape_index"] = draw % 3
        params = family.default_params() if draw == 0 else model(**values)
        assert check_source(family.render_script(params)) == [], (key, draw)


# --- the allow-lists against the real modules -------------------------------------------------------


def test_every_allowed_module_has_its_names():
    assert set(language.MODULE_NAMES) == set(language.ALLOWED_IMPORTS)


@pytest.mark.parametrize("module", language.ALLOWED_IMPORTS)
def test_no_allowed_name_is_a_module_or_a_forbidden_builtin(module):
    import builtins

    forbidden = {id(getattr(builtins, name)) for name in language.FORBIDDEN_BUILTINS}
    loaded = importlib.import_module(module)
    for name in language.MODULE_NAMES[module]:
        value = getattr(loaded, name)  # every allowed name exists
        assert not isinstance(value, types.ModuleType), f"{module}.{name} is a module"
        assert id(value) not in forbidden, f"{module}.{name} is a forbidden builtin"
        assert not name.startswith("_")


FILE_PARAMETER = re.compile(
    r"(^|_)(file|font|stream)", re.IGNORECASE
)  # parameters that name files to read or write


def test_file_io_methods_of_allowed_classes_are_forbidden_attributes():
    """Objects are not typed statically, so a method that reads or writes files is denied by its name."""
    reachable = set()
    for module, names in language.MODULE_NAMES.items():
        loaded = importlib.import_module(module)
        for name in names:
            value = getattr(loaded, name)
            if inspect.isclass(value):
                reachable.update(value.__mro__)
    io_methods = set()
    for cls in reachable:
        for name, member in vars(cls).items():
            if name.startswith("_") or not callable(getattr(member, "__func__", member)):
                continue
            try:
                parameters = inspect.signature(getattr(member, "__func__", member)).parameters
            except (TypeError, ValueError):
                continue
            if any(FILE_PARAMETER.search(p) for p in parameters) or name == "parse_file":
                io_methods.add(name)
    assert io_methods, "the scan found no file methods at all: it is broken"
    allowed = {
        name
        for name in io_methods
        if name not in language.FORBIDDEN_ATTRIBUTES and not name.startswith(language.IO_ATTRIBUTE_PREFIXES)
    }
    assert allowed == set(), f"file I/O methods reachable from allowed classes: {sorted(allowed)}"


def test_frame_and_code_attributes_are_all_forbidden():
    harmless = {"clear", "close", "send", "throw", "aclose", "asend", "athrow", "replace"}
    kinds = (types.FrameType, types.TracebackType, types.GeneratorType, types.CoroutineType)
    kinds += (types.AsyncGeneratorType, types.CodeType)
    exposed = {n for kind in kinds for n in dir(kind) if not n.startswith("_")} - harmless
    assert exposed <= set(language.FORBIDDEN_ATTRIBUTES)


def test_the_contract_and_the_coder_prompt_state_the_language():
    contract = (REPO / "docs" / "scenario-contract.md").read_text()
    prompt = coder_system_prompt()
    assert "## The scenario language" in contract
    for name in language.FORBIDDEN_BUILTINS:
        assert f"`{name}`" in contract and f"`{name}`" in prompt, name
    for module in language.MODULE_NAMES:
        assert f"`{module}`" in contract
    assert "`.format()`" in prompt and "starts with `_`" in prompt
