"""A scenario's MJCF plus a solution: static parts welded to the world, movers on driven joints.

Naming conventions (the evaluator and the renderer rely on them):

- static part: world body `part_<label>` with geoms `part_<label>_<i>` (one per convex piece, the same
  decomposition as fixtures), coloured and rubbed by the part's material.
- mover: body `mover_<label>` (placed at its reference point: a slider's bounding-box centre, a hinge's
  pivot) with joint `mover_<label>_joint` (slide or hinge along `axis`) and geoms `mover_<label>_<i>`
  drawn in MOVER_RGBA. Its actuator `mover_<label>` is a position servo whose set point integrates the
  control (a velocity): the evaluator sets the control to the mover's speed from its start time, and the
  set point stops at the end of the stroke (actrange). The servo's force (torque) is limited to the
  mover's effort.
- movers are guided by their joints: they collide with the payload only, not with fixtures or parts
  (the evaluator checks that they do not run into them), and their guides carry their weight (gravcomp).

Opened alone (`python -m mujoco.viewer --mjcf scene.xml`), the controls are the movers' speeds.
"""

import math
from xml.etree import ElementTree as ET

import numpy as np

from benchgen.kit.materials import MATERIALS
from benchgen.kit.solution_spec import MoverKind, MoverSpec, SolidSpec, SolutionSpec
from benchgen.kit.spec import ScenarioSpec
from benchgen.physics.meshing import fixture_pieces
from benchgen.physics.mjcf import (
    PAYLOAD_GEOM,
    ROLLING_FRICTION_M,
    TIMESTEP_S,
    TORSIONAL_FRICTION_M,
    MjcfScene,
    _num,
    _vec,
    build_mjcf,
)
from benchgen.units import mm_to_m

MOVER_RGBA = (1.0, 0.45, 0.05, 1.0)  # vivid orange: no material uses it, so movers stand out in renders
# Collision bits: the payload collides with everything; movers only with the payload.
PAYLOAD_CONAFFINITY = 3
MOVER_CONTYPE = 2
MOVER_CONAFFINITY = 0
# The servo: a second-order tracker at this bandwidth on the mover's effective inertia (its mass plus the
# motor's reflected inertia, the joint's armature), critically damped.
SERVO_BANDWIDTH_HZ = 8.0  # Hz; the set point is followed within ~20 ms
SLIDER_ARMATURE_KG = 1.0  # kg of reflected motor inertia on every slider
HINGE_ARMATURE_KG_M2 = 0.01  # kg*m^2 of reflected motor inertia on every hinge
# The set point may overshoot the stroke's ends by nothing; the joint's travel may by this much, so that
# a servo that lags or overshoots a little never slams into a hard stop.
JOINT_RANGE_MARGIN = 0.05  # fraction of the stroke


def part_body_name(label: str) -> str:
    return f"part_{label}"


def mover_body_name(label: str) -> str:
    return f"mover_{label}"


def mover_joint_name(label: str) -> str:
    return f"mover_{label}_joint"


def mover_actuator_name(label: str) -> str:
    return f"mover_{label}"


def mover_reference_mm(mover: MoverSpec) -> tuple[float, float, float]:
    """Where a mover's body frame sits: a hinge's pivot, a slider's bounding-box centre."""
    if mover.pivot is not None:
        return mover.pivot
    return mover.bbox.center


def build_solution_mjcf(
    spec: ScenarioSpec,
    breps: dict[str, bytes],
    solution: SolutionSpec,
    solution_breps: dict[str, bytes],
    timestep_s: float = TIMESTEP_S,
) -> MjcfScene:
    """The scenario's scene with the solution added; raises InvalidGeometry when a part cannot be meshed."""
    base = build_mjcf(spec, breps, timestep_s)
    root = ET.fromstring(base.xml)
    root.set("model", "benchgen_solution")
    root.find("option").set("integrator", "implicitfast")  # the servos' damping, integrated implicitly
    asset, world = root.find("asset"), root.find("worldbody")
    assets = dict(base.assets)
    world.find(f".//geom[@name='{PAYLOAD_GEOM}']").set("conaffinity", str(PAYLOAD_CONAFFINITY))
    for part in solution.parts:
        body = ET.SubElement(world, "body", name=part_body_name(part.label))
        _add_pieces(asset, body, assets, part, solution_breps[part.label], (0.0, 0.0, 0.0), {})
    actuators = ET.SubElement(root, "actuator")
    for mover in solution.movers:
        _add_mover(asset, world, actuators, assets, mover, solution_breps[mover.label])
    ET.indent(root)
    return MjcfScene(xml=ET.tostring(root, encoding="unicode"), assets=assets)


