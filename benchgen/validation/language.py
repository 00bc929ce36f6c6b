"""The scenario language: the subset of Python a scenario script may be written in.

People who load a published benchmark call `build(seed, scale)` on their own machines, outside any
sandbox, so a script must be harmless by construction, not only inside bubblewrap. The language is
defined by allow-lists that a static check (AST, no execution) enforces:

- imports of the allowed modules only, exactly (no submodules, no relative or star imports), and
  from each module only the names listed for it in `MODULE_NAMES` (none of them is a module, does
  I/O or evaluates strings as code);
- an imported module is used only as `module.name`, never as a value (it cannot be aliased away from
  the check);
- no attribute, keyword argument or `match` keyword pattern whose name starts with `_`, and no name
  with `__` on both sides: dunders lead to classes, globals and builtins;
- no positional sub-pattern in a `match` class pattern: it reads the attributes the class's
  `__match_args__` names, which the check cannot see (a namedtuple field named "gi_frame" on a class
  that isinstance() accepts for any object, via ABCMeta.register);
- none of the builtins in `FORBIDDEN_BUILTINS` (dynamic code, reflection, I/O), bound or not;
- none of the attribute names in `FORBIDDEN_ATTRIBUTES` on any object (frames, code objects, format
  strings, the object inside an AttributeError, file I/O methods of the allowed classes);
- no assignment to (or deletion of) attributes of modules or of imported classes;
- no class built on a `benchgen.kit` class or with a metaclass, and string annotations are checked as
  the code they stand for.
"""

import ast
from dataclasses import dataclass, field

from benchgen.codes import FailureCode
from benchgen.failures import Failure

ALLOWED_IMPORTS = (
    "build123d",
    "benchgen.kit",
    "math",
    "random",
    "typing",
    "dataclasses",
    "itertools",
    "functools",
    "collections",
    "collections.abc",
    "enum",
    "__future__",
)


def _names(text: str) -> frozenset[str]:
    """A set of names written as one whitespace-separated block (long lists stay readable)."""
    return frozenset(text.split())


