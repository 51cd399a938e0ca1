"""Metrics of a local current-density map on the surface grid: statistics, hotspots, spots.

Pure NumPy on arrays ``(nx, ny)`` of equal grid cells (no mesh, no DOLFINx). The map is the local
interface current density (A/m², in the direction of the drive) that
:meth:`solver.fem.potential.CurrentProblem.current_map` evaluates on the contact map's grid,
scaled so that its grid integral is the solution's interface current: ``j_mean`` is the applied
current density of a galvanostatic step.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from solver.errors import InputError
from solver.physics.interface import require_positive
from solver.physics.spots import label_spots

#: Percentiles (%) of the current density reported by :func:`current_metrics`.
PERCENTILES = (50.0, 90.0, 99.0, 99.9)


class SpotCurrents(NamedTuple):
    """Current per contact spot (4-connected components of in_contact), largest current first.

    Attributes:
        n_spots: number of spots.
        current: current of each spot (A; A/m for a profile).
        area: area of each spot (m²; m for a profile).
        mean_density: current/area (A/m²).
        max_density: largest local current density in the spot (A/m²).
        largest_share: share of the total current carried by the spot with the most current.
        spots_for_half: fewest spots that carry half the current.
    """

    n_spots: int
    current: np.ndarray
    area: np.ndarray
    mean_density: np.ndarray
    max_density: np.ndarray
    largest_share: float
    spots_for_half: int


class CurrentMetrics(NamedTuple):
    """Statistics of the local current density j on the surface grid (A/m², drive direction).

    Attributes:
        j_mean: mean over the nominal area.
        j_max: largest value; ``j_max_over_mean`` = j_max/j_mean.
        percentiles: ``{"p50", "p90", "p99", "p99.9"}`` of j over the nominal area (equal cells;
            ``numpy.percentile``, linear interpolation).
        percentiles_contact: the same over the contact cells (``in_contact``; None without it).
        top1_share: share of the current through the 1 % of the area with the highest j (the
            last cell counted fractionally when 1 % of the cells is not whole).
        j_crit: critical current density (A/m²) or None.
        risk_area_fraction: area fraction (of the nominal area) where j > j_crit (None without).
        risk_area: that area (m²).
        spots: per-spot currents (None without ``in_contact``).
    """

    j_mean: float
    j_max: float
    j_max_over_mean: float
    percentiles: dict
    percentiles_contact: dict | None
    top1_share: float
    j_crit: float | None
    risk_area_fraction: float | None
    risk_area: float | None
    spots: SpotCurrents | None

    def summary(self) -> dict:
        """Scalars for results.json (arrays of the spots left out)."""
        d = {"j_mean_A_per_m2": self.j_mean, "j_max_A_per_m2": self.j_max,
             "j_max_over_mean": self.j_max_over_mean,
             **{f"j_{k}_A_per_m2": v for k, v in self.percentiles.items()},
             "top1_area_current_share": self.top1_share}
        if self.percentiles_contact is not None:
            d.update({f"j_contact_{k}_A_per_m2": v for k, v in self.percentiles_contact.items()})
        if self.j_crit is not None:
            d.update({"j_crit_A_per_m2": self.j_crit,
                      "risk_area_fraction": self.risk_area_fraction,
                      "risk_area_m2": self.risk_area})
        if self.spots is not None:
            d.update({"n_spots": self.spots.n_spots,
                      "largest_spot_current_share": self.spots.largest_share,
                      "spots_for_half_current": self.spots.spots_for_half})
        return d


def _pkey(q: float) -> str:
    return f"p{q:g}"


def top_area_share(j: np.ndarray, fraction: float = 0.01) -> float:
    """Share of Σj carried by the ``fraction`` of equal cells with the largest j."""
    v = np.sort(np.asarray(j, dtype=float).ravel())[::-1]
    total = v.sum()
    if total == 0:
        return math.nan
    m = fraction * v.size
    k = int(math.floor(m + 1e-12))
    part = v[:k].sum()
    if k < v.size:
        part += (m - k) * v[k]
    return float(part / total)


def spot_currents(j: np.ndarray, in_contact: np.ndarray, cell_area: float) -> SpotCurrents:
    """Current per contact spot (labels of :func:`solver.physics.spots.label_spots`)."""
    labels, n = label_spots(np.ascontiguousarray(in_contact, dtype=np.bool_))
    if n == 0:
        e = np.zeros(0)
        return SpotCurrents(0, e, e, e, e, math.nan, 0)
    lab = labels.ravel()
    jj = np.asarray(j, dtype=float).ravel()
    inside = lab > 0
    cur = np.bincount(lab[inside] - 1, weights=jj[inside], minlength=n) * cell_area
    cnt = np.bincount(lab[inside] - 1, minlength=n).astype(float)
    area = cnt * cell_area
    jmax = np.full(n, -np.inf)
    np.maximum.at(jmax, lab[inside] - 1, jj[inside])
    order = np.argsort(-cur, kind="stable")
    cur, area, jmax = cur[order], area[order], jmax[order]
    total = cur.sum()
    share = float(cur[0] / total) if total != 0 else math.nan
    half = int(np.searchsorted(np.cumsum(cur), 0.5 * total - 1e-12 * abs(total)) + 1) \
        if total > 0 else 0
    return SpotCurrents(int(n), cur, area, cur / area, jmax, share, half)


def current_metrics(j, cell_area: float, *, in_contact=None, j_crit: float | None = None,
                    percentiles=PERCENTILES) -> CurrentMetrics:
    """Metrics of a local current-density map on the surface grid (equal cells of ``cell_area``).

    ``j`` is taken in the direction of the drive (use ``sign(J)·j`` for a negative drive).
    ``j_crit`` (A/m², > 0) sets the dendrite-risk area; ``in_contact`` adds contact-area
    percentiles and per-spot currents.
    """
    j = np.asarray(j, dtype=float)
    cell_area = require_positive("cell_area", cell_area, "m^2")
    if j.size == 0 or not np.all(np.isfinite(j)):
        raise InputError("current map: empty or non-finite")
    if j_crit is not None:
        j_crit = require_positive("j_crit (critical current density)", j_crit, "A/m^2")
    mean = float(j.mean())
    jmax = float(j.max())
    pct = {_pkey(q): float(v) for q, v in zip(percentiles, np.percentile(j, percentiles))}
    pct_c = spots = None
    if in_contact is not None:
        inc = np.asarray(in_contact, dtype=bool).reshape(j.shape)
        if inc.any():
            pct_c = {_pkey(q): float(v)
                     for q, v in zip(percentiles, np.percentile(j[inc], percentiles))}
        spots = spot_currents(j, inc, cell_area)
    risk = risk_area = None
    if j_crit is not None:
        risk = float(np.mean(j > j_crit))
        risk_area = risk * j.size * cell_area
    return CurrentMetrics(mean, jmax, jmax / mean if mean != 0 else math.inf, pct, pct_c,
                          top_area_share(j), j_crit, risk, risk_area, spots)
