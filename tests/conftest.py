"""Shared fixtures: a real PostgreSQL 15 server and a real S3 endpoint (moto) on loopback, and settings
pointing at a throwaway data folder. Fixtures fail loudly when a real part is missing: never skip."""

import logging
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import browser
import pytest

from benchgen.models import BenchmarkAsset, GenerationSession
from benchgen.settings import ENV_PREFIX, Settings, get_settings

POSTGRES_BIN = Path(os.environ.get("BENCHGEN_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
POSTGRES_USER = "postgres"  # OS user that runs the server when the tests run as root
POSTGRES_START_TIMEOUT_S = 30  # seconds pg_ctl waits for the server to accept connections
S3_REGION = "us-east-1"
S3_KEY = "benchgen-test-key"  # moto accepts any credentials; these exist only for the fixture
S3_SECRET = "benchgen-test-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- PostgreSQL -------------------------------------------------------------------------------------


@dataclass
class PostgresServer:
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{POSTGRES_USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = f"benchgen_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={POSTGRES_USER} dbname=postgres") as conn:
            conn.autocommit = True
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the postgres user when we are root."""
    return ["runuser", "-u", POSTGRES_USER, "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL 15 cluster on a free loopback port, removed afterwards."""
    if not (POSTGRES_BIN / "initdb").exists():
        pytest.fail(
            f"PostgreSQL 15 not found in {POSTGRES_BIN}; run scripts/bootstrap.sh (or set BENCHGEN_TEST_PG_BIN)"
        )
    base = Path(tempfile.mkdtemp(prefix="benchgen-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, user=POSTGRES_USER)
    port = free_port()
    subprocess.run(
        as_postgres_user(
            [str(POSTGRES_BIN / "initdb"), "-D", str(data), "-U", POSTGRES_USER, "-A", "trust", "--no-sync"]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run(
        as_postgres_user(
            [
                str(POSTGRES_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(base / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                str(POSTGRES_START_TIMEOUT_S),
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield PostgresServer(port=port)
    finally:
        subprocess.run(
            as_postgres_user([str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """URL of one empty database on the session's PostgreSQL server (shared by the whole test run)."""
    return postgres_server.create_database()


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer) -> str:
    """URL of a new empty database, for tests that need a schema nobody else touched."""
    return postgres_server.create_database()


# --- S3 (moto) --------------------------------------------------------------------------------------


@dataclass
class S3Endpoint:
    url: str
    key: str = S3_KEY
    secret: str = S3_SECRET
    region: str = S3_REGION

    def create_bucket(self, name: str | None = None) -> str:
        """Create a bucket (a fresh unique one by default) and return its name."""
        import boto3

        bucket = name or f"benchgen-{uuid.uuid4().hex[:12]}"
        client = boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=self.key,
            aws_secret_access_key=self.secret,
            region_name=self.region,
        )
        client.create_bucket(Bucket=bucket)
        return bucket

    def store(self, url: str):
        """An ArtifactStore on this endpoint with the fixture's credentials."""
        from benchgen.store import ArtifactStore

        return ArtifactStore.from_url(
            url, endpoint_url=self.url, key=self.key, secret=self.secret, region=self.region
        )

    def env(self) -> dict[str, str]:
        """Environment variables that point benchgen's settings at this endpoint (for subprocesses)."""
        return {
            f"{ENV_PREFIX}S3_ENDPOINT_URL": self.url,
            f"{ENV_PREFIX}AWS_ACCESS_KEY_ID": self.key,
            f"{ENV_PREFIX}AWS_SECRET_ACCESS_KEY": self.secret,
            f"{ENV_PREFIX}AWS_REGION": self.region,
        }


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[S3Endpoint]:
    """moto's standalone S3 server over HTTP on a free loopback port."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Endpoint(url=f"http://{host}:{port}")
    finally:
        server.stop()


# --- Settings and sample records ------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No BENCHGEN_* variables from the outside and a working directory without benchgen.toml."""
    for name in list(os.environ):
        if name.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def tmp_settings(clean_env: Path) -> Settings:
    """Settings with every default pointing into a throwaway data folder (SQLite + local store)."""
    return get_settings(data_dir=clean_env / "data")


SAMPLE_SHA256 = "ab" * 32


def sample_definition() -> dict:
    """The gap-crossing example of the scenario contract at seed 0, scale 1, as stored JSON."""
    return {
        "fixtures": [
            {
                "label": "left_deck",
                "material": "abs",
                "volume_mm3": 3.2e6,
                "bbox_min": (-320, -100, 0),
                "bbox_max": (-120, 100, 80),
            },
            {
                "label": "right_deck",
                "material": "abs",
                "volume_mm3": 3.2e6,
                "bbox_min": (120, -100, 0),
                "bbox_max": (320, 100, 80),
            },
        ],
        "payload": {
            "shape": "sphere",
            "radius": 20,
            "start": (-220, 0, 100),
            "jitter": (5, 5, 0),
            "material": "steel",
        },
        "goal": {"min": (170, -60, 80), "max": (270, 60, 160)},
        "forbid": [{"min": (-120, -150, -10), "max": (120, 150, 60), "name": "gap"}],
        "build_zone": {"min": (-400, -200, 0), "max": (400, 200, 300)},
        "bounds": {"min": (-500, -300, -100), "max": (500, 300, 400)},
    }


@pytest.fixture
def make_session() -> Callable[..., GenerationSession]:
    """Build a valid GenerationSession; keyword arguments override the sample values."""

    def make(**overrides) -> GenerationSession:
        data = {"theme": "ball must cross a gap", "backend": "offline", "model": "offline"} | overrides
        return GenerationSession.create(**data)

    return make


@pytest.fixture
def make_asset() -> Callable[..., BenchmarkAsset]:
    """Build a valid BenchmarkAsset; keyword arguments override the sample values."""

    def make(**overrides) -> BenchmarkAsset:
        data = {
            "dataset_version": "v1",
            "theme": "ball must cross a gap",
            "family": "gap_crossing",
            "script_url": "file:///store/v1/gap.py",
            "script_sha256": SAMPLE_SHA256,
            "definition": sample_definition(),
            "variants": [{"seed": 0, "scale": 1.0, "ok": True, "metrics": {"settle_time_s": 0.4}}],
            "difficulty_score": 0.4,
            "meta": {"cost_targets": {"max_cost_usd": 30}, "tags": ["gap"]},
        } | overrides
        return BenchmarkAsset.create(**data)

    return make


# --- headless Chromium ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium(tmp_path_factory) -> Iterator[str]:
    """A headless Chromium with remote debugging on loopback; yields the DevTools HTTP endpoint."""
    if browser.CHROMIUM is None:
        pytest.fail("chromium is not installed: run scripts/bootstrap.sh (it installs Debian's chromium)")
    with browser.running_chromium(tmp_path_factory.mktemp("chromium-profile"), free_port()) as endpoint:
        yield endpoint
