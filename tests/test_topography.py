"""Measured height maps: formats, units, levelling, cropping, resampling and bad input."""

from __future__ import annotations

import sys
import tempfile
import types

import numpy as np
import pytest
from numpy.testing import assert_allclose

from solver.errors import InputError
from solver.surface import measured as topo
from solver.surface import formats, validation
from solver.surface.heightmap import HeightMap
from solver.surface.measured import (
    UNITS,
    crop,
    detrend,
    load_measured,
    read_height_map,
    resample,
)
from bad_surfaces import SIZES, bad_surface_cases, good_map, load_kwargs, write_bad_surface_files

with tempfile.TemporaryDirectory() as _d:
    CASE_NAMES = [c.description for c in bad_surface_cases(_d)]


@pytest.fixture(scope="module")
def bad_cases(tmp_path_factory):
    return {c.description: c for c in bad_surface_cases(tmp_path_factory.mktemp("bad"))}


def _error(table) -> str:
    with pytest.raises(InputError) as info:
        load_measured(**load_kwargs(table))
    return str(info.value)


# ----------------------------------------------------------------------------------------------
# bad input


def test_catalogue_is_large_and_distinct():
    assert len(CASE_NAMES) >= 15
    assert len(set(CASE_NAMES)) == len(CASE_NAMES)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_bad_surface_raises_one_line_input_error(bad_cases, name):
    case = bad_cases[name]
    msg = _error(case.table)
    assert "\n" not in msg
    assert case.expect in msg, msg


def test_write_bad_surface_files_returns_surface_tables(tmp_path):
    pairs = write_bad_surface_files(tmp_path)
    assert len(pairs) == len(CASE_NAMES)
    for desc, table in pairs:
        assert isinstance(desc, str) and table["kind"] == "measured"
        assert set(table) <= {"kind", "file", "unit", "physical_sizes", "format", "detrend",
                              "crop", "resample_to"}


def test_messages_say_where(bad_cases):
    assert "'abc' at line 6, column 4" in _error(bad_cases["non-numeric entry"].table)
    msg = _error(bad_cases["NaN holes"].table)
    assert "3 NaN values (holes) at lines 4–7, columns 3–10" in msg
    assert "crop them out" in msg
    assert "1 infinite value at line 3, column 3;" in _error(bad_cases["infinite value"].table)
    assert "no NumPy header" in _error(bad_cases["corrupt .npy"].table)
    assert "line 8 has 14 values" in _error(bad_cases["ragged rows"].table)
    assert "5 x 5 points" in _error(bad_cases["too few points (5 x 5)"].table)
    assert "allowed m, mm, um, µm, nm" in _error(bad_cases["unknown unit"].table)
    assert "allowed none, mean, plane, poly2, poly3" in _error(
        bad_cases["unknown detrend mode"].table)
    assert "outside the map" in _error(bad_cases["crop box outside the map"].table)
    assert "empty box: need x0 < x1" in _error(bad_cases["empty crop box"].table)
    assert "no such file" in _error(bad_cases["missing file"].table)


def test_holes_outside_the_crop_box_are_harmless(bad_cases):
    table = dict(bad_cases["NaN holes"].table)
    dx = SIZES[0] / 16
    table["crop"] = [8 * dx, SIZES[0], 0.0, SIZES[1]]  # holes are in rows 3, 4 and 6
    hm = load_measured(**load_kwargs(table))
    assert hm.heights.shape == (8, 16)
    assert np.isfinite(hm.heights).all()


def test_holes_inside_an_offset_crop_box_are_placed_in_the_file(bad_cases):
    table = dict(bad_cases["NaN holes"].table)
    dx = SIZES[0] / 16
    table["crop"] = [2 * dx, SIZES[0], dx, SIZES[1]]
    msg = _error(table)
    assert "3 NaN values (holes) inside the crop box at lines 4–7, columns 3–10" in msg


def test_instrument_format_without_the_extra_says_how_to_install(bad_cases, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "SurfaceTopography", None)  # import now fails
    msg = _error(bad_cases["instrument format without the extra, or unreadable"].table)
    assert "pip install lamina[topography]" in msg and "scan.opd" in msg


