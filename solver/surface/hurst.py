"""The self-affine (Hurst) fit of a height map's PSD with its band and uncertainty, the expected
PSD of a generated surface, and the scatter that one realisation has.

The fit is done on the Fourier modes themselves (not on the radial bins): a straight line
``ln C = ln c - 2(1+H) ln|q|`` by least squares over the modes with ``q_min <= |q| <= q_max``.
Each mode's C is (for a Gaussian surface) an exponential random variable, so every mode gets the
same weight; log-spaced bins would instead give the few, noisy modes at small q as much weight as
the many at large q. ``E[ln X] = ln E[X] - γ`` (Euler's γ) for an exponential X, so the prefactor
is ``exp(intercept + γ)``. Over the default surface's band (a factor 3 in q, ≈ 60 modes) this fit
scatters by ±0.25 in H between realisations, the bin fit by ±1.2.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from solver.errors import InputError
from solver.surface.selfaffine import _spectrum_setup
from solver.surface.spectral import (
    RadialPSD,
    _half_plane,
    _psd_half_plane,
    radial_average,
    radial_psd,
)
from solver.surface.validation import domain_sizes, height_array, length_param

EULER_GAMMA = 0.5772156649015329
#: Variance inflation of a mode-level fit on a Hann-windowed (non-periodic) map: neighbouring
#: modes are correlated by the window; its equivalent noise bandwidth is 1.5 bins per axis.
_HANN_ENBW_2D = 1.5**2
#: A fit band narrower than this (decades of q) is flagged.
MIN_DECADES = 1.0


class PSDAndFit(NamedTuple):
    """PSD and its self-affine fit; ``fit`` is the dict of :func:`fit_psd_modes`."""

    q: np.ndarray
    C: np.ndarray
    fit: dict


def default_fit_range(physical_sizes, nb_grid_pts, short_cutoff=None, long_cutoff=None,
                      periodic=True):
    r"""The default PSD fit band (rad/m): between the cutoffs, else the whole resolved band.

    From :math:`q_{lo} = 2\pi/\text{long\_cutoff}` (None: :math:`2\pi/\max(L_x, L_y)`) to
    :math:`q_{hi} = 2\pi/\text{short\_cutoff}` (None: the Nyquist wavevector of the coarser axis,
    :math:`\pi\min(n_x/L_x, n_y/L_y)`). A generated surface is a power law exactly between its
    cutoffs, so they are used as they are (the fit runs on modes, no bin straddles a cutoff).
    On a non-periodic map an end not given by a cutoff is moved in by
    :math:`f = \min(2, (q_{hi}/q_{lo})^{1/4})`: the window leaks the plateau into the lowest
    modes, and the highest carry aliasing and the instrument's response.
    """
    lx, ly = domain_sizes(physical_sizes)
    nx, ny = nb_grid_pts
    short_cutoff = length_param("short_cutoff", short_cutoff)
    long_cutoff = length_param("long_cutoff", long_cutoff)
    q_lo = 2 * math.pi / (long_cutoff if long_cutoff is not None else max(lx, ly))
    q_nyq = math.pi * min(nx / lx, ny / ly)
    q_hi = min(2 * math.pi / short_cutoff, q_nyq) if short_cutoff is not None else q_nyq
    if not q_hi > q_lo:
        raise InputError(f"short_cutoff = {short_cutoff!r}, long_cutoff = {long_cutoff!r}: "
                         f"empty PSD fit range ({q_lo:g} to {q_hi:g} rad/m)")
    if not periodic:
        f = min(2.0, (q_hi / q_lo) ** 0.25)
        q_lo = q_lo * f if long_cutoff is None else q_lo
        q_hi = q_hi / f if short_cutoff is None else q_hi
    return q_lo, q_hi


def fit_psd_modes(h, physical_sizes, q_min, q_max, periodic=True) -> dict:
    r"""Self-affine fit :math:`C = c\,q^{-2(1+H)}` on the Fourier modes in ``[q_min, q_max]``.

    Least squares of ``ln C`` on ``ln|q|`` over the independent modes of the band (a mode and
    its conjugate count once), see the module docstring. The standard error of H is that of the
    slope from the residuals (times 1.5 on a windowed, non-periodic map, whose neighbouring
    modes are correlated); for a Gaussian surface it matches the scatter between realisations.

    Returns:
        ``dict(hurst, prefactor, q_min, q_max, hurst_stderr, n_points, decades)``: H (1), c
        (m⁴ (rad/m)^(2(1+H))), the band (rad/m), the standard error of H, the number of
        independent modes in the band and the band's width ``log10(q_max/q_min)``.

    Raises:
        InputError: fewer than 3 modes with C > 0, or fewer than 3 distinct ``|q|``, in the band.
    """
    h = height_array(h)
    lx, ly = domain_sizes(physical_sizes)
    nx, ny = h.shape
    C = _psd_half_plane(h, lx, ly, periodic)
    qx, qy, wcol = _half_plane(nx, ny, lx, ly)
    q = np.sqrt(qx[:, None] ** 2 + qy[None, :] ** 2)
    sel = ((q >= q_min * (1 - 1e-9)) & (q <= q_max * (1 + 1e-9)) & (q > 0) & (C > 0)
           & np.isfinite(C))
    w = 0.5 * np.broadcast_to(wcol, q.shape)[sel]  # independent modes: a pair counts once
    n = float(w.sum())
    if n < 3:
        raise InputError(f"q_min = {q_min:g}, q_max = {q_max:g}: fewer than 3 Fourier modes in "
                         f"the PSD fit range")
    x, y = np.log(q[sel]), np.log(C[sel])
    # A slope needs a spread in |q|: a band holding one or two rings of modes (cutoffs close
    # to each other or to the map size) gives a slope of noise and an overflowing prefactor.
    if np.unique(np.round(x, 9)).size < 3:
        raise InputError(f"q_min = {q_min:g}, q_max = {q_max:g}: fewer than 3 distinct "
                         f"wavenumbers in the PSD fit range")
    xm, ym = np.average(x, weights=w), np.average(y, weights=w)
    sxx = float(np.sum(w * (x - xm) ** 2))
    slope = float(np.sum(w * (x - xm) * (y - ym))) / sxx
    intercept = ym - slope * xm
    res = y - intercept - slope * x
    var = float(np.sum(w * res**2)) / (n - 2) / sxx * (1.0 if periodic else _HANN_ENBW_2D)
    if not abs(intercept + EULER_GAMMA) < 700:  # exp() would overflow: a slope of noise
        raise InputError(f"q_min = {q_min:g}, q_max = {q_max:g}: degenerate PSD fit (slope "
                         f"{slope:.3g}); the band holds too few non-negligible modes")
    return {"hurst": -0.5 * slope - 1.0, "prefactor": math.exp(intercept + EULER_GAMMA),
            "q_min": float(q_min), "q_max": float(q_max), "hurst_stderr": 0.5 * math.sqrt(var),
            "n_points": int(round(n)), "decades": math.log10(q_max / q_min)}


def psd_and_fit(h, physical_sizes, *, short_cutoff=None, long_cutoff=None, nb_bins=None,
                periodic=True) -> PSDAndFit:
    """The radial PSD and its self-affine fit over the default band, for plots and reports.

    Args:
        h: height map (m).
        physical_sizes: ``(Lx, Ly)`` (m).
        short_cutoff, long_cutoff: cutoff wavelengths (m) bounding the fit band
            (see :func:`default_fit_range`).
        nb_bins: PSD bins (see :func:`solver.surface.spectral.radial_psd`).
        periodic: whether the map is periodic.

    Returns:
        ``PSDAndFit(q, C, fit)`` with ``fit`` of :func:`fit_psd_modes` (the fitted line is
        ``C = prefactor q^(-2(1+hurst))`` on ``[q_min, q_max]``).
    """
    h = height_array(h)
    q, C = radial_psd(h, physical_sizes, nb_bins=nb_bins, periodic=periodic)
    q_min, q_max = default_fit_range(physical_sizes, h.shape, short_cutoff, long_cutoff, periodic)
    return PSDAndFit(q, C, fit_psd_modes(h, physical_sizes, q_min, q_max, periodic))


def fit_notes(fit: dict, min_decades: float = MIN_DECADES) -> list[str]:
    """Why a Hurst fit should not be trusted (empty when nothing stands out): a band under
    ``min_decades``, or an exponent outside (0, 1]."""
    notes = []
    if fit["decades"] < min_decades:
        notes.append(f"hurst: fitted over {fit['decades']:.2f} decades of wavevector "
                     f"({fit['q_min']:.3g} to {fit['q_max']:.3g} rad/m, {fit['n_points']} "
                     f"modes), under {min_decades:g}: H = {fit['hurst']:.2f} ± "
                     f"{fit['hurst_stderr']:.2f} is poorly determined")
    if not 0.0 < fit["hurst"] <= 1.0:
        notes.append(f"hurst: H = {fit['hurst']:.2f} is outside (0, 1]: the PSD in the fit band "
                     "is not self-affine (a noise floor or instrument response falls slower "
                     "than q^-2; a waviness or form faster than q^-4)")
    return notes


def target_psd(nb_grid_pts, physical_sizes, hurst, *, rms_height=None, rms_slope=None,
               short_cutoff=None, long_cutoff=None, rolloff=1.0, correlation_ratio=1.0,
               lay_angle=0.0, nb_bins=None) -> RadialPSD:
    """The expected radial PSD of :func:`solver.surface.synthesis.self_affine` with these
    parameters: ``C ∝ q^-(2+2H)`` between the cutoffs (``rolloff`` times the plateau below
    ``long_cutoff``, 0 above ``short_cutoff``), scaled to the rms height (or expected rms slope)
    asked for, on the grid's modes and in the bins of :func:`radial_psd` (so it lies on the
    measured spectrum of a realisation, bin by bin, up to the realisation's scatter).

    Returns:
        ``RadialPSD(q, C)`` (rad/m, m⁴) of the bins where the target is > 0.
    """
    su = _spectrum_setup(nb_grid_pts, physical_sizes, hurst, rms_height, rms_slope,
                         short_cutoff, long_cutoff, rolloff, correlation_ratio, lay_angle)
    lx, ly = domain_sizes(physical_sizes)
    nx, ny = su["nx"], su["ny"]
    qx, qy = su["qx"][:, None], su["qy"][None, :]
    x = su["axx"] * qx**2 + su["axy"] * qx * qy + su["ayy"] * qy**2
    with np.errstate(divide="ignore"):
        a2 = np.where(x >= 1.0, np.maximum(x, 1.0) ** (2 * su["p"]), su["amp_low"] ** 2)
    a2[x > su["x_cut"]] = 0.0
    a2[0, 0] = 0.0
    wfull = np.broadcast_to(_half_plane(nx, ny, lx, ly)[2], a2.shape)  # full-plane multiplicity
    n_tot = float(nx) * float(ny)
    if su["rms_height"] is not None:
        f2 = (su["rms_height"] * n_tot) ** 2 / float(np.sum(wfull * a2))
    else:
        slope2 = su["dx2"][:, None] + su["dy2"][None, :]
        f2 = (su["rms_slope"] * n_tot) ** 2 / float(np.sum(wfull * a2 * slope2))
    q, C = radial_average((lx * ly / n_tot**2) * f2 * a2, (lx, ly), (nx, ny), nb_bins)
    keep = C > 0
    return RadialPSD(q[keep], C[keep])


def skewness_scatter(acf, overlap=None) -> tuple[float, float]:
    r"""Expected 1σ scatter of Ssk for one realisation of a Gaussian surface with this
    autocorrelation, and the number of independent areas in the map.

    Sample skewness ≈ mean of :math:`He_3(d/σ)`; for a Gaussian field
    :math:`\mathrm{Cov}(He_3(d_i), He_3(d_j)) = 6\rho_{ij}^3`, so
    :math:`\mathrm{Var}(S_{sk}) = 6\sum_{ij}\rho_{ij}^3/N^2`. The independent areas are
    :math:`N^2/\sum_{ij}\rho_{ij}^2`. ``acf``: normalised autocorrelation of
    :func:`solver.surface.spectral._autocorrelation` (periodic: ``(nx, ny)``, ``overlap`` None;
    non-periodic: zero-padded ``(2nx, 2ny)`` with ``overlap`` the pair count at each lag, lags
    beyond half the map left out: they are noise).
    """
    acf = np.asarray(acf, dtype=np.float64)
    if overlap is None:
        n = acf.size
        s2, s3 = float(np.sum(acf**2)) * n, float(np.sum(acf**3)) * n
    else:
        n = float(overlap[0, 0])
        s2, s3 = float(np.sum(overlap * acf**2)), float(np.sum(overlap * acf**3))
    return math.sqrt(max(6.0 * s3, 0.0)) / n, n * n / s2 if s2 > 0 else math.nan


def padded_overlap(nb_grid_pts) -> np.ndarray:
    """Pair count at each lag of the zero-padded ``(2nx, 2ny)`` autocorrelation of a
    non-periodic map, 0 at lags of half the map or more."""
    nx, ny = nb_grid_pts
    kx = np.abs(np.fft.fftfreq(2 * nx, 1.0 / (2 * nx)))
    ky = np.abs(np.fft.fftfreq(2 * ny, 1.0 / (2 * ny)))
    ox = np.where(kx < nx / 2, nx - kx, 0.0)
    oy = np.where(ky < ny / 2, ny - ky, 0.0)
    return ox[:, None] * oy[None, :]
