"""The summary figure of a run: one press step through the whole pipeline, side by side.

Surface height | contact pressure | current density on the surface grid for one step, and a
result along the press cycle (ASR(p̄) with its loading and release branches, or A_r/A0(p̄) when
the current stage did not run). A 3D map (``ny > 1``) is drawn as images with colour bars in
one row; a 2D profile (``ny = 1``) as profiles stacked over a shared x axis with the curve
beside them, so a 2D summary has exactly four axes. Built like :mod:`solver.output.plots`
(object-oriented, an Agg canvas of its own, nothing saved).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from solver.output import plots


def _panels(current) -> list[str]:
    return ["h", "p"] + (["j"] if current is not None else []) + ["c"]


def summary_figure(heights, physical_sizes, pressure, in_contact, step: str, curve: Mapping,
                   current=None) -> Figure:
    """Surface, contact pressure and current density of one step, and a press-cycle curve.

    Args:
        heights: surface heights (nx, ny) in m (``ny = 1``: a 2D profile).
        physical_sizes: (Lx, Ly) in m.
        pressure: contact pressure (nx, ny) in Pa at the step.
        in_contact: boolean (nx, ny) at the step.
        step: the step's name (:func:`solver.output.plots.step_label`), put in the title.
        curve: ``dict(p=..., y=..., phase=..., ylabel=..., logy=bool)``: a result per step
            against the mean pressure p̄ (Pa), drawn with :func:`solver.output.plots.draw_cycle`.
        current: current density (nx, ny) in A/m² (drawn in mA/cm²), or None (no panel).

    Returns:
        The figure: in 3D one image axes per map with its colour bar, then the curve axes;
        in 2D one profile axes per map (shared x), then the curve axes.
    """
    h, sizes = plots._map(heights, physical_sizes, "summary_figure")
    maps = {"h": h * 1e6, "p": np.asarray(pressure, dtype=np.float64) / 1e6}
    c = np.asarray(in_contact, dtype=bool)
    if current is not None:
        maps["j"] = np.asarray(current, dtype=np.float64) / 10.0
    names_of = {"h": "heights", "p": "pressure", "j": "current", "c": "in_contact"}
    for key, a in (*maps.items(), ("c", c)):
        if a.shape != h.shape:
            key = names_of[key]
            raise ValueError(f"summary_figure: {key} has shape {a.shape}, heights {h.shape}")
    names = _panels(current)
    labels = {"h": "height (µm)", "p": "contact pressure (MPa)", "j": "current density (mA/cm²)"}
    titles = {"h": "Surface", "p": "Contact pressure",
              "j": "Current density"}
    if h.shape[1] > 1:
        fig = Figure(figsize=(4.6 * len(names), 4.4), layout="constrained")
        axes = fig.subplot_mosaic([names])
        _draw_maps(fig, axes, maps, c, sizes, labels)
    else:
        fig = Figure(figsize=(11.5, 2.3 * (len(names) - 1) + 1.0), layout="constrained")
        axes = fig.subplot_mosaic([[k, "c"] for k in names[:-1]], width_ratios=[1.6, 1])
        x = np.arange(h.shape[0]) * sizes[0] / h.shape[0]
        for k in names[:-1]:
            plots.draw_profile(axes[k], x, maps[k][:, 0], labels[k],
                               in_contact=None if k == "h" else c[:, 0],
                               color={"h": "C7", "p": "C3", "j": "C0"}[k])
            if k != names[-2]:
                axes[k].sharex(axes[names[-2]])
                axes[k].tick_params(labelbottom=False)
                axes[k].set_xlabel("")
    for k in names[:-1]:
        axes[k].set_title(titles[k])
    plots.draw_cycle(axes["c"], curve["p"], curve["y"], curve["phase"], curve["ylabel"],
                     logy=bool(curve.get("logy", False)))
    axes["c"].set_title(f"{curve['ylabel'].split(' (')[0]} along the press cycle")
    fig.suptitle(f"Summary: {step}")
    plots.FigureCanvasAgg(fig)
    return fig


def _draw_maps(fig, axes, maps, c, sizes, labels) -> None:
    """The 3D panels: height, contact pressure on the spots (no contact white), current."""
    cmaps = {"h": "viridis", "p": colormaps["magma"].with_extremes(bad="white"),
             "j": colormaps["viridis"].with_extremes(bad="white")}
    ext = plots._extent_um(maps["h"].shape, sizes)
    for k, a in maps.items():
        shown = np.where(c, a, np.nan) if k == "p" else a
        ax = axes[k]
        im = ax.imshow(shown.T, origin="lower", extent=ext, cmap=cmaps[k],
                       interpolation="nearest" if k != "h" else "antialiased")
        ax.set_xlabel("x (µm)")
        if k == "h":
            ax.set_ylabel("y (µm)")
        else:  # same grid as the height panel: its y axis labels them all
            ax.tick_params(labelleft=False)
        ax.set_aspect("equal")
        fig.colorbar(im, ax=ax, label=labels[k], shrink=0.85)
