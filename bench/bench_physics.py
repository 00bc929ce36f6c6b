"""Time the physics stage per variant (build_mjcf + simulate_settle) against raw MuJoCo stepping.

Runs every example in examples/ over a few seeds in this process (no sandbox). The raw baseline
loads the same MJCF and calls mj_step for the same number of steps with no checks. Meshing runs cold
(the decomposition cache is cleared per variant) unless --warm is given. Times are CPU seconds of
this process (time.process_time): the machine is shared, so wall time measures the neighbours.

    .venv/bin/python bench/bench_physics.py [--seeds 5] [--warm]
"""

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

import mujoco

from benchgen.kit.exchange import shape_to_brep
from benchgen.physics import SettleSettings, build_mjcf, simulate_settle
from benchgen.physics.meshing import clear_cache

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CORES = 2  # the target machine's worker count for the variants/minute estimate


def load_build(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build


def raw_stepping_s(xml_scene, n_starts: int, settings: SettleSettings) -> float:
    """Load the model and step it for every start with no checks: the floor of what a settle costs."""
    started = time.process_time()
    model = xml_scene.load_model()
    model.opt.timestep = settings.timestep_s
    data = mujoco.MjData(model)
    steps = round(settings.duration_s / settings.timestep_s)
    for _ in range(n_starts):
        mujoco.mj_resetData(model, data)
        mujoco.mj_step(model, data, steps)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--warm", action="store_true", help="keep decompositions cached between variants")
    args = parser.parse_args()
    settings = SettleSettings()
    rows = []
    for path in sorted(EXAMPLES.glob("*.py")):
        build = load_build(path)
        for seed in range(args.seeds):
            scenario = build(seed, 1.0)
            spec = scenario.spec()
            breps = {f.label: shape_to_brep(f.shape) for f in scenario.fixtures}
            if not args.warm:
                clear_cache()
            t0 = time.process_time()
            scene = build_mjcf(spec, breps)
            t1 = time.process_time()
            result = simulate_settle(scene, spec, settings)
            t2 = time.process_time()
            raw = raw_stepping_s(scene, len(result.starts), settings)
            rows.append(
                (
                    path.stem,
                    seed,
                    t1 - t0,
                    t2 - t1,
                    raw,
                    len(result.starts),
                    [f.code.value for f in result.failures],
                )
            )
            print(
                f"{path.stem:>16} seed {seed}: mjcf {t1 - t0:6.3f} s  settle {t2 - t1:6.3f} s "
                f"({len(result.starts)} starts)  raw stepping {raw:6.3f} s  failures {rows[-1][-1] or '-'}"
            )
    mjcf = [r[2] for r in rows]
    settle = [r[3] for r in rows]
    raw = [r[4] for r in rows]
    per_variant = [a + b for a, b in zip(mjcf, settle)]
    print(f"\nvariants: {len(rows)}  (meshing {'warm' if args.warm else 'cold'})")
    print(f"mean build_mjcf     {statistics.mean(mjcf):.3f} s   max {max(mjcf):.3f} s")
    print(f"mean simulate_settle {statistics.mean(settle):.3f} s   max {max(settle):.3f} s")
    print(f"mean physics/variant {statistics.mean(per_variant):.3f} s")
    print(f"settle / raw stepping ratio: {sum(settle) / sum(raw):.2f}x")
    print(
        f"physics-only throughput on {CORES} cores: {CORES * 60 / statistics.mean(per_variant):.0f} variants/min"
    )


if __name__ == "__main__":
    main()
