"""Import of measured height maps: read, check, level, crop and resample.

A height map ``h`` is a float64 array of shape ``(nx, ny)`` in metres; ``h[i, j]`` is the height at
``x = i * dx``, ``y = j * dy`` with ``dx = Lx / nx``, ``dy = Ly / ny`` and
``physical_sizes = (Lx, Ly)`` in metres.

Formats read here (plain matrices, no metadata, so ``unit`` and ``physical_sizes`` are required):

* ``.npy`` -- a 2-D numeric array, stored as ``h`` (first index is x).
* ``.csv`` -- comma- or semicolon-separated matrix; an optional first line with no number in it is a
  header; with ``;`` as separator a decimal comma is accepted; ``#`` starts a comment.
* ``.txt``, ``.asc``, ``.dat`` -- whitespace-separated matrix; ``#`` starts a comment.

In text matrices a file row is one x index (row ``r`` holds ``h[r, :]``), which is what
``np.savetxt(path, h)`` writes. ``nan`` (or an empty CSV field) marks a hole; holes are rejected
unless the crop box of :func:`load_measured` leaves them out.

Every other extension (.opd, .sur, .di, .datx, .plu, .x3p, .nmd, ...) and
``fmt="surfacetopography"`` go through SurfaceTopography's readers, an optional extra (``pip install lamina[topography]``)
imported only then; the file's own physical sizes and unit are used where it has them.

All bad input raises :class:`~solver.errors.InputError` with one line naming the file or the case
field (``surface.unit``, ``surface.crop``, ...), the offending value and what is allowed.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from solver.errors import InputError

UNITS = {"m": 1.0, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "nm": 1e-9}
"""Length units accepted for ``unit`` (factor to metres)."""

# Units SurfaceTopography may report for a file, beyond UNITS (factor to metres).
_FILE_UNITS = {**UNITS, "μm": 1e-6, "km": 1e3, "cm": 1e-2, "Å": 1e-10, "A": 1e-10, "pm": 1e-12}

DETREND_MODES = {"none": None, "mean": 0, "plane": 1, "poly2": 2, "poly3": 3}
"""Levelling modes and the total degree of the fitted polynomial in (x, y)."""

FORMATS = ("npy", "csv", "txt", "surfacetopography")
"""Values of ``fmt``; ``None`` picks the format from the extension."""

_EXT_FORMAT = {".npy": "npy", ".csv": "csv", ".txt": "txt", ".asc": "txt", ".dat": "txt"}

MIN_GRID_PTS = 8
"""Fewest grid points per direction of a height map."""

MAX_PHYSICAL_SIZE = 1.0
"""Largest accepted patch side in m: a larger value is almost surely a size given in µm or mm."""


class HeightMap(NamedTuple):
    """A measured height map in SI units.

    Attributes:
        heights: float64 array (nx, ny) in m; ``heights[i, j]`` at ``x = i Lx/nx, y = j Ly/ny``.
        physical_sizes: ``(Lx, Ly)`` in m.
        source: the file the map came from, as given.
    """

    heights: np.ndarray
    physical_sizes: tuple[float, float]
    source: str


# ----------------------------------------------------------------------------------------------
# the optional extra


def surfacetopography_version() -> str | None:
    """Version of the optional SurfaceTopography package, or None when it is not installed.

    Looks the package up without importing it (cheap, no side effects); meant for
    ``lamina version`` and for tests that need the extra.
    """
    if importlib.util.find_spec("SurfaceTopography") is None:
        return None
    try:
        return importlib.metadata.version("SurfaceTopography")
    except importlib.metadata.PackageNotFoundError:  # importable but not pip-installed
        return "unknown"


# ----------------------------------------------------------------------------------------------
# checks of case values


def _fmt(value) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if value is None:
        return "(not set)"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return repr(value)


def _field_error(name: str, value, allowed: str) -> InputError:
    return InputError(f"surface.{name} = {_fmt(value)}: {allowed}")


def _is_real(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def check_unit(unit) -> float:
    """Factor from ``unit`` to metres; accepts the Greek mu (``μm``) for the micro sign."""
    key = unit.replace("\u03bc", "\u00b5") if isinstance(unit, str) else unit
    if not isinstance(key, str) or key not in UNITS:
        raise _field_error("unit", unit, "allowed " + ", ".join(UNITS))
    return UNITS[key]


def check_physical_sizes(physical_sizes) -> tuple[float, float]:
    """``(Lx, Ly)`` as floats after checking two finite lengths in (0, 1] m."""
    ps = physical_sizes
    if (isinstance(ps, (str, bytes)) or not isinstance(ps, (Sequence, np.ndarray))
            or len(ps) != 2 or not all(_is_real(v) for v in ps)):
        raise _field_error("physical_sizes", ps, "need two lengths [Lx, Ly] in m")
    lx, ly = float(ps[0]), float(ps[1])
    if not all(math.isfinite(v) and v > 0 for v in (lx, ly)):
        raise _field_error("physical_sizes", ps, "lengths must be finite and > 0 (in m)")
    if max(lx, ly) > MAX_PHYSICAL_SIZE:
        raise _field_error("physical_sizes", ps,
                           f"lengths are in m and must be <= {MAX_PHYSICAL_SIZE:g} m "
                           "(100 µm is 1e-4)")
    return lx, ly


def check_grid_pts(nb_grid_pts, name: str = "resample_to") -> tuple[int, int]:
    """``(nx, ny)`` after checking two integers >= 8."""
    g = nb_grid_pts
    if _is_real(g):
        g = (g, g)
    ok = (not isinstance(g, (str, bytes)) and isinstance(g, (Sequence, np.ndarray)) and len(g) == 2
          and all(_is_real(n) and float(n).is_integer() and not isinstance(n, (float, np.floating))
                  for n in g))
    if not ok:
        raise _field_error(name, nb_grid_pts, "need two integers [nx, ny]")
    nx, ny = int(g[0]), int(g[1])
    if min(nx, ny) < MIN_GRID_PTS:
        raise _field_error(name, nb_grid_pts,
                           f"need at least {MIN_GRID_PTS} grid points in each direction")
    return nx, ny


def _check_map(h, what: str = "height map", min_pts: int = MIN_GRID_PTS) -> np.ndarray:
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
        raise _field_error("detrend", mode, "allowed " + ", ".join(DETREND_MODES))
    check_physical_sizes(physical_sizes)
    degree = DETREND_MODES[mode]
    h = _check_map(h, min_pts=1 if degree is None else degree + 1)
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
    if (isinstance(box, (str, bytes)) or not isinstance(box, (Sequence, np.ndarray))
            or len(box) != 4 or not all(_is_real(v) for v in box)):
        raise _field_error("crop", box, "need four lengths [x0, x1, y0, y1] in m")
    x0, x1, y0, y1 = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x0, x1, y0, y1)):
        raise _field_error("crop", box, "lengths must be finite (in m)")
    slices = []
    for lo, hi, size, n, ax in ((x0, x1, lx, shape[0], "x"), (y0, y1, ly, shape[1], "y")):
        tol = 1e-9 * size
        if not (lo < hi):
            raise _field_error("crop", box, f"empty box: need {ax}0 < {ax}1")
        if lo < -tol or hi > size + tol:
            raise _field_error("crop", box, f"{ax} range [{lo:g}, {hi:g}] m lies outside the map "
                               f"[0, {size:g}] m")
        d = size / n
        i0 = max(0, math.ceil(lo / d - 1e-9))
        i1 = min(n, math.ceil(hi / d - 1e-9))
        if i1 - i0 < MIN_GRID_PTS:
            raise _field_error("crop", box, f"keeps {max(i1 - i0, 0)} grid points along {ax} "
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
        raise InputError(f"resample method = {_fmt(method)}: allowed linear, cubic")
    check_physical_sizes(physical_sizes)
    target = check_grid_pts(nb_grid_pts)
    h = _check_map(h)
    out = h
    for axis, (n, m) in enumerate(zip(h.shape, target)):
        if n == m:
            continue
        # positions in source index units: the same at any physical size
        spline = make_interp_spline(np.arange(n, dtype=np.float64), out, k=orders[method],
                                    axis=axis)
        out = spline(np.arange(m) * (n / m), extrapolate=True)
    return np.array(out, dtype=np.float64)  # a copy also when nothing changed


# ----------------------------------------------------------------------------------------------
# reading


def _file_error(path, msg: str) -> InputError:
    return InputError(f"surface file '{os.fspath(path)}': {msg}")


def _span(idx, name: str) -> str:
    """'line 3' or 'lines 4–7' for the range of ``idx``."""
    lo, hi = int(np.min(idx)), int(np.max(idx))
    return f"{name} {lo}" if lo == hi else f"{name}s {lo}–{hi}"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _read_npy(path) -> tuple[np.ndarray, None]:
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic[:4] == b"PK\x03\x04":
        raise _file_error(path, "is an .npz archive, not an .npy array; save one array with "
                          "np.save(path, float_array)")
    if magic != b"\x93NUMPY":
        raise _file_error(path, "not a .npy file (no NumPy header); save the heights with "
                          "np.save(path, float_array), or set surface.format")
    try:
        a = np.load(path, allow_pickle=False)
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise _file_error(path, "holds Python objects, not a numeric array; "
                              "save the heights with np.save(path, float_array)") from None
        raise _file_error(path, "not a valid .npy file (the header cannot be read); "
                          "save the heights with np.save(path, float_array)") from None
    except (OSError, EOFError):
        raise _file_error(path, "not a valid .npy file (truncated or not NumPy format)") from None
    if a.dtype.kind not in "iuf":
        raise _file_error(path, f"array of dtype {a.dtype}; need real numbers (float or int)")
    if a.size == 0:
        raise _file_error(path, f"empty array of shape {a.shape}")
    if a.ndim == 1:
        raise _file_error(path, f"1-D array of {a.shape[0]} values (a line scan); "
                          "need a 2-D height map (nx, ny)")
    if a.ndim != 2:
        raise _file_error(path, f"array of shape {a.shape}; need a 2-D height map (nx, ny)")
    return np.asarray(a, dtype=np.float64), None


def _read_text(path, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse a text matrix; returns the array and the 1-based file line of each row."""
    raw = Path(path).read_bytes()
    if b"\x00" in raw:
        raise _file_error(path, "binary data, not a text matrix; "
                          "use .npy or an instrument format (fmt = 'surfacetopography')")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # e.g. a µ in a header written by an old exporter

    records: list[tuple[int, str]] = []  # (line number, content without comment)
    for lineno, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if content:
            records.append((lineno, content))
    if not records:
        raise _file_error(path, "empty (no data rows)" if not text.strip()
                          else "no data rows, only comments")

    delim = None  # None: whitespace
    if kind == "csv":
        first = records[0][1]
        delim = ";" if ";" in first else "," if "," in first else "\t" if "\t" in first else None
    decimal_comma = delim == ";"

    def tokens(content: str) -> list[str]:
        if delim is None:
            return content.split()
        toks = [t.strip() for t in content.split(delim)]
        if toks and toks[-1] == "" and len(toks) > 1:  # trailing separator
            toks.pop()
        if decimal_comma:
            toks = [t.replace(",", ".") for t in toks]
        return toks

    def to_float(tok: str) -> float | None:
        if tok == "" and delim is not None:
            return math.nan  # an empty field is a hole
        try:
            return float(tok)
        except ValueError:
            return None

    # optional header: only in CSV, only the first line, and only if no entry of it is a number
    if kind == "csv" and len(records) > 1:
        toks = tokens(records[0][1])
        if all(t == "" or to_float(t) is None for t in toks):
            records = records[1:]

    rows: list[np.ndarray] = []
    lines = np.empty(len(records), dtype=np.int64)
    bad: list[tuple[int, int, str]] = []
    for k, (lineno, content) in enumerate(records):
        toks = tokens(content)
        lines[k] = lineno
        try:
            rows.append(np.array(toks, dtype=np.float64))
        except ValueError:
            vals = []
            for col, t in enumerate(toks, start=1):
                v = to_float(t)
                if v is None:
                    bad.append((lineno, col, t))
                    v = math.nan
                vals.append(v)
            rows.append(np.array(vals, dtype=np.float64))
    if bad:
        lineno, col, t = bad[0]
        more = f" ({len(bad) - 1} more)" if len(bad) > 1 else ""
        raise _file_error(path, f"non-numeric entry {t[:20]!r} at line {lineno}, column {col}"
                          f"{more}; entries must be numbers")

    ncols = len(rows[0])
    ragged = [k for k, r in enumerate(rows) if len(r) != ncols]
    if ragged:
        k = ragged[0]
        raise _file_error(path, f"ragged rows: line {lines[k]} has {len(rows[k])} values but line "
                          f"{lines[0]} (the first data row) has {ncols}; "
                          f"{len(ragged)} {'row differs' if len(ragged) == 1 else 'rows differ'}; "
                          "every row needs the same number of values")
    h = np.vstack(rows)
    if h.shape[0] == 1 or h.shape[1] == 1:
        raise _file_error(path, f"a single {'row' if h.shape[0] == 1 else 'column'} of {h.size} "
                          "values (a line scan); need a 2-D height map (nx rows, ny columns)")
    return h, lines