@pytest.mark.skipif(topo.surfacetopography_version() is None,
                    reason="SurfaceTopography (lamina[topography]) is not installed")
def test_instrument_file_read_through_surfacetopography(tmp_path):
    """A NetCDF topography written by SurfaceTopography itself comes back exactly, in metres,
    with the file's own physical sizes (the case's are only a fallback)."""
    from solver.fem.backend import prepare

    prepare()  # the wheel's HDF5 first-import order, as in the CLI
    from SurfaceTopography import Topography

    h = good_map()
    Topography(h, physical_sizes=(3e-6, 2e-6), unit="um").to_netcdf(str(tmp_path / "t.nc"))
    hm = read_height_map(tmp_path / "t.nc", unit="nm", physical_sizes=SIZES,
                         fmt="surfacetopography")
    assert_allclose(hm.heights, h * 1e-6, rtol=1e-12)
    assert_allclose(hm.physical_sizes, (3e-12, 2e-12), rtol=1e-6)


# ----------------------------------------------------------------------------------------------
# formats and units


@pytest.mark.parametrize("unit", [*UNITS, "μm"])  # the last one is the Greek mu
def test_units_convert_to_metres(tmp_path, unit):
    h = good_map()
    np.save(tmp_path / "h.npy", h)
    hm = read_height_map(tmp_path / "h.npy", unit=unit, physical_sizes=SIZES)
    factor = {"m": 1.0, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "μm": 1e-6, "nm": 1e-9}[unit]
    assert_allclose(hm.heights, h * factor, rtol=1e-15)
    assert hm.physical_sizes == tuple(SIZES)


def _writers(h):
    rows_c = [",".join(repr(float(v)) for v in r) for r in h]
    rows_s = [";".join(repr(float(v)).replace(".", ",") for v in r) for r in h]
    rows_w = ["  ".join(repr(float(v)) for v in r) for r in h]
    return {
        "plain.npy": lambda p: np.save(p, h),
        "header.csv": lambda p: p.write_text("height (µm),,\n" + "\n".join(rows_c) + "\n"),
        "trailing_sep.csv": lambda p: p.write_text("\n".join(r + "," for r in rows_c)),
        "decimal_comma.csv": lambda p: p.write_text("z;µm\n" + "\n".join(rows_s) + "\n"),
        "comments.txt": lambda p: p.write_text(
            "# exported\n\n" + "\n".join(r + "  # row" for r in rows_w) + "\n# end\n"),
        "savetxt.asc": lambda p: np.savetxt(p, h),
        "latin1.dat": lambda p: p.write_bytes(("# Höhe in µm\n" + "\n".join(rows_w))
                                              .encode("latin-1")),
    }


@pytest.mark.parametrize("name", list(_writers(np.zeros((1, 1)))))
def test_formats_read_the_same_map(tmp_path, name):
    h = good_map(seed=3)[:, :12]  # not square: row index is x
    _writers(h)[name](tmp_path / name)
    hm = read_height_map(tmp_path / name, unit="um", physical_sizes=[1.6e-5, 1.2e-5])
    assert isinstance(hm, HeightMap)
    assert hm.heights.shape == (16, 12) and hm.heights.dtype == np.float64
    assert_allclose(hm.heights, h * 1e-6, rtol=1e-12 if name != "savetxt.asc" else 1e-15)
    assert hm.source == str(tmp_path / name)


def test_format_option_overrides_the_extension(tmp_path):
    h = good_map()
    np.savetxt(tmp_path / "map.data", h, delimiter=",")
    hm = read_height_map(tmp_path / "map.data", unit="nm", physical_sizes=SIZES, fmt="csv")
    assert_allclose(hm.heights, h * 1e-9, rtol=1e-15)


def test_surfacetopography_version_is_none_or_text():
    v = topo.surfacetopography_version()
    assert v is None or isinstance(v, str)


# a stand-in for SurfaceTopography's reader interface, to test the adapter without the package
class _FakeChannel:
    def __init__(self, sizes, unit):
        self.index, self.physical_sizes, self.unit = 0, sizes, unit


