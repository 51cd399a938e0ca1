"""Malformed measured surfaces: bad files and bad ``[surface]`` values, for unit and CLI tests.

:func:`write_bad_surface_files` writes every bad file into a folder and returns
``(description, surface_table)`` pairs, where ``surface_table`` is the ``[surface]`` table of a
case file (``kind = "measured"``, keys as in :class:`solver.case.config.SurfaceConfig`). Each one
must end in an :class:`~solver.errors.InputError` (CLI exit code 2). :func:`bad_surface_cases`
gives the same cases with the text the one-line message must contain (the file name or the field
name).
:func:`load_kwargs` maps a table onto :func:`solver.surface.measured.load_measured`.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

SIZES = [1e-4, 1e-4]  # m
N = 16  # points per side of the good maps


class BadCase(NamedTuple):
    description: str
    table: dict
    expect: str  # text the error message must contain


def good_map(n: int = N, seed: int = 0) -> np.ndarray:
    """A small rough map in µm (what a profilometer export holds)."""
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 0.5, size=(n, n))


def load_kwargs(table: dict) -> dict:
    """``[surface]`` table -> keyword arguments of ``load_measured`` (path first)."""
    return dict(path=table["file"], unit=table.get("unit"),
                physical_sizes=table.get("physical_sizes"), fmt=table.get("format"),
                detrend_mode=table.get("detrend", "plane"), crop_box=table.get("crop"),
                nb_grid_pts=table.get("resample_to"))


_DROP = object()  # marks a key left out of the table


def _table(path, **over) -> dict:
    t = {"kind": "measured", "file": str(path), "unit": "um", "physical_sizes": list(SIZES)}
    for k, v in over.items():
        if v is _DROP:
            t.pop(k, None)
        else:
            t[k] = v
    return t


def bad_surface_cases(dirpath) -> list[BadCase]:
    """Write the bad files into ``dirpath``; return every case with its expected message text."""
    d = Path(dirpath)
    d.mkdir(parents=True, exist_ok=True)
    h = good_map()
    return _bad_files(d, h) + _bad_values(d, h)


def _bad_files(d: Path, h: np.ndarray) -> list[BadCase]:
    """Write the malformed files of the good map ``h`` into ``d``; their cases."""
    cases: list[BadCase] = []

    def file_case(desc: str, name: str, writer, **over):
        p = d / name
        if writer is not None:
            writer(p)
        cases.append(BadCase(desc, _table(p, **over), name))

    def text(content: str):
        return lambda p: p.write_text(content, encoding="utf-8")

    rows = [",".join(f"{v:.6f}" for v in r) for r in h]

    file_case("missing file", "does_not_exist.csv", None)
    file_case("empty file", "empty.csv", text(""))
    file_case("only comments", "comments_only.txt", text("# exported by X\n# no data\n\n"))
    file_case("directory instead of a file", "a_directory.npy", lambda p: p.mkdir())
    bad = list(rows)
    toks = bad[5].split(",")
    toks[3] = "abc"
    bad[5] = ",".join(toks)
    file_case("non-numeric entry", "non_numeric.csv", text("\n".join(bad) + "\n"))
    ragged = [" ".join(f"{v:.6f}" for v in r) for r in h]
    ragged[7] = " ".join(ragged[7].split()[:-2])
    file_case("ragged rows", "ragged.txt", text("\n".join(ragged) + "\n"))
    file_case("1-D array", "line_scan.npy", lambda p: np.save(p, h[0]))
    file_case("single row of text", "one_row.csv", text(rows[0] + "\n"))
    file_case("3-D array", "stack.npy", lambda p: np.save(p, np.stack([h, h])))
    file_case("too few points (5 x 5)", "tiny.txt",
              lambda p: np.savetxt(p, h[:5, :5]))
    holes = [r.split(",") for r in rows]
    holes[3][2], holes[4][2], holes[6][9] = "nan", "", "NaN"
    file_case("NaN holes", "holes.csv", text("\n".join(",".join(r) for r in holes) + "\n"))
    hi = h.copy()
    hi[2, 2] = np.inf
    file_case("infinite value", "inf.dat", lambda p: np.savetxt(p, hi))
    file_case("string array", "strings.npy", lambda p: np.save(p, np.array([["a"] * N] * N)))
    file_case("complex array", "complex.npy", lambda p: np.save(p, h + 1j * h))
    file_case("corrupt .npy", "corrupt.npy", lambda p: p.write_bytes(b"not a numpy file" * 8))
    file_case("binary data in a .txt", "binary.txt",
              lambda p: p.write_bytes(bytes(range(256)) * 4))
    file_case("constant heights", "constant.csv",
              text("\n".join(",".join(["1.5"] * N) for _ in range(N)) + "\n"))
    xx, yy = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    file_case("a tilted plane only (flat after levelling)", "plane.npy",
              lambda p: np.save(p, 0.3 + 0.02 * xx - 0.01 * yy))
    file_case("instrument format without the extra, or unreadable", "scan.opd",
              lambda p: p.write_bytes(b"\x01\x02garbage" * 16))
    file_case("holes inside the crop box", "holes_in_crop.csv",
              text("\n".join(",".join(r) for r in holes) + "\n"), crop=[0.0, 8e-5, 0.0, 8e-5])
    return cases


def _bad_values(d: Path, h: np.ndarray) -> list[BadCase]:
    """Bad ``[surface]`` values on a good file (``h`` saved into ``d``); their cases."""
    cases: list[BadCase] = []
    good = d / "good.npy"
    np.save(good, h)

    def value_case(desc: str, field: str, **over):
        cases.append(BadCase(desc, _table(good, **over), f"surface.{field}"))

    value_case("unknown unit", "unit", unit="inch")
    value_case("unit missing for a plain matrix", "unit", unit=_DROP)
    value_case("physical_sizes missing for a plain matrix", "physical_sizes",
               physical_sizes=_DROP)
    value_case("negative physical size", "physical_sizes", physical_sizes=[-1e-4, 1e-4])
    value_case("zero physical size", "physical_sizes", physical_sizes=[1e-4, 0.0])
    value_case("physical sizes in µm instead of m", "physical_sizes", physical_sizes=[100, 100])
    value_case("three physical sizes", "physical_sizes", physical_sizes=[1e-4, 1e-4, 1e-4])
    value_case("crop box outside the map", "crop", crop=[5e-5, 2e-4, 0.0, 1e-4])
    value_case("empty crop box", "crop", crop=[5e-5, 5e-5, 0.0, 1e-4])
    value_case("crop box keeping < 8 points", "crop", crop=[0.0, 2e-5, 0.0, 1e-4])
    value_case("crop box with 3 entries", "crop", crop=[0.0, 5e-5, 0.0])
    value_case("unknown detrend mode", "detrend", detrend="cubic")
    value_case("resample to 4 x 4", "resample_to", resample_to=[4, 4])
    value_case("resample to non-integers", "resample_to", resample_to=[64.5, 64])
    value_case("unknown format", "format", format="xyz")
    return cases


def write_bad_surface_files(dirpath) -> list[tuple[str, dict]]:
    """Write each malformed surface file into ``dirpath``; return (description, [surface] table).

    Every table must make ``lamina run`` fail with exit code 2 and a one-line message.
    """
    return [(c.description, c.table) for c in bad_surface_cases(dirpath)]
