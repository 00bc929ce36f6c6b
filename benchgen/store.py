"""The artifact store: files under one root URL (a local folder or an S3 prefix) through fsspec.

Writes are atomic (local: temp file in the same folder, then rename; S3: put, then read back and
compare size and sha256) and every written object reports its sha256.
"""

import hashlib
import mimetypes
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, NoCredentialsError
from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem
from pydantic import BaseModel

from benchgen.errors import ConfigError, StoreError
from benchgen.settings import Settings, check_store_url

TEMP_PREFIX = ".benchgen-tmp-"  # local temp files being written; never listed as keys
S3_CONNECT_TIMEOUT_S = 5  # seconds to wait for an S3 endpoint before reporting it unreachable
S3_MAX_ATTEMPTS = 2  # botocore attempts per request (1 retry) so a dead endpoint fails fast
HASH_CHUNK_BYTES = 1 << 20  # read size when hashing stored objects
# Content types of the files benchgen writes that Python's mimetypes does not know (or gets wrong);
# text types say UTF-8 so a browser shows them as written.
CONTENT_TYPES = {
    ".parquet": "application/vnd.apache.parquet",
    ".md": "text/markdown; charset=utf-8",
    ".py": "text/x-python; charset=utf-8",
    ".xml": "application/xml",
    ".stl": "model/stl",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class ObjectNotFound(StoreError):
    """No object is stored under the requested key."""


class StoredObject(BaseModel):
    """One object as written: where it is and what it holds."""

    key: str
    url: str
    sha256: str
    size: int


def content_type(key: str) -> str:
    """The Content-Type an S3 object gets, so browsers show pages and images instead of downloading."""
    suffix = PurePosixPath(key).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or DEFAULT_CONTENT_TYPE


def check_key(key: str) -> str:
    """Keys are relative POSIX paths without '..'; they name objects under the store's root."""
    parts = PurePosixPath(key).parts
    if not key or key.startswith("/") or ".." in parts or any(p.startswith(TEMP_PREFIX) for p in parts):
        raise StoreError(f"invalid store key {key!r}: use a relative path like 'datasets/v1/script.py'")
    return key.strip("/")


class ArtifactStore:
    """Put and get objects by key under a root URL; all keys are relative to that root."""

    def __init__(self, url: str, fs: AbstractFileSystem, root: str, endpoint_url: str | None = None) -> None:
        self.url = url
        self.fs = fs
        self.root = root
        self.endpoint_url = endpoint_url
        self.is_local = isinstance(fs, LocalFileSystem)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        endpoint_url: str | None = None,
        key: str | None = None,
        secret: str | None = None,
        region: str | None = None,
    ) -> "ArtifactStore":
        try:
            check_store_url(url)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        parts = urlsplit(url.rstrip("/"))
        if parts.scheme == "file":
            return cls(url.rstrip("/"), LocalFileSystem(), parts.path)
        import s3fs

        fs = s3fs.S3FileSystem(
            endpoint_url=endpoint_url,
            key=key,
            secret=secret,
            client_kwargs={"region_name": region} if region else {},
            config_kwargs={
                "connect_timeout": S3_CONNECT_TIMEOUT_S,
                "retries": {"max_attempts": S3_MAX_ATTEMPTS},
            },
            use_listings_cache=False,
            skip_instance_cache=True,
        )
        return cls(url.rstrip("/"), fs, f"{parts.netloc}{parts.path}", endpoint_url=endpoint_url)

    @classmethod
    def from_settings(cls, settings: Settings) -> "ArtifactStore":
        return cls.from_url(
            settings.resolved_store_url,
            endpoint_url=settings.s3_endpoint_url,
            key=settings.aws_access_key_id,
            secret=settings.aws_secret_access_key.get_secret_value()
            if settings.aws_secret_access_key
            else None,
            region=settings.aws_region,
        )

    def url_for(self, key: str) -> str:
        return f"{self.url}/{check_key(key)}"

    def _path(self, key: str) -> str:
        return f"{self.root}/{check_key(key)}"

    def _key_of(self, path: str) -> str:
        return path.removeprefix(self.root.rstrip("/") + "/")

    @contextmanager
    def _errors(self, action: str, key: str) -> Iterator[None]:
        """Turn filesystem and S3 client errors into StoreErrors that say what to check."""
        where = self.url_for(key) if key else self.url
        try:
            yield
        except ObjectNotFound:
            raise
        except FileNotFoundError:
            if not self.is_local and not self._bucket_exists():
                bucket = self.root.split("/", 1)[0]
                raise StoreError(
                    f"cannot {action} {where}: bucket {bucket!r} does not exist at "
                    f"{self.endpoint_url or 'AWS S3'}; create it or fix BENCHGEN_STORE_URL"
                ) from None
            raise ObjectNotFound(f"cannot {action} {where}: no such object") from None
        except PermissionError as exc:
            raise StoreError(
                f"cannot {action} {where}: access denied ({exc}); check the credentials"
            ) from None
        except NoCredentialsError:
            raise StoreError(
                f"cannot {action} {where}: no S3 credentials; set BENCHGEN_AWS_ACCESS_KEY_ID and "
                "BENCHGEN_AWS_SECRET_ACCESS_KEY"
            ) from None
        except BotoCoreError as exc:
            raise StoreError(
                f"cannot {action} {where}: the S3 endpoint {self.endpoint_url or 'AWS S3'} is unreachable "
                f"({exc}); check BENCHGEN_S3_ENDPOINT_URL and that the endpoint is up"
            ) from None
        except OSError as exc:
            raise StoreError(f"cannot {action} {where}: {exc}") from None

    def _bucket_exists(self) -> bool:
        """Ask the endpoint about the bucket itself: an endpoint that is down raises (BotoCoreError), so it
        is reported as unreachable, never as a missing bucket (s3fs's `exists` answers False for both)."""
        try:
            self.fs.call_s3("head_bucket", Bucket=self.root.split("/", 1)[0])
        except FileNotFoundError:
            return False
        return True

    def put_bytes(self, key: str, data: bytes) -> StoredObject:
        """Write one object atomically and return its size and sha256."""
        path = self._path(key)
        digest = hashlib.sha256(data).hexdigest()
        with self._errors("write", key):
            if self.is_local:
                self._write_local(Path(path), data)
            else:
                self.fs.pipe_file(path, data, ContentType=content_type(key))
                self._verify_remote(key, len(data), digest)
        return StoredObject(key=check_key(key), url=self.url_for(key), sha256=digest, size=len(data))

    @staticmethod
    def _write_local(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as temp:
                temp.write(data)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def _verify_remote(self, key: str, size: int, digest: str) -> None:
        stored_size = self.fs.size(self._path(key))
        stored_digest = self.sha256(key)
        if stored_size != size or stored_digest != digest:
            raise StoreError(
                f"upload of {self.url_for(key)} did not verify: wrote {size} bytes sha256 {digest[:12]}..., "
                f"read back {stored_size} bytes sha256 {stored_digest[:12]}...; retry the upload"
            )

    def put_file(self, key: str, path: Path) -> StoredObject:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise StoreError(f"cannot read {path} to store it as {key!r}: {exc.strerror}") from None
        return self.put_bytes(key, data)

    def put_dir(self, prefix: str, directory: Path) -> list[StoredObject]:
        """Store every file below `directory` under `prefix`, keeping relative paths."""
        files = sorted(p for p in Path(directory).rglob("*") if p.is_file())
        return [self.put_file(f"{prefix.strip('/')}/{p.relative_to(directory).as_posix()}", p) for p in files]

    def browser_url(self, key: str, expires_s: int) -> str:
        """An address a browser can open: a presigned URL on S3 (valid `expires_s`), the local file's path."""
        if self.is_local:
            return self._path(key)
        with self._errors("sign a link to", key):
            return self.fs.sign(self._path(key), expiration=expires_s)

    def get_bytes(self, key: str) -> bytes:
        with self._errors("read", key):
            return self.fs.cat_file(self._path(key))

    def get_file(self, key: str, dest: Path) -> Path:
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with self._errors("download", key):
            self.fs.get_file(self._path(key), str(dest))
        return dest

    def exists(self, key: str) -> bool:
        with self._errors("look up", key):
            return self.fs.exists(self._path(key))

    def list(self, prefix: str = "") -> list[str]:
        """Keys below `prefix` (a folder-like prefix), recursively, sorted."""
        path = self._path(prefix) if prefix.strip("/") else self.root
        with self._errors("list", prefix):
            if not self.is_local and not self._bucket_exists():
                raise FileNotFoundError(path)
            found = self.fs.find(path)
        keys = (self._key_of(p) for p in found)
        return sorted(k for k in keys if not PurePosixPath(k).name.startswith(TEMP_PREFIX))

    def delete(self, key_or_prefix: str) -> None:
        """Remove one object or everything below a prefix; missing keys are not an error."""
        path = self._path(key_or_prefix)
        with self._errors("delete", key_or_prefix):
            if self.fs.exists(path):
                self.fs.rm(path, recursive=True)

    def sha256(self, key: str) -> str:
        digest = hashlib.sha256()
        with self._errors("read", key), self.fs.open(self._path(key), "rb") as stored:
            while chunk := stored.read(HASH_CHUNK_BYTES):
                digest.update(chunk)
        return digest.hexdigest()

    def check(self) -> None:
        """Raise StoreError unless the store is usable: the endpoint answers and the bucket exists (S3), or
        the root folder is a folder (local). Cheap: run it before any work."""
        if self.is_local:
            if Path(self.root).exists() and not Path(self.root).is_dir():
                raise StoreError(f"store root {self.url} is not a folder; fix BENCHGEN_STORE_URL")
            return
        with self._errors("reach", ""):
            if not self._bucket_exists():
                raise FileNotFoundError(self.root)
