"""Spectral and lateral statistics of height maps: radially averaged PSD and a log-log fit of
binned points (:func:`fit_hurst`; the map's Hurst fit with its band and uncertainty is
:mod:`solver.surface.hurst`), correlation lengths from the autocorrelation, waviness and flatness.

Height maps follow :mod:`solver.surface.synthesis` (``h`` of shape ``(nx, ny)`` in m,
``physical_sizes = (Lx, Ly)`` in m). ``periodic=True`` means the map repeats (generated surfaces);
measured maps are not periodic: the PSD gets a window and the autocorrelation is computed with
zero padding. The PSD binning is a numba kernel writing one partial result per row, summed in a
fixed order.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import scipy.fft
import scipy.ndimage
from numba import njit, prange

from solver.checks import is_int
from solver.errors import InputError
from solver.surface.validation import domain_sizes, height_array, length_param

class RadialPSD(NamedTuple):
    """Radially averaged PSD: wavevectors ``q`` (rad/m) and ``C`` (m⁴), non-empty bins only."""

    q: np.ndarray
    C: np.ndarray


class HurstFit(NamedTuple):
    """``C = prefactor q^(-2(1+hurst))``; prefactor in m⁴ (rad/m)^(2(1+H))."""

    hurst: float
    prefactor: float


class CorrelationLengths(NamedTuple):
    """Semi-axes of the autocorrelation's threshold ellipse (m) and the major axis' angle (rad)."""

    major: float
    minor: float
    angle: float


# ------------------------------------------------------------------------------------------------
# numba kernels (per-row partial sums)
# ------------------------------------------------------------------------------------------------


@njit(cache=True, parallel=True)
def _bin_rows(C, qx, qy, wcol, edges2):
    """Per row i of the rfft half-plane: per bin [Σ w, Σ w |q|, Σ w C].

    The bin of mode (i, j) is ``b`` with ``edges2[b] <= |q|² < edges2[b+1]`` (binary search);
    modes outside ``[edges2[0], edges2[-1])`` are skipped. ``w = wcol[j]`` counts the mode and its
    conjugate (1 for the ky = 0 and Nyquist columns, 2 otherwise).
    """
    nx, nky = C.shape
    nb = edges2.shape[0] - 1
    out = np.zeros((nx, nb, 3))
    for i in prange(nx):
        qx2 = qx[i] * qx[i]
        for j in range(nky):
            q2 = qx2 + qy[j] * qy[j]
            if q2 < edges2[0] or q2 >= edges2[nb]:
                continue
            lo = 0
            hi = nb
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if q2 >= edges2[mid]:
                    lo = mid
                else:
                    hi = mid
            w = wcol[j]
            out[i, lo, 0] += w
            out[i, lo, 1] += w * math.sqrt(q2)
            out[i, lo, 2] += w * C[i, j]
    return out


def _sum_rows(a: np.ndarray):
    """Sum per-row partials in row order (deterministic)."""
    return np.add.reduce(a, axis=0)


# ------------------------------------------------------------------------------------------------
# PSD and Hurst exponent
# ------------------------------------------------------------------------------------------------


def _detrend_window(h: np.ndarray) -> np.ndarray:
    """Subtract the least-squares plane and apply a separable Hann window normalised to
    ``<w²> = 1`` (so the rms is kept on average)."""
    nx, ny = h.shape
    x = np.linspace(-1.0, 1.0, nx)[:, None]
    y = np.linspace(-1.0, 1.0, ny)[None, :]
    a = np.stack([np.ones_like(h).ravel(), np.broadcast_to(x, h.shape).ravel(),
                  np.broadcast_to(y, h.shape).ravel()], axis=1)
    coef, *_ = np.linalg.lstsq(a, h.ravel(), rcond=None)
    d = h - (coef[0] + coef[1] * x + coef[2] * y)
    w = np.hanning(nx + 2)[1:-1][:, None] * np.hanning(ny + 2)[1:-1][None, :]
    w /= math.sqrt(np.mean(w**2))
    return d * w


def _half_plane(nx, ny, lx, ly):
    """Wavevectors ``qx``, ``qy`` (rad/m) of the rfft half-plane and the column weights (1 for the
    ky = 0 and Nyquist columns, 2 for the others, which stand for their conjugates too)."""
    qx = 2 * math.pi * np.fft.fftfreq(nx, lx / nx)
    qy = 2 * math.pi * np.fft.rfftfreq(ny, ly / ny)
    wcol = np.full(qy.size, 2.0)
    wcol[0] = 1.0
    if ny % 2 == 0:
        wcol[-1] = 1.0
    return qx, qy, wcol


def _psd_half_plane(h: np.ndarray, lx: float, ly: float, periodic: bool) -> np.ndarray:
    """C(q) (m⁴) on the rfft half-plane: ``(A/N²)|rfftn(h - mean)|²`` (levelled and windowed when
    not periodic)."""
    nx, ny = h.shape
    d = _detrend_window(h) if not periodic else h - h.mean()
    F = scipy.fft.rfftn(d, axes=(0, 1))
    return (lx * ly / (float(nx) * ny) ** 2) * (F.real**2 + F.imag**2)


def radial_psd(h, physical_sizes, nb_bins=None, periodic=True) -> RadialPSD:
    r"""Radially averaged power spectral density (SurfaceTopography's normalisation).

    .. math::

        C(\mathbf q) = \frac{A}{N^2}
        \left|\sum_{ij} h_{ij} e^{-i\mathbf q\cdot\mathbf x_{ij}}\right|^2, \qquad
        \langle h^2\rangle = \frac{1}{A}\sum_{\mathbf q} C(\mathbf q)

    (A = Lx Ly, N = nx ny), averaged over the modes in logarithmic bins of :math:`|\mathbf q|`
    from the smallest non-zero wavevector to the largest (the grid corner). Each bin reports the
    mean :math:`|\mathbf q|` and mean C of its modes; empty bins are left out; q = 0 is never
    included. Non-periodic maps are levelled (plane) and Hann-windowed first (window normalised
    to mean square 1).

    Args:
        h: height map (m).
        physical_sizes: ``(Lx, Ly)`` (m).
        nb_bins: number of logarithmic bins; default 5 per octave (at least 8).
        periodic: whether the map is periodic (no window).

    Returns:
        ``RadialPSD(q, C)``: q in rad/m, C in m⁴, increasing q.
    """
    h = height_array(h)
    lx, ly = domain_sizes(physical_sizes)
    return radial_average(_psd_half_plane(h, lx, ly, periodic), (lx, ly), h.shape, nb_bins)


def radial_average(C_half, physical_sizes, nb_grid_pts, nb_bins=None) -> RadialPSD:
    """Radial average of a spectrum given on the rfft half-plane of an ``(nx, ny)`` grid, in the
    bins of :func:`radial_psd` (which it is for the measured spectrum; also used for the expected
    spectrum of a generated surface, :func:`solver.surface.hurst.target_psd`)."""
    lx, ly = domain_sizes(physical_sizes)
    nx, ny = nb_grid_pts
    qx, qy, wcol = _half_plane(nx, ny, lx, ly)
    q_lo = 2 * math.pi / max(lx, ly)
    q_hi = math.sqrt(np.abs(qx).max() ** 2 + qy.max() ** 2) * (1 + 1e-9)  # the grid corner
    if nb_bins is None:
        nb_bins = max(8, int(round(5 * math.log2(q_hi / q_lo))))
    if not is_int(nb_bins) or nb_bins < 1:
        raise InputError(f"nb_bins = {nb_bins!r}: must be a positive integer")
    edges = np.geomspace(q_lo * (1 - 1e-9), q_hi, int(nb_bins) + 1)
    sums = _sum_rows(_bin_rows(np.ascontiguousarray(C_half, dtype=np.float64), qx, qy, wcol,
                               edges**2))
    keep = sums[:, 0] > 0
    return RadialPSD(sums[keep, 1] / sums[keep, 0], sums[keep, 2] / sums[keep, 0])


def fit_hurst(q, C, q_min, q_max) -> HurstFit:
    r"""Hurst exponent and prefactor of :math:`C = c\, q^{-2(1+H)}` by log-log least squares.

    Straight line :math:`\ln C = \ln c - 2(1+H)\ln q` fitted to the points with
    ``q_min <= q <= q_max`` and ``C > 0`` (``np.polyfit``, equal weights).

    Args:
        q: wavevectors (rad/m).
        C: PSD values (m⁴).
        q_min, q_max: fit range (rad/m).

    Returns:
        ``HurstFit(hurst, prefactor)``.

    Raises:
        InputError: fewer than two points in the range.
    """
    q = np.asarray(q, dtype=np.float64).ravel()
    C = np.asarray(C, dtype=np.float64).ravel()
    if q.shape != C.shape:
        raise InputError(f"q, C: lengths {q.size} and {C.size} differ")
    sel = (q >= q_min) & (q <= q_max) & (C > 0) & np.isfinite(C) & (q > 0)
    if np.count_nonzero(sel) < 2:
        raise InputError(f"q_min = {q_min:g}, q_max = {q_max:g}: fewer than 2 PSD points in the "
                         f"fit range (data span {q.min() if q.size else 0:g}..."
                         f"{q.max() if q.size else 0:g} rad/m)")
    slope, intercept = np.polyfit(np.log(q[sel]), np.log(C[sel]), 1)
    return HurstFit(float(-0.5 * slope - 1.0), float(math.exp(intercept)))


# ------------------------------------------------------------------------------------------------
# Autocorrelation and correlation lengths
# ------------------------------------------------------------------------------------------------


def _autocorrelation(h: np.ndarray, periodic: bool) -> np.ndarray:
    """Normalised autocorrelation ``R[k, l]`` at lag ``(k Δx, l Δy)``, ``R[0, 0] = 1``; index
    arrays wrap (negative lags at the end). Non-periodic: zero-padded, divided by the overlap."""
    nx, ny = h.shape
    if periodic:
        d = h - h.mean()
        F = scipy.fft.rfftn(d)
        acf = scipy.fft.irfftn(F.real**2 + F.imag**2, s=h.shape)
    else:
        d = h - h.mean()
        F = scipy.fft.rfftn(d, s=(2 * nx, 2 * ny))
        acf = scipy.fft.irfftn(F.real**2 + F.imag**2, s=(2 * nx, 2 * ny))
        kx = np.abs(np.fft.fftfreq(2 * nx, 1.0 / (2 * nx)))
        ky = np.abs(np.fft.fftfreq(2 * ny, 1.0 / (2 * ny)))
        overlap = np.maximum(nx - kx, 1)[:, None] * np.maximum(ny - ky, 1)[None, :]
        acf = acf / overlap
    if not acf[0, 0] > 0:
        raise InputError("h: constant heights; the autocorrelation is undefined")
    return acf / acf[0, 0]


def correlation_lengths(h, physical_sizes, threshold=0.2, periodic=True) -> CorrelationLengths:
    r"""Correlation lengths from the autocorrelation function (ISO 25178 Sal/Str style).

    The normalised autocorrelation :math:`R(\boldsymbol\tau)` (via FFT; zero-padded for
    non-periodic maps) is followed along 180 directions from the origin to the first lag where it
    falls to ``threshold`` (linear interpolation between samples a quarter grid spacing apart, with
    bilinear interpolation of R). An ellipse centred at the origin,
    :math:`\boldsymbol\tau^T A\, \boldsymbol\tau = 1`, is fitted to these points (least squares);
    its semi-axes are the correlation lengths. For an ACF with elliptical contours the minor
    semi-axis is ISO's Sal (fastest decay to the threshold) and minor/major is Str. A direction
    that does not decay within half the domain counts with that length.

    Args:
        h: height map (m).
        physical_sizes: ``(Lx, Ly)`` (m).
        threshold: ACF level s in (0, 1) (ISO default 0.2).
        periodic: whether the map is periodic.

    Returns:
        ``CorrelationLengths(major, minor, angle)``: semi-axes (m) and the angle of the major axis
        from x (rad, in (-π/2, π/2]).
    """
    h = height_array(h)
    lx, ly = domain_sizes(physical_sizes)
    threshold = float(threshold)
    if not 0.0 < threshold < 1.0:
        raise InputError(f"threshold = {threshold!r}: must be in (0, 1)")
    nx, ny = h.shape
    return lengths_from_acf(_autocorrelation(h, periodic), (lx, ly), (lx / nx, ly / ny),
                            threshold)


def lengths_from_acf(acf, physical_sizes, spacing, threshold=0.2) -> CorrelationLengths:
    """:func:`correlation_lengths` from the normalised autocorrelation ``acf`` of
    :func:`_autocorrelation` (index arrays wrap; zero-padded for a non-periodic map) of a map of
    ``physical_sizes`` (m) with grid ``spacing`` ``(dx, dy)`` (m)."""
    lx, ly = physical_sizes
    dx, dy = spacing
    n_dir = 180
    theta = np.arange(n_dir) * (math.pi / n_dir)
    c, s = np.cos(theta), np.sin(theta)
    with np.errstate(divide="ignore"):
        r_max = np.minimum(0.5 * lx / np.abs(c), 0.5 * ly / np.abs(s))
    step = 0.25 * min(dx, dy)
    n_steps = int(math.ceil(r_max.max() / step)) + 1
    r = np.arange(n_steps) * step
    coords = np.stack([(r[None, :] * c[:, None]) / dx, (r[None, :] * s[:, None]) / dy])
    vals = scipy.ndimage.map_coordinates(acf, coords.reshape(2, -1), order=1,
                                         mode="grid-wrap").reshape(n_dir, n_steps)
    lengths = np.empty(n_dir)
    for k in range(n_dir):
        inside = r <= r_max[k]
        below = np.nonzero((vals[k] <= threshold) & inside)[0]
        if below.size == 0:
            lengths[k] = r_max[k]
            continue
        m = below[0]
        v0, v1 = vals[k, m - 1], vals[k, m]
        lengths[k] = r[m - 1] + step * (v0 - threshold) / (v0 - v1)
    px, py = lengths * c, lengths * s
    a = np.stack([px * px, 2 * px * py, py * py], axis=1)
    coef, *_ = np.linalg.lstsq(a, np.ones(n_dir), rcond=None)
    mat = np.array([[coef[0], coef[1]], [coef[1], coef[2]]])
    eig, vec = np.linalg.eigh(mat)
    if eig[0] > 0:
        major, minor = 1.0 / math.sqrt(eig[0]), 1.0 / math.sqrt(eig[1])
        angle = math.atan2(vec[1, 0], vec[0, 0])
    else:  # not an ellipse: fall back to the extreme directions
        kmax = int(np.argmax(lengths))
        major, minor, angle = float(lengths[kmax]), float(lengths.min()), float(theta[kmax])
    if angle > math.pi / 2:
        angle -= math.pi
    elif angle <= -math.pi / 2:
        angle += math.pi
    return CorrelationLengths(float(major), float(minor), float(angle))


# ------------------------------------------------------------------------------------------------
# Flatness (waviness)
# ------------------------------------------------------------------------------------------------

_ALPHA_GAUSS = math.sqrt(math.log(2.0) / math.pi)  # ISO 16610-21: 50 % transmission at cutoff


def waviness(h, physical_sizes, cutoff, periodic=True) -> np.ndarray:
    r"""Gaussian low-pass (ISO 16610-61) of the map with cutoff wavelength ``cutoff``.

    Weighting function :math:`s(\mathbf x) = (\alpha\lambda_c)^{-2}
    \exp(-\pi|\mathbf x|^2/(\alpha\lambda_c)^2)`, :math:`\alpha = \sqrt{\ln 2/\pi}`; transmission
    :math:`\exp(-\alpha^2\lambda_c^2 q^2/(4\pi))`, 50 % at wavelength :math:`\lambda_c`. Periodic
    maps are filtered by FFT, others by :func:`scipy.ndimage.gaussian_filter` (reflecting edges,
    :math:`\sigma = \alpha\lambda_c/\sqrt{2\pi}`).
    """
    h = height_array(h)
    lx, ly = domain_sizes(physical_sizes)
    lam = length_param("cutoff", cutoff, allow_none=False)
    nx, ny = h.shape
    if periodic:
        qx, qy, _ = _half_plane(nx, ny, lx, ly)
        q2 = qx[:, None] ** 2 + qy[None, :] ** 2
        tf = np.exp(-(_ALPHA_GAUSS * lam) ** 2 * q2 / (4 * math.pi))
        return scipy.fft.irfftn(scipy.fft.rfftn(h) * tf, s=h.shape)
    sigma = _ALPHA_GAUSS * lam / math.sqrt(2 * math.pi)
    return scipy.ndimage.gaussian_filter(h, sigma=(sigma / (lx / nx), sigma / (ly / ny)),
                                         mode="reflect", truncate=4.0)


def flatness(h, physical_sizes, cutoff, periodic=True) -> float:
    """Peak-to-valley (m) of the waviness: :func:`waviness` with cutoff wavelength ``cutoff`` (m).

    Args:
        h: height map (m).
        physical_sizes: ``(Lx, Ly)`` (m).
        cutoff: cutoff wavelength λc of the Gaussian low-pass (m).
        periodic: FFT filter (periodic) or reflecting edges.

    Returns:
        max - min of the filtered map (m).
    """
    w = waviness(h, physical_sizes, cutoff, periodic)
    return float(w.max() - w.min())