def _read_surfacetopography(path, unit, physical_sizes):
    """Read an instrument file with SurfaceTopography; returns (h in m, sizes in m)."""
    try:
        import SurfaceTopography as st
    except ImportError:
        raise _file_error(path, f"format {Path(path).suffix or '(no extension)'!r} needs "
                          "SurfaceTopography: pip install lamina[topography] (or convert the map "
                          "to .npy, .csv or .txt)") from None

    def first_line(e: Exception) -> str:
        s = str(e).strip().splitlines()
        return (s[0] if s else type(e).__name__)[:200]

    try:
        reader = st.open_topography(os.fspath(path))
    except Exception as e:  # the third-party readers raise many kinds; report, don't crash
        raise _file_error(path, f"SurfaceTopography cannot read it ({first_line(e)}); "
                          "check the file, or convert it to .npy, .csv or .txt") from None
    try:
        channel = getattr(reader, "default_channel", None) or reader.channels[0]
        file_sizes, file_unit = channel.physical_sizes, channel.unit
        kwargs = {}
        if file_unit is None:
            if unit is None:
                raise _field_error("unit", None, f"required: '{os.fspath(path)}' does not say "
                                   "its unit; allowed " + ", ".join(UNITS))
            kwargs["unit"] = unit.replace("\u03bc", "\u00b5")
        lateral_unit = file_unit if file_unit is not None else kwargs["unit"]
        if file_sizes is None:
            if physical_sizes is None:
                raise _field_error("physical_sizes", None, f"required: '{os.fspath(path)}' does "
                                   "not give its physical sizes; need [Lx, Ly] in m")
            factor = _FILE_UNITS.get(lateral_unit) if isinstance(lateral_unit, str) else None
            if factor is None:
                raise _file_error(path, f"unit {lateral_unit!r} is not a length unit; "
                                  "allowed " + ", ".join(UNITS))
            kwargs["physical_sizes"] = tuple(s / factor for s in physical_sizes)
        try:
            topo = reader.topography(channel_index=channel.index, **kwargs)
        except TypeError:  # older SurfaceTopography: unit goes through `info`
            if "unit" in kwargs:
                kwargs["info"] = {"unit": kwargs.pop("unit")}
            topo = reader.topography(channel_index=channel.index, **kwargs)
    except InputError:
        raise
    except Exception as e:
        raise _file_error(path, f"SurfaceTopography cannot read it ({first_line(e)})") from None
    finally:
        close = getattr(reader, "close", None)
        if close is not None:
            close()

    if getattr(topo, "dim", 2) != 2:
        raise _file_error(path, "a line scan (1-D); need a 2-D height map")
    if not getattr(topo, "is_uniform", True):
        raise _file_error(path, "non-uniform (scattered) data; need a height map on a grid")
    t_unit = topo.unit if isinstance(topo.unit, str) else None
    factor = _FILE_UNITS.get(t_unit.replace("\u03bc", "\u00b5")) if t_unit else None
    if factor is None:
        raise _file_error(path, f"unit {topo.unit!r} is not a length unit; "
                          "allowed " + ", ".join(UNITS))
    heights = topo.heights()
    if np.ma.isMaskedArray(heights):
        heights = heights.filled(np.nan)
    h = np.asarray(heights, dtype=np.float64) * factor
    sizes = tuple(float(s) * factor for s in topo.physical_sizes)
    return h, sizes


