"""Figures of a case: height, contact and field maps, the PSD and result curves.

Every function returns a :class:`matplotlib.figure.Figure` and saves nothing
(:meth:`solver.output.runfolder.RunFolder.save_figure` does).
The figures are built with the object-oriented API on an Agg canvas of their own, never through
``pyplot``: no global backend is switched (so importing lamina in a notebook leaves the user's
backend alone), no window opens on a headless node, and nothing is registered in pyplot's figure
list, so a long sweep does not accumulate open figures and the caller needs to close nothing.
``fig.savefig(path_or_buffer, format="png")`` works on the result as usual.

Maps follow the height-map convention of :mod:`solver.surface.measured`: ``values[i, j]`` at
``x = i Lx/nx``, ``y = j Ly/ny``; they are drawn with x to the right and y up, axes in µm, each
pixel centred on its grid point.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

CURVE_SIZE = (5.6, 4.2)


def _map_size(sizes) -> tuple[float, float]:
    """Figure size that fits a map of aspect Ly/Lx (so the colour bar matches the map height)."""
    aspect = sizes[1] / sizes[0]
    return 5.6, float(np.clip(1.4 + 3.9 * aspect, 2.8, 8.0))


def _figure(size) -> Figure:
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _map(values, physical_sizes, name: str) -> tuple[np.ndarray, tuple[float, float]]:
    a = np.asarray(values)
    if a.ndim != 2 or min(a.shape) < 1:
        raise ValueError(f"{name}: need a 2-D map (nx, ny), got shape {a.shape}")
    try:
        lx, ly = (float(s) for s in physical_sizes)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: physical_sizes must be (Lx, Ly) in m, "
                         f"got {physical_sizes!r}") from None
    if not (np.isfinite([lx, ly]).all() and lx > 0 and ly > 0):
        raise ValueError(f"{name}: physical_sizes must be finite and > 0, got {(lx, ly)}")
    return a, (lx, ly)


def _extent_um(shape, sizes) -> list[float]:
    """imshow extent in µm with pixel (i, j) centred on (i dx, j dy)."""
    (nx, ny), (lx, ly) = shape, sizes
    dx, dy = lx / nx * 1e6, ly / ny * 1e6
    return [-dx / 2, lx * 1e6 - dx / 2, -dy / 2, ly * 1e6 - dy / 2]


def _draw_map(fig: Figure, a, sizes, **imshow_kw):
    ax = fig.add_subplot()
    im = ax.imshow(a.T, origin="lower", extent=_extent_um(a.shape, sizes), **imshow_kw)
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y (µm)")
    ax.set_aspect("equal")
    return ax, im


def height_map_figure(h, physical_sizes, title: str = "Height map") -> Figure:
    """The height map in µm with a colour bar.

    Args:
        h: heights (nx, ny) in m.
        physical_sizes: (Lx, Ly) in m.
        title: axes title.

    Returns:
        A figure with two axes: the map and its colour bar.
    """
    a, sizes = _map(h, physical_sizes, "height_map_figure")
    fig = _figure(_map_size(sizes))
    ax, im = _draw_map(fig, np.asarray(a, dtype=np.float64) * 1e6, sizes, cmap="viridis")
    fig.colorbar(im, ax=ax, label="height (µm)")
    ax.set_title(title)
    return fig


def _slope_label(hurst: float) -> str:
    slope = -2.0 * (1.0 + hurst)
    return f"H = {hurst:.2f} (slope {slope:.2f})".replace("-", "\u2212")


def psd_figure(q, C, fit: Mapping | None = None, title: str = "Power spectral density",
               ylabel: str = "C(q) (m⁴)") -> Figure:
    """The isotropic PSD C(q) on log-log axes, optionally with a self-affine fit.

    Points with q <= 0 or C <= 0 (the mean, empty bins) cannot be drawn on log axes and are left
    out, and so are values below 1e-12 of the maximum (round-off past the short cutoff).

    Args:
        q: wavevectors in 1/m.
        C: PSD values, same length.
        fit: ``dict(hurst=H, prefactor=c, q_min=.., q_max=..)``; drawn as
            ``C = c q^(-2(1+H))`` over [q_min, q_max], labelled ``"H = 0.80 (slope −3.60)"``.
        title: axes title.
        ylabel: y-axis label (the default is the 2-D PSD's unit).

    Returns:
        A figure with one axes: the data line first, then the fit line when given.
    """
    q = np.asarray(q, dtype=np.float64).ravel()
    C = np.asarray(C, dtype=np.float64).ravel()
    if q.shape != C.shape:
        raise ValueError(f"psd_figure: q and C differ in length ({q.size} vs {C.size})")
    keep = np.isfinite(q) & np.isfinite(C) & (q > 0) & (C > 0)
    # Round-off beyond the short cutoff sits 30+ decades down and would squash the spectrum.
    if keep.any():
        keep &= C >= 1e-12 * C[keep].max()
    fig = _figure(CURVE_SIZE)
    ax = fig.add_subplot()
    ax.loglog(q[keep], C[keep], "-", color="C0", lw=1.2, label="data")
    if fit is not None:
        missing = {"hurst", "prefactor", "q_min", "q_max"} - set(fit)
        if missing:
            raise ValueError(f"psd_figure: fit lacks {', '.join(sorted(missing))}")
        hurst, c = float(fit["hurst"]), float(fit["prefactor"])
        q_min, q_max = float(fit["q_min"]), float(fit["q_max"])
        if not (0 < q_min < q_max and np.isfinite(q_max)):
            raise ValueError(f"psd_figure: need 0 < q_min < q_max, got {q_min:g}, {q_max:g}")
        qq = np.geomspace(q_min, q_max, 64)
        ax.loglog(qq, c * qq ** (-2.0 * (1.0 + hurst)), "--", color="C3", lw=1.5,
                  label=_slope_label(hurst))
    ax.set_xlabel("wavevector q (1/m)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return fig


def contact_map_figure(in_contact, physical_sizes, title: str | None = None) -> Figure:
    """Where the surfaces touch: contact black, no contact white.

    Args:
        in_contact: boolean map (nx, ny).
        physical_sizes: (Lx, Ly) in m.
        title: axes title; by default it states the contact area fraction A_r/A0.

    Returns:
        A figure with one axes.
    """
    a, sizes = _map(in_contact, physical_sizes, "contact_map_figure")
    a = a.astype(bool)
    fig = _figure(_map_size(sizes))
    ax, _ = _draw_map(fig, a.astype(np.uint8), sizes, cmap="gray_r", vmin=0, vmax=1,
                      interpolation="nearest")
    ax.set_title(title if title is not None else f"Contact map (A_r/A0 = {a.mean():.1%})")
    ax.legend(handles=[Patch(facecolor="black", label="contact"),
                       Patch(facecolor="white", edgecolor="0.5", label="no contact")],
              loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, frameon=False)
    return fig


def field_map_figure(values, physical_sizes, label: str, unit: str, title: str | None = None,
                     cmap: str = "viridis") -> Figure:
    """A scalar field on the surface grid (gap, pressure, current density, ...).

    The values are drawn as given; ``unit`` only labels the colour bar. NaN entries (e.g. no
    current outside the contact) are left blank.

    Args:
        values: map (nx, ny) in ``unit``.
        physical_sizes: (Lx, Ly) in m.
        label: name of the quantity, e.g. ``"contact pressure"``.
        unit: its unit, e.g. ``"MPa"`` (``""`` or ``"1"`` for none).
        title: axes title (default: ``label``).
        cmap: colour map.

    Returns:
        A figure with two axes: the map and its colour bar.
    """
    a, sizes = _map(values, physical_sizes, "field_map_figure")
    fig = _figure(_map_size(sizes))
    ax, im = _draw_map(fig, np.asarray(a, dtype=np.float64), sizes, cmap=cmap)
    fig.colorbar(im, ax=ax, label=f"{label} ({unit})" if unit not in ("", "1", None) else label)
    ax.set_title(title if title is not None else label)
    return fig


def curve_figure(x, ys: Mapping[str, object], xlabel: str, ylabel: str, title: str,
                 logx: bool = False, logy: bool = False,
                 reference: Mapping[str, object] | None = None) -> Figure:
    """Curves y(x), e.g. A_r/A0 against pressure, with reference curves dashed.

    Args:
        x: abscissa shared by all ``ys``.
        ys: label -> values (same length as ``x``), drawn solid with markers in dict order.
        xlabel, ylabel, title: labels.
        logx, logy: logarithmic axes.
        reference: label -> values on ``x``, or label -> ``(x_ref, y_ref)``; drawn dashed after
            the ``ys`` lines.

    Returns:
        A figure with one axes: one line per entry of ``ys``, then one per reference.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    fig = _figure(CURVE_SIZE)
    ax = fig.add_subplot()
    for i, (name, y) in enumerate(ys.items()):
        y = np.asarray(y, dtype=np.float64).ravel()
        if y.shape != x.shape:
            raise ValueError(f"curve_figure: {name!r} has {y.size} values, x has {x.size}")
        ax.plot(x, y, "-o", color=f"C{i % 10}", ms=3.5, lw=1.3, label=str(name))
    for k, (name, ref) in enumerate((reference or {}).items()):
        if isinstance(ref, tuple) and len(ref) == 2:
            xr, yr = (np.asarray(v, dtype=np.float64).ravel() for v in ref)
        else:
            xr, yr = x, np.asarray(ref, dtype=np.float64).ravel()
        if xr.shape != yr.shape:
            raise ValueError(f"curve_figure: reference {name!r} has {yr.size} values "
                             f"for {xr.size} x values")
        ax.plot(xr, yr, "--", color="black" if k == 0 else f"0.{4 + 2 * (k % 3)}", lw=1.3,
                label=str(name))
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if ys or reference:
        ax.legend()
    return fig


def section_figure(points, values, title: str = "Section", unit_label: str = "µm") -> Figure:
    """Scatter of a cell field in a vertical section: points (n, 2) (lateral, vertical)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    vals = np.asarray(values, dtype=np.float64).ravel()
    fig = _figure(CURVE_SIZE)
    ax = fig.add_subplot()
    sc = ax.scatter(pts[:, 0], pts[:, 1], c=vals, s=6, marker="s", cmap="magma", linewidths=0)
    fig.colorbar(sc, ax=ax, label="equivalent plastic strain")
    ax.set_xlabel(f"x ({unit_label})")
    ax.set_ylabel(f"z ({unit_label})")
    ax.set_title(title)
    ax.set_aspect("equal", adjustable="datalim")
    return fig
