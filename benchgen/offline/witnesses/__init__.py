"""The offline families' witnesses: one self-contained solution file per family, `<family key>.py`.

A witness is a reference mechanism (see the solution contract) that reads everything it needs from the
scenario it is given (fixtures by label, zones, the payload's jitter envelope), so one file solves
every plan of its family. The Coder hands the file's text over with the family's script; it runs in
the sandbox like any solution, never imported by the host.
"""

from importlib.resources import files


def witness_source(family: str) -> str | None:
    """The witness file of `family`, or None when the family has none yet."""
    path = files(__package__).joinpath(f"{family}.py")
    return path.read_text(encoding="utf-8") if path.is_file() else None
