"""Import of measured height maps: read, check, level, crop and resample (the public API of
measured maps; the readers are in :mod:`solver.surface.readers`).

A height map ``h`` is a float64 array of shape ``(nx, ny)`` in metres; ``h[i, j]`` is the height at
``x = i * dx``, ``y = j * dy`` with ``dx = Lx / nx``, ``dy = Ly / ny`` and
``physical_sizes = (Lx, Ly)`` in metres. :func:`read_height_map` and :func:`load_measured` return
it as a :class:`~solver.surface.heightmap.HeightMap`.

Formats: see :mod:`solver.surface.readers` (.npy, .csv, .txt/.asc/.dat matrices; every other
extension, and a binary .txt/.asc/.dat, through the optional SurfaceTopography).

All bad input raises :class:`~solver.errors.InputError` with one line naming the file or the case
field (``surface.unit``, ``surface.crop``, ...), the offending value and what is allowed.
"""

from __future__ import annotations

import math
import os

import numpy as np

from solver.errors import InputError
from solver.surface.heightmap import HeightMap
from solver.surface.readers import (
    FORMATS,
    _file_error,
    _read_raw,
    _require_finite,
    _require_grid,
    read_height_map,
    surfacetopography_version,
)
from solver.surface.validation import (
    MIN_GRID_PTS,
    UNITS,
    check_box,
    check_grid_pts,
    check_map,
    check_physical_sizes,
    field_error,
    fmt_case_value,
)

__all__ = [
    "DETREND_MODES",
    "FORMATS",
    "UNITS",
    "HeightMap",
    "crop",
    "detrend",
    "load_measured",
    "read_height_map",
    "resample",
    "surfacetopography_version",
]

DETREND_MODES = {"none": None, "mean": 0, "plane": 1, "poly2": 2, "poly3": 3}
"""Levelling modes and the total degree of the fitted polynomial in (x, y)."""


# ----------------------------------------------------------------------------------------------
# levelling, cropping, resampling


def detrend(h, physical_sizes, mode: str = "plane") -> np.ndarray:
    """Subtract the least-squares polynomial in (x, y) of the total degree ``mode`` names.

    ``"none"`` returns a copy, ``"mean"`` subtracts the mean, ``"plane"`` a + bx + cy, ``"poly2"``
    and ``"poly3"`` all monomials x^a y^b with a + b <= 2 or 3. The fit uses per-axis discrete
    orthonormal polynomials (QR of the Vandermonde matrix), whose tensor products span exactly the
    total-degree space and are orthonormal on the grid, so the projection is exact and well
    conditioned at any size.

    Args:
        h: height map (nx, ny) in m.
        physical_sizes: (Lx, Ly) in m (checked; the fitted space does not depend on them).
        mode: one of :data:`DETREND_MODES`.

    Returns:
        The residual, a new (nx, ny) array.
    """
    if not isinstance(mode, str) or mode not in DETREND_MODES:
        raise field_error("detrend", mode, "allowed " + ", ".join(DETREND_MODES))
    check_physical_sizes(physical_sizes)
    degree = DETREND_MODES[mode]
    h = check_map(h, min_pts=1 if degree is None else degree + 1)
    if degree is None:
        return h.copy()
    if degree == 0:
        return h - h.mean()
    nx, ny = h.shape
    qx = _orthonormal_polys(nx, degree)  # (nx, degree + 1)
    qy = _orthonormal_polys(ny, degree)
    coef = qx.T @ h @ qy  # (degree + 1, degree + 1)
    a, b = np.indices(coef.shape)
    coef[a + b > degree] = 0.0
    return h - qx @ coef @ qy.T


def _orthonormal_polys(n: int, degree: int) -> np.ndarray:
    """Columns q_0..q_degree: orthonormal on n equispaced points, q_k of degree k."""
    t = np.linspace(-1.0, 1.0, n)
    q, r = np.linalg.qr(np.vander(t, degree + 1, increasing=True))
    return q * np.sign(np.diag(r))  # fix signs (not needed for the projection, but deterministic)


def _crop_indices(shape, physical_sizes, box) -> tuple[slice, slice]:
    """Index slices of the grid points with x0 <= x < x1 and y0 <= y < y1."""
    lx, ly = check_physical_sizes(physical_sizes)
    x0, x1, y0, y1 = check_box(box)
    slices = []
    for lo, hi, size, n, ax in ((x0, x1, lx, shape[0], "x"), (y0, y1, ly, shape[1], "y")):
        tol = 1e-9 * size
        if not (lo < hi):
            raise field_error("crop", box, f"empty box: need {ax}0 < {ax}1")
        if lo < -tol or hi > size + tol:
            raise field_error("crop", box, f"{ax} range [{lo:g}, {hi:g}] m lies outside the map "
                               f"[0, {size:g}] m")
        d = size / n
        i0 = max(0, math.ceil(lo / d - 1e-9))
        i1 = min(n, math.ceil(hi / d - 1e-9))
        if i1 - i0 < MIN_GRID_PTS:
            raise field_error("crop", box, f"keeps {max(i1 - i0, 0)} grid points along {ax} "
                               f"(spacing {d:g} m); need at least {MIN_GRID_PTS}")
        slices.append(slice(i0, i1))
    return slices[0], slices[1]