class _FakeTopography:
    def __init__(self, h, sizes, unit):
        self._h, self.physical_sizes, self.unit = h, sizes, unit
        self.dim, self.is_uniform = 2, True

    def heights(self):
        return self._h


class _FakeReader:
    def __init__(self, h, sizes, unit):
        self._h, self.channels = h, [_FakeChannel(sizes, unit)]
        self.default_channel = self.channels[0]
        self.closed = False
        self.asked = None

    def topography(self, channel_index=0, physical_sizes=None, unit=None):
        self.asked = dict(physical_sizes=physical_sizes, unit=unit)
        ch = self.channels[channel_index]
        return _FakeTopography(self._h, ch.physical_sizes or physical_sizes, ch.unit or unit)

    def close(self):
        self.closed = True


def _fake_st(monkeypatch, reader):
    mod = types.ModuleType("SurfaceTopography")
    mod.open_topography = lambda fn, *a, **k: reader
    monkeypatch.setitem(sys.modules, "SurfaceTopography", mod)


def test_instrument_file_sizes_and_unit_come_from_the_file(tmp_path, monkeypatch):
    h = good_map()
    reader = _FakeReader(h, (20.0, 10.0), "µm")
    _fake_st(monkeypatch, reader)
    (tmp_path / "scan.opd").write_bytes(b"x")
    hm = read_height_map(tmp_path / "scan.opd", unit="nm", physical_sizes=[1e-4, 1e-4])
    assert_allclose(hm.heights, h * 1e-6, rtol=1e-15)
    assert_allclose(hm.physical_sizes, (2e-5, 1e-5), rtol=1e-15)
    assert reader.asked == dict(physical_sizes=None, unit=None) and reader.closed


def test_instrument_file_without_metadata_takes_the_case_values(tmp_path, monkeypatch):
    h = good_map()
    reader = _FakeReader(h, None, None)
    _fake_st(monkeypatch, reader)
    (tmp_path / "scan.x3p").write_bytes(b"x")
    hm = read_height_map(tmp_path / "scan.x3p", unit="nm", physical_sizes=[2e-5, 1e-5])
    assert_allclose(hm.heights, h * 1e-9, rtol=1e-15)
    assert_allclose(hm.physical_sizes, (2e-5, 1e-5), rtol=1e-12)
    assert_allclose(reader.asked["physical_sizes"], (2e4, 1e4), rtol=1e-12)  # in nm
    with pytest.raises(InputError, match=r"surface\.physical_sizes = \(not set\)"):
        read_height_map(tmp_path / "scan.x3p", unit="nm")


def test_instrument_file_with_masked_holes(tmp_path, monkeypatch):
    h = np.ma.masked_array(good_map(), mask=np.zeros((16, 16), bool))
    h.mask[2, 3] = True
    _fake_st(monkeypatch, _FakeReader(h, (20.0, 20.0), "nm"))
    (tmp_path / "scan.sur").write_bytes(b"x")
    with pytest.raises(InputError, match=r"'.*scan\.sur': 1 NaN value \(a hole\) at row 2, "
                       r"column 3 \(0-based\)"):
        read_height_map(tmp_path / "scan.sur", unit=None)


# ----------------------------------------------------------------------------------------------
# levelling


def _poly_map(nx=40, ny=30, sizes=(4e-5, 3e-5), degree=1, seed=1):
    rng = np.random.default_rng(seed)
    x = np.arange(nx) * sizes[0] / nx
    y = np.arange(ny) * sizes[1] / ny
    X, Y = np.meshgrid(x / sizes[0], y / sizes[1], indexing="ij")
    h = np.zeros((nx, ny))
    for a in range(degree + 1):
        for b in range(degree + 1 - a):
            h += rng.normal(0, 1e-6) * X**a * Y**b
    return h, sizes


@pytest.mark.parametrize("mode,degree", [("mean", 0), ("plane", 1), ("poly2", 2), ("poly3", 3)])
def test_detrend_removes_its_polynomial_exactly(mode, degree):
    h, sizes = _poly_map(degree=degree)
    r = detrend(h, sizes, mode)
    assert np.max(np.abs(r)) <= 1e-12 * np.max(np.abs(h))


