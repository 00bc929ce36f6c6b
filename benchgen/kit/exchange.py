"""Geometry as bytes: how fixtures cross the sandbox boundary as data, never as pickled objects."""

import hashlib
import io

from benchgen.kit.errors import InvalidGeometry


def shape_to_brep(shape) -> bytes:
    """Serialize a build123d shape (with its location baked in) to OCCT's BREP text format."""
    from OCP.BRepTools import BRepTools

    buffer = io.BytesIO()
    BRepTools.Write_s(shape.wrapped, buffer)
    return buffer.getvalue()


def brep_to_shape(data: bytes):
    """Parse BREP bytes back into a build123d shape; raise InvalidGeometry if they do not parse."""
    from build123d import Compound
    from OCP.BRep import BRep_Builder
    from OCP.BRepTools import BRepTools
    from OCP.TopoDS import TopoDS_Shape

    shape = TopoDS_Shape()
    BRepTools.Read_s(shape, io.BytesIO(data), BRep_Builder())
    if shape.IsNull():
        raise InvalidGeometry("fixture geometry could not be read back from BREP")
    return Compound.cast(shape)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
