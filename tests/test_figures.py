"""The run's figures as a reader sees them: each per-step figure names its step, 3D maps are
images on the surface grid and 2D ones profiles, legends do not repeat the axis label, the
release branch of a press-cycle curve starts where the loading ended, and the summary figure."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.image import AxesImage
from numpy.testing import assert_allclose

from solver.output import plots, stage_output, summary_plot
from solver.simulation.contactmap import ContactMaps

SIZES = (4e-5, 3e-5)
PHASES = ["load", "load", "hold", "release", "release"]
PBAR = [1e6, 2e6, 2e6, 1e6, 1e3]


class FakeFolder:
    """Collects the figures a stage writer saves."""

    def __init__(self):
        self.figs = {}

    def save_figure(self, name, fig):
        self.figs[name] = fig


def _maps(ny: int) -> ContactMaps:
    rng = np.random.default_rng(1)
    nx = 12
    h = rng.normal(size=(nx, ny)) * 1e-7
    maps = ContactMaps.empty(h, SIZES)
    for k, (pb, ph) in enumerate(zip(PBAR, PHASES)):
        c = h > np.quantile(h, 0.8 - 0.1 * k) if ph != "release" else h > np.quantile(h, 0.9)
        p = np.where(c, pb * (1 + rng.random(h.shape)), 0.0)
        maps.append(p, np.where(c, 0.0, 1e-7), c, pb, float(k), ph)
    return maps


def _steps(maps) -> list[dict]:
    asr = [4.0, 2.0, 1.5, 1.7, 30.0]
    return [{"step": k, "phase": ph, "mean_pressure": pb, "time": float(k), "asr_ohm_m2": a * 1e-4,
             "asr_ohm_cm2": a, "j_max_over_mean": 1.0 + a / 10, "current_density_A_per_m2": 10.0}
            for k, (ph, pb, a) in enumerate(zip(maps.phase, maps.mean_pressure, asr))]


def _current(maps) -> np.ndarray:
    return np.array([np.where(c, 10.0 / max(c.mean(), 1e-9), 0.0) for c in maps.in_contact])


def _lines(fig):
    return fig.axes[0].get_lines()


def test_step_label():
    assert plots.step_label(16, "hold", 2e6) == "step 16 (hold), p̄ = 2 MPa"
    assert plots.step_label(3, "load", 1.25e5) == "step 3 (load), p̄ = 0.125 MPa"


def test_3d_step_maps_are_images_naming_their_step():
    maps, rf = _maps(8), FakeFolder()
    files = stage_output.step_map_figures(rf, maps, 2, contact_fraction=0.4321)
    assert set(rf.figs) == {"contact_map.png", "gap_map.png", "pressure_map.png"}
    assert set(files.values()) == set(rf.figs)
    for name, fig in rf.figs.items():
        ax = fig.axes[0]
        assert "step 2 (hold), p̄ = 2 MPa" in ax.get_title(), name
        assert isinstance(ax.get_images()[0], AxesImage) and not ax.get_lines(), name
    ax, cbar = rf.figs["contact_map.png"].axes
    assert "A_r/A0 = 43.2%" in ax.get_title()
    assert cbar.get_ylabel() == "contact pressure (MPa)"
    shown = np.asarray(ax.get_images()[0].get_array(), dtype=float).T  # drawn as values.T
    c = maps.in_contact[2]
    assert_allclose(shown[c], maps.pressure[2][c] / 1e6)
    assert np.isnan(shown[~c]).all()  # no contact: blank, not zero pressure


def test_2d_step_maps_are_profiles_naming_their_step():
    maps, rf = _maps(1), FakeFolder()
    stage_output.step_map_figures(rf, maps, 2)
    assert set(rf.figs) == {"contact_map.png", "gap_map.png"}
    fig = rf.figs["contact_map.png"]
    ax = fig.axes[0]
    assert len(fig.axes) == 1 and not ax.get_images()
    assert "step 2 (hold), p̄ = 2 MPa" in ax.get_title()
    assert ax.get_ylabel() == "contact pressure (MPa)" and ax.get_xlabel() == "x (µm)"
    profile = _lines(fig)[0]
    assert_allclose(profile.get_xdata(), maps.x * 1e6)
    assert_allclose(profile.get_ydata(), maps.pressure[2][:, 0] / 1e6)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["in contact", "applied p̄"]
    assert "step 2 (hold)" in rf.figs["gap_map.png"].axes[0].get_title()


@pytest.mark.parametrize("ny", [1, 8])
def test_current_map_names_its_step_and_its_legend_does_not_repeat_the_axis(ny):
    maps, rf = _maps(ny), FakeFolder()
    steps = _steps(maps)
    setup = SimpleNamespace(physical_sizes=SIZES)
    files = stage_output.current_figures(rf, setup, steps, _current(maps), steps[2], maps)
    assert files["current_map_png"] == "current_map.png"
    ax = rf.figs["current_map.png"].axes[0]
    assert "step 2 (hold), p̄ = 2 MPa" in ax.get_title()
    if ny > 1:
        assert isinstance(ax.get_images()[0], AxesImage) and not ax.get_lines()
        assert rf.figs["current_map.png"].axes[1].get_ylabel() == "current density (mA/cm²)"
    else:
        assert ax.get_ylabel() == "current density (mA/cm²)"
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend and not any("mA/cm²" in t or "j (" in t for t in legend)
        assert_allclose(ax.get_lines()[1].get_ydata(), [1.0, 1.0])  # applied 10 A/m²


def test_release_branch_starts_at_the_last_loaded_point():
    fig = plots.press_cycle_figure(PBAR, [0.1, 0.3, 0.4, 0.35, 0.05], PHASES, "A_r / A0", "t")
    load, rel = _lines(fig)
    assert_allclose(load.get_xdata(), [1, 2, 2])
    assert rel.get_xdata()[0] == load.get_xdata()[-1] == 2.0  # MPa: connected at the hold
    assert rel.get_ydata()[0] == load.get_ydata()[-1] == 0.4
    assert_allclose(rel.get_xdata()[1:], [1.0, 1e-3])
    assert [ln.get_label() for ln in (load, rel)] == ["loading, hold", "release"]
    # no release: one line
    assert len(_lines(plots.press_cycle_figure(PBAR[:3], [1, 2, 3], PHASES[:3], "y", "t"))) == 1


def test_stage_curves_have_connected_branches():
    maps, rf = _maps(1), FakeFolder()
    recs = [SimpleNamespace(index=k, phase=ph, mean_pressure=pb, contact_fraction=0.1 * (k + 1))
            for k, (ph, pb) in enumerate(zip(PHASES, PBAR))]
    stage_output.area_figure(rf, recs)
    steps = _steps(maps)
    stage_output.current_figures(rf, SimpleNamespace(physical_sizes=SIZES), steps, _current(maps),
                                 steps[2], maps)
    for name in ("area_pressure.png", "asr_pressure.png", "hotspot_pressure.png"):
        ax = rf.figs[name].axes[0]
        load, rel = ax.get_lines()
        assert (rel.get_xdata()[0], rel.get_ydata()[0]) == (load.get_xdata()[-1],
                                                            load.get_ydata()[-1]), name
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend == ["loading, hold", "release"], name  # not the axis label again
        assert "(MPa)" in ax.get_xlabel()


def test_summary_2d_has_four_axes_on_the_last_loaded_step():
    maps, rf = _maps(1), FakeFolder()
    steps = _steps(maps)
    files = stage_output.current_figures(rf, SimpleNamespace(physical_sizes=SIZES), steps,
                                         _current(maps), steps[1], maps)
    assert files["summary_png"] == "summary.png"
    fig = rf.figs["summary.png"]
    assert len(fig.axes) == 4
    assert "step 2 (hold), p̄ = 2 MPa" in fig.get_suptitle()  # last loaded, not the given peak
    by = {ax.get_ylabel(): ax for ax in fig.axes}
    h, p, j, curve = (by[k] for k in ("height (µm)", "contact pressure (MPa)",
                                      "current density (mA/cm²)", "ASR (Ω·cm²)"))
    assert_allclose(h.get_lines()[0].get_ydata(), maps.heights[:, 0] * 1e6)
    assert_allclose(p.get_lines()[0].get_ydata(), maps.pressure[2][:, 0] / 1e6)
    assert_allclose(j.get_lines()[0].get_ydata(), _current(maps)[2][:, 0] / 10)
    load, rel = curve.get_lines()
    assert_allclose(load.get_ydata(), [4.0, 2.0, 1.5])
    assert rel.get_xdata()[0] == 2.0 and curve.get_yscale() == "log"


def test_summary_3d_images_and_reduced_without_current():
    maps = _maps(8)
    curve = {"p": PBAR, "y": [1, 2, 3, 2, 1], "phase": PHASES, "ylabel": "A_r / A0"}
    fig = summary_plot.summary_figure(maps.heights, SIZES, maps.pressure[2], maps.in_contact[2],
                                      "step 2", curve, current=_current(maps)[2])
    images = [ax for ax in fig.axes if ax.get_images()]
    assert len(images) == 3  # height, pressure, current; plus three colour bars and the curve
    assert len(fig.axes) == 7
    reduced = summary_plot.summary_figure(maps.heights, SIZES, maps.pressure[2],
                                          maps.in_contact[2], "step 2", curve)
    assert len([ax for ax in reduced.axes if ax.get_images()]) == 2
    rf = FakeFolder()
    assert stage_output.summary_figure(rf, maps, curve) == {"summary_png": "summary.png"}
    with pytest.raises(ValueError, match="pressure has shape"):
        summary_plot.summary_figure(maps.heights, SIZES, maps.pressure[2][:3], maps.in_contact[2],
                                    "s", curve)


def test_section_is_shaded_without_gaps_and_scatter_when_degenerate():
    x, z = np.meshgrid(np.linspace(0, 50, 11), np.geomspace(1, 40, 6))
    pts = np.c_[x.ravel(), z.ravel()]
    fig = plots.section_figure(pts, pts[:, 1] / 40, "Equivalent plastic strain\nafter step 19")
    ax, cbar = fig.axes
    assert len(ax.collections) == 1 and type(ax.collections[0]).__name__ == "TriMesh"
    assert cbar.get_ylabel() == "equivalent plastic strain (1)"
    line = plots.section_figure(pts[:4, :] * [1, 0], np.ones(4), "t")  # collinear: a scatter
    assert type(line.axes[0].collections[0]).__name__ == "PathCollection"
    assert plots.section_figure(np.zeros((0, 2)), np.zeros(0), "t").axes[0].collections
