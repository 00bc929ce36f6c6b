"""Settings: defaults, the TOML file, environment overrides, URL validation and masking."""

import re
from pathlib import Path

import pytest

from benchgen.errors import ConfigError
from benchgen.settings import MASK, get_settings, mask_url, settings_rows


def rows_by_name(settings) -> dict[str, tuple[str, str]]:
    return {row.name: (row.value, row.source) for row in settings_rows(settings)}


def test_defaults_live_in_the_data_folder(clean_env: Path):
    settings = get_settings()
    data = (clean_env / "data").resolve()
    assert settings.resolved_database_url == f"sqlite:///{data / 'benchgen.db'}"
    assert settings.resolved_store_url == (data / "store").as_uri()
    assert settings.llm_model == "offline"


def test_environment_overrides_the_config_file(clean_env: Path, monkeypatch):
    (clean_env / "benchgen.toml").write_text('data_dir = "from-file"\nllm_model = "openai:gpt-4o"\n')
    monkeypatch.setenv("BENCHGEN_LLM_MODEL", "openai:gpt-4o-mini")
    settings = get_settings()
    assert settings.data_dir == Path("from-file")
    assert settings.llm_model == "openai:gpt-4o-mini"
    rows = rows_by_name(settings)
    assert rows["data_dir"] == (str((clean_env / "from-file").resolve()), "file")
    assert rows["llm_model"] == ("openai:gpt-4o-mini", "env")
    assert rows["log_level"] == ("INFO", "default")


def test_benchgen_config_names_the_file(clean_env: Path, monkeypatch):
    config = clean_env / "elsewhere.toml"
    config.write_text('store_url = "s3://bucket/prefix"\n')
    monkeypatch.setenv("BENCHGEN_CONFIG", str(config))
    assert get_settings().resolved_store_url == "s3://bucket/prefix"
    monkeypatch.setenv("BENCHGEN_CONFIG", str(clean_env / "missing.toml"))
    with pytest.raises(ConfigError, match="BENCHGEN_CONFIG=.*missing.toml' does not name a readable file"):
        get_settings()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BENCHGEN_DATABASE_URL", "mysql://u@h/db", "unsupported database backend 'mysql'"),
        ("BENCHGEN_DATABASE_URL", "::not a url::", "malformed database URL"),
        ("BENCHGEN_STORE_URL", "gs://bucket", "malformed store URL 'gs://bucket'"),
        ("BENCHGEN_S3_ENDPOINT_URL", "localhost:9000", "expected 'http(s)://host[:port]'"),
        ("BENCHGEN_LOG_LEVEL", "LOUD", "Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
    ],
)
def test_malformed_values_are_config_errors_naming_the_variable(clean_env, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"{name}.*{re.escape(message)}"):
        get_settings()


def test_bad_config_files_are_config_errors(clean_env: Path):
    (clean_env / "benchgen.toml").write_text("data_dir = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        get_settings()
    (clean_env / "benchgen.toml").write_text('databse_url = "sqlite:///x.db"\n')
    with pytest.raises(ConfigError, match="invalid setting databse_url"):
        get_settings()


def test_secrets_and_url_passwords_are_masked(clean_env, monkeypatch):
    monkeypatch.setenv("BENCHGEN_AWS_SECRET_ACCESS_KEY", "aws-secret")
    monkeypatch.setenv("BENCHGEN_LLM_API_KEY", "sk-secret")
    monkeypatch.setenv("BENCHGEN_DATABASE_URL", "postgresql+psycopg://bench:pg-secret@db:5432/bench")
    rows = rows_by_name(get_settings())
    assert rows["aws_secret_access_key"] == (MASK, "env")
    assert rows["llm_api_key"] == (MASK, "env")
    assert rows["database_url"][0] == f"postgresql+psycopg://bench:{MASK}@db:5432/bench"
    shown = " ".join(value for value, _ in rows.values())
    for secret in ("aws-secret", "sk-secret", "pg-secret"):
        assert secret not in shown
    assert mask_url("http://user@host:9000") == "http://user@host:9000"