def crop(h, physical_sizes, box) -> tuple[np.ndarray, tuple[float, float]]:
    """The grid points with ``x0 <= x < x1`` and ``y0 <= y < y1``, and their physical sizes.

    The grid spacing is kept, so the new sizes are (points kept) x spacing; a box whose edges lie
    on grid points keeps exactly ``(x1 - x0, y1 - y0)``. The cropped map starts at x = y = 0 again.

    Args:
        h: height map (nx, ny) in m (NaN holes are allowed and kept).
        physical_sizes: (Lx, Ly) in m.
        box: (x0, x1, y0, y1) in m, inside [0, Lx] x [0, Ly].
    """
    h = np.asarray(h, dtype=np.float64)
    if h.ndim != 2:
        raise InputError(f"height map: array of shape {h.shape}; need a 2-D height map (nx, ny)")
    sx, sy = _crop_indices(h.shape, physical_sizes, box)
    lx, ly = check_physical_sizes(physical_sizes)
    dx, dy = lx / h.shape[0], ly / h.shape[1]
    out = h[sx, sy].copy()
    return out, (out.shape[0] * dx, out.shape[1] * dy)


def resample(h, physical_sizes, nb_grid_pts, *, method: str = "cubic") -> np.ndarray:
    """Interpolate the map onto ``nb_grid_pts`` points over the same physical sizes.

    The target points ``x'_k = k Lx / nx'`` are interpolated from the source points
    ``x_i = i Lx / nx`` with a tensor-product cubic spline with not-a-knot ends
    (``method="cubic"``) or bilinearly (``"linear"``), one axis after the other. The data are not
    periodic: the strip beyond the last source point, ``x > (nx - 1) dx``, that a finer target grid
    reaches (less than one source spacing) is extrapolated with the last spline piece. Coarsening
    does not low-pass filter first, so wavelengths shorter than two target spacings alias.

    Args:
        h: finite height map (nx, ny) in m.
        physical_sizes: (Lx, Ly) in m.
        nb_grid_pts: target (nx', ny'), integers >= 8 (an int n means (n, n)).
        method: ``"cubic"`` or ``"linear"``.

    Returns:
        The resampled map, float64 (nx', ny').
    """
    from scipy.interpolate import make_interp_spline

    orders = {"linear": 1, "cubic": 3}
    if method not in orders:
        raise InputError(f"resample method = {fmt_case_value(method)}: allowed linear, cubic")
    check_physical_sizes(physical_sizes)
    target = check_grid_pts(nb_grid_pts)
    h = check_map(h)
    out = h
    for axis, (n, m) in enumerate(zip(h.shape, target)):
        if n == m:
            continue
        # positions in source index units: the same at any physical size
        spline = make_interp_spline(np.arange(n, dtype=np.float64), out, k=orders[method],
                                    axis=axis)
        out = spline(np.arange(m) * (n / m), extrapolate=True)
    return np.array(out, dtype=np.float64)  # a copy also when nothing changed


def load_measured(path, *, unit, physical_sizes=None, fmt=None, detrend_mode="plane",
                  crop_box=None, nb_grid_pts=None) -> HeightMap:
    """Read, crop, level and resample a measured height map, in that order.

    Cropping comes first so that holes outside the crop box do no harm and the levelling fits only
    the part that is kept. A map that is flat after levelling (rms 0 to round-off) is rejected: it
    has no roughness to press.

    Args:
        path, unit, physical_sizes, fmt: as for :func:`read_height_map`.
        detrend_mode: levelling, one of :data:`DETREND_MODES` (case field ``surface.detrend``).
        crop_box: (x0, x1, y0, y1) in m, or None (case field ``surface.crop``).
        nb_grid_pts: target (nx, ny), or None to keep the grid (``surface.resample_to``).
    """
    # check the cheap case values before reading a possibly large file
    if not isinstance(detrend_mode, str) or detrend_mode not in DETREND_MODES:
        raise field_error("detrend", detrend_mode, "allowed " + ", ".join(DETREND_MODES))
    if nb_grid_pts is not None:
        check_grid_pts(nb_grid_pts)
    h, sizes, lines = _read_raw(path, unit, physical_sizes, fmt)
    if crop_box is not None:
        _require_grid(path, h)
        sx, sy = _crop_indices(h.shape, sizes, crop_box)
        h, sizes = crop(h, sizes, crop_box)
        _require_finite(path, h, lines, sx.start, sy.start, in_crop=True)
    else:
        _require_grid(path, h)
        _require_finite(path, h, lines)
    scale = float(np.max(np.abs(h)))
    h = detrend(h, sizes, detrend_mode)
    rms = float(np.sqrt(np.mean((h - h.mean()) ** 2)))
    if rms <= 1e-12 * scale or rms == 0.0:
        raise _file_error(path, f"the heights are constant after detrend = '{detrend_mode}' "
                          "(rms 0); a flat map has no roughness to press")
    if nb_grid_pts is not None:
        h = resample(h, sizes, nb_grid_pts)
    return HeightMap(h, sizes, os.fspath(path))
