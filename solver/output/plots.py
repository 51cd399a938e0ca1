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
from matplotlib import colormaps
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


def _slope_label(hurst: float, stderr=None) -> str:
    slope = -2.0 * (1.0 + hurst)
    err = f" ± {float(stderr):.2f}" if stderr is not None and np.isfinite(stderr) else ""
    return f"H = {hurst:.2f}{err} (slope {slope:.2f})".replace("-", "\u2212")


def psd_figure(q, C, fit: Mapping | None = None, title: str = "Power spectral density",
               ylabel: str = "C(q) (m⁴)", target=None,
               target_label: str = "target spectrum") -> Figure:
    """The isotropic PSD C(q) on log-log axes, optionally with a self-affine fit and the
    target spectrum of a generated surface.

    Points with q <= 0 or C <= 0 (the mean, empty bins) cannot be drawn on log axes and are left
    out, and so are values below 1e-12 of the maximum (round-off past the short cutoff).

    Args:
        q: wavevectors in 1/m.
        C: PSD values, same length.
        fit: ``dict(hurst=H, prefactor=c, q_min=.., q_max=..)`` (optionally ``hurst_stderr``,
            ``decades``); drawn as ``C = c q^(-2(1+H))`` over [q_min, q_max], labelled
            ``"H = 0.80 ± 0.05 (slope −3.60)"``; a band under a decade is said in the title.
        title: axes title.
        ylabel: y-axis label (the default is the 2-D PSD's unit).
        target: ``(q, C)`` of the spectrum the surface was generated with (e.g.
            :func:`solver.surface.statistics.target_psd`), drawn dotted, or None.
        target_label: its legend entry.

    Returns:
        A figure with one axes: the data line first, then the fit line, then the target.
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
                  label=_slope_label(hurst, fit.get("hurst_stderr")))
        decades = fit.get("decades", np.log10(q_max / q_min))
        if decades < 1.0:
            title = f"{title}\n(fit band {decades:.2f} decades: H poorly determined)"
    if target is not None:
        qt, Ct = (np.asarray(v, dtype=np.float64).ravel() for v in target)
        if qt.shape != Ct.shape:
            raise ValueError(f"psd_figure: target q and C differ in length "
                             f"({qt.size} vs {Ct.size})")
        ok = np.isfinite(qt) & np.isfinite(Ct) & (qt > 0) & (Ct > 0)
        ax.loglog(qt[ok], Ct[ok], ":", color="black", lw=1.6, label=target_label)
    ax.set_xlabel("wavevector q (rad/m)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return fig


def step_label(index, phase, mean_pressure) -> str:
    """``"step 16 (hold), p̄ = 2 MPa"``: names the press step a per-step figure shows.

    Args:
        index: step index (as in ``results.json`` ``press.steps``).
        phase: ``"load"``, ``"hold"`` or ``"release"``.
        mean_pressure: the step's mean pressure p̄ in Pa.
    """
    return f"step {int(index)} ({phase}), p̄ = {float(mean_pressure) / 1e6:.3g} MPa"


def contact_map_figure(in_contact, physical_sizes, title: str | None = None,
                       pressure=None) -> Figure:
    """Where the surfaces touch, and with which pressure.

    Without ``pressure``: contact black, no contact white. With it: the contact pressure (MPa)
    on the in-contact spots with a colour bar, no contact white.

    Args:
        in_contact: boolean map (nx, ny).
        physical_sizes: (Lx, Ly) in m.
        title: axes title; by default it states the contact area fraction A_r/A0.
        pressure: contact pressure map (nx, ny) in Pa, or None.

    Returns:
        A figure with one axes (two with ``pressure``: the map and its colour bar).
    """
    a, sizes = _map(in_contact, physical_sizes, "contact_map_figure")
    a = a.astype(bool)
    fig = _figure(_map_size(sizes))
    no_contact = Patch(facecolor="white", edgecolor="0.5", label="no contact")
    if pressure is None:
        ax, _ = _draw_map(fig, a.astype(np.uint8), sizes, cmap="gray_r", vmin=0, vmax=1,
                          interpolation="nearest")
        handles = [Patch(facecolor="black", label="contact"), no_contact]
        what = "Contact map"
    else:
        p, _ = _map(pressure, sizes, "contact_map_figure")
        if p.shape != a.shape:
            raise ValueError(f"contact_map_figure: pressure has shape {p.shape}, "
                             f"in_contact {a.shape}")
        shown = np.where(a, np.asarray(p, dtype=np.float64) / 1e6, np.nan)
        ax, im = _draw_map(fig, shown, sizes, cmap=colormaps["magma"].with_extremes(bad="white"),
                           interpolation="nearest")
        fig.colorbar(im, ax=ax, label="contact pressure (MPa)")
        handles, what = [no_contact], "Contact pressure"
    ax.set_title(title if title is not None else f"{what} (A_r/A0 = {a.mean():.1%})")
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14),
              ncols=len(handles), frameon=False)
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


def shade_contact(ax, x_um, in_contact) -> None:
    """Shade the in-contact stretches of a profile (x in µm), labelled ``"in contact"``."""
    c = np.asarray(in_contact, dtype=bool).ravel()
    x_um = np.asarray(x_um, dtype=np.float64).ravel()
    if not c.any():
        return
    half = 0.5 * (x_um[1] - x_um[0]) if x_um.size > 1 else 0.5
    edges = np.flatnonzero(np.diff(np.r_[0, c.astype(np.int8), 0]))  # run starts, ends (excl.)
    for n, (i, j) in enumerate(zip(edges[::2], edges[1::2])):
        ax.axvspan(x_um[i] - half, x_um[j - 1] + half, color="C2", alpha=0.18, lw=0,
                   label="in contact" if n == 0 else None)


def draw_profile(ax, x, values, ylabel: str, in_contact=None,
                 reference: Mapping[str, float] | None = None, color: str = "C0") -> None:
    """One quantity along a profile on ``ax``: x in m (drawn in µm), the line unlabelled (the
    y label names it), in-contact stretches shaded, reference levels dotted."""
    x_um = np.asarray(x, dtype=np.float64).ravel() * 1e6
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.shape != x_um.shape:
        raise ValueError(f"profile: {v.size} values for {x_um.size} x positions")
    ax.plot(x_um, v, "-", color=color, lw=1.3)
    if in_contact is not None:
        shade_contact(ax, x_um, in_contact)
    for k, (name, level) in enumerate((reference or {}).items()):
        ax.axhline(float(level), ls=":", color="black" if k == 0 else "0.5", lw=1.2, label=name)
    ax.set_xlabel("x (µm)")
    ax.set_ylabel(ylabel)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize="small")


def profile_figure(x, values, ylabel: str, title: str, in_contact=None,
                   reference: Mapping[str, float] | None = None) -> Figure:
    """A quantity along the 2D profile (the 2D counterpart of a map).

    Args:
        x: positions (m), drawn in µm.
        values: the quantity at ``x``, in the unit ``ylabel`` names.
        ylabel: y-axis label with unit, e.g. ``"contact pressure (MPa)"``.
        title: axes title.
        in_contact: boolean per position; its stretches are shaded (legend ``"in contact"``).
        reference: label -> level drawn as a dotted horizontal line, e.g. the applied mean.

    Returns:
        A figure with one axes: the profile line first, then one line per reference.
    """
    fig = _figure(CURVE_SIZE)
    ax = fig.add_subplot()
    draw_profile(ax, x, values, ylabel, in_contact, reference)
    ax.set_title(title)
    return fig


def cycle_branches(p, y, phase) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Split a curve along the press cycle into ``("loading, hold", p, y)`` and, when there is a
    release, ``("release", p, y)`` starting from the last loaded/hold point (the branches meet)."""
    p = np.asarray(p, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    rel = np.array([str(ph) == "release" for ph in phase], dtype=bool)
    if not p.shape == y.shape == rel.shape:
        raise ValueError(f"cycle_branches: p, y and phase differ in length "
                         f"({p.size}, {y.size}, {rel.size})")
    out = [("loading, hold", p[~rel], y[~rel])]
    if rel.any():
        idx = np.flatnonzero(rel)
        before = np.flatnonzero(~rel[:idx[0]])
        idx = np.r_[before[-1:], idx]
        out.append(("release", p[idx], y[idx]))
    return out


def draw_cycle(ax, p, y, phase, ylabel: str, logy: bool = False) -> None:
    """A result against the mean pressure p̄ (Pa, drawn in MPa) on ``ax``: loading and hold
    solid, release dashed from the last loaded point; legend by branch."""
    for (name, pb, yb), style in zip(cycle_branches(p, y, phase), ("-o", "--s")):
        ax.plot(pb / 1e6, yb, style, color="C1" if name == "release" else "C0", ms=3.5, lw=1.3,
                label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("mean pressure p̄ (MPa)")
    ax.set_ylabel(ylabel)
    ax.legend()


def press_cycle_figure(p, y, phase, ylabel: str, title: str, logy: bool = False) -> Figure:
    """A result along the press cycle (A_r/A0, ASR, ...) against the mean pressure.

    Args:
        p: mean pressure p̄ per step (Pa), drawn in MPa.
        y: the result per step.
        phase: ``"load"``, ``"hold"`` or ``"release"`` per step.
        ylabel: y-axis label with unit.
        title: axes title.
        logy: logarithmic y axis.

    Returns:
        A figure with one axes: the loading/hold line, then the release line (when there is
        a release) whose first point is the last loaded/hold point.
    """
    fig = _figure(CURVE_SIZE)
    ax = fig.add_subplot()
    draw_cycle(ax, p, y, phase, ylabel, logy)
    ax.set_title(title)
    return fig


def section_figure(points, values, title: str = "Section", unit_label: str = "µm") -> Figure:
    """A cell field in a vertical section, points (n, 2) (lateral, vertical): shaded over the
    triangulation of the points (graded cells leave no gaps), a scatter below 3 points or when
    they lie on one line."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    vals = np.asarray(values, dtype=np.float64).ravel()
    fig = _figure(CURVE_SIZE)
    ax = fig.add_subplot()
    spread = pts - pts.mean(axis=0) if len(pts) else pts
    if len(pts) >= 3 and np.linalg.matrix_rank(spread, tol=1e-12 * np.abs(pts).max()) == 2:
        sc = ax.tripcolor(pts[:, 0], pts[:, 1], vals, shading="gouraud", cmap="magma")
    else:
        sc = ax.scatter(pts[:, 0], pts[:, 1], c=vals, s=6, marker="s", cmap="magma", linewidths=0)
    fig.colorbar(sc, ax=ax, label="equivalent plastic strain (1)")
    ax.set_xlabel(f"x ({unit_label})")
    ax.set_ylabel(f"z ({unit_label})")
    ax.set_title(title)
    ax.set_aspect("equal", adjustable="datalim")
    return fig