def _read_raw(path, unit, physical_sizes, fmt):
    """Heights in m (holes as NaN), physical sizes in m, file line of each row (text) or None."""
    if fmt is not None and fmt not in FORMATS:
        raise _field_error("format", fmt, "allowed " + ", ".join(FORMATS) + " (or not set)")
    if unit is not None:
        check_unit(unit)
    if physical_sizes is not None:
        check_physical_sizes(physical_sizes)
    p = Path(path)
    if not p.exists():
        raise _file_error(path, "no such file")
    if p.is_dir():
        raise _file_error(path, "is a directory, not a height-map file")
    if fmt is None:
        fmt = _EXT_FORMAT.get(p.suffix.lower(), "surfacetopography")
    if fmt != "surfacetopography":  # a plain matrix carries no metadata
        if unit is None:
            raise _field_error("unit", None, f"required for '{p.name}' (a plain matrix): the "
                               "unit the heights are stored in; allowed " + ", ".join(UNITS))
        if physical_sizes is None:
            raise _field_error("physical_sizes", None, f"required for '{p.name}' (a plain "
                               "matrix): [Lx, Ly] in m")
    try:
        if p.stat().st_size == 0:
            raise _file_error(path, "empty file (0 bytes)")
        if fmt == "surfacetopography":
            h, sizes = _read_surfacetopography(p, unit, physical_sizes)
            try:
                return h, check_physical_sizes(sizes), None
            except InputError:
                raise _file_error(path, f"physical sizes {_fmt(list(sizes))} m from the file; "
                                  f"need finite lengths in (0, {MAX_PHYSICAL_SIZE:g}] m") from None
        if fmt == "npy":
            h, lines = _read_npy(p)
        else:
            h, lines = _read_text(p, "csv" if fmt == "csv" else "txt")
    except PermissionError:
        raise _file_error(path, "cannot be read (permission denied)") from None
    except IsADirectoryError:  # pragma: no cover - raced with the check above
        raise _file_error(path, "is a directory, not a height-map file") from None
    return h * check_unit(unit), check_physical_sizes(physical_sizes), lines


