"""Run a solution in MuJoCo from the payload's nominal start and every jitter corner, and judge it.

The movers' controls follow their motion profiles (speed from start_time, the servo's set point stops
at the stroke's end). The state is sampled every CHECK_EVERY_STEPS steps: NaN, MuJoCo warnings and
explosive speeds are PHYSICS_UNSTABLE; the payload's box swept between samples must stay inside bounds
and out of forbid zones; a mover may not run into a fixture or part. At the end of the horizon the
payload's centre must be in the goal and have rested there for the rest window. A start ends early
once every mover has stopped and the payload has rested in the goal for the rest window: nothing can
change after that.
"""

import math

import mujoco
import numpy as np
from pydantic import BaseModel, Field

from benchgen.codes import FailureCode
from benchgen.evaluation.report import StartResult
from benchgen.failures import Failure
from benchgen.kit.solution_spec import MoverKind, SolutionSpec
from benchgen.kit.spec import ScenarioSpec, Vec3, ZoneSpec
from benchgen.physics.mjcf import PAYLOAD_GEOM, PAYLOAD_JOINT, MjcfScene, fixture_body_name, forbid_site_name
from benchgen.physics.settle import (
    CHECK_EVERY_STEPS,
    FORBID_TOUCH_MM,
    MAX_SPEED_M_S,
    REST_ANGULAR_SPEED_RAD_S,
    REST_SPEED_M_S,
    REST_WINDOW_S,
    _half_extents_mm,
    _mm,
    compile_scene,
    memory_arena_guard,
)
from benchgen.physics.solution_scene import mover_actuator_name, mover_body_name, part_body_name
from benchgen.units import m_to_mm, mm_to_m

MOVER_INTRUSION_MM = 1.0  # mm; a mover deeper than this inside a fixture or part has run into it
# s after the last mover's motion ends before the mechanism counts as stopped (the servo's settling)
SERVO_SETTLE_S = 0.5
TIME_DECIMALS = 3  # reported times are multiples of the 2 ms step: ms resolution drops float noise


class RunResult(BaseModel):
    starts: list[StartResult] = Field(default_factory=list)
    failures: list[Failure] = Field(default_factory=list)


def simulate_solution(scene: MjcfScene, spec: ScenarioSpec, solution: SolutionSpec) -> RunResult:
    """Raises InvalidGeometry when MuJoCo cannot compile the scene and SceneTooLarge when a run goes over
    MuJoCo's memory arena (the solution's parts are untrusted geometry, as fixtures are)."""
    model = compile_scene(scene, "the scene with the solution")
    data = mujoco.MjData(model)
    result = RunResult()
    for index, start in enumerate(spec.payload.start_positions()):
        run = SolutionRun(model, data, spec, solution, index, start)
        with memory_arena_guard("running the solution", "use fewer or simpler parts near the payload"):
            outcome, failure = run.simulate()
        result.starts.append(outcome)
        if failure is not None:
            result.failures.append(failure)
    return result


class MoverControl:
    """Sets each mover's control (its speed) from its start time: the servo's set point integrates it."""

    def __init__(self, model: mujoco.MjModel, solution: SolutionSpec) -> None:
        self.timestep = float(model.opt.timestep)
        self.movers = [
            (
                model.actuator(mover_actuator_name(m.label)).id,
                round(m.start_time_s / self.timestep),
                math.copysign(
                    mm_to_m(m.speed) if m.kind is MoverKind.SLIDER else math.radians(m.speed), m.stroke
                ),
            )
            for m in solution.movers
        ]

    def next_event(self, step: int) -> int | None:
        """The first step after `step` at which some mover starts."""
        later = [start for _, start, _ in self.movers if start > step]
        return min(later, default=None)

    def apply(self, data: mujoco.MjData, step: int) -> None:
        for actuator, start, speed in self.movers:
            data.ctrl[actuator] = speed if step >= start else 0.0