# Names a script may take from each allowed module (`from m import name` or `m.name`). Left out:
# modules re-exported by a module (build123d.os, typing.sys, dataclasses.builtins, enum.bltns), file
# I/O (build123d's exporters, importers, fonts and text), string evaluation (typing.get_type_hints,
# ForwardRef, functools.singledispatch), getattr/setattr by name (functools.update_wrapper, wraps),
# class factories over arbitrary namespaces or field names (typing.TypedDict, enum's metaclasses,
# dataclasses.make_dataclass, which takes "__globals__" as a field name), writes into other modules
# (enum.global_enum and friends) and OS entropy (random.SystemRandom).
MODULE_NAMES: dict[str, frozenset[str]] = {
    "build123d": _names(
        """
        Airfoil Align AngularDirection ApproxOption Arrow ArrowHead Axis BSpline BallJoint
        BaseCurveObject BaseEdgeObject BaseLineObject BasePartObject BaseSketchObject Bezier
        BlendCurve BoundBox Box BuildLine BuildPart BuildSketch CM CenterArc CenterOf Circle Color
        Compound Cone ConstrainedArcs ConstrainedLines ContinuityLevel ConvexPolyhedron Convexity
        CounterBoreHole CounterSinkHole Curve Cylinder CylindricalJoint DotLength DoubleTangentArc
        DraftAngleError Edge Ellipse EllipticalCenterArc EllipticalStartArc Extrinsic FT Face
        FilletPolyline FontStyle FrameMethod G G_PER_LB GeomType GridLocations HeadType Helix
        HexLocations Hole HyperbolicCenterArc IN IntersectingLine Intrinsic JernArc Joint KG Keep
        Kind LB LengthMode Line LineType LinearJoint Location Locations M MC MM Matrix MeshType Mode
        NumberDisplay OrientedBoundBox PageSize ParabolicCenterArc Part Plane PolarLine
        PolarLocations Polygon Polyline Pos PositionMode PrecisionMode RadiusArc Rectangle
        RectangleRounded RegularPolygon RevoluteJoint RigidJoint Rot Rotation RotationLike Sagitta
        SagittaArc Select ShapeList Shell Side Sketch SlotArc SlotCenterPoint SlotCenterToCenter
        SlotOverall Solid SortBy Sphere Spline Superellipse THOU Tangency TangentArc TextAlign
        ThreePointArc Torus Transition Trapezoid Triangle UNITS_PER_KILOGRAM UNITS_PER_METER Unit
        Until Vector VectorLike Vertex Wedge Wire add bounding_box chamfer delta detect_primitives
        draft edge edges edges_to_wires extrude face faces fillet full_round insert loft
        make_brake_formed make_face make_hull mirror new_edges offset pack polar project
        project_workplane revolve scale section solid solids split sweep thicken topo_distance_to
        topo_explore_common_vertex topo_explore_connected_edges trace vertex vertices wire wires
        """
    ),
    "benchgen.kit": _names(
        """
        ContractViolation Fixture InvalidGeometry KitError MATERIALS Material Payload Scenario Zone
        ZoneInvalid
        """
    ),
    "math": _names(
        """
        acos acosh asin asinh atan atan2 atanh cbrt ceil comb copysign cos cosh degrees dist e erf
        erfc exp exp2 expm1 fabs factorial floor fmod frexp fsum gamma gcd hypot inf isclose
        isfinite isinf isnan isqrt lcm ldexp lgamma log log10 log1p log2 modf nan nextafter perm pi
        pow prod radians remainder sin sinh sqrt tan tanh tau trunc ulp
        """
    ),
    "random": _names(
        """
        Random betavariate choice choices expovariate gammavariate gauss getrandbits getstate
        lognormvariate normalvariate paretovariate randbytes randint random randrange sample seed
        setstate shuffle triangular uniform vonmisesvariate weibullvariate
        """
    ),
    "typing": _names(
        """
        AbstractSet Annotated Any AnyStr AsyncContextManager AsyncGenerator AsyncIterable
        AsyncIterator Awaitable BinaryIO ByteString Callable ChainMap ClassVar Collection
        Concatenate Container ContextManager Coroutine Counter DefaultDict Deque Dict Final
        FrozenSet Generator Generic Hashable IO ItemsView Iterable Iterator KeysView List Literal
        LiteralString Mapping MappingView Match MutableMapping MutableSequence MutableSet NamedTuple
        Never NewType NoReturn NotRequired Optional OrderedDict ParamSpec ParamSpecArgs
        ParamSpecKwargs Pattern Protocol Required Reversible Self Sequence Set Sized SupportsAbs
        SupportsBytes SupportsComplex SupportsFloat SupportsIndex SupportsInt SupportsRound
        TYPE_CHECKING Text TextIO Tuple Type TypeAlias TypeGuard TypeVar TypeVarTuple Union Unpack
        ValuesView assert_never assert_type cast clear_overloads dataclass_transform final get_args
        get_origin get_overloads is_typeddict no_type_check no_type_check_decorator overload
        reveal_type runtime_checkable
        """
    ),
    "dataclasses": _names(
        """
        Field FrozenInstanceError InitVar KW_ONLY MISSING asdict astuple dataclass field fields
        is_dataclass replace
        """
    ),
    "itertools": _names(
        """
        accumulate chain combinations combinations_with_replacement compress count cycle dropwhile
        filterfalse groupby islice pairwise permutations product repeat starmap takewhile tee
        zip_longest
        """
    ),
    "functools": _names(
        """
        cache cached_property cmp_to_key lru_cache partial partialmethod reduce total_ordering
        """
    ),
    "collections": _names(
        """
        ChainMap Counter OrderedDict UserDict UserList UserString defaultdict deque namedtuple
        """
    ),
    "collections.abc": _names(
        """
        AsyncGenerator AsyncIterable AsyncIterator Awaitable ByteString Callable Collection
        Container Coroutine Generator Hashable ItemsView Iterable Iterator KeysView Mapping
        MappingView MutableMapping MutableSequence MutableSet Reversible Sequence Set Sized
        ValuesView
        """
    ),
    "enum": _names(
        """
        CONFORM CONTINUOUS EJECT Enum EnumCheck Flag FlagBoundary IntEnum IntFlag KEEP NAMED_FLAGS
        ReprEnum STRICT StrEnum UNIQUE auto member nonmember property unique verify
        """
    ),
    "__future__": _names(
        """
        absolute_import annotations division generator_stop generators nested_scopes print_function
        unicode_literals with_statement
        """
    ),
}

