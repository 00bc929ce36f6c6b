"""Settings in one place: defaults, then an optional TOML file, then `BENCHGEN_*` environment variables."""

import os
import tomllib
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from benchgen.errors import ConfigError

ENV_PREFIX = "BENCHGEN_"
CONFIG_ENV_VAR = "BENCHGEN_CONFIG"  # path of the TOML config file; overrides the default below
DEFAULT_CONFIG_FILE = Path("benchgen.toml")  # read from the working directory when present
DATABASE_FILE_NAME = "benchgen.db"
STORE_FOLDER_NAME = "store"
MASK = "********"

DATABASE_BACKENDS = ("sqlite", "postgresql")  # SQLAlchemy backend names benchgen supports
STORE_SCHEMES = ("file", "s3")
HTTP_SCHEMES = ("http", "https")

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


def config_file_path() -> Path | None:
    """The TOML file to read: `BENCHGEN_CONFIG` if set (it must exist), else ./benchgen.toml if present."""
    explicit = os.environ.get(CONFIG_ENV_VAR)
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV_VAR}={explicit!r} does not name a readable file; fix or unset it")
        return path
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def check_database_url(url: str) -> str:
    """Reject URLs SQLAlchemy cannot parse or whose backend benchgen does not support."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(
            f"malformed database URL {mask_url(url)!r}; expected e.g. 'sqlite:///data/benchgen.db' "
            "or 'postgresql+psycopg://user:pass@host:5432/db'"
        ) from None
    if parsed.get_backend_name() not in DATABASE_BACKENDS:
        raise ValueError(
            f"unsupported database backend {parsed.get_backend_name()!r} in {mask_url(url)!r}; "
            f"use one of {', '.join(DATABASE_BACKENDS)}"
        )
    return url


def check_store_url(url: str) -> str:
    """Accept `file:///abs/path` and `s3://bucket[/prefix]` only."""
    parts = urlsplit(url)
    if parts.scheme not in STORE_SCHEMES:
        raise ValueError(
            f"malformed store URL {url!r}: scheme must be one of {', '.join(STORE_SCHEMES)} "
            "(e.g. 'file:///srv/benchgen/store' or 's3://bucket/prefix')"
        )
    if parts.scheme == "s3" and not parts.netloc:
        raise ValueError(f"malformed store URL {url!r}: no bucket name; expected 's3://bucket/prefix'")
    if parts.scheme == "file" and (parts.netloc not in ("", "localhost") or not parts.path.startswith("/")):
        raise ValueError(f"malformed store URL {url!r}: expected an absolute path, e.g. 'file:///srv/store'")
    return url


def check_http_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in HTTP_SCHEMES or not parts.netloc:
        raise ValueError(f"malformed URL {mask_url(url)!r}: expected 'http(s)://host[:port]'")
    return url


def mask_url(url: str) -> str:
    """Replace the password part of a URL (user:password@host) with a mask."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{MASK}@{host}"))


class Settings(BaseSettings):
    """Everything benchgen reads from its environment; see `benchgen config` for the effective values.

    A relative `data_dir` is relative to the working directory, also when it comes from the config file.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    data_dir: Path = Path("data")
    database_url: str | None = None
    store_url: str | None = None
    s3_endpoint_url: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: SecretStr | None = None
    aws_region: str | None = None
    llm_model: str = "offline"
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    log_level: LogLevel = "INFO"
    require_witness: bool = False  # `benchgen validate` reports NO_WITNESS for a script given no --witness

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = config_file_path()
        if config_file is None:
            return (init_settings, env_settings)
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=config_file))

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        return None if value is None else check_database_url(value)

    @field_validator("store_url")
    @classmethod
    def _store_url(cls, value: str | None) -> str | None:
        return None if value is None else check_store_url(value)

    @field_validator("s3_endpoint_url", "llm_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return None if value is None else check_http_url(value)

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_data_dir / DATABASE_FILE_NAME}"

    @property
    def resolved_store_url(self) -> str:
        """The configured URL, or a local folder in the data folder."""
        if self.store_url:
            return self.store_url
        return (self.resolved_data_dir / STORE_FOLDER_NAME).as_uri()


def get_settings(**overrides: object) -> Settings:
    """Load the settings; a bad value or config file becomes one ConfigError naming the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "settings"
        env_name = f"{ENV_PREFIX}{field.upper()}"
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"invalid setting {field} ({env_name} or config file): {message}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {config_file_path()} is not valid TOML: {exc}") from None


class SettingRow(BaseModel):
    """One line of `benchgen config`: the effective value (secrets masked) and where it came from."""

    name: str
    value: str
    source: Literal["env", "file", "default"]


def settings_rows(settings: Settings) -> list[SettingRow]:
    """The effective settings as printable rows, with secrets and URL passwords masked."""
    config_file = config_file_path()
    file_values = tomllib.loads(config_file.read_text()) if config_file else {}
    resolved = {
        "data_dir": str(settings.resolved_data_dir),
        "database_url": mask_url(settings.resolved_database_url),
        "store_url": mask_url(settings.resolved_store_url),
    }
    rows = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if name in resolved:
            shown = resolved[name]
        elif isinstance(value, SecretStr):
            shown = MASK
        elif isinstance(value, str):
            shown = mask_url(value)
        else:
            shown = "" if value is None else str(value)
        if f"{ENV_PREFIX}{name.upper()}" in os.environ:
            source = "env"
        elif name in file_values:
            source = "file"
        else:
            source = "default"
        rows.append(SettingRow(name=name, value=shown, source=source))
    return rows