class SolutionRun:
    """One start: reset, drive the movers, step, sample, judge."""

    def __init__(
        self,
        model: mujoco.MjModel,
        data: mujoco.MjData,
        spec: ScenarioSpec,
        solution: SolutionSpec,
        index: int,
        start: Vec3,
    ) -> None:
        self.model, self.data, self.spec, self.solution = model, data, spec, solution
        self.index, self.start = index, start
        self.control = MoverControl(model, solution)
        joint = model.joint(PAYLOAD_JOINT)
        self.qpos_adr, self.qvel_adr = int(joint.qposadr[0]), int(joint.dofadr[0])
        self.geom_id = model.geom(PAYLOAD_GEOM).id
        self.where = (
            f"nominal start ({_mm(start)}) mm" if index == 0 else f"jitter corner {index} ({_mm(start)}) mm"
        )
        self.bounds_min, self.bounds_max = np.array(spec.bounds.min), np.array(spec.bounds.max)
        self.forbid_min = np.array([z.min for z in spec.forbid]).reshape(-1, 3)
        self.forbid_max = np.array([z.max for z in spec.forbid]).reshape(-1, 3)
        self.mover_geoms, self.obstacle_geoms = _mover_and_obstacle_geoms(model, spec, solution)
        self.motion_end_s = max((m.end_time_s for m in solution.movers), default=0.0) + SERVO_SETTLE_S
        self.max_speed = 0.0
        self.in_goal_since: float | None = None
        self.rest_since: float | None = None

    def simulate(self) -> tuple[StartResult, Failure | None]:
        model, data = self.model, self.data
        mujoco.mj_resetData(model, data)
        data.qpos[self.qpos_adr : self.qpos_adr + 3] = [mm_to_m(c) for c in self.start]
        data.qpos[self.qpos_adr + 3 : self.qpos_adr + 7] = (1.0, 0.0, 0.0, 0.0)
        mujoco.mj_forward(model, data)
        total = round(self.solution.horizon_s / self.control.timestep)
        step, previous_box = 0, self._payload_box_mm()
        while step < total:
            self.control.apply(data, step)
            event = self.control.next_event(step)
            block = min(CHECK_EVERY_STEPS, total - step, (event - step) if event is not None else total)
            mujoco.mj_step(model, data, block)
            step += block
            box = self._payload_box_mm()
            swept = (np.minimum(previous_box[0], box[0]), np.maximum(previous_box[1], box[1]))
            failure = (
                self._check_stable()
                or self._check_bounds(box)
                or self._check_forbid(swept)
                or self._check_movers()
            )
            if failure is not None:
                return self._outcome(failure.code), failure
            previous_box = box
            self._track_goal_and_rest()
            if self._finished():
                break
        failure = self._check_goal()
        return self._outcome(failure.code if failure else None), failure

    # --- state -------------------------------------------------------------------------------------

    def _centre_mm(self) -> Vec3:
        return tuple(m_to_mm(float(c)) for c in self.data.qpos[self.qpos_adr : self.qpos_adr + 3])  # type: ignore[return-value]

    def _payload_box_mm(self) -> tuple[np.ndarray, np.ndarray]:
        rotation = self.data.geom_xmat[self.geom_id].reshape(3, 3)
        half = _half_extents_mm(self.spec.payload, rotation)
        centre = m_to_mm(self.data.qpos[self.qpos_adr : self.qpos_adr + 3])
        return centre - half, centre + half

    def _track_goal_and_rest(self) -> None:
        t = float(self.data.time)
        qvel = self.data.qvel[self.qvel_adr : self.qvel_adr + 6]
        at_rest = (
            np.linalg.norm(qvel[:3]) < REST_SPEED_M_S and np.linalg.norm(qvel[3:]) < REST_ANGULAR_SPEED_RAD_S
        )
        self.rest_since = (self.rest_since if self.rest_since is not None else t) if at_rest else None
        in_goal = self.spec.goal.contains_point(self._centre_mm())
        self.in_goal_since = (
            (self.in_goal_since if self.in_goal_since is not None else t) if in_goal else None
        )

    def _rested_in_goal(self) -> bool:
        t = float(self.data.time)
        return (
            self.in_goal_since is not None
            and self.rest_since is not None
            and t - max(self.rest_since, self.in_goal_since) >= REST_WINDOW_S
        )

    def _finished(self) -> bool:
        return self.data.time >= self.motion_end_s and self._rested_in_goal()

    def _outcome(self, failure: FailureCode | None) -> StartResult:
        reached = failure is None
        return StartResult(
            index=self.index,
            start_mm=self.start,
            final_mm=self._centre_mm(),
            reached_goal=reached,
            time_to_goal_s=round(self.in_goal_since, TIME_DECIMALS)
            if reached and self.in_goal_since is not None
            else None,
            simulated_s=float(self.data.time),
            max_speed_m_s=self.max_speed,
            failure=failure,
        )

    # --- checks ------------------------------------------------------------------------------------

    def _check_stable(self) -> Failure | None:
        data = self.data
        t = float(data.time)
        if not np.all(np.isfinite(data.qpos)) or not np.all(np.isfinite(data.qvel)):
            return self._unstable(f"the state became NaN/inf at t = {t:.2f} s")
        if data.warning.number.any():
            raised = [mujoco.mjtWarning(i).name for i in np.flatnonzero(data.warning.number)]
            return self._unstable(f"MuJoCo raised {', '.join(raised)} at t = {t:.2f} s")
        speed = float(np.linalg.norm(data.qvel[self.qvel_adr : self.qvel_adr + 3]))
        self.max_speed = max(self.max_speed, speed)
        if speed > MAX_SPEED_M_S:
            return self._unstable(
                f"the payload reached {speed:.3g} m/s at t = {t:.2f} s (limit {MAX_SPEED_M_S:g} m/s)"
            )
        return None

    def _unstable(self, what: str) -> Failure:
        return Failure(
            code=FailureCode.PHYSICS_UNSTABLE,
            message=(
                f"{self.where}: simulation unstable: {what}, payload at ({_mm(self._centre_mm())}) mm; "
                "check for parts pinching the payload, or movers faster or stronger than they need to be"
            ),
        )

    def _check_bounds(self, box: tuple[np.ndarray, np.ndarray]) -> Failure | None:
        below, above = self.bounds_min - box[0], box[1] - self.bounds_max
        if below.max() <= 0 and above.max() <= 0:
            return None
        through_min = below.max() >= above.max()
        axis = int(np.argmax(below if through_min else above))
        limit = (self.spec.bounds.min if through_min else self.spec.bounds.max)[axis]
        return Failure(
            code=FailureCode.OUT_OF_BOUNDS,
            message=(
                f"{self.where}: the payload left bounds through {'min' if through_min else 'max'} "
                f"{'xyz'[axis]} = {limit:.0f} mm at t = {self.data.time:.2f} s, centre at "
                f"({_mm(self._centre_mm())}) mm; guide or stop it (a wall, a lip) or push it more gently"
            ),
        )

    def _check_forbid(self, swept: tuple[np.ndarray, np.ndarray]) -> Failure | None:
        if not self.spec.forbid:
            return None
        overlap = np.minimum(swept[1], self.forbid_max) - np.maximum(swept[0], self.forbid_min)
        touched = np.flatnonzero((overlap > FORBID_TOUCH_MM).all(axis=1))
        if not touched.size:
            return None
        zone: ZoneSpec = self.spec.forbid[int(touched[0])]
        return Failure(
            code=FailureCode.FORBID_ZONE_HIT,
            message=(
                f"{self.where}: the payload touched forbid zone {forbid_site_name(zone)!r} "
                f"({_mm(zone.min)})..({_mm(zone.max)}) mm at t = {self.data.time:.2f} s, centre at "
                f"({_mm(self._centre_mm())}) mm; carry it over or around the zone (a bridge, a guide rail)"
            ),
        )

    def _check_movers(self) -> Failure | None:
        """A mover may not pass through a fixture or a part (its joint guides it; nothing stops it)."""
        model, data = self.model, self.data
        for mover_geom, mover in self.mover_geoms:
            for obstacle_geom, obstacle in self.obstacle_geoms:
                distance = mujoco.mj_geomDistance(
                    model, data, mover_geom, obstacle_geom, MOVER_INTRUSION_MM * 1e-3, None
                )
                if m_to_mm(-distance) > MOVER_INTRUSION_MM:
                    return Failure(
                        code=FailureCode.PART_OVERLAPS_FIXTURE,
                        message=(
                            f"{self.where}: mover {mover!r} runs {m_to_mm(-distance):.0f} mm into {obstacle} at "
                            f"t = {data.time:.2f} s; shorten its travel or angle, or move it clear of {obstacle}"
                        ),
                    )
        return None

    def _check_goal(self) -> Failure | None:
        if self._rested_in_goal():
            return None
        goal = self.spec.goal
        centre = self._centre_mm()
        t = float(self.data.time)
        if self.in_goal_since is not None:
            problem = (
                f"is in the goal at t = {t:.1f} s but has not rested there for {REST_WINDOW_S:g} s "
                "(still moving at the end of the horizon); stop it in the goal (a wall, a lip) or ask for a "
                "longer horizon"
            )
        else:
            gaps = [
                (goal.min[i] - centre[i], f"+{'xyz'[i]}")
                if centre[i] < goal.min[i]
                else (centre[i] - goal.max[i], f"-{'xyz'[i]}")
                if centre[i] > goal.max[i]
                else (0.0, "")
                for i in range(3)
            ]
            far = ", ".join(f"{gap:.0f} mm toward {direction}" for gap, direction in gaps if gap > 0)
            problem = (
                f"ends at ({_mm(centre)}) mm at t = {t:.1f} s, outside the goal ({_mm(goal.min)})..({_mm(goal.max)}) mm: "
                f"it must go {far} further; lengthen a mover's travel, or add a ramp or guide"
            )
        return Failure(code=FailureCode.GOAL_NOT_REACHED, message=f"{self.where}: the payload {problem}")


def _mover_and_obstacle_geoms(
    model: mujoco.MjModel, spec: ScenarioSpec, solution: SolutionSpec
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(geom id, mover label) of every mover piece, (geom id, 'fixture x'/'part y') of every obstacle."""
    bodies = {model.body(mover_body_name(m.label)).id: m.label for m in solution.movers}
    obstacles = {model.body(fixture_body_name(f.label)).id: f"fixture {f.label!r}" for f in spec.fixtures}
    obstacles |= {model.body(part_body_name(p.label)).id: f"part {p.label!r}" for p in solution.parts}
    movers, others = [], []
    for geom in range(model.ngeom):
        body = int(model.geom_bodyid[geom])
        if body in bodies:
            movers.append((geom, bodies[body]))
        elif body in obstacles:
            others.append((geom, obstacles[body]))
    return movers, others