DYNAMIC_CODE = "it runs or builds code from data"
REFLECTION = "it reads or writes attributes and namespaces by name"
INTERACTIVE = "it does I/O or interacts with the user"
# Builtins a script may not name at all: not called, not bound, not passed around.
FORBIDDEN_BUILTINS: dict[str, str] = {
    "eval": DYNAMIC_CODE,
    "exec": DYNAMIC_CODE,
    "compile": DYNAMIC_CODE,
    "type": "it builds classes from any namespace (`type(name, bases, dict)`); use isinstance()",
    "getattr": REFLECTION,
    "setattr": REFLECTION,
    "delattr": REFLECTION,
    "globals": REFLECTION,
    "locals": REFLECTION,
    "vars": REFLECTION,
    "open": INTERACTIVE,
    "input": INTERACTIVE,
    "breakpoint": INTERACTIVE,
    "help": INTERACTIVE,
    "exit": INTERACTIVE,
    "quit": INTERACTIVE,
    "copyright": INTERACTIVE,
    "credits": INTERACTIVE,
    "license": INTERACTIVE,
    "memoryview": "it exposes raw memory",
}

INTROSPECTION = "frames, tracebacks, generators and code objects lead to globals and builtins"
FILE_IO = "it reads or writes files"
FORBIDDEN_ATTRIBUTES: dict[str, str] = {
    **dict.fromkeys(
        _names(
            """
        f_back f_builtins f_code f_globals f_lasti f_lineno f_locals f_trace f_trace_lines
        f_trace_opcodes tb_frame tb_lasti tb_lineno tb_next gi_code gi_frame gi_running
        gi_suspended gi_yieldfrom cr_await cr_code cr_frame cr_origin cr_running cr_suspended
        ag_await ag_code ag_frame ag_running co_argcount co_cellvars co_code co_consts
        co_exceptiontable co_filename co_firstlineno co_flags co_freevars co_kwonlyargcount
        co_lines co_linetable co_lnotab co_name co_names co_nlocals co_positions
        co_posonlyargcount co_qualname co_stacksize co_varnames
        """
        ),
        INTROSPECTION,
    ),
    "format": "format strings read any attribute (`'{0.__class__}'.format(x)`); use an f-string",
    "format_map": "format strings read any attribute; use an f-string",
    "obj": "AttributeError.obj hands back the object of a failed lookup, e.g. a module",
    "modules": "module registries reach every loaded module",
    "environ": "it reads the environment",
    "getenv": "it reads the environment",
    "system": "it runs programs",
    "popen": "it runs programs",
    "make_text": FILE_IO + " (fonts)",
    "resolve_font": FILE_IO + " (fonts)",
    "parse_file": FILE_IO,
    "register": "ABCMeta.register changes isinstance() for the class in the user's whole program",
    "parse_raw": "pydantic unpickles the bytes (`proto='pickle', allow_pickle=True`): it runs any code",
    "model_rebuild": "pydantic re-evaluates the kit's annotations in a namespace the caller chooses",
    "update_forward_refs": "pydantic re-evaluates the kit's annotations in a namespace the caller chooses",
    "tofile": FILE_IO,
}
IO_ATTRIBUTE_PREFIXES = ("export", "import_")  # exporters and importers of geometry files, on any object
# The module's name is a plain string (a __main__ block is reported on its own).
SPECIAL_NAME_EXEMPT = frozenset({"__name__"})
KIT_MODULE = "benchgen.kit"

# ----------------------------------------------------------------------------------------------------
# Message templates
# ----------------------------------------------------------------------------------------------------

SOURCE_BAD_IMPORT = "line {line}: import of {module!r} is not allowed; scripts may import only {allowed}"
LANGUAGE_BUILTIN = (
    "line {line}: `{name}` is not part of the scenario language ({why}); published scripts run outside "
    "any sandbox: remove it"
)
LANGUAGE_STAR_IMPORT = "line {line}: `from {module} import *` is not allowed; import each name you use"
LANGUAGE_MODULE_NAME = (
    "line {line}: `{module}.{name}` is not part of the scenario language (it is a module, does I/O or "
    "evaluates code); see the names allowed from {module} in docs/scenario-contract.md"
)
LANGUAGE_MODULE_VALUE = (
    "line {line}: module `{module}` used as a value; use it only as `{module}.<name>` so the check can "
    "see what is used"
)
LANGUAGE_PRIVATE = (
    "line {line}: {what} `{name}` starts with '_'; scenario scripts may not reach private or special "
    "attributes"
)
LANGUAGE_SPECIAL_NAME = (
    "line {line}: name `{name}` is special ('__' on both sides); scenario scripts may not use special names"
)
LANGUAGE_ATTRIBUTE = (
    "line {line}: attribute `.{name}` is not part of the scenario language ({why}); remove it"
)
LANGUAGE_IO_ATTRIBUTE = (
    "line {line}: attribute `.{name}` exports or imports files; scenario scripts do no I/O: remove it"
)
LANGUAGE_PATCH = (
    "line {line}: `{target}` is assigned or deleted; a script may not change modules or library classes "
    "(it would change them in the user's program too)"
)
LANGUAGE_KIT_SUBCLASS = (
    "line {line}: class {name!r} derives from benchgen.kit's {base!r}; kit classes are not subclassed "
    "(Material is a pydantic model, which evaluates its annotations): build the scene from kit objects"
)
LANGUAGE_METACLASS = (
    "line {line}: class {name!r} passes {keyword!r} to its class statement; scenario classes take no "
    "metaclass or class keywords"
)
LANGUAGE_MATCH_POSITIONAL = (
    "line {line}: `case {cls}(...)` has a positional sub-pattern, which reads attributes named by "
    "{cls}.__match_args__ that the check cannot see; name them: `case {cls}(field=value)`"
)
LANGUAGE_ANNOTATION = "line {line}: the string annotation {text!r} is not a Python expression: {error}"


