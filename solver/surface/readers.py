"""Reading measured height maps: plain matrices (.npy, .csv, .txt/.asc/.dat) and instrument files
through SurfaceTopography, converted to metres (:func:`read_height_map`).

Formats read here (plain matrices, no metadata, so ``unit`` and ``physical_sizes`` are required):

* ``.npy`` -- a 2-D numeric array, stored as ``h`` (first index is x).
* ``.csv`` -- comma- or semicolon-separated matrix; an optional first line with no number in it is a
  header; with ``;`` as separator a decimal comma is accepted; ``#`` starts a comment.
* ``.txt``, ``.asc``, ``.dat`` -- whitespace-separated matrix; ``#`` starts a comment. These
  extensions are ambiguous (a Zygo MetroPro ``.dat`` is binary): a file whose first 4 KiB are
  binary (a NUL byte, or more than 10 % control bytes) is an instrument file and goes to
  SurfaceTopography (:func:`solver.surface.formats.resolve_format`).

In text matrices a file row is one x index (row ``r`` holds ``h[r, :]``), which is what
``np.savetxt(path, h)`` writes. ``nan`` (or an empty CSV field) marks a hole; holes are rejected
unless the crop box of :func:`solver.surface.measured.load_measured` leaves them out.

Every other extension (.opd, .sur, .di, .datx, .plu, .x3p, .nmd, ...) and
``fmt="surfacetopography"`` go through SurfaceTopography's readers, an optional extra
(``pip install lamina[topography]``) imported only then. The file's own unit and physical sizes
win where it has them; a case value that differs is logged as a warning and not used. The case's
``unit`` and ``physical_sizes`` are required only where the file does not give them.

The checks that need no reading of the heights (format, unit, sizes, which of them a plain
matrix requires) are :func:`solver.surface.formats.check_source`, which the case loader runs too.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import math
import os
from pathlib import Path

import numpy as np

from solver.checks import check_memory
from solver.errors import InputError
from solver.surface.formats import AMBIGUOUS_SUFFIXES, FORMATS, check_source, resolve_format
from solver.surface.heightmap import HeightMap
from solver.surface.validation import (
    MAX_PHYSICAL_SIZE,
    MIN_GRID_PTS,
    UNITS,
    check_physical_sizes,
    check_unit,
    field_error,
    fmt_case_value,
)

__all__ = ["FORMATS", "check_source", "read_height_map", "resolve_format",
           "surfacetopography_version"]

# Units SurfaceTopography may report for a file, beyond UNITS (factor to metres).
_FILE_UNITS = {**UNITS, "μm": 1e-6, "km": 1e3, "cm": 1e-2, "Å": 1e-10, "A": 1e-10, "pm": 1e-12}

log = logging.getLogger("lamina")


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
# reading


def _file_error(path, msg: str) -> InputError:
    """The error for a problem with the surface file ``path``."""
    return InputError(f"surface file '{os.fspath(path)}': {msg}")


def _span(idx, name: str) -> str:
    """'line 3' or 'lines 4–7' for the range of ``idx``."""
    lo, hi = int(np.min(idx)), int(np.max(idx))
    return f"{name} {lo}" if lo == hi else f"{name}s {lo}–{hi}"


def _count(n: int, one: str, many: str) -> str:
    """'1 hole' or '3 holes'."""
    return f"{n} {one if n == 1 else many}"


def _check_npy_header(path) -> None:
    """Refuse, from the header alone, an array the file does not hold or memory cannot."""
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                    else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read(f)
            start = f.tell()
    except (ValueError, OSError, EOFError):
        return  # np.load reports an unreadable header in its words
    if dtype.hasobject or not all(isinstance(n, int) and n >= 0 for n in shape):
        return
    n = math.prod(shape)
    need = n * dtype.itemsize
    have = Path(path).stat().st_size - start
    if need > have:
        raise _file_error(path, f"header declares an array of shape {shape} ({need} bytes) "
                          f"but the file holds {have} bytes of data; not a complete .npy file")
    check_memory(need + 3 * n * 8, f"surface file '{path}' (array of shape {shape})")


def _read_npy(path) -> tuple[np.ndarray, None]:
    """Read a 2-D numeric .npy array (no row lines: None)."""
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic[:4] == b"PK\x03\x04":
        raise _file_error(path, "is an .npz archive, not an .npy array; save one array with "
                          "np.save(path, float_array)")
    if magic != b"\x93NUMPY":
        raise _file_error(path, "not a .npy file (no NumPy header); save the heights with "
                          "np.save(path, float_array), or set surface.format")
    _check_npy_header(path)
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


def _decode_text(path) -> str:
    """The file's text (UTF-8, with or without BOM, else Latin-1); binary files are rejected."""
    raw = Path(path).read_bytes()
    if b"\x00" in raw:
        raise _file_error(path, "binary data, not a text matrix; use .npy, or for an instrument "
                          "file set surface.format = 'surfacetopography'")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # e.g. a µ in a header written by an old exporter


