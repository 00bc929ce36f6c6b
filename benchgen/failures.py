"""A failed check, shared by physics, validation and evaluation (below all three, beside the codes)."""

from pydantic import BaseModel

from benchgen.codes import FailureCode


class Failure(BaseModel):
    """One failed check, with a message that tells the Coder what to change."""

    code: FailureCode
    message: str
    seed: int | None = None
    scale: float | None = None
