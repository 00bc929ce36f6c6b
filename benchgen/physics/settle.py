"""Leave the payload alone under gravity from each start and judge what happens to it.

Each start (the nominal one, then the corners of the jitter envelope) runs `duration_s` of simulated
time in one reused MjModel. The state is sampled every `check_every_steps` steps; between samples the
payload's box is swept (union of both samples) so a fast payload cannot skip over a forbid zone.
A start stops early at its first failure. Positions in settings and outcomes are millimetres, speeds
metres per second, as MuJoCo reports them.
"""

import math
from collections.abc import Iterator
from contextlib import contextmanager

import mujoco
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from benchgen.codes import FailureCode
from benchgen.failures import Failure
from benchgen.kit.errors import InvalidGeometry
from benchgen.kit.spec import PayloadShape, PayloadSpec, ScenarioSpec, Vec3
from benchgen.physics.budget import MAX_CONTACTS, SceneTooLarge, check_count
from benchgen.physics.mjcf import (
    GRAVITY_M_S2,
    PAYLOAD_GEOM,
    PAYLOAD_JOINT,
    TIMESTEP_S,
    MjcfScene,
    forbid_site_name,
)
from benchgen.units import m_to_mm, mm_to_m

SETTLE_DURATION_S = 3.0  # s of simulated time per start
CHECK_EVERY_STEPS = 10  # steps between state samples (20 ms at 2 ms steps); fewer samples, less Python
REST_SPEED_M_S = 1e-3  # m/s; below this the payload's centre counts as at rest (dm_control's tolerance)
REST_ANGULAR_SPEED_RAD_S = 0.05  # rad/s; a 20 mm ball rolling at 1e-3 m/s turns at 0.05 rad/s
REST_WINDOW_S = 0.5  # s; the payload must stay at rest this long, up to the end, to count as settled
MAX_SPEED_M_S = 100.0  # m/s; faster than this is a numerical explosion
# Total (kinetic + gravitational) energy may rise above its start value by at most this fraction of
# m * g * L (L: the payload's largest dimension) before we call the simulation unstable.
ENERGY_GROWTH_TOLERANCE = 0.1  # dimensionless
DEEP_PENETRATION_MM = 2.0  # mm; a contact deeper than this at t=0 means the payload spawned inside a fixture
# Below this vertical component of the contact normal, raising the start does not clear a penetration.
MIN_NORMAL_Z_FOR_RAISE = 0.3  # dimensionless
FORBID_TOUCH_MM = 0.1  # mm; the payload's box must overlap a forbid zone by more than this on every axis


class SettleSettings(BaseModel):
    """Thresholds of the settle check; every default is a named module constant with its unit."""

    model_config = ConfigDict(frozen=True)

    duration_s: float = Field(default=SETTLE_DURATION_S, gt=0, description="Simulated seconds per start.")
    timestep_s: float = Field(default=TIMESTEP_S, gt=0, le=TIMESTEP_S, description="MuJoCo timestep, s.")
    check_every_steps: int = Field(default=CHECK_EVERY_STEPS, ge=1, description="Steps between samples.")
    rest_speed_m_s: float = Field(default=REST_SPEED_M_S, gt=0, description="Linear rest speed, m/s.")
    rest_angular_speed_rad_s: float = Field(default=REST_ANGULAR_SPEED_RAD_S, gt=0, description="rad/s.")
    rest_window_s: float = Field(default=REST_WINDOW_S, gt=0, description="Rest must last this long, s.")
    max_speed_m_s: float = Field(default=MAX_SPEED_M_S, gt=0, description="Explosion speed, m/s.")
    energy_growth_tolerance: float = Field(
        default=ENERGY_GROWTH_TOLERANCE, ge=0, description="Allowed energy rise, fraction of m*g*L."
    )
    deep_penetration_mm: float = Field(default=DEEP_PENETRATION_MM, gt=0, description="Depth at t=0, mm.")
    forbid_touch_mm: float = Field(default=FORBID_TOUCH_MM, ge=0, description="Forbid overlap, mm.")

    @model_validator(mode="after")
    def _window_fits(self) -> "SettleSettings":
        if self.rest_window_s >= self.duration_s:
            raise ValueError(
                f"rest_window_s={self.rest_window_s} must be shorter than duration_s={self.duration_s}"
            )
        return self