def test_plane_leaves_curvature():
    h, sizes = _poly_map(degree=2)
    r = detrend(h, sizes, "plane")
    assert np.max(np.abs(r)) > 1e-3 * np.max(np.abs(h))
    assert np.max(np.abs(detrend(r, sizes, "poly2"))) <= 1e-12 * np.max(np.abs(h))


@pytest.mark.parametrize("mode,degree", [("plane", 1), ("poly2", 2), ("poly3", 3)])
def test_detrend_equals_the_least_squares_fit(mode, degree):
    rng = np.random.default_rng(5)
    h = rng.normal(size=(24, 20))
    X, Y = np.meshgrid(np.arange(24) / 24, np.arange(20) / 20, indexing="ij")
    A = np.column_stack([(X**a * Y**b).ravel() for a in range(degree + 1)
                         for b in range(degree + 1 - a)])
    coef, *_ = np.linalg.lstsq(A, h.ravel(), rcond=None)
    assert_allclose(detrend(h, (1e-5, 1e-5), mode), h - (A @ coef).reshape(h.shape), atol=1e-12)


def test_detrend_none_is_a_copy():
    h = good_map()
    r = detrend(h, SIZES, "none")
    assert r is not h and np.array_equal(r, h)


def test_detrend_rejects_unknown_mode():
    with pytest.raises(InputError, match=r"surface\.detrend = 'cubic': allowed none, mean"):
        detrend(good_map(), SIZES, "cubic")


# ----------------------------------------------------------------------------------------------
# cropping and resampling


def test_crop_keeps_the_right_size_and_values():
    h = np.arange(32 * 24, dtype=float).reshape(32, 24)
    sizes = (3.2e-5, 2.4e-5)  # dx = dy = 1 µm
    c, cs = crop(h, sizes, (4e-6, 2e-5, 2e-6, 1.4e-5))
    assert c.shape == (16, 12)
    assert_allclose(cs, (1.6e-5, 1.2e-5), rtol=1e-12)
    assert np.array_equal(c, h[4:20, 2:14])
    c, cs = crop(h, sizes, (4.5e-6, 3.2e-5, 0.0, 2.4e-5))  # off-grid edge: first point x = 5 µm
    assert np.array_equal(c, h[5:, :])
    assert_allclose(cs, (2.7e-5, 2.4e-5), rtol=1e-12)


def _analytic(nx, ny, sizes):
    x = np.arange(nx) * sizes[0] / nx
    y = np.arange(ny) * sizes[1] / ny
    X, Y = np.meshgrid(x, y, indexing="ij")
    return (np.sin(2 * np.pi * X / sizes[0] + 0.3) * np.cos(4 * np.pi * Y / sizes[1])
            + 0.5 * (X / sizes[0]) ** 2), x, y


@pytest.mark.parametrize("method,tol", [("cubic", 1e-4), ("linear", 1e-2)])
def test_resample_matches_a_smooth_function(method, tol):
    sizes = (1e-4, 8e-5)
    h, x, y = _analytic(64, 64, sizes)
    r = resample(h, sizes, (100, 90), method=method)
    exact, xt, yt = _analytic(100, 90, sizes)
    inside = np.ix_(xt <= x[-1], yt <= y[-1])  # beyond the last source point: extrapolated
    assert r.shape == (100, 90)
    assert np.max(np.abs(r[inside] - exact[inside])) < tol  # the amplitude is about 1
    assert np.max(np.abs(r - exact)) < 2 * tol


def test_resample_coarser_hits_the_source_points():
    h = good_map(64)
    r = resample(h, SIZES, (32, 16))
    assert_allclose(r, h[::2, ::4], atol=1e-12)
    assert np.array_equal(resample(h, SIZES, 64), h)


