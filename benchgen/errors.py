"""Exceptions of the benchgen core. The CLI turns each into one clear line and exit status 2."""


class BenchgenError(Exception):
    """Base of every error benchgen raises on purpose; its message is meant for the user as-is."""


class ConfigError(BenchgenError):
    """A setting is missing or malformed (bad URL, unknown option, unreadable config file)."""


class DatabaseError(BenchgenError):
    """The database cannot be reached or is not migrated."""


class StoreError(BenchgenError):
    """The artifact store cannot be reached, the bucket is missing, or a checksum does not match."""


class SandboxUnavailable(BenchgenError):
    """bubblewrap is missing or cannot create a sandbox here; benchgen never runs scripts unsandboxed."""


class UsageError(BenchgenError):
    """The user asked for something that cannot be done as asked (missing file, bad option value)."""


class NotFoundError(BenchgenError):
    """A session, benchmark or dataset with the given id does not exist."""