class StartOutcome(BaseModel):
    """What happened to the payload left alone from one start."""

    index: int = Field(description="0 is the nominal start; 1.. are jitter-envelope corners.")
    start_mm: Vec3
    final_mm: Vec3
    settled: bool
    settle_time_s: float | None = Field(description="Simulated time from which the payload stayed at rest.")
    simulated_s: float = Field(description="Simulated time run (shorter when a failure stopped the start).")
    max_speed_m_s: float
    drift_mm: float = Field(description="Distance from start to final centre, mm.")
    min_contact_distance_mm: float | None = Field(description="Most negative contact distance seen, mm.")
    energy_growth_j: float = Field(description="Largest rise of total energy above its start value, J.")
    failure: FailureCode | None = None


class SettleResult(BaseModel):
    """Failures and one outcome per start; the properties are the worst case over starts (variant metrics)."""

    failures: list[Failure] = Field(default_factory=list)
    starts: list[StartOutcome] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def settle_time_s(self) -> float | None:
        """Slowest start's settle time; None unless every start settled."""
        times = [o.settle_time_s for o in self.starts]
        return max(times) if times and None not in times else None  # type: ignore[type-var]

    @property
    def max_drift_mm(self) -> float | None:
        return max((o.drift_mm for o in self.starts), default=None)

    @property
    def max_speed_m_s(self) -> float | None:
        return max((o.max_speed_m_s for o in self.starts), default=None)

    @property
    def min_contact_distance_mm(self) -> float | None:
        distances = [o.min_contact_distance_mm for o in self.starts if o.min_contact_distance_mm is not None]
        return min(distances, default=None)


DEFAULT_SETTLE_SETTINGS = SettleSettings()  # frozen, so safe to share as a default


def simulate_settle(
    scene: MjcfScene, spec: ScenarioSpec, settings: SettleSettings = DEFAULT_SETTLE_SETTINGS
) -> SettleResult:
    """Simulate every start of the payload and report failures with what to change.

    Raises InvalidGeometry when MuJoCo cannot compile the scene and SceneTooLarge when a simulation goes
    over a budget (contacts, MuJoCo's memory arena)."""
    model = compile_scene(scene, "the scene")
    model.opt.timestep = settings.timestep_s
    data = mujoco.MjData(model)
    result = SettleResult()
    for index, start in enumerate(spec.payload.start_positions()):
        run = _StartRun(model, data, spec, settings, index, start)
        with memory_arena_guard("simulating", "use fewer or simpler fixtures near the payload"):
            outcome, failure = run.simulate()
        result.starts.append(outcome)
        if failure is not None:
            result.failures.append(failure)
    return result


def compile_scene(scene: MjcfScene, what: str) -> mujoco.MjModel:
    """The compiled model; InvalidGeometry when MuJoCo's compiler refuses the (untrusted) geometry."""
    try:
        return scene.load_model()
    except ValueError as error:  # the MJCF compiler's refusal (a mesh it cannot hull, a size it rejects)
        raise InvalidGeometry(f"MuJoCo could not compile {what}: {error}") from None


@contextmanager
def memory_arena_guard(doing: str, advice: str) -> Iterator[None]:
    """MuJoCo raises FatalError (mj_stackAlloc and friends) when the arena it sized is full: over budget."""
    try:
        yield
    except mujoco.FatalError as error:
        raise SceneTooLarge(f"MuJoCo ran out of its memory arena while {doing} ({error}); {advice}") from None


