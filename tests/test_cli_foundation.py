"""`benchgen config`, `db upgrade`, `sessions list`, `benchmarks list/show`: happy paths in process,
bad input through the installed `benchgen` executable (one line on stderr, exit status 2, no traceback)."""

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchgen.cli import app, main
from benchgen.db import get_engine, head_revision, save_asset, save_session, short_id

BENCHGEN = Path(sys.executable).parent / "benchgen"
USAGE_EXIT = 2
WIDE = {"COLUMNS": "200"}  # so rich tables never fold the values the tests look for


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str, env: dict[str, str] | None = None):
    result = runner.invoke(app, list(args), env=WIDE | (env or {}), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def run_benchgen(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), **WIDE, **(env or {})}
    return subprocess.run(
        [str(BENCHGEN), *args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=60, check=False
    )


def test_config_masks_secrets_and_names_sources(runner, clean_env):
    (clean_env / "benchgen.toml").write_text('llm_model = "openai:gpt-4o"\nlog_level = "DEBUG"\n')
    output = invoke(
        runner,
        "config",
        env={
            "BENCHGEN_LLM_API_KEY": "sk-very-secret",
            "BENCHGEN_DATABASE_URL": "postgresql+psycopg://bench:hunter2@db.example:5432/bench",
            "BENCHGEN_LOG_LEVEL": "WARNING",
        },
    )
    assert "sk-very-secret" not in output and "hunter2" not in output
    assert "postgresql+psycopg://bench:********@db.example:5432/bench" in output
    assert "openai:gpt-4o" in output and "file" in output
    assert "WARNING" in output and "DEBUG" not in output  # environment overrides the file


def test_config_check_reaches_database_and_store(runner, clean_env):
    output = invoke(runner, "config", "--check")
    assert "database: reachable" in output and "store: reachable" in output


def test_db_upgrade_sqlite_and_postgres(runner, clean_env, fresh_postgres_url):
    assert f"is at migration {head_revision()}" in invoke(runner, "db", "upgrade")
    assert (clean_env / "data" / "benchgen.db").is_file()
    output = invoke(runner, "db", "upgrade", env={"BENCHGEN_DATABASE_URL": fresh_postgres_url})
    assert f"is at migration {head_revision()}" in output


def test_sessions_and_benchmarks_list_and_show(runner, tmp_settings, make_session, make_asset):
    engine = get_engine(tmp_settings)
    session = save_session(engine, make_session(status="accepted"))
    asset = save_asset(engine, make_asset(session_id=session.id))
    engine.dispose()
    env = {"BENCHGEN_DATA_DIR": str(tmp_settings.data_dir)}

    assert short_id(session.id) in invoke(runner, "sessions", "list", env=env)
    assert short_id(session.id) in invoke(runner, "sessions", "list", "--status", "accepted", env=env)
    assert "0 generation session(s)" in invoke(runner, "sessions", "list", "--status", "failed", env=env)
    listed = invoke(runner, "benchmarks", "list", "--dataset-version", "v1", env=env)
    assert short_id(asset.benchmark_id) in listed and "0.40 medium" in listed
    shown = invoke(runner, "benchmarks", "show", str(asset.benchmark_id), env=env)
    assert "left_deck (abs)" in shown and "sphere r=20 steel" in shown and "gap_crossing" in shown
    assert "0.40 (medium)" in shown
    assert invoke(runner, "benchmarks", "show", short_id(asset.benchmark_id), env=env) == shown
    as_json = json.loads(invoke(runner, "benchmarks", "show", str(asset.benchmark_id), "--json", env=env))
    assert as_json["benchmark_id"] == str(asset.benchmark_id) and as_json["meta"]["tags"] == ["gap"]


def test_lists_fit_80_columns_with_short_ids_that_show_takes(runner, tmp_settings, make_session, make_asset):
    engine = get_engine(tmp_settings)
    long_theme = "a ball must roll down a long ramp, jump a wide gap and stop in a narrow bin"
    session = save_session(engine, make_session(status="accepted", theme=long_theme, model="gpt-4o-mini"))
    asset = save_asset(
        engine, make_asset(session_id=session.id, theme=long_theme, dataset_version="nightly/2026.12.01")
    )
    engine.dispose()
    env = {"BENCHGEN_DATA_DIR": str(tmp_settings.data_dir), "COLUMNS": "80"}
    for args, record_id in ((["sessions", "list"], session.id), (["benchmarks", "list"], asset.benchmark_id)):
        result = runner.invoke(app, args, env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert max(len(line) for line in lines) <= 80, result.output
        assert short_id(record_id) in result.output and str(record_id) not in result.output
        assert "…" not in result.output  # long cells wrap, they are not cut
        words = result.output.split()
        assert all(word in words for word in long_theme.split()), result.output


def test_dataset_list_names_the_datasets_a_store_holds(runner, tmp_path):
    from benchgen.store import ArtifactStore

    store_url = (tmp_path / "elsewhere").as_uri()
    ArtifactStore.from_url(store_url).put_bytes("nightly/2026.12.01/manifest.json", b"{}")
    result = runner.invoke(app, ["dataset", "list", "--store-url", store_url], env=WIDE)
    assert result.exit_code == 0, result.output
    assert (
        f"no published versions of 'benchgen' in {store_url}; published datasets there: nightly "
        f"(`benchgen dataset list nightly --store-url {store_url}`)"
    ) in result.output.replace("\n", "")


def test_version_option_prints_the_installed_version(runner):
    from benchgen.versions import CODE_VERSION

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output == f"benchgen {CODE_VERSION}\n"


def test_build_is_the_main_job_with_the_flow_options(tmp_path):
    result = run_benchgen(tmp_path, "build", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: benchgen build") and "--seeds-per-theme" in result.stdout
    assert "--store-url" in result.stdout


# The bad inputs run through the installed executable: proof of one line, exit 2, no traceback.
BAD_INPUT_SUBPROCESS = {
    "unknown command": (["frobnicate"], {}, "No such command 'frobnicate'"),
    "unreachable database": (
        ["sessions", "list"],
        {"BENCHGEN_DATABASE_URL": "postgresql+psycopg://bench:pw@127.0.0.1:1/bench"},
        "cannot reach database",
    ),
    "malformed URL": (["config"], {"BENCHGEN_STORE_URL": "ftp://files/store"}, "malformed store URL"),
}
# Further bad inputs go through the same `main()` in process, which is faster than a new interpreter.
BAD_INPUT_IN_PROCESS = {
    "malformed database URL": (["db", "upgrade", "--url", "nonsense"], "malformed database URL"),
    "not an id": (["benchmarks", "show", "12"], "'12' is not a benchmark id"),
    "unknown short id": (["benchmarks", "show", "abcdef12"], "no benchmark id starts with 'abcdef12'"),
    "unknown id": (["benchmarks", "show", str(uuid.UUID(int=7))], "no benchmark with id"),
    "unknown status": (["sessions", "list", "--status", "done"], "unknown status 'done'"),
}


@pytest.mark.parametrize("case", BAD_INPUT_SUBPROCESS, ids=list(BAD_INPUT_SUBPROCESS))
def test_bad_input_is_one_line_and_exit_2(tmp_path, case):
    args, env, expected = BAD_INPUT_SUBPROCESS[case]
    result = run_benchgen(tmp_path, *args, env=env)
    assert result.returncode == USAGE_EXIT, result.stderr
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("case", BAD_INPUT_IN_PROCESS, ids=list(BAD_INPUT_IN_PROCESS))
def test_bad_input_in_process_is_one_line_and_exit_2(clean_env, monkeypatch, capsys, case):
    args, expected = BAD_INPUT_IN_PROCESS[case]
    monkeypatch.setattr(sys, "argv", ["benchgen", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    stderr = capsys.readouterr().err
    assert exited.value.code == USAGE_EXIT, stderr
    assert stderr.count("\n") == 1 and expected in stderr, stderr


def test_missing_bucket_is_one_line_and_exit_2(tmp_path, s3_endpoint):
    env = s3_endpoint.env() | {"BENCHGEN_STORE_URL": "s3://missing-bucket/store"}
    result = run_benchgen(tmp_path, "config", "--check", env=env)
    assert result.returncode == USAGE_EXIT, result.stderr
    assert result.stderr.count("\n") == 1 and "bucket 'missing-bucket' does not exist" in result.stderr