def test_load_measured_crops_levels_and_resamples(tmp_path):
    h = good_map(32) + np.add.outer(np.arange(32) * 0.1, np.arange(32) * 0.05)
    np.save(tmp_path / "h.npy", h)
    hm = load_measured(tmp_path / "h.npy", unit="um", physical_sizes=[3.2e-5, 3.2e-5],
                       crop_box=[0, 1.6e-5, 0, 3.2e-5], nb_grid_pts=[20, 40])
    assert hm.heights.shape == (20, 40)
    assert_allclose(hm.physical_sizes, (1.6e-5, 3.2e-5), rtol=1e-12)
    ref = detrend(h[:16] * 1e-6, (1.6e-5, 3.2e-5), "plane")
    assert_allclose(hm.heights[::5, ::5], ref[::4, ::4], atol=1e-18)  # coincident points


@pytest.mark.parametrize("bad", [True, 64.0, "64", [8, 8, 8], [8.0, 8], [7, 100], np.float64(9)])
def test_grid_pts_must_be_integers_from_8(bad):
    with pytest.raises(InputError, match=r"surface\.resample_to"):
        validation.check_grid_pts(bad)


def test_grid_pts_accepts_numpy_integers():
    assert validation.check_grid_pts(np.array([16, 32])) == (16, 32)
    assert validation.check_grid_pts(np.int64(8)) == (8, 8)


# ----------------------------------------------------------------------------------------------
# instrument files: the file's unit and sizes win, format by content (issue 15)

needs_st = pytest.mark.skipif(topo.surfacetopography_version() is None,
                              reason="SurfaceTopography (lamina[topography]) is not installed")


def write_metropro(path, counts, lateral_res=1e-6, scale=0.5, wavelength=6.328e-7):
    """A minimal Zygo MetroPro .dat (binary, header format 1: 834 bytes, big-endian) holding the
    phase counts ``counts`` (nx, ny); heights = counts * scale * wavelength / 4096 in m, pixel
    size ``lateral_res`` m. Offsets from the MetroPro reference guide (as SurfaceTopography and
    Gwyddion read them)."""
    import struct

    nx, ny = counts.shape
    hdr = bytearray(834)
    hdr[0:4] = b"\x88\x1b\x03\x6f"  # magic, header format 1
    struct.pack_into(">H", hdr, 4, 1)  # header_format
    struct.pack_into(">I", hdr, 6, 834)  # header_size
    struct.pack_into(">HH", hdr, 68, nx, ny)  # cn_org_width, cn_org_height
    struct.pack_into(">I", hdr, 72, nx * ny * 4)  # cn_n_bytes
    struct.pack_into(">ff", hdr, 164, scale, wavelength)  # intf_scale_factor, wavelength_in
    struct.pack_into(">f", hdr, 176, 1.0)  # obliquity_factor
    struct.pack_into(">f", hdr, 184, lateral_res)  # lateral_res (m per pixel)
    path.write_bytes(bytes(hdr) + np.ascontiguousarray(counts.T).astype(">i4").tobytes())
    return counts * scale * wavelength / 4096


@pytest.fixture
def lamina_log():
    """The messages logged on the 'lamina' logger during the test."""
    import logging

    records: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda r: records.append(r.getMessage())
    logger = logging.getLogger("lamina")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(level)


@needs_st
@pytest.mark.parametrize("unit", [None, "um", "nm", "m"])
def test_metropro_dat_is_read_as_an_instrument_file(tmp_path, unit, lamina_log):
    """A binary MetroPro .dat goes to SurfaceTopography (not the text reader), without a unit
    in the case; its heights (m) and sizes come from the file whatever `unit` says, and a unit
    that differs from the file's is a warning."""
    from solver.fem.backend import prepare

    prepare()  # the wheel's HDF5 first-import order, as in the CLI
    counts = np.random.default_rng(4).integers(-3000, 3000, size=(24, 20))
    h = write_metropro(tmp_path / "scan.dat", counts)
    hm = read_height_map(tmp_path / "scan.dat", unit=unit)
    assert_allclose(hm.heights, h, rtol=1e-6)
    assert_allclose(hm.physical_sizes, (24e-6, 20e-6), rtol=1e-6)
    warned = [m for m in lamina_log if m.startswith("surface.unit")]
    if unit in (None, "m"):
        assert warned == []
    else:
        assert len(warned) == 1 and f"surface.unit = '{unit}'" in warned[0], lamina_log
        assert "'scan.dat' stores its heights in 'm'" in warned[0]


