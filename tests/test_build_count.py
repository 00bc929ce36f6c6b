"""Each variant is built once: a whole `build-dataset` flow run, agent session, review, render,
witness and evidence included, builds each (script, seed, scale) variant in the sandbox at most twice
(the second build is validation's determinism check). The witness is checked against validation's
builds; its own requests build the scenario to run the solution's code against it (`build_and_solve`),
a build whose result the host never uses as the scenario."""

import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchgen.sandbox.runner import SandboxRunner

REPO = Path(__file__).resolve().parents[1]
SERVER_STARTUP_TIMEOUT_S = 180  # Prefect's temporary test server on a busy machine
MAX_BUILDS_PER_VARIANT = 2  # the build and validation's determinism check


@pytest.fixture
def prefect_engine() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(REPO))  # flows/ and tasks/ are folders of the repository
        with prefect_test_harness(server_startup_timeout=SERVER_STARTUP_TIMEOUT_S):
            yield


@pytest.fixture
def sandbox_builds(monkeypatch) -> Counter:
    """Every sandbox build of this process, by (script sha256, seed, scale); the builds really run."""
    builds: Counter = Counter()
    build = SandboxRunner.build

    def counted(runner: SandboxRunner, source: str, seed: int, scale: float):
        builds[(hashlib.sha256(source.encode()).hexdigest(), seed, scale)] += 1
        return build(runner, source, seed, scale)

    monkeypatch.setattr(SandboxRunner, "build", counted)
    return builds


@pytest.mark.slow
def test_a_flow_run_builds_each_variant_at_most_twice(prefect_engine, sandbox_builds, tmp_path, monkeypatch):
    for name in ("BENCHGEN_DATABASE_URL", "BENCHGEN_STORE_URL", "BENCHGEN_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BENCHGEN_DATA_DIR", str(tmp_path / "data"))
    from flows.build_dataset import build_dataset

    summary = build_dataset(
        themes=["ball must cross a gap", "puck up a ramp"],
        seeds_per_theme=1,
        variant_seeds=[0, 1, 2],
        dataset_version="v1",
        min_accepted_per_theme=1,
        min_difficulty_stdev=0,
    )
    accepted = [c for c in summary.candidates if c.accepted]
    assert len(accepted) == 2 and summary.published is not None
    for candidate in accepted:
        script = hashlib.sha256(candidate.generation.script.encode()).hexdigest()
        counts = {(seed, scale): sandbox_builds[(script, seed, scale)] for seed in (0, 1, 2) for scale in (1.0,)}
        assert all(1 <= n <= MAX_BUILDS_PER_VARIANT for n in counts.values()), (candidate.theme, counts)
    assert max(sandbox_builds.values()) <= MAX_BUILDS_PER_VARIANT, sandbox_builds.most_common(3)
