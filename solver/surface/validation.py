"""Checks of height-map arguments, shared by the generators, the statistics and the import of
measured maps.

Two families, with their own messages (tests match them):

* arguments of the generators and statistics (:func:`grid_pts`, :func:`domain_sizes`,
  :func:`real_param`, :func:`positive_param`, :func:`height_array`, :func:`length_param`):
  ``name = value: must be ...``;
* case values of a measured surface (:func:`check_unit`, :func:`check_physical_sizes`,
  :func:`check_grid_pts`, :func:`check_map`): ``surface.<field> = value: ...``, with the stricter
  rules of a file read from a case (sizes at most :data:`MAX_PHYSICAL_SIZE`, at least
  :data:`MIN_GRID_PTS` points per direction).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from solver.checks import is_int, is_real, positive_float
from solver.errors import InputError

UNITS = {"m": 1.0, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "nm": 1e-9}
"""Length units accepted for ``unit`` (factor to metres)."""

MIN_GRID_PTS = 8
"""Fewest grid points per direction of a height map."""

MAX_PHYSICAL_SIZE = 1.0
"""Largest accepted patch side in m: a larger value is almost surely a size given in µm or mm."""


# ------------------------------------------------------------------------------------------------
# Arguments of the generators and statistics
# ------------------------------------------------------------------------------------------------


def grid_pts(nb_grid_pts) -> tuple[int, int]:
    """``(nx, ny)`` after checking two integers >= 2."""
    try:
        nx, ny = nb_grid_pts
    except (TypeError, ValueError):
        raise InputError(f"nb_grid_pts = {nb_grid_pts!r}: must be two integers (nx, ny)") from None
    for n in (nx, ny):
        if not is_int(n):
            raise InputError(f"nb_grid_pts = {nb_grid_pts!r}: must be two integers (nx, ny)")
        if n < 2:
            raise InputError(f"nb_grid_pts = {nb_grid_pts!r}: each must be >= 2")
    return int(nx), int(ny)


def domain_sizes(physical_sizes) -> tuple[float, float]:
    """``(Lx, Ly)`` in m after checking two finite lengths > 0."""
    try:
        lx, ly = (float(v) for v in physical_sizes)
    except (TypeError, ValueError):
        raise InputError(
            f"physical_sizes = {physical_sizes!r}: must be two lengths (Lx, Ly) in m") from None
    if not (math.isfinite(lx) and math.isfinite(ly) and lx > 0 and ly > 0):
        raise InputError(f"physical_sizes = {physical_sizes!r}: must be finite and > 0 (m)")
    return lx, ly


def real_param(name: str, value, *, allow_none: bool = False) -> float | None:
    """``value`` as a float after checking a finite real number (None passes if allowed)."""
    if value is None and allow_none:
        return None
    if not is_real(value):
        raise InputError(f"{name} = {value!r}: must be a real number")
    v = float(value)
    if not math.isfinite(v):
        raise InputError(f"{name} = {value!r}: must be finite")
    return v


def positive_param(name: str, value, *, allow_none: bool = False) -> float | None:
    """:func:`real_param`, and > 0."""
    v = real_param(name, value, allow_none=allow_none)
    if v is not None and v <= 0:
        raise InputError(f"{name} = {value!r}: must be > 0")
    return v


def height_array(h) -> np.ndarray:
    """A contiguous float64 copy (or view) of a finite real 2-D map with at least 2x2 points."""
    h = np.asarray(h)
    if h.ndim != 2 or h.shape[0] < 2 or h.shape[1] < 2:
        raise InputError(f"h: shape {h.shape}; need a 2-D height map with at least 2x2 points")
    if not np.issubdtype(h.dtype, np.number) or np.iscomplexobj(h):
        raise InputError(f"h: dtype {h.dtype}; need real heights")
    h = np.ascontiguousarray(h, dtype=np.float64)
    if not np.all(np.isfinite(h)):
        raise InputError("h: contains NaN or Inf")
    return h


def length_param(name: str, value, *, allow_none: bool = True) -> float | None:
    """``value`` as a length in m (finite, > 0); None passes if allowed."""
    if value is None and allow_none:
        return None
    return positive_float(value, f"{name} = {value!r}: must be a length in m",
                          f"{name} = {value!r}: must be finite and > 0 (m)")


# ------------------------------------------------------------------------------------------------
# Case values of a measured surface
# ------------------------------------------------------------------------------------------------


def fmt_case_value(value) -> str:
    """A case value as shown in a one-line message (floats with ``%g``)."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt_case_value(v) for v in value) + "]"
    if value is None:
        return "(not set)"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return repr(value)