def _require_grid(path, h):
    if min(h.shape) < MIN_GRID_PTS:
        raise _file_error(path, f"{h.shape[0]} x {h.shape[1]} points; need at least "
                          f"{MIN_GRID_PTS} x {MIN_GRID_PTS}")


def _require_finite(path, h, lines, row0: int = 0, col0: int = 0, in_crop: bool = False):
    """Reject NaN/inf with their count and where they are (file lines or array indices).

    ``h`` may be a crop starting at ``(row0, col0)`` of the file's map; ``lines`` (the file line of
    each row of the whole map, or None) and the reported places refer to the whole map.
    """
    bad = ~np.isfinite(h)
    if not bad.any():
        return
    rows, cols = np.nonzero(bad)
    rows, cols = rows + row0, cols + col0
    n_nan = int(np.count_nonzero(np.isnan(h)))
    n_inf = int(bad.sum()) - n_nan
    parts = []
    if n_nan:
        parts.append(_count(n_nan, "NaN value (a hole)", "NaN values (holes)"))
    if n_inf:
        parts.append(_count(n_inf, "infinite value", "infinite values"))
    what = " and ".join(parts)
    if lines is not None:
        where = f"at {_span(lines[rows], 'line')}, {_span(cols + 1, 'column')}"
    else:
        where = f"at {_span(rows, 'row')}, {_span(cols, 'column')} (0-based)"
    scope = " inside the crop box" if in_crop else ""
    raise _file_error(path, f"{what}{scope} {where}; fill them, or crop them out with surface.crop")


def read_height_map(path, *, unit, physical_sizes=None, fmt=None) -> HeightMap:
    """Read a height map and convert it to metres.

    Args:
        path: the file.
        unit: unit the heights are stored in (one of :data:`UNITS`); required for plain matrices,
            a fallback for instrument files that do not say.
        physical_sizes: (Lx, Ly) in m; required for plain matrices, a fallback for instrument
            files that do not give them (the file's own sizes win).
        fmt: one of :data:`FORMATS`, or None to choose by extension.

    Returns:
        The map with finite heights in m, at least 8 x 8 points.
    """
    h, sizes, lines = _read_raw(path, unit, physical_sizes, fmt)
    _require_grid(path, h)
    _require_finite(path, h, lines)
    return HeightMap(h, sizes, os.fspath(path))


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
        raise _field_error("detrend", detrend_mode, "allowed " + ", ".join(DETREND_MODES))
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
