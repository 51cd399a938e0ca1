"""Statistics of height maps: ISO 25178 height and hybrid parameters, PSD, Hurst exponent,
correlation lengths and flatness (the statistics' public API, and :func:`surface_statistics`).

Height maps follow :mod:`solver.surface.synthesis`: ``h`` of shape ``(nx, ny)`` in m, ``h[i, j]`` at
``x = i Lx/nx``, ``y = j Ly/ny``, ``physical_sizes = (Lx, Ly)`` in m. ``periodic=True`` means the
map repeats (generated surfaces); measured maps are not periodic: differences do not wrap, the PSD
gets a window and the autocorrelation is computed with zero padding.

The moments and slopes are computed in :mod:`solver.surface.moments`, the PSD, Hurst fit,
correlation lengths and waviness in :mod:`solver.surface.spectral`. The reductions over the map
(moments, slopes, PSD binning) are numba kernels that write one partial result per row and sum the
rows in a fixed order, so the numbers do not depend on the thread count.
"""

from __future__ import annotations

import math

from solver.errors import InputError
from solver.surface.moments import _slope_sums, developed_area_ratio, height_moments, rms_slope
from solver.surface.spectral import (
    CorrelationLengths,
    HurstFit,
    PSDAndFit,
    RadialPSD,
    correlation_lengths,
    default_fit_range,
    fit_hurst,
    flatness,
    psd_and_fit,
    radial_psd,
    waviness,
)
from solver.surface.validation import domain_sizes, height_array, length_param

__all__ = [
    "height_moments",
    "rms_slope",
    "developed_area_ratio",
    "radial_psd",
    "fit_hurst",
    "psd_and_fit",
    "correlation_lengths",
    "flatness",
    "waviness",
    "default_fit_range",
    "surface_statistics",
    "RadialPSD",
    "HurstFit",
    "PSDAndFit",
    "CorrelationLengths",
]


def surface_statistics(h, physical_sizes, *, short_cutoff=None, long_cutoff=None,
                       flatness_cutoff=None, periodic=True) -> dict:
    """All statistics of a height map as a flat dict of floats (SI units).

    Keys: ``Sq, Sa, Sz`` (m), ``Ssk, Sku`` (1) — :func:`height_moments`; ``Sdq`` (1) —
    :func:`rms_slope`; ``Sdr`` (1, fraction) — :func:`developed_area_ratio`; ``hurst`` (1),
    ``psd_prefactor``, ``psd_fit_q_min``, ``psd_fit_q_max`` (rad/m) — :func:`psd_and_fit` over
    :func:`default_fit_range`; ``correlation_length_major``, ``correlation_length_minor`` (m),
    ``correlation_ratio`` (major/minor), ``lay_angle`` (rad) — :func:`correlation_lengths` at
    threshold 0.2; ``flatness``, ``flatness_cutoff`` (m) — :func:`flatness` with
    ``flatness_cutoff`` (default ``long_cutoff``, else a quarter of the smaller domain size).

    A quantity that is undefined for this map (e.g. the Hurst fit of a map with too few PSD points,
    moments of a flat map) is NaN.

    Args:
        h: height map (m).
        physical_sizes: ``(Lx, Ly)`` (m).
        short_cutoff, long_cutoff: cutoff wavelengths of the surface (m), for the PSD fit range.
        flatness_cutoff: cutoff wavelength of the waviness filter (m).
        periodic: whether the map is periodic.
    """
    h = height_array(h)
    lx, ly = domain_sizes(physical_sizes)
    if flatness_cutoff is None:
        flatness_cutoff = long_cutoff if long_cutoff is not None else 0.25 * min(lx, ly)
    flatness_cutoff = length_param("flatness_cutoff", flatness_cutoff, allow_none=False)
    out = dict(height_moments(h))
    mx, my, area = _slope_sums(h, (lx, ly), periodic)
    out["Sdq"] = math.sqrt(mx + my)
    out["Sdr"] = area
    nan = math.nan
    try:
        _, _, fit = psd_and_fit(h, (lx, ly), short_cutoff=short_cutoff, long_cutoff=long_cutoff,
                                periodic=periodic)
        out.update(hurst=fit["hurst"], psd_prefactor=fit["prefactor"],
                   psd_fit_q_min=fit["q_min"], psd_fit_q_max=fit["q_max"])
    except InputError:  # too few PSD points between the cutoffs, or a flat map
        out.update(hurst=nan, psd_prefactor=nan, psd_fit_q_min=nan, psd_fit_q_max=nan)
    if out["Sq"] > 0:
        cl = correlation_lengths(h, (lx, ly), periodic=periodic)
        out.update(correlation_length_major=cl.major, correlation_length_minor=cl.minor,
                   correlation_ratio=cl.major / cl.minor, lay_angle=cl.angle)
    else:
        out.update(correlation_length_major=nan, correlation_length_minor=nan,
                   correlation_ratio=nan, lay_angle=nan)
    out["flatness"] = flatness(h, (lx, ly), flatness_cutoff, periodic)
    out["flatness_cutoff"] = flatness_cutoff
    return {k: float(v) for k, v in out.items()}
