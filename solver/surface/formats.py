"""Which reader a measured height-map file goes to, and the checks of a measured surface that
need no reading of its heights (:func:`check_source`: the case loader and the import share it, so
``lamina validate`` refuses what ``lamina surface`` would refuse).

Plain matrices (``.npy``, ``.csv``, ``.txt``/``.asc``/``.dat``) carry no metadata and need the
case's ``unit`` and ``physical_sizes``; every other extension is an instrument file read through
SurfaceTopography (:mod:`solver.surface.readers`). ``.txt``, ``.asc`` and ``.dat`` are ambiguous
(a Zygo MetroPro ``.dat`` is binary): there the content decides (:func:`resolve_format`).
"""

from __future__ import annotations

from pathlib import Path

from solver.surface.validation import UNITS, check_physical_sizes, check_unit, field_error

FORMATS = ("npy", "csv", "txt", "surfacetopography")
"""Values of ``fmt`` (case field ``surface.format``); ``None`` picks the format from the file."""

EXT_FORMAT = {".npy": "npy", ".csv": "csv", ".txt": "txt", ".asc": "txt", ".dat": "txt"}
"""The plain-matrix format of an extension; any other extension is an instrument file."""

AMBIGUOUS_SUFFIXES = (".txt", ".asc", ".dat")
"""Extensions shared by text matrices and binary instrument files: the content decides."""

SNIFF_BYTES = 4096
"""How much of an ambiguous file :func:`looks_binary` reads."""


def looks_binary(path) -> bool | None:
    """Whether the file's first 4 KiB are binary (a NUL byte, or more than 10 % control bytes
    other than tab, newline, carriage return and form feed); None when it cannot be read."""
    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return None
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if (b < 32 and b not in b"\t\n\r\f\v") or b == 127)
    return control > 0.1 * len(head)


def resolve_format(path, fmt=None) -> str:
    """The format a file is read as: ``fmt`` when given, else by extension, where the content
    decides for the ambiguous ``.txt``/``.asc``/``.dat`` (binary: an instrument file read by
    SurfaceTopography; text or unreadable: a text matrix)."""
    if fmt is not None:
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix in AMBIGUOUS_SUFFIXES and looks_binary(path):
        return "surfacetopography"
    return EXT_FORMAT.get(suffix, "surfacetopography")


def check_source(path, unit=None, physical_sizes=None, fmt=None) -> str:
    """The checks of a measured surface that need no reading of the heights; the format.

    ``fmt``, ``unit`` and ``physical_sizes`` must be valid where given; a plain matrix (npy, csv,
    txt) carries no metadata, so it needs ``unit`` and ``physical_sizes``. A file with an
    ambiguous extension that does not exist (yet) is not judged: its read reports it.

    Raises:
        InputError: naming ``surface.format``, ``surface.unit`` or ``surface.physical_sizes``.
    """
    if fmt is not None and fmt not in FORMATS:
        raise field_error("format", fmt, "allowed " + ", ".join(FORMATS) + " (or not set)")
    if unit is not None:
        check_unit(unit)
    if physical_sizes is not None:
        check_physical_sizes(physical_sizes)
    given, fmt = fmt, resolve_format(path, fmt)
    p = Path(path)
    if fmt == "surfacetopography" or (given is None and p.suffix.lower() in AMBIGUOUS_SUFFIXES
                                       and not p.is_file()):
        return fmt
    if unit is None:
        raise field_error("unit", None, f"required for '{p.name}' (a plain matrix): the unit "
                          "the heights are stored in; allowed " + ", ".join(UNITS))
    if physical_sizes is None:
        raise field_error("physical_sizes", None, f"required for '{p.name}' (a plain matrix): "
                          "[Lx, Ly] in m")
    return fmt
