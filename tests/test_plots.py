"""Figures: right number of axes and lines, the data drawn are the data given, PNG export works."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from numpy.testing import assert_allclose

from solver.output import plots
SIZES = (1e-4, 5e-5)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    data = buf.getvalue()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
    return data


@pytest.fixture
def h():
    x = np.linspace(0, 1, 32)[:, None]
    y = np.linspace(0, 1, 16)[None, :]
    return 1e-6 * np.sin(6 * x) * np.cos(3 * y)  # m, (nx, ny) = (32, 16)


def test_height_map_in_micrometres(h):
    fig = plots.height_map_figure(h, SIZES, title="scan")
    assert isinstance(fig, Figure) and len(fig.axes) == 2  # map + colour bar
    ax = fig.axes[0]
    im = ax.get_images()[0]
    assert_allclose(im.get_array(), h.T * 1e6)  # x to the right, y up
    dx, dy = 1e-4 / 32 * 1e6, 5e-5 / 16 * 1e6
    assert_allclose(im.get_extent(), [-dx / 2, 100 - dx / 2, -dy / 2, 50 - dy / 2])
    assert ax.get_title() == "scan" and "µm" in ax.get_xlabel()
    assert fig.axes[1].get_ylabel() == "height (µm)"
    _png(fig)


def test_psd_with_and_without_fit():
    q = np.geomspace(1e4, 1e7, 40)
    C = 1e-30 * q ** -3.6
    q0, C0 = np.r_[0.0, q], np.r_[5.0, C]  # q = 0 cannot be drawn on log axes
    fig = plots.psd_figure(q0, C0)
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 1
    fig = plots.psd_figure(q0, C0, fit=dict(hurst=0.8, prefactor=1e-30, q_min=1e5, q_max=1e6))
    ax = fig.axes[0]
    data, fit = ax.get_lines()
    assert_allclose(data.get_xdata(), q)
    assert_allclose(data.get_ydata(), C)
    assert fit.get_label() == "H = 0.80 (slope \u22123.60)"
    assert_allclose(fit.get_xdata()[[0, -1]], [1e5, 1e6])
    assert_allclose(fit.get_ydata(), 1e-30 * fit.get_xdata() ** -3.6, rtol=1e-12)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["data", fit.get_label()]
    _png(fig)
    with pytest.raises(ValueError, match="fit lacks q_max"):
        plots.psd_figure(q, C, fit=dict(hurst=0.8, prefactor=1.0, q_min=1.0))


def test_contact_map_black_and_white():
    c = np.zeros((20, 10), bool)
    c[3:8, 2:5] = True  # 15 of 200 points
    fig = plots.contact_map_figure(c, SIZES)
    assert len(fig.axes) == 1
    im = fig.axes[0].get_images()[0]
    assert np.array_equal(np.asarray(im.get_array()), c.T.astype(np.uint8))
    assert im.get_cmap().name == "gray_r" and im.get_clim() == (0, 1)
    assert "7.5%" in fig.axes[0].get_title()
    assert plots.contact_map_figure(c, SIZES, title="t").axes[0].get_title() == "t"
    _png(fig)


def test_contact_map_with_pressure_is_an_image_of_the_spots():
    c = np.zeros((20, 10), bool)
    c[3:8, 2:5] = True
    p = np.where(c, 2.5e6, 0.0)
    fig = plots.contact_map_figure(c, SIZES, pressure=p)
    ax, cbar = fig.axes
    assert not ax.get_lines() and cbar.get_ylabel() == "contact pressure (MPa)"
    shown = np.asarray(ax.get_images()[0].get_array(), dtype=float)
    assert_allclose(shown[c.T], 2.5) and np.isnan(shown[~c.T]).all()
    assert ax.get_title() == "Contact pressure (A_r/A0 = 7.5%)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["no contact"]
    _png(fig)
    with pytest.raises(ValueError, match="pressure has shape"):
        plots.contact_map_figure(c, SIZES, pressure=p[:5])


def test_profile_legend_names_shading_and_references_not_the_axis():
    x = np.arange(8) * 1e-6
    c = np.array([0, 1, 1, 0, 0, 1, 1, 1], bool)
    fig = plots.profile_figure(x, np.arange(8.0), "gap (µm)", "Gap, step 3", in_contact=c,
                               reference={"applied": 2.0})
    ax = fig.axes[0]
    line, ref = ax.get_lines()
    assert_allclose(line.get_xdata(), np.arange(8.0)) and line.get_label().startswith("_")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["in contact", "applied"]
    spans = [pt for pt in ax.patches]  # one shaded span per run of contact, half a cell wide
    assert len(spans) == 2
    assert_allclose(spans[1].get_x(), 4.5) and assert_allclose(spans[1].get_width(), 3.0)
    _png(fig)


def test_field_map_labels_and_data():
    p = np.random.default_rng(0).random((12, 24)) * 50
    p[0, 0] = np.nan
    fig = plots.field_map_figure(p, SIZES, "contact pressure", "MPa")
    assert len(fig.axes) == 2
    assert_allclose(fig.axes[0].get_images()[0].get_array(), p.T)
    assert fig.axes[1].get_ylabel() == "contact pressure (MPa)"
    assert fig.axes[0].get_title() == "contact pressure"
    assert plots.field_map_figure(p, SIZES, "ratio", "1").axes[1].get_ylabel() == "ratio"
    _png(fig)


def test_curves_and_dashed_references():
    p = np.array([1e6, 2e6, 5e6, 1e7])
    ys = {"Li on Cu": p * 1e-8, "Li on LLZO": p * 2e-8}
    ref = {"Persson": p * 1.5e-8, "Hertz": ([1e6, 1e7], [0.02, 0.1])}
    fig = plots.curve_figure(p, ys, "p (Pa)", "A_r/A0", "area", logx=True, logy=True,
                             reference=ref)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert len(fig.axes) == 1 and len(lines) == 4
    assert [ln.get_label() for ln in lines] == ["Li on Cu", "Li on LLZO", "Persson", "Hertz"]
    assert [ln.get_linestyle() for ln in lines] == ["-", "-", "--", "--"]
    assert_allclose(lines[1].get_ydata(), ys["Li on LLZO"])
    assert_allclose(lines[3].get_xdata(), [1e6, 1e7])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("p (Pa)", "A_r/A0", "area")
    _png(fig)
    lin = plots.curve_figure(p, ys, "x", "y", "t").axes[0]
    assert lin.get_xscale() == "linear" and len(lin.get_lines()) == 2
    with pytest.raises(ValueError, match="'bad' has 2 values"):
        plots.curve_figure(p, {"bad": [1, 2]}, "x", "y", "t")


def test_maps_reject_wrong_shapes():
    with pytest.raises(ValueError, match="2-D"):
        plots.height_map_figure(np.zeros(10), SIZES)
    with pytest.raises(ValueError, match="physical_sizes"):
        plots.field_map_figure(np.zeros((4, 4)), (0.0, 1.0), "g", "m")


def test_no_global_pyplot_state(h):
    backend = matplotlib.get_backend()
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plots.height_map_figure(h, SIZES)
    plots.curve_figure([1, 2], {"a": [1, 2]}, "x", "y", "t")
    assert plt.get_fignums() == before  # nothing for the caller to close
    assert matplotlib.get_backend() == backend