def _add_pieces(
    asset: ET.Element,
    body: ET.Element,
    assets: dict[str, bytes],
    solid: SolidSpec,
    brep: bytes,
    origin_mm: tuple[float, float, float],
    extra: dict[str, str],
) -> None:
    material = MATERIALS[solid.material]
    prefix = body.get("name")
    for index, piece in enumerate(fixture_pieces(solid.label, brep)):
        name = f"{prefix}_{index}"
        local = piece.copy()
        local.vertices = mm_to_m(piece.vertices - np.array(origin_mm))
        assets[f"{name}.stl"] = local.export(file_type="stl")
        ET.SubElement(asset, "mesh", name=name, file=f"{name}.stl")
        attributes = {
            "name": name,
            "type": "mesh",
            "mesh": name,
            "rgba": _vec(material.rgba),
            "friction": _vec((material.friction, TORSIONAL_FRICTION_M, ROLLING_FRICTION_M)),
            "density": _num(material.density_kg_m3),
        }
        ET.SubElement(body, "geom", {**attributes, **extra})


def _add_mover(
    asset: ET.Element,
    world: ET.Element,
    actuators: ET.Element,
    assets: dict[str, bytes],
    mover: MoverSpec,
    brep: bytes,
) -> None:
    reference = mover_reference_mm(mover)
    body = ET.SubElement(
        world,
        "body",
        name=mover_body_name(mover.label),
        pos=_vec(mm_to_m(c) for c in reference),
        gravcomp="1",
    )
    slider = mover.kind is MoverKind.SLIDER
    stroke = mm_to_m(mover.stroke) if slider else math.radians(mover.stroke)
    speed = mm_to_m(mover.speed) if slider else math.radians(mover.speed)
    lo, hi = sorted((0.0, stroke))
    margin = JOINT_RANGE_MARGIN * abs(stroke)
    armature = SLIDER_ARMATURE_KG if slider else HINGE_ARMATURE_KG_M2
    ET.SubElement(
        body,
        "joint",
        name=mover_joint_name(mover.label),
        type="slide" if slider else "hinge",
        axis=_vec(mover.axis),
        range=_vec((lo - margin, hi + margin)),
        limited="true",
        armature=_num(armature),
    )
    _add_pieces(
        asset,
        body,
        assets,
        mover,
        brep,
        reference,
        {"rgba": _vec(MOVER_RGBA), "contype": str(MOVER_CONTYPE), "conaffinity": str(MOVER_CONAFFINITY)},
    )
    inertia = armature + _own_inertia(mover, reference, slider)
    omega = 2 * math.pi * SERVO_BANDWIDTH_HZ
    kp, kv = inertia * omega**2, 2 * inertia * omega
    ET.SubElement(
        actuators,
        "general",
        name=mover_actuator_name(mover.label),
        joint=mover_joint_name(mover.label),
        dyntype="integrator",
        gainprm=_num(kp),
        biastype="affine",
        biasprm=_vec((0.0, -kp, -kv)),
        actlimited="true",
        actrange=_vec((lo, hi)),
        ctrllimited="true",
        ctrlrange=_vec((-speed, speed)),
        forcelimited="true",
        forcerange=_vec((-mover.effort, mover.effort)),
    )


def _own_inertia(mover: MoverSpec, reference: tuple[float, float, float], slider: bool) -> float:
    """A slider's mass (kg), or a hinge's inertia about its pivot estimated from its box (kg*m^2)."""
    if slider:
        return mover.mass_kg
    corners = np.array(
        [
            [x, y, z]
            for x in (mover.bbox_min[0], mover.bbox_max[0])
            for y in (mover.bbox_min[1], mover.bbox_max[1])
            for z in (mover.bbox_min[2], mover.bbox_max[2])
        ]
    )
    reach_m = mm_to_m(float(np.linalg.norm(corners - np.array(reference), axis=1).max()))
    return mover.mass_kg * reach_m**2 / 3  # a rod of the mover's mass turning about one end