def _violation(template: str, **fields) -> Failure:
    return Failure(code=FailureCode.CONTRACT_VIOLATION, message=template.format(**fields))


def _allowed_list() -> str:
    return ", ".join(ALLOWED_IMPORTS[:-1])


def _is_module_path(path: str) -> bool:
    """An allowed module, or a package on the way to one (`benchgen` of `benchgen.kit`)."""
    return any(module == path or module.startswith(path + ".") for module in ALLOWED_IMPORTS)


def _is_special(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


@dataclass
class _Modules:
    """Names the script bound to modules (by import), and names it took from modules (and from the kit)."""

    bound: dict[str, str] = field(default_factory=dict)  # name -> module path
    imported_names: set[str] = field(default_factory=set)
    kit_names: set[str] = field(default_factory=set)


def check_language(tree: ast.Module) -> list[Failure]:
    """Every construct of `tree` outside the scenario language, one failure each, in source order."""
    modules = _Modules()
    failures = _check_imports(tree, modules)
    failures += _check_nodes(tree, modules)
    return sorted(failures, key=_line_of)


def _line_of(failure: Failure) -> int:
    head = failure.message.split(":", 1)[0]
    return int(head.removeprefix("line ")) if head.startswith("line ") else 0


def _check_imports(tree: ast.Module, modules: _Modules) -> list[Failure]:
    failures = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name not in ALLOWED_IMPORTS:
                    failures.append(
                        _violation(
                            SOURCE_BAD_IMPORT, line=node.lineno, module=alias.name, allowed=_allowed_list()
                        )
                    )
                elif alias.asname:
                    modules.bound[alias.asname] = alias.name
                else:
                    root = alias.name.split(".", 1)[0]
                    modules.bound[root] = root
        elif isinstance(node, ast.ImportFrom):
            failures += _check_import_from(node, modules)
    return failures


def _check_import_from(node: ast.ImportFrom, modules: _Modules) -> list[Failure]:
    module = node.module or ""
    if node.level or module not in ALLOWED_IMPORTS:
        shown = "." * node.level + module
        return [_violation(SOURCE_BAD_IMPORT, line=node.lineno, module=shown, allowed=_allowed_list())]
    failures = []
    for alias in node.names:
        bound = alias.asname or alias.name
        if alias.name == "*":
            failures.append(_violation(LANGUAGE_STAR_IMPORT, line=node.lineno, module=module))
        elif _is_module_path(f"{module}.{alias.name}"):
            modules.bound[bound] = f"{module}.{alias.name}"
        elif alias.name not in MODULE_NAMES[module]:
            failures.append(
                _violation(LANGUAGE_MODULE_NAME, line=node.lineno, module=module, name=alias.name)
            )
        else:
            modules.imported_names.add(bound)
            if module == KIT_MODULE:
                modules.kit_names.add(bound)
    return failures


def _module_path(node: ast.expr, modules: _Modules) -> str | None:
    """The module an expression names (`random`, `benchgen.kit`), or None when it is not a module."""
    if isinstance(node, ast.Name):
        return modules.bound.get(node.id)
    if isinstance(node, ast.Attribute):
        parent = _module_path(node.value, modules)
        if parent is not None and _is_module_path(f"{parent}.{node.attr}"):
            return f"{parent}.{node.attr}"
    return None


def _check_nodes(tree: ast.AST, modules: _Modules) -> list[Failure]:
    failures: list[Failure] = []
    attribute_bases = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            failures += _check_name(node, modules, id(node) in attribute_bases)
        elif isinstance(node, ast.Attribute):
            failures += _check_attribute(node, modules, id(node) in attribute_bases)
        elif isinstance(node, ast.keyword) and node.arg and node.arg.startswith("_"):
            failures.append(
                _violation(LANGUAGE_PRIVATE, line=node.lineno, what="keyword argument", name=node.arg)
            )
        elif isinstance(node, ast.MatchClass):
            if node.patterns:
                failures.append(
                    _violation(LANGUAGE_MATCH_POSITIONAL, line=node.lineno, cls=ast.unparse(node.cls))
                )
            failures += [
                failure
                for name in node.kwd_attrs
                for failure in _attribute_name_failures(name, node.lineno, "match keyword pattern")
            ]
        elif isinstance(node, ast.ClassDef):
            failures += _check_class(node, modules)
        elif isinstance(node, (ast.AnnAssign, ast.arg, ast.FunctionDef, ast.AsyncFunctionDef)):
            annotation = (
                node.returns if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else node.annotation
            )
            failures += _check_string_annotations(annotation, modules)
    return failures


def _check_name(node: ast.Name, modules: _Modules, is_attribute_base: bool) -> list[Failure]:
    if node.id in FORBIDDEN_BUILTINS:
        return [_violation(LANGUAGE_BUILTIN, line=node.lineno, name=node.id, why=FORBIDDEN_BUILTINS[node.id])]
    if _is_special(node.id) and node.id not in SPECIAL_NAME_EXEMPT:
        return [_violation(LANGUAGE_SPECIAL_NAME, line=node.lineno, name=node.id)]
    if node.id in modules.bound and isinstance(node.ctx, ast.Load) and not is_attribute_base:
        return [_violation(LANGUAGE_MODULE_VALUE, line=node.lineno, module=modules.bound[node.id])]
    return []


def _attribute_name_failures(name: str, line: int, what: str) -> list[Failure]:
    if name.startswith("_"):
        return [_violation(LANGUAGE_PRIVATE, line=line, what=what, name=name)]
    if name in FORBIDDEN_ATTRIBUTES:
        return [_violation(LANGUAGE_ATTRIBUTE, line=line, name=name, why=FORBIDDEN_ATTRIBUTES[name])]
    if name.startswith(IO_ATTRIBUTE_PREFIXES):
        return [_violation(LANGUAGE_IO_ATTRIBUTE, line=line, name=name)]
    return []


def _check_attribute(node: ast.Attribute, modules: _Modules, is_attribute_base: bool) -> list[Failure]:
    failures = _attribute_name_failures(node.attr, node.lineno, "attribute")
    if failures:
        return failures
    parent = _module_path(node.value, modules)
    library_object = parent is not None or (
        isinstance(node.value, ast.Name) and node.value.id in modules.imported_names
    )
    if library_object and not isinstance(node.ctx, ast.Load):
        return [_violation(LANGUAGE_PATCH, line=node.lineno, target=ast.unparse(node))]
    if parent is None:
        return []
    if _is_module_path(f"{parent}.{node.attr}"):
        if is_attribute_base or not isinstance(node.ctx, ast.Load):
            return []
        return [_violation(LANGUAGE_MODULE_VALUE, line=node.lineno, module=f"{parent}.{node.attr}")]
    if node.attr not in MODULE_NAMES.get(parent, frozenset()):
        return [_violation(LANGUAGE_MODULE_NAME, line=node.lineno, module=parent, name=node.attr)]
    return []


def _check_class(node: ast.ClassDef, modules: _Modules) -> list[Failure]:
    failures = [
        _violation(LANGUAGE_METACLASS, line=node.lineno, name=node.name, keyword=keyword.arg or "**")
        for keyword in node.keywords
    ]
    for base in node.bases:
        if isinstance(base, ast.Name) and base.id in modules.kit_names:
            name = base.id
        elif isinstance(base, ast.Attribute) and _module_path(base.value, modules) == KIT_MODULE:
            name = base.attr
        else:
            continue
        failures.append(_violation(LANGUAGE_KIT_SUBCLASS, line=node.lineno, name=node.name, base=name))
    return failures


def _check_string_annotations(annotation: ast.expr | None, modules: _Modules) -> list[Failure]:
    """A string annotation is code that typing tools evaluate later: check it as the code it holds."""
    if annotation is None:
        return []
    failures = []
    for node in ast.walk(annotation):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        try:
            parsed = ast.parse(node.value.strip(), mode="eval")
        except SyntaxError as exc:
            failures.append(_violation(LANGUAGE_ANNOTATION, line=node.lineno, text=node.value, error=exc.msg))
            continue
        ast.increment_lineno(parsed, node.lineno - 1)
        failures += _check_nodes(parsed, modules)
    return failures