class _StartRun:
    """One start: reset, step in blocks, sample, stop at the first failure."""

    def __init__(
        self,
        model: mujoco.MjModel,
        data: mujoco.MjData,
        spec: ScenarioSpec,
        settings: SettleSettings,
        index: int,
        start: Vec3,
    ) -> None:
        self.model, self.data, self.spec, self.settings = model, data, spec, settings
        self.index, self.start = index, start
        self.payload = spec.payload
        joint = model.joint(PAYLOAD_JOINT)
        self.qpos_adr = int(joint.qposadr[0])
        self.qvel_adr = int(joint.dofadr[0])
        self.geom_id = model.geom(PAYLOAD_GEOM).id
        self.where = (
            f"nominal start ({_mm(start)}) mm" if index == 0 else f"jitter corner {index} ({_mm(start)}) mm"
        )
        size_m = mm_to_m(2 * max(self.payload.half_extents))
        self.energy_tolerance_j = (
            settings.energy_growth_tolerance * spec.payload.mass_kg * GRAVITY_M_S2 * size_m
        )
        self.max_speed = 0.0
        self.min_contact_m: float | None = None
        self.energy_growth_j = 0.0
        self.bounds_min, self.bounds_max = np.array(spec.bounds.min), np.array(spec.bounds.max)
        self.forbid_min = np.array([z.min for z in spec.forbid]).reshape(-1, 3)
        self.forbid_max = np.array([z.max for z in spec.forbid]).reshape(-1, 3)
        # One row per sample: time s, linear speed m/s, angular speed rad/s, velocity x, y, z m/s.
        self.samples: list[tuple[float, float, float, float, float, float]] = []

    def simulate(self) -> tuple[StartOutcome, Failure | None]:
        model, data = self.model, self.data
        mujoco.mj_resetData(model, data)
        data.qpos[self.qpos_adr : self.qpos_adr + 3] = [mm_to_m(c) for c in self.start]
        data.qpos[self.qpos_adr + 3 : self.qpos_adr + 7] = (1.0, 0.0, 0.0, 0.0)
        mujoco.mj_forward(model, data)
        failure = self._check_initial_penetration()
        if failure is not None:
            return self._outcome(FailureCode.PHYSICS_UNSTABLE), failure
        energy_start = float(data.energy.sum())
        previous_box = self._payload_box_mm()
        block = self.settings.check_every_steps
        n_blocks = math.ceil(self.settings.duration_s / (self.settings.timestep_s * block))
        for _ in range(n_blocks):
            mujoco.mj_step(model, data, block)
            failure = self._check_stable(energy_start)
            if failure is not None:
                return self._outcome(FailureCode.PHYSICS_UNSTABLE), failure
            box = self._payload_box_mm()
            swept = (np.minimum(previous_box[0], box[0]), np.maximum(previous_box[1], box[1]))
            failure = self._check_bounds(box) or self._check_forbid(swept)
            if failure is not None:
                return self._outcome(failure.code), failure
            previous_box = box
            self._track_contacts_and_rest()
        failure = self._check_end()
        return self._outcome(failure.code if failure else None), failure

    # --- state -------------------------------------------------------------------------------------

    def _centre_mm(self) -> Vec3:
        return tuple(m_to_mm(float(c)) for c in self.data.qpos[self.qpos_adr : self.qpos_adr + 3])  # type: ignore[return-value]

    def _velocity(self) -> tuple[np.ndarray, np.ndarray]:
        qvel = self.data.qvel[self.qvel_adr : self.qvel_adr + 6]
        return qvel[:3], qvel[3:]

    def _payload_box_mm(self) -> tuple[np.ndarray, np.ndarray]:
        """(min, max) corners of the axis-aligned box around the payload in its current pose, mm."""
        rotation = self.data.geom_xmat[self.geom_id].reshape(3, 3)
        half = _half_extents_mm(self.payload, rotation)
        centre = m_to_mm(self.data.qpos[self.qpos_adr : self.qpos_adr + 3])
        return centre - half, centre + half

    def _track_contacts_and_rest(self) -> None:
        data = self.data
        check_count(
            f"{self.where}: MuJoCo contacts at t={data.time:.3f} s",
            int(data.ncon),
            MAX_CONTACTS,
            "use fewer or coarser fixture pieces where the payload rests",
        )
        if data.ncon:
            deepest = float(data.contact.dist[: data.ncon].min())
            self.min_contact_m = deepest if self.min_contact_m is None else min(self.min_contact_m, deepest)
        linear, angular = self._velocity()
        self.samples.append(
            (
                float(data.time),
                float(np.linalg.norm(linear)),
                float(np.linalg.norm(angular)),
                *map(float, linear),
            )
        )

    def _rest_since(self) -> float | None:
        """Time of the first sample after the last moving one; None if the payload moved at the end."""
        if not self.samples:
            return None
        rows = np.array(self.samples)
        moving = (rows[:, 1] >= self.settings.rest_speed_m_s) | (
            rows[:, 2] >= self.settings.rest_angular_speed_rad_s
        )
        if not moving.any():
            return 0.0
        last_moving = int(np.flatnonzero(moving)[-1])
        return None if last_moving == len(rows) - 1 else float(rows[last_moving + 1, 0])

    def _window(self) -> np.ndarray:
        """Samples of the rest window (the last `rest_window_s` simulated seconds)."""
        rows = np.array(self.samples)
        return rows[rows[:, 0] >= self.data.time - self.settings.rest_window_s]

    def _outcome(self, failure: FailureCode | None) -> StartOutcome:
        final = self._centre_mm()
        rest_since = self._rest_since()
        settled = failure is None and self._rested_long_enough(rest_since)
        return StartOutcome(
            index=self.index,
            start_mm=self.start,
            final_mm=final,
            settled=settled,
            settle_time_s=rest_since if settled else None,
            simulated_s=float(self.data.time),
            max_speed_m_s=self.max_speed,
            drift_mm=float(np.linalg.norm(np.subtract(final, self.start))),
            min_contact_distance_mm=None if self.min_contact_m is None else m_to_mm(self.min_contact_m),
            energy_growth_j=self.energy_growth_j,
            failure=failure,
        )

    def _rested_long_enough(self, rest_since: float | None) -> bool:
        return rest_since is not None and self.data.time - rest_since >= self.settings.rest_window_s

    # --- checks ------------------------------------------------------------------------------------

    def _check_initial_penetration(self) -> Failure | None:
        data = self.data
        if not data.ncon:
            return None
        deepest = int(np.argmin(data.contact.dist[: data.ncon]))
        depth_m = -float(data.contact.dist[deepest])
        self.min_contact_m = -depth_m
        if m_to_mm(depth_m) <= self.settings.deep_penetration_mm:
            return None
        contact = data.contact[deepest]
        other = contact.geom2 if contact.geom1 == self.geom_id else contact.geom1
        fixture = self.model.body(self.model.geom_bodyid[other]).name.removeprefix("fixture_")
        depth_mm = m_to_mm(depth_m)
        normal_z = abs(float(contact.frame[2]))  # the contact normal's vertical component
        if normal_z >= MIN_NORMAL_Z_FOR_RAISE:
            fix = f"raise start z by >= {depth_mm / normal_z:.1f} mm"
        else:
            fix = f"move the start sideways away from it by >= {depth_mm:.1f} mm"
        return Failure(
            code=FailureCode.PHYSICS_UNSTABLE,
            message=(
                f"{self.where}: payload {self.payload.size_label} starts {depth_mm:.1f} mm deep inside fixture "
                f"{fixture!r} at t=0 (more than {self.settings.deep_penetration_mm:g} mm), so the contact would "
                f"throw it out; move the start clear of {fixture!r}: {fix}"
            ),
        )

    def _check_stable(self, energy_start: float) -> Failure | None:
        data = self.data
        t = float(data.time)
        state = np.concatenate((data.qpos, data.qvel))
        if not np.all(np.isfinite(state)):
            return self._unstable(f"the state became NaN/inf at t={t:.3f} s")
        if data.warning.number.any():
            raised = [mujoco.mjtWarning(i).name for i in np.flatnonzero(data.warning.number)]
            return self._unstable(f"MuJoCo raised {', '.join(raised)} at t={t:.3f} s")
        linear, _ = self._velocity()
        speed = float(np.linalg.norm(linear))
        self.max_speed = max(self.max_speed, speed)
        if speed > self.settings.max_speed_m_s:
            return self._unstable(
                f"the payload reached {speed:.3g} m/s at t={t:.3f} s (limit {self.settings.max_speed_m_s:g} m/s)"
            )
        growth = float(data.energy.sum()) - energy_start
        self.energy_growth_j = max(self.energy_growth_j, growth)
        if growth > self.energy_tolerance_j:
            return self._unstable(
                f"total energy grew by {growth:.3g} J by t={t:.3f} s (tolerance {self.energy_tolerance_j:.3g} J)"
            )
        return None

    def _unstable(self, what: str) -> Failure:
        return Failure(
            code=FailureCode.PHYSICS_UNSTABLE,
            message=(
                f"{self.where}: simulation unstable: {what}, payload at ({_mm(self._centre_mm())}) mm; "
                "check for fixtures pinching the payload or thin, overlapping or sliver geometry near it"
            ),
        )

    def _check_bounds(self, box: tuple[np.ndarray, np.ndarray]) -> Failure | None:
        below = self.bounds_min - box[0]  # mm beyond each min face (positive: outside)
        above = box[1] - self.bounds_max  # mm beyond each max face
        if below.max() <= 0 and above.max() <= 0:
            return None
        through_min = below.max() >= above.max()
        axis = int(np.argmax(below if through_min else above))
        limit = (self.spec.bounds.min if through_min else self.spec.bounds.max)[axis]
        side = f"{'min' if through_min else 'max'} {'xyz'[axis]}={limit:g} mm"
        hint = (
            "nothing holds it up there: put a fixture under the start or move the start onto one"
            if axis == 2 and through_min
            else "add a wall or lip on that side, move the start away from the edge, or enlarge bounds"
        )
        return Failure(
            code=FailureCode.OUT_OF_BOUNDS,
            message=(
                f"{self.where}: left alone, the payload left bounds through {side} at t={self.data.time:.2f} s, "
                f"centre at ({_mm(self._centre_mm())}) mm; {hint}"
            ),
        )

    def _check_forbid(self, swept: tuple[np.ndarray, np.ndarray]) -> Failure | None:
        if not self.spec.forbid:
            return None
        # Overlap per zone and axis, mm; the payload touches a zone when it overlaps on every axis.
        overlap = np.minimum(swept[1], self.forbid_max) - np.maximum(swept[0], self.forbid_min)
        touched = np.flatnonzero((overlap > self.settings.forbid_touch_mm).all(axis=1))
        if not touched.size:
            return None
        zone = self.spec.forbid[int(touched[0])]
        return Failure(
            code=FailureCode.FORBID_ZONE_HIT,
            message=(
                f"{self.where}: left alone, the payload touched forbid zone {forbid_site_name(zone)!r} "
                f"({_mm(zone.min)})..({_mm(zone.max)}) mm at t={self.data.time:.2f} s, centre at "
                f"({_mm(self._centre_mm())}) mm; support the payload so it cannot roll or fall into it "
                "(flatten the support, add a lip) or move the start or the zone apart"
            ),
        )

    def _check_end(self) -> Failure | None:
        t = float(self.data.time)
        centre = self._centre_mm()
        if self.spec.goal.contains_point(centre):
            goal = self.spec.goal
            return Failure(
                code=FailureCode.GOAL_REACHED_UNAIDED,
                message=(
                    f"{self.where}: left alone, the payload ends inside the goal ({_mm(goal.min)})..({_mm(goal.max)}) "
                    f"mm at ({_mm(centre)}) mm after {t:.1f} s, so the benchmark is trivial; move the goal away "
                    "from where the payload comes to rest, or keep the payload from rolling into it"
                ),
            )
        if self._rested_long_enough(self._rest_since()):
            return None
        window = self._window()
        fastest = window[int(np.argmax(window[:, 1]))]
        if fastest[1] >= self.settings.rest_speed_m_s:
            moving = (
                f"still rolling or sliding (up to {fastest[1]:.3g} m/s toward {_direction(fastest[3:])} "
                f"in the last {self.settings.rest_window_s:g} s)"
            )
        else:
            moving = f"still turning (up to {window[:, 2].max():.3g} rad/s in the last {self.settings.rest_window_s:g} s)"
        return Failure(
            code=FailureCode.NOT_SETTLED,
            message=(
                f"{self.where}: payload {moving} at t={t:g} s, centre at ({_mm(centre)}) mm (at rest means "
                f"< {self.settings.rest_speed_m_s:g} m/s and < {self.settings.rest_angular_speed_rad_s:g} rad/s "
                f"throughout that window); it rests on a sloped or curved surface: "
                "flatten the support under the start or add a stop"
            ),
        )


def _half_extents_mm(payload: PayloadSpec, rotation: np.ndarray) -> np.ndarray:
    """Half size of the axis-aligned box around the payload rotated by `rotation` (3x3), mm."""
    if payload.shape is PayloadShape.SPHERE:
        return np.array(payload.half_extents)
    if payload.shape is PayloadShape.BOX:
        return np.abs(rotation) @ np.array(payload.half_extents)
    axis = rotation[:, 2]
    radius, half_height = float(payload.radius), float(payload.height) / 2
    return radius * np.sqrt(np.clip(1.0 - axis**2, 0.0, 1.0)) + half_height * np.abs(axis)


def _direction(velocity: np.ndarray) -> str:
    """Dominant axis of a velocity with its sign, e.g. '+x'."""
    axis = int(np.argmax(np.abs(velocity)))
    return f"{'+' if velocity[axis] >= 0 else '-'}{'xyz'[axis]}"


def _mm(point: Vec3) -> str:
    return ", ".join(str(round(c)) for c in point)  # whole mm, and never "-0"
