"""Statistics of height maps: ISO 25178 height and hybrid parameters, PSD, Hurst exponent,
correlation lengths and flatness (the statistics' public API, and :func:`surface_statistics`).

Height maps follow :mod:`solver.surface.synthesis`: ``h`` of shape ``(nx, ny)`` in m, ``h[i, j]`` at
``x = i Lx/nx``, ``y = j Ly/ny``, ``physical_sizes = (Lx, Ly)`` in m. ``periodic=True`` means the
map repeats (generated surfaces); measured maps are not periodic: differences do not wrap, the PSD
gets a window and the autocorrelation is computed with zero padding.

The moments and slopes are computed in :mod:`solver.surface.moments`, the PSD, correlation
lengths and waviness in :mod:`solver.surface.spectral`, the Hurst fit (band, modes, standard
error, flag), the target spectrum and the scatter of one realisation in
:mod:`solver.surface.hurst`. The reductions over the map
(moments, slopes, PSD binning) are numba kernels that write one partial result per row and sum the
rows in a fixed order, so the numbers do not depend on the thread count.
"""

from __future__ import annotations

import math

from solver.errors import InputError
from solver.surface.hurst import (
    PSDAndFit,
    default_fit_range,
    fit_notes,
    fit_psd_modes,
    padded_overlap,
    psd_and_fit,
    skewness_scatter,
    target_psd,
)
from solver.surface.moments import _slope_sums, developed_area_ratio, height_moments, rms_slope
from solver.surface.spectral import (
    CorrelationLengths,
    HurstFit,
    RadialPSD,
    _autocorrelation,
    correlation_lengths,
    fit_hurst,
    flatness,
    lengths_from_acf,
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
    "fit_psd_modes",
    "psd_and_fit",
    "target_psd",
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

_NAN_FIT = dict(hurst=math.nan, hurst_stderr=math.nan, psd_prefactor=math.nan,
                psd_fit_q_min=math.nan, psd_fit_q_max=math.nan, psd_fit_points=0,
                psd_fit_decades=math.nan, hurst_reliable=False)


def _hurst_part(h, sizes, short_cutoff, long_cutoff, periodic) -> tuple[dict, list[str]]:
    """The Hurst fit's keys of :func:`surface_statistics` and its notes."""
    try:
        _, _, fit = psd_and_fit(h, sizes, short_cutoff=short_cutoff, long_cutoff=long_cutoff,
                                periodic=periodic)
    except InputError as e:  # too few modes between the cutoffs, or a flat map
        return dict(_NAN_FIT), [f"hurst: not fitted ({e})"]
    notes = fit_notes(fit)
    out = dict(hurst=fit["hurst"], hurst_stderr=fit["hurst_stderr"],
               psd_prefactor=fit["prefactor"], psd_fit_q_min=fit["q_min"],
               psd_fit_q_max=fit["q_max"], psd_fit_points=fit["n_points"],
               psd_fit_decades=fit["decades"], hurst_reliable=not notes)
    return out, notes


def _lateral_part(h, sizes, periodic) -> tuple[dict, list[str]]:
    """Correlation lengths, the expected scatter of Ssk and the independent areas, and a note
    on what one realisation can show."""
    nan = math.nan
    if not height_moments(h)["Sq"] > 0:
        return dict(correlation_length_major=nan, correlation_length_minor=nan,
                    correlation_ratio=nan, lay_angle=nan, Ssk_scatter=nan,
                    independent_areas=nan), []
    nx, ny = h.shape
    acf = _autocorrelation(h, periodic)
    cl = lengths_from_acf(acf, sizes, (sizes[0] / nx, sizes[1] / ny))
    scatter, n_ind = skewness_scatter(acf, None if periodic else padded_overlap(h.shape))
    out = dict(correlation_length_major=cl.major, correlation_length_minor=cl.minor,
               correlation_ratio=cl.major / cl.minor, lay_angle=cl.angle, Ssk_scatter=scatter,
               independent_areas=n_ind)
    note = (f"Ssk, Sku and correlation_ratio are those of this one map, which holds about "
            f"{n_ind:.0f} independent areas: a Gaussian surface with this autocorrelation "
            f"scatters by Ssk = 0 ± {scatter:.2f} (1σ) between realisations, its Sku lies "
            f"below 3 on average when the areas are few, and the correlation_ratio of an "
            f"isotropic one exceeds 1 by sampling alone (about 1.8 ± 0.7 with 20 areas)")
    return out, [note]


def surface_statistics(h, physical_sizes, *, short_cutoff=None, long_cutoff=None,
                       flatness_cutoff=None, periodic=True) -> dict:
    """All statistics of a height map as a flat dict (SI units), with notes on what to trust.

    Keys: ``Sq, Sa, Sz`` (m), ``Ssk, Sku`` (1) — :func:`height_moments`; ``Sdq`` (1) —
    :func:`rms_slope`; ``Sdr`` (1, fraction) — :func:`developed_area_ratio`; ``hurst`` (1),
    ``hurst_stderr`` (its standard error), ``psd_prefactor``, the fit band ``psd_fit_q_min``,
    ``psd_fit_q_max`` (rad/m), ``psd_fit_decades`` (log10 of their ratio), ``psd_fit_points``
    (int, independent Fourier modes fitted) and ``hurst_reliable`` (bool: False when the band
    spans under a decade or H is outside (0, 1]; the run logs a warning then) —
    :func:`psd_and_fit` over :func:`default_fit_range`; ``correlation_length_major``,
    ``correlation_length_minor`` (m), ``correlation_ratio`` (major/minor), ``lay_angle`` (rad) —
    :func:`correlation_lengths` at threshold 0.2; ``Ssk_scatter`` (1σ of Ssk between
    realisations of a Gaussian surface with this autocorrelation) and ``independent_areas``
    (:func:`solver.surface.hurst.skewness_scatter`); ``flatness``, ``flatness_cutoff`` (m) —
    :func:`flatness` with ``flatness_cutoff`` (default ``long_cutoff``, else a quarter of the
    smaller domain size); ``notes`` (list of str): why the Hurst fit is unreliable, and how much
    Ssk, Sku and the correlation ratio of one realisation scatter. The others are floats.

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
    fit, hurst_notes = _hurst_part(h, (lx, ly), short_cutoff, long_cutoff, periodic)
    lateral, lateral_notes = _lateral_part(h, (lx, ly), periodic)
    out.update(fit)
    out.update(lateral)
    out["flatness"] = flatness(h, (lx, ly), flatness_cutoff, periodic)
    out["flatness_cutoff"] = flatness_cutoff
    out = {k: v if isinstance(v, (bool, int)) else float(v) for k, v in out.items()}
    out["notes"] = hurst_notes + lateral_notes
    return out
