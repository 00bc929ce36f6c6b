"""The artifact store against a local folder and a real S3 HTTP endpoint (moto) on loopback."""

import hashlib
from pathlib import Path

import pytest

from benchgen.errors import ConfigError, StoreError
from benchgen.store import TEMP_PREFIX, ArtifactStore, ObjectNotFound

SCRIPT = b"def build(seed, scale=1.0):\n    ...\n"


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path: Path) -> ArtifactStore:
    """An empty store of each kind: a local folder, and a fresh bucket (with a prefix) on moto."""
    if request.param == "local":
        return ArtifactStore.from_url((tmp_path / "store").as_uri())
    endpoint = request.getfixturevalue("s3_endpoint")
    return endpoint.store(f"s3://{endpoint.create_bucket()}/datasets")


def test_put_get_round_trip_with_sha256(store, tmp_path):
    stored = store.put_bytes("v1/gap/script.py", SCRIPT)
    assert stored.sha256 == hashlib.sha256(SCRIPT).hexdigest()
    assert stored.size == len(SCRIPT)
    assert stored.url == f"{store.url}/v1/gap/script.py" == store.url_for("v1/gap/script.py")
    assert store.get_bytes("v1/gap/script.py") == SCRIPT
    assert store.sha256("v1/gap/script.py") == stored.sha256
    assert store.exists("v1/gap/script.py") and not store.exists("v1/gap/other.py")
    copy = store.get_file("v1/gap/script.py", tmp_path / "out" / "script.py")
    assert copy.read_bytes() == SCRIPT


def test_overwrite_replaces_content(store):
    store.put_bytes("a.txt", b"first")
    stored = store.put_bytes("a.txt", b"second version")
    assert store.get_bytes("a.txt") == b"second version"
    assert stored.sha256 == store.sha256("a.txt")


def test_put_dir_list_and_delete(store, tmp_path):
    bundle = tmp_path / "bundle"
    (bundle / "views").mkdir(parents=True)
    (bundle / "views" / "top.png").write_bytes(b"\x89PNG top")
    (bundle / "sheet.png").write_bytes(b"\x89PNG sheet")
    objects = store.put_dir("v1/gap/preview", bundle)
    assert [o.key for o in objects] == ["v1/gap/preview/sheet.png", "v1/gap/preview/views/top.png"]
    store.put_bytes("v1/ramp/script.py", SCRIPT)
    assert store.list() == ["v1/gap/preview/sheet.png", "v1/gap/preview/views/top.png", "v1/ramp/script.py"]
    assert store.list("v1/gap") == ["v1/gap/preview/sheet.png", "v1/gap/preview/views/top.png"]
    store.delete("v1/gap")
    store.delete("v1/never-written")
    assert store.list() == ["v1/ramp/script.py"]


def test_missing_object_is_object_not_found(store):
    with pytest.raises(ObjectNotFound, match="no such object"):
        store.get_bytes("v1/missing.py")


def test_local_write_leaves_no_temp_files(tmp_path):
    store = ArtifactStore.from_url((tmp_path / "store").as_uri())
    store.put_bytes("x/y.bin", b"1" * 1000)
    assert [p.name for p in (tmp_path / "store" / "x").iterdir()] == ["y.bin"]
    assert not any(p.name.startswith(TEMP_PREFIX) for p in (tmp_path / "store").rglob("*"))


def test_missing_bucket_is_a_clear_store_error(s3_endpoint):
    store = s3_endpoint.store("s3://no-such-bucket/prefix")
    with pytest.raises(
        StoreError, match=r"bucket 'no-such-bucket' does not exist at http://127\.0\.0\.1:\d+"
    ):
        store.put_bytes("a.txt", b"data")
    with pytest.raises(StoreError, match="bucket 'no-such-bucket' does not exist"):
        store.check()


def test_unreachable_endpoint_is_a_clear_store_error():
    store = ArtifactStore.from_url(
        "s3://bucket", endpoint_url="http://127.0.0.1:1", key="k", secret="s", region="us-east-1"
    )
    with pytest.raises(
        StoreError, match="Could not connect to the endpoint URL.*check BENCHGEN_S3_ENDPOINT_URL"
    ):
        store.get_bytes("a.txt")
    for probe in (store.check, store.list):  # an endpoint that is down is not a missing bucket
        with pytest.raises(
            StoreError, match=r"the S3 endpoint http://127\.0\.0\.1:1 is unreachable"
        ) as raised:
            probe()
        assert "does not exist" not in str(raised.value)


@pytest.mark.parametrize("url", ["ftp://host/store", "s3://", "file://relative/path", "store"])
def test_malformed_store_url_is_a_config_error(url):
    with pytest.raises(ConfigError, match="malformed store URL"):
        ArtifactStore.from_url(url)


@pytest.mark.parametrize("key", ["", "/abs", "../escape", "a/../../b"])
def test_bad_keys_are_refused(tmp_path, key):
    store = ArtifactStore.from_url((tmp_path / "store").as_uri())
    with pytest.raises(StoreError, match="invalid store key"):
        store.put_bytes(key, b"x")


def test_from_settings_uses_the_default_local_folder(tmp_settings):
    store = ArtifactStore.from_settings(tmp_settings)
    stored = store.put_bytes("k.txt", b"v")
    assert Path(stored.url.removeprefix("file://")) == tmp_settings.resolved_data_dir / "store" / "k.txt"


@pytest.mark.parametrize(
    ("key", "content_type"),
    [
        ("v1/gallery/index.html", "text/html; charset=utf-8"),
        ("v1/benchmarks/b/review/sheet.png", "image/png"),
        ("v1/gallery/benchmarks/b/gallery_settle.gif", "image/gif"),
        ("v1/index.parquet", "application/vnd.apache.parquet"),
        ("v1/README.md", "text/markdown; charset=utf-8"),
        ("v1/benchmarks/b/mjcf/scene.xml", "application/xml"),
        ("v1/benchmarks/b/mjcf/meshes/fixture_deck_0.stl", "model/stl"),
        ("v1/no-suffix", "application/octet-stream"),
    ],
)
def test_s3_objects_carry_the_content_type_a_browser_needs(s3_endpoint, key, content_type):
    import urllib.request

    store = s3_endpoint.store(f"s3://{s3_endpoint.create_bucket()}/datasets")
    store.put_bytes(key, b"bytes")
    link = store.browser_url(key, expires_s=60)
    assert link.startswith(f"{s3_endpoint.url}/") and "Signature=" in link  # presigned (v2 or v4)
    with urllib.request.urlopen(link, timeout=10) as response:
        assert response.headers["Content-Type"] == content_type and response.read() == b"bytes"


def test_a_local_store_links_to_the_file_itself(tmp_path):
    store = ArtifactStore.from_url((tmp_path / "store").as_uri())
    store.put_bytes("v1/README.md", b"# card")
    assert Path(store.browser_url("v1/README.md", expires_s=60)).read_bytes() == b"# card"