def _data_records(path, text: str) -> list[tuple[int, str]]:
    """(1-based line number, content without comment) of every line with data."""
    records: list[tuple[int, str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if content:
            records.append((lineno, content))
    if not records:
        raise _file_error(path, "empty (no data rows)" if not text.strip()
                          else "no data rows, only comments")
    return records


def _delimiter(kind: str, first: str) -> str | None:
    """The field separator of a matrix whose first data line is ``first`` (None: whitespace)."""
    if kind != "csv":
        return None
    return ";" if ";" in first else "," if "," in first else "\t" if "\t" in first else None


def _tokens(content: str, delim: str | None) -> list[str]:
    """The fields of one line; with ``;`` as separator a decimal comma becomes a point."""
    if delim is None:
        return content.split()
    toks = [t.strip() for t in content.split(delim)]
    if toks and toks[-1] == "" and len(toks) > 1:  # trailing separator
        toks.pop()
    if delim == ";":
        toks = [t.replace(",", ".") for t in toks]
    return toks


def _to_float(tok: str, delim: str | None) -> float | None:
    """A field as a number: NaN for an empty field (a hole), None when it is not a number."""
    if tok == "" and delim is not None:
        return math.nan
    try:
        return float(tok)
    except ValueError:
        return None


def _parse_rows(path, records, delim) -> tuple[list[np.ndarray], np.ndarray]:
    """One float array per record and the file line of each; a non-numeric entry is an error
    naming the first one (line, column) and how many more there are."""
    rows: list[np.ndarray] = []
    lines = np.empty(len(records), dtype=np.int64)
    bad: list[tuple[int, int, str]] = []
    for k, (lineno, content) in enumerate(records):
        toks = _tokens(content, delim)
        lines[k] = lineno
        try:
            rows.append(np.array(toks, dtype=np.float64))
        except ValueError:
            vals = []
            for col, t in enumerate(toks, start=1):
                v = _to_float(t, delim)
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
    return rows, lines


def _stack_rows(path, rows: list[np.ndarray], lines: np.ndarray) -> np.ndarray:
    """The rows as a 2-D matrix; ragged rows and line scans are errors."""
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
    return h


def _read_text(path, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse a text matrix; returns the array and the 1-based file line of each row."""
    text = _decode_text(path)
    records = _data_records(path, text)
    delim = _delimiter(kind, records[0][1])
    # optional header: only in CSV, only the first line, and only if no entry of it is a number
    if kind == "csv" and len(records) > 1:
        toks = _tokens(records[0][1], delim)
        if all(t == "" or _to_float(t, delim) is None for t in toks):
            records = records[1:]
    rows, lines = _parse_rows(path, records, delim)
    return _stack_rows(path, rows, lines), lines


def _first_line(e: Exception) -> str:
    """The first line of an exception's message (at most 200 characters), or its type."""
    s = str(e).strip().splitlines()
    return (s[0] if s else type(e).__name__)[:200]


def _import_surfacetopography(path):
    """The SurfaceTopography module, or an error saying how to install it."""
    try:
        import SurfaceTopography as st
    except ImportError:
        binary = Path(path).suffix.lower() in AMBIGUOUS_SUFFIXES
        what = ("binary data (not a text matrix): an instrument file, which" if binary else
                f"format {Path(path).suffix or '(no extension)'!r}")
        raise _file_error(path, f"{what} needs SurfaceTopography: pip install lamina[topography] "
                          "(or convert the map to .npy, .csv or .txt)") from None
    return st


def _fallback_kwargs(path, file_unit, file_sizes, unit, physical_sizes) -> dict:
    """What the case must supply because the file does not say it (unit, physical sizes)."""
    kwargs = {}
    if file_unit is None:
        if unit is None:
            raise field_error("unit", None, f"required: '{os.fspath(path)}' does not say "
                               "its unit; allowed " + ", ".join(UNITS))
        kwargs["unit"] = unit.replace("\u03bc", "\u00b5")
    lateral_unit = file_unit if file_unit is not None else kwargs["unit"]
    if file_sizes is None:
        if physical_sizes is None:
            raise field_error("physical_sizes", None, f"required: '{os.fspath(path)}' does "
                               "not give its physical sizes; need [Lx, Ly] in m")
        factor = _unit_factor(lateral_unit)
        if factor is None:
            raise _file_error(path, f"unit {lateral_unit!r} is not a length unit; "
                              "allowed " + ", ".join(UNITS))
        kwargs["physical_sizes"] = tuple(s / factor for s in physical_sizes)
    return kwargs


def _unit_factor(unit) -> float | None:
    """Metres per ``unit`` (a unit SurfaceTopography may report), or None if not a length."""
    return _FILE_UNITS.get(unit.replace("\u03bc", "\u00b5")) if isinstance(unit, str) else None


def _warn_overridden(path, unit, physical_sizes, file_unit, file_sizes) -> None:
    """Log that the file's unit / sizes are used where the case gives other ones."""
    name = Path(path).name
    if file_unit is not None and unit is not None and check_unit(unit) != _unit_factor(file_unit):
        log.warning("surface.unit = %r: '%s' stores its heights in %r, and the file's unit is "
                    "used; remove surface.unit or set it to the file's", unit, name, file_unit)
    if file_sizes is not None and physical_sizes is not None and not np.allclose(
            file_sizes, physical_sizes, rtol=1e-6, atol=0.0):
        log.warning("surface.physical_sizes = %s: '%s' gives %s m, and the file's sizes are "
                    "used; remove surface.physical_sizes or set it to the file's",
                    fmt_case_value(list(physical_sizes)), name,
                    fmt_case_value([float(s) for s in file_sizes]))


def _read_surfacetopography(path, unit, physical_sizes):
    """Read an instrument file with SurfaceTopography; returns (h in m, sizes in m).

    The file's unit and physical sizes win; the case's are the fallback where the file has none,
    and a warning where they differ."""
    st = _import_surfacetopography(path)
    try:
        reader = st.open_topography(os.fspath(path))
    except Exception as e:  # the third-party readers raise many kinds; report, don't crash
        raise _file_error(path, f"SurfaceTopography cannot read it ({_first_line(e)}); "
                          "check the file, or convert it to .npy, .csv or .txt") from None
    try:
        channel = getattr(reader, "default_channel", None) or reader.channels[0]
        file_sizes, file_unit = channel.physical_sizes, channel.unit
        kwargs = _fallback_kwargs(path, file_unit, file_sizes, unit, physical_sizes)
        try:
            topo = reader.topography(channel_index=channel.index, **kwargs)
        except TypeError:  # older SurfaceTopography: unit goes through `info`
            if "unit" in kwargs:
                kwargs["info"] = {"unit": kwargs.pop("unit")}
            topo = reader.topography(channel_index=channel.index, **kwargs)
    except InputError:
        raise
    except Exception as e:
        raise _file_error(path, f"SurfaceTopography cannot read it ({_first_line(e)})") from None
    finally:
        close = getattr(reader, "close", None)
        if close is not None:
            close()

    if getattr(topo, "dim", 2) != 2:
        raise _file_error(path, "a line scan (1-D); need a 2-D height map")
    if not getattr(topo, "is_uniform", True):
        raise _file_error(path, "non-uniform (scattered) data; need a height map on a grid")
    factor = _unit_factor(topo.unit)
    if factor is None:
        raise _file_error(path, f"unit {topo.unit!r} is not a length unit; "
                          "allowed " + ", ".join(UNITS))
    heights = topo.heights()
    if np.ma.isMaskedArray(heights):
        heights = heights.filled(np.nan)
    h = np.asarray(heights, dtype=np.float64) * factor
    sizes = tuple(float(s) * factor for s in topo.physical_sizes)
    _warn_overridden(path, unit, physical_sizes, file_unit,
                     sizes if file_sizes is not None else None)
    return h, sizes


def _read_raw(path, unit, physical_sizes, fmt):
    """Heights in m (holes as NaN), physical sizes in m, file line of each row (text) or None."""
    p = Path(path)
    fmt = check_source(p, unit, physical_sizes, fmt)
    if not p.exists():
        raise _file_error(path, "no such file")
    if p.is_dir():
        raise _file_error(path, "is a directory, not a height-map file")
    try:
        if not p.is_file():
            raise _file_error(path, "not a regular file (a pipe, device or socket)")
        if p.stat().st_size == 0:
            raise _file_error(path, "empty file (0 bytes)")
        if fmt == "surfacetopography":
            h, sizes = _read_surfacetopography(p, unit, physical_sizes)
            try:
                return h, check_physical_sizes(sizes), None
            except InputError:
                shown = fmt_case_value(list(sizes))
                raise _file_error(path, f"physical sizes {shown} m from the file; need finite "
                                  f"lengths in (0, {MAX_PHYSICAL_SIZE:g}] m") from None
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
    """Reject a map with fewer than MIN_GRID_PTS points along x or y."""
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
            a fallback for instrument files that do not say (the file's own unit wins; a
            different one here is a warning).
        physical_sizes: (Lx, Ly) in m; required for plain matrices, a fallback for instrument
            files that do not give them (the file's own sizes win; different ones here are a
            warning).
        fmt: one of :data:`FORMATS`, or None to choose by extension (by content for the
            ambiguous .txt, .asc, .dat).

    Returns:
        The map with finite heights in m, at least 8 x 8 points.
    """
    h, sizes, lines = _read_raw(path, unit, physical_sizes, fmt)
    _require_grid(path, h)
    _require_finite(path, h, lines)
    return HeightMap(h, sizes, os.fspath(path))