@needs_st
def test_measured_case_without_unit_runs_the_surface_stage(tmp_path):
    """The case needs no `unit` for a file that carries one (it used to be required and then
    ignored)."""
    from solver.case import config
    from solver.fem.backend import prepare
    from solver.simulation.surface import build_heights

    prepare()
    h = write_metropro(tmp_path / "scan.dat", np.arange(256).reshape(16, 16) % 37 - 18)
    case = config.from_dict({"surface": {"kind": "measured", "file": "scan.dat",
                                         "detrend": "none"}}, base_dir=tmp_path)
    heights, sizes, _ = build_heights(case.surface, case.seed)
    assert_allclose(heights, h, rtol=1e-6)
    assert_allclose(sizes, (16e-6, 16e-6), rtol=1e-6)


def test_binary_dat_goes_to_surfacetopography(tmp_path, monkeypatch):
    """Format by content for the ambiguous .dat/.txt: a binary one is an instrument file."""
    h = good_map()
    reader = _FakeReader(h, (20.0, 10.0), "nm")
    _fake_st(monkeypatch, reader)
    for name in ("scan.dat", "scan.txt"):
        (tmp_path / name).write_bytes(b"\x88\x1b\x03\x6f" + bytes(range(256)) * 2)
        hm = read_height_map(tmp_path / name, unit=None)
        assert_allclose(hm.heights, h * 1e-9, rtol=1e-15)
        assert_allclose(hm.physical_sizes, (2e-8, 1e-8), rtol=1e-15)
    assert formats.resolve_format(tmp_path / "scan.dat") == "surfacetopography"
    np.savetxt(tmp_path / "text.dat", h)
    assert formats.resolve_format(tmp_path / "text.dat") == "txt"


def test_binary_file_forced_to_text_names_the_format_field(tmp_path):
    (tmp_path / "scan.dat").write_bytes(b"\x88\x1b\x03\x6f" + bytes(64))
    with pytest.raises(InputError) as e:
        read_height_map(tmp_path / "scan.dat", unit="um", physical_sizes=SIZES, fmt="txt")
    msg = str(e.value)
    assert "surface.format = 'surfacetopography'" in msg and "fmt =" not in msg, msg


def test_binary_dat_without_the_extra_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "SurfaceTopography", None)  # import now fails
    (tmp_path / "scan.dat").write_bytes(b"\x88\x1b\x03\x6f" + bytes(64))
    with pytest.raises(InputError, match=r"'.*scan\.dat': binary data \(not a text matrix\).*"
                       r"pip install lamina\[topography\]"):
        read_height_map(tmp_path / "scan.dat", unit="um", physical_sizes=SIZES)


@pytest.mark.parametrize("given, warns", [(None, False), ([2e-5, 1e-5], False),
                                          ([5e-5, 5e-5], True)])
def test_case_sizes_other_than_the_files_are_a_warning(tmp_path, monkeypatch, lamina_log,
                                                       given, warns):
    """physical_sizes from show-default is not silently replaced by the file's: a warning names
    both (the file's sizes are used)."""
    _fake_st(monkeypatch, _FakeReader(good_map(), (20.0, 10.0), "µm"))
    (tmp_path / "scan.opd").write_bytes(b"x")
    hm = read_height_map(tmp_path / "scan.opd", unit="um", physical_sizes=given)
    assert_allclose(hm.physical_sizes, (2e-5, 1e-5), rtol=1e-15)
    warned = [m for m in lamina_log if m.startswith("surface.physical_sizes")]
    assert len(warned) == int(warns), lamina_log
    if warns:
        assert "surface.physical_sizes = [5e-05, 5e-05]: 'scan.opd' gives [2e-05, 1e-05] m" \
            in warned[0]
    assert not [m for m in lamina_log if m.startswith("surface.unit")]  # um == µm
