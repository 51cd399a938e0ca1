"""Figures of a benchmark report: computed vs reference curves and the checks' panels.

Built here from the checks a benchmark wrote (see :mod:`solver.batch.bench.check`), saved by
:meth:`solver.output.runfolder.RunFolder.save_figure`.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from solver.output.plots import curve_figure
from solver.batch.bench.runner import BenchResult


def as_float(v) -> float:
    """``float(v)``, NaN for a value that is not a number (None, a string, ...)."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _span(values) -> float:
    """max/min of the finite values when all are > 0, else 0 (no log axis possible)."""
    a = np.asarray([as_float(v) for v in values], dtype=float)
    a = a[np.isfinite(a)]
    if a.size < 2 or not np.all(a > 0):
        return 0.0
    return float(a.max() / a.min())


def _log_axes(curve: dict, name: str, ys) -> tuple[bool, bool]:
    """Log axes of a curve: the curve's own ``logx``/``logy`` if given; else log-log for an
    error against a mesh size or a time step (a convergence plot) that spans a factor > 2, and a
    log axis for positive values spanning more than a factor 30."""
    sx, sy = _span(curve["x"]), _span(ys)
    text = f"{name} {curve.get('ylabel', '')}".lower()
    convergence = ("error" in text or "convergence" in text) and sx > 2 and sy > 2
    logx = curve.get("logx", convergence or sx > 30)
    logy = curve.get("logy", convergence or sy > 30)
    return bool(logx), bool(logy)


def curve_check_figure(check: dict):
    """Computed (solid) vs reference (dashed) of a check's ``curve``.

    The curve is ``{"x", "computed", "reference", "xlabel", "ylabel"}`` as in
    :class:`solver.batch.bench.check.Check`; optional ``"logx"``/``"logy"`` booleans choose the
    axes.
    """
    curve = check["curve"]
    x = np.asarray([as_float(v) for v in curve["x"]], dtype=float)
    y = np.asarray([as_float(v) for v in curve["computed"]], dtype=float)
    ref = curve.get("reference")
    reference = None
    if ref is not None:
        reference = {"reference": np.asarray([as_float(v) for v in ref], dtype=float)}
    logx, logy = _log_axes(curve, str(check.get("name", "")),
                           [*y, *(reference["reference"] if reference else [])])
    return curve_figure(x, {"computed": y}, str(curve.get("xlabel", "x")),
                        str(curve.get("ylabel", "y")), _wrap(check.get("name", ""), 60),
                        logx=logx, logy=logy, reference=reference)


def _wrap(text: str, width: int) -> str:
    """``text`` wrapped at ``width`` characters (a title must not be empty: " " then)."""
    return "\n".join(textwrap.wrap(str(text), width)) or " "


def _chartable(c: dict) -> bool:
    """Whether a check gets a panel of :func:`checks_figure` (no curve; an info check only with
    finite values)."""
    if c.get("curve"):
        return False
    if c.get("kind") == "info":
        return (math.isfinite(as_float(c.get("reference")))
                and math.isfinite(as_float(c.get("computed"))))
    return True


def checks_figure(checks: list[dict], title: str = ""):
    """One small panel per check: the computed value (a point, green passed, red failed, grey
    info) against the reference (dashed) and its tolerance band (shaded), or against the bound
    of a ``max``/``min`` check (dashed, the allowed side shaded)."""
    n = len(checks)
    ncols = min(4, n)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(2.9 * ncols, 2.5 * nrows + 0.4), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_axis_off()
    for ax, c in zip(axes.flat, checks):
        kind = c.get("kind", "rel")
        comp, ref, tol = (as_float(c.get(k)) for k in ("computed", "reference", "tolerance"))
        shown = [comp]
        if kind in ("rel", "abs") and math.isfinite(ref):
            half = tol * abs(ref) if kind == "rel" else tol
            ax.axhline(ref, color="black", ls="--", lw=1.2, label="reference")
            if math.isfinite(half):
                ax.axhspan(ref - half, ref + half, color="tab:green", alpha=0.18, lw=0,
                           label="± tolerance")
                shown += [ref - half, ref + half]
            shown.append(ref)
        elif kind in ("max", "min") and math.isfinite(tol):
            ax.axhline(tol, color="black", ls="--", lw=1.2, label="bound")
            shown.append(tol)
        elif kind == "info" and math.isfinite(ref):
            ax.axhline(ref, color="black", ls="--", lw=1.2, label="reference")
            shown.append(ref)
        finite = [v for v in shown if math.isfinite(v)]
        lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
        pad = 0.25 * (hi - lo) if hi > lo else (0.1 * abs(hi) or 1.0)
        lo, hi = lo - pad, hi + pad
        if kind == "max" and math.isfinite(tol):
            ax.axhspan(lo, tol, color="tab:green", alpha=0.18, lw=0, label="allowed")
        elif kind == "min" and math.isfinite(tol):
            ax.axhspan(tol, hi, color="tab:green", alpha=0.18, lw=0, label="allowed")
        color = "0.45" if kind == "info" else ("tab:green" if c.get("passed") else "tab:red")
        if math.isfinite(comp):
            ax.plot([0.0], [comp], "o", ms=8, color=color, mec="black", label="computed")
        else:
            ax.text(0.5, 0.5, f"computed = {comp}", transform=ax.transAxes, ha="center",
                    color="tab:red")
        ax.set_ylim(lo, hi)
        ax.set_xlim(-1.0, 1.0)
        ax.set_xticks([])
        unit = c.get("unit", "1")
        if unit not in ("", "1", None):
            ax.set_ylabel(unit)
        ax.set_title(_wrap(c.get("name", ""), 34), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.yaxis.get_offset_text().set_fontsize(7)
    handles, labels = {}, []
    for ax in axes.flat[:n]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    labels = list(handles)
    if labels:
        fig.legend([handles[k] for k in labels], labels, loc="outside lower center",
                   ncols=len(labels), fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def figures(res: BenchResult) -> list[tuple[str, object, str]]:
    """(file name, figure, caption) of one benchmark: a curve figure per check with a curve,
    one panel chart of the other checks."""
    figs = []
    k = 0
    for c in res.checks:
        if c.get("curve"):
            k += 1
            figs.append((f"{res.name}-curve-{k}.png", lambda c=c: curve_check_figure(c),
                         f"{c.get('name', '')}: computed vs reference"))
    scalar = [c for c in res.checks if _chartable(c)]
    if scalar:
        title = f"{res.name}: computed vs reference ± tolerance"
        figs.append((f"{res.name}-checks.png", lambda: checks_figure(scalar, title),
                     "computed vs reference ± tolerance"))
    return figs