def field_error(name: str, value, allowed: str) -> InputError:
    """The error for case field ``surface.<name>``."""
    return InputError(f"surface.{name} = {fmt_case_value(value)}: {allowed}")


def check_unit(unit) -> float:
    """Factor from ``unit`` to metres; accepts the Greek mu (``μm``) for the micro sign."""
    key = unit.replace("\u03bc", "\u00b5") if isinstance(unit, str) else unit
    if not isinstance(key, str) or key not in UNITS:
        raise field_error("unit", unit, "allowed " + ", ".join(UNITS))
    return UNITS[key]


def _is_pair_like(v, n: int) -> bool:
    """A sequence or array (not a string) of ``n`` entries."""
    return (not isinstance(v, (str, bytes)) and isinstance(v, (Sequence, np.ndarray))
            and len(v) == n)


def check_physical_sizes(physical_sizes) -> tuple[float, float]:
    """``(Lx, Ly)`` as floats after checking two finite lengths in (0, 1] m."""
    ps = physical_sizes
    if not _is_pair_like(ps, 2) or not all(is_real(v) for v in ps):
        raise field_error("physical_sizes", ps, "need two lengths [Lx, Ly] in m")
    lx, ly = float(ps[0]), float(ps[1])
    if not all(math.isfinite(v) and v > 0 for v in (lx, ly)):
        raise field_error("physical_sizes", ps, "lengths must be finite and > 0 (in m)")
    if max(lx, ly) > MAX_PHYSICAL_SIZE:
        raise field_error("physical_sizes", ps,
                          f"lengths are in m and must be <= {MAX_PHYSICAL_SIZE:g} m "
                          "(100 µm is 1e-4)")
    return lx, ly


def check_grid_pts(nb_grid_pts, name: str = "resample_to") -> tuple[int, int]:
    """``(nx, ny)`` after checking two integers >= 8."""
    g = nb_grid_pts
    if is_real(g):
        g = (g, g)
    ok = _is_pair_like(g, 2) and all(
        is_real(n) and float(n).is_integer() and not isinstance(n, (float, np.floating))
        for n in g)
    if not ok:
        raise field_error(name, nb_grid_pts, "need two integers [nx, ny]")
    nx, ny = int(g[0]), int(g[1])
    if min(nx, ny) < MIN_GRID_PTS:
        raise field_error(name, nb_grid_pts,
                          f"need at least {MIN_GRID_PTS} grid points in each direction")
    return nx, ny


def check_box(box) -> tuple[float, float, float, float]:
    """``(x0, x1, y0, y1)`` as floats after checking four finite lengths (``surface.crop``)."""
    if not _is_pair_like(box, 4) or not all(is_real(v) for v in box):
        raise field_error("crop", box, "need four lengths [x0, x1, y0, y1] in m")
    x0, x1, y0, y1 = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x0, x1, y0, y1)):
        raise field_error("crop", box, "lengths must be finite (in m)")
    return x0, x1, y0, y1


def check_map(h, what: str = "height map", min_pts: int = MIN_GRID_PTS) -> np.ndarray:
    """A finite 2-D float64 array with at least ``min_pts`` points per direction."""
    h = np.asarray(h)
    if h.ndim != 2:
        raise InputError(f"{what}: array of shape {h.shape}; need a 2-D height map (nx, ny)")
    if min(h.shape) < min_pts:
        raise InputError(f"{what}: {h.shape[0]} x {h.shape[1]} points; "
                         f"need at least {min_pts} x {min_pts}")
    h = np.asarray(h, dtype=np.float64)
    if not np.all(np.isfinite(h)):
        raise InputError(f"{what}: {np.count_nonzero(~np.isfinite(h))} NaN/inf values; "
                         "need finite heights")
    return h
