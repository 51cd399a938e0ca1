"""Statistics of height maps: ISO 25178 height and hybrid parameters, PSD, Hurst exponent,
correlation lengths and flatness.

Height maps follow :mod:`solver.surface.synthesis`: ``h`` of shape ``(nx, ny)`` in m, ``h[i, j]`` at
``x = i Lx/nx``, ``y = j Ly/ny``, ``physical_sizes = (Lx, Ly)`` in m. ``periodic=True`` means the
map repeats (generated surfaces); measured maps are not periodic: differences do not wrap, the PSD
gets a window and the autocorrelation is computed with zero padding.

The reductions over the map (moments, slopes, PSD binning) are numba kernels that write one partial
result per row and sum the rows in a fixed order, so the numbers do not depend on the thread count.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import scipy.fft
import scipy.ndimage
from numba import njit, prange

from solver.errors import InputError
from solver.surface.synthesis import _sizes

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


class RadialPSD(NamedTuple):
    """Radially averaged PSD: wavevectors ``q`` (rad/m) and ``C`` (m⁴), non-empty bins only."""

    q: np.ndarray
    C: np.ndarray


class HurstFit(NamedTuple):
    """``C = prefactor q^(-2(1+hurst))``; prefactor in m⁴ (rad/m)^(2(1+H))."""

    hurst: float
    prefactor: float


class PSDAndFit(NamedTuple):
    """PSD and its self-affine fit; ``fit`` is ``dict(hurst, prefactor, q_min, q_max)``."""

    q: np.ndarray
    C: np.ndarray
    fit: dict


class CorrelationLengths(NamedTuple):
    """Semi-axes of the autocorrelation's threshold ellipse (m) and the major axis' angle (rad)."""

    major: float
    minor: float
    angle: float


# ------------------------------------------------------------------------------------------------
# Input checks
# ------------------------------------------------------------------------------------------------


def _as_map(h) -> np.ndarray:
    h = np.asarray(h)
    if h.ndim != 2 or h.shape[0] < 2 or h.shape[1] < 2:
        raise InputError(f"h: shape {h.shape}; need a 2-D height map with at least 2x2 points")
    if not np.issubdtype(h.dtype, np.number) or np.iscomplexobj(h):
        raise InputError(f"h: dtype {h.dtype}; need real heights")
    h = np.ascontiguousarray(h, dtype=np.float64)
    if not np.all(np.isfinite(h)):
        raise InputError("h: contains NaN or Inf")
    return h


def _length(name: str, value, *, allow_none: bool = True) -> float | None:
    if value is None and allow_none:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} = {value!r}: must be a length in m") from None
    if not (math.isfinite(v) and v > 0):
        raise InputError(f"{name} = {value!r}: must be finite and > 0 (m)")
    return v


# ------------------------------------------------------------------------------------------------
# numba kernels (per-row partial sums)
# ------------------------------------------------------------------------------------------------


@njit(cache=True, parallel=True)
def _row_sums(h):
    """Σ_j h[i, j] for each row i."""
    nx, ny = h.shape
    out = np.empty(nx)
    for i in prange(nx):
        s = 0.0
        for j in range(ny):
            s += h[i, j]
        out[i] = s
    return out


@njit(cache=True, parallel=True)
def _moment_rows(h, mean):
    """Per row i: [Σ|d|, Σd², Σd³, Σd⁴, min h, max h] with d = h - mean."""
    nx, ny = h.shape
    out = np.empty((nx, 6))
    for i in prange(nx):
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        s4 = 0.0
        lo = h[i, 0]
        hi = h[i, 0]
        for j in range(ny):
            v = h[i, j]
            d = v - mean
            d2 = d * d
            s1 += abs(d)
            s2 += d2
            s3 += d2 * d
            s4 += d2 * d2
            lo = min(lo, v)
            hi = max(hi, v)
        out[i, 0] = s1
        out[i, 1] = s2
        out[i, 2] = s3
        out[i, 3] = s4
        out[i, 4] = lo
        out[i, 5] = hi
    return out


@njit(cache=True, parallel=True)
def _slope_rows(h, dx, dy, periodic):
    """Per row i: [Σ gx², Σ gy², Σ area excess] of forward differences and triangles.

    ``gx = (h[i+1, j] - h[i, j])/dx``, ``gy = (h[i, j+1] - h[i, j])/dy`` (indices wrap when
    periodic; otherwise only pairs inside the map). Each grid cell (i, j)-(i+1, j+1) is split into
    the triangles (i, j), (i+1, j), (i, j+1) and (i+1, j+1), (i, j+1), (i+1, j); the area excess of
    the cell relative to its projection, in units of dx dy, is
    ``½ Σ_triangles (sqrt(1 + |∇h|²) - 1)``.
    """
    nx, ny = h.shape
    out = np.zeros((nx, 3))
    ix_end = nx if periodic else nx - 1
    jy_end = ny if periodic else ny - 1
    for i in prange(nx):
        i1 = i + 1 if i + 1 < nx else 0
        sx = 0.0
        sy = 0.0
        sa = 0.0
        for j in range(ny):
            j1 = j + 1 if j + 1 < ny else 0
            h00 = h[i, j]
            if i < ix_end:
                gx = (h[i1, j] - h00) / dx
                sx += gx * gx
            if j < jy_end:
                gy = (h[i, j1] - h00) / dy
                sy += gy * gy
            if i < ix_end and j < jy_end:
                h10 = h[i1, j]
                h01 = h[i, j1]
                h11 = h[i1, j1]
                ax = (h10 - h00) / dx
                ay = (h01 - h00) / dy
                bx = (h11 - h01) / dx
                by = (h11 - h10) / dy
                ga = ax * ax + ay * ay
                gb = bx * bx + by * by
                # sqrt(1 + g) - 1 without cancellation
                sa += 0.5 * (ga / (math.sqrt(1.0 + ga) + 1.0) + gb / (math.sqrt(1.0 + gb) + 1.0))
        out[i, 0] = sx
        out[i, 1] = sy
        out[i, 2] = sa
    return out


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
# Height parameters
# ------------------------------------------------------------------------------------------------


def height_moments(h) -> dict:
    r"""ISO 25178 height parameters about the mean plane.

    With :math:`d = h - \bar h` and the mean :math:`\langle\cdot\rangle` over all points:
    :math:`S_q = \langle d^2\rangle^{1/2}`, :math:`S_a = \langle|d|\rangle`,
    :math:`S_z = \max h - \min h`, :math:`S_{sk} = \langle d^3\rangle/S_q^3`,
    :math:`S_{ku} = \langle d^4\rangle/S_q^4` (3 for a Gaussian).

    Args:
        h: height map (m).

    Returns:
        ``{"Sq", "Sa", "Sz"}`` in m, ``{"Ssk", "Sku"}`` (1); Ssk and Sku are NaN for a flat map.
    """
    h = _as_map(h)
    n = h.size
    mean = math.fsum(_row_sums(h)) / n
    rows = _moment_rows(h, mean)
    s1, s2, s3, s4 = (math.fsum(rows[:, k]) / n for k in range(4))
    sq = math.sqrt(s2)
    sz = float(rows[:, 5].max() - rows[:, 4].min())
    with np.errstate(all="ignore"):
        ssk = s3 / sq**3 if sq > 0 else math.nan
        sku = s4 / s2**2 if sq > 0 else math.nan
    return {"Sq": sq, "Sa": s1, "Sz": sz, "Ssk": float(ssk), "Sku": float(sku)}


def _slope_sums(h, physical_sizes, periodic):
    h = _as_map(h)
    lx, ly = _sizes(physical_sizes)
    nx, ny = h.shape
    rows = _slope_rows(h, lx / nx, ly / ny, bool(periodic))
    nxp = nx if periodic else nx - 1
    nyp = ny if periodic else ny - 1
    mx = math.fsum(rows[:, 0]) / (nxp * ny)
    my = math.fsum(rows[:, 1]) / (nx * nyp)
    area = math.fsum(rows[:, 2]) / (nxp * nyp)
    return mx, my, area


def rms_slope(h, physical_sizes, periodic=True) -> float:
    r"""Root mean square gradient Sdq (ISO 25178), from forward differences.

    .. math::

        S_{dq} = \left(\langle g_x^2\rangle + \langle g_y^2\rangle\right)^{1/2},\quad
        g_x = \frac{h_{i+1,j} - h_{ij}}{\Delta_x},\ g_y = \frac{h_{i,j+1} - h_{ij}}{\Delta_y}

    This is exactly the rms slope of the triangulated surface through the grid points, and it is
    the slope that :func:`solver.surface.synthesis.self_affine` targets with ``rms_slope``. For a band-limited
    sinusoid of wavevector k it is smaller than the continuum value by
    :math:`\sin(k\Delta/2)/(k\Delta/2)`.

    Args:
        h: height map (m).
        physical_sizes: ``(Lx, Ly)`` (m).
        periodic: differences wrap around the map edges; otherwise only pairs inside the map.

    Returns:
        Sdq (1).
    """
    mx, my, _ = _slope_sums(h, physical_sizes, periodic)
    return math.sqrt(mx + my)


def developed_area_ratio(h, physical_sizes, periodic=True) -> float:
    r"""Developed interfacial area ratio Sdr (ISO 25178), as a fraction (not per cent).

    The surface is triangulated (two triangles per grid cell); Sdr is the area of the triangulated
    surface over its projected area, minus one:
    :math:`S_{dr} = \langle \tfrac12\sum_{T}(\sqrt{1 + |\nabla h_T|^2} - 1)\rangle_{cells}`.
    For small slopes :math:`S_{dr} \approx S_{dq}^2/2`.

    Args:
        h: height map (m).
        physical_sizes: ``(Lx, Ly)`` (m).
        periodic: cells wrap around the map edges; otherwise only the ``(nx-1)(ny-1)`` inner cells.

    Returns:
        Sdr (1).
    """
    return _slope_sums(h, physical_sizes, periodic)[2]


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
    h = _as_map(h)
    lx, ly = _sizes(physical_sizes)
    nx, ny = h.shape
    qx, qy, wcol = _half_plane(nx, ny, lx, ly)
    q_lo = 2 * math.pi / max(lx, ly)
    q_hi = math.sqrt(np.abs(qx).max() ** 2 + qy.max() ** 2) * (1 + 1e-9)  # the grid corner
    if nb_bins is None:
        nb_bins = max(8, int(round(5 * math.log2(q_hi / q_lo))))
    if isinstance(nb_bins, bool) or not isinstance(nb_bins, (int, np.integer)) or nb_bins < 1:
        raise InputError(f"nb_bins = {nb_bins!r}: must be a positive integer")
    C = _psd_half_plane(h, lx, ly, periodic)
    edges = np.geomspace(q_lo * (1 - 1e-9), q_hi, int(nb_bins) + 1)
    sums = _sum_rows(_bin_rows(C, qx, qy, wcol, edges**2))
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


def default_fit_range(physical_sizes, nb_grid_pts, short_cutoff=None, long_cutoff=None):
    r"""The default PSD fit range (rad/m) between the cutoffs, shrunk off each end.

    From :math:`q_{lo} = 2\pi/\text{long\_cutoff}` (None: :math:`2\pi/\max(L_x, L_y)`) to
    :math:`q_{hi} = 2\pi/\text{short\_cutoff}` (None: the Nyquist wavevector of the coarser axis,
    :math:`\pi\min(n_x/L_x, n_y/L_y)`), shrunk at each end by the factor
    :math:`f = \min(2, (q_{hi}/q_{lo})^{1/4})`: the bins next to the roll-off and to the cutoff
    mix the plateau / the cut with the power law. Returns ``(q_lo f, q_hi / f)``.
    """
    lx, ly = _sizes(physical_sizes)
    nx, ny = nb_grid_pts
    short_cutoff = _length("short_cutoff", short_cutoff)
    long_cutoff = _length("long_cutoff", long_cutoff)
    q_lo = 2 * math.pi / (long_cutoff if long_cutoff is not None else max(lx, ly))
    q_nyq = math.pi * min(nx / lx, ny / ly)
    q_hi = min(2 * math.pi / short_cutoff, q_nyq) if short_cutoff is not None else q_nyq
    if not q_hi > q_lo:
        raise InputError(f"short_cutoff = {short_cutoff!r}, long_cutoff = {long_cutoff!r}: "
                         f"empty PSD fit range ({q_lo:g} to {q_hi:g} rad/m)")
    f = min(2.0, (q_hi / q_lo) ** 0.25)
    return q_lo * f, q_hi / f


def psd_and_fit(h, physical_sizes, *, short_cutoff=None, long_cutoff=None, nb_bins=None,
                periodic=True) -> PSDAndFit:
    """The radial PSD and its self-affine fit over the default range, for plots and reports.

    Args:
        h: height map (m).
        physical_sizes: ``(Lx, Ly)`` (m).
        short_cutoff, long_cutoff: cutoff wavelengths (m) bounding the fit range
            (see :func:`default_fit_range`).
        nb_bins: PSD bins (see :func:`radial_psd`).
        periodic: whether the map is periodic.

    Returns:
        ``PSDAndFit(q, C, fit)`` with ``fit = dict(hurst, prefactor, q_min, q_max)`` (the fitted
        line is ``C = prefactor q^(-2(1+hurst))`` on ``[q_min, q_max]``).
    """
    h = _as_map(h)
    q, C = radial_psd(h, physical_sizes, nb_bins=nb_bins, periodic=periodic)
    q_min, q_max = default_fit_range(physical_sizes, h.shape, short_cutoff, long_cutoff)
    hurst, pref = fit_hurst(q, C, q_min, q_max)
    return PSDAndFit(q, C, {"hurst": hurst, "prefactor": pref, "q_min": q_min, "q_max": q_max})


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
    h = _as_map(h)
    lx, ly = _sizes(physical_sizes)
    threshold = float(threshold)
    if not 0.0 < threshold < 1.0:
        raise InputError(f"threshold = {threshold!r}: must be in (0, 1)")
    nx, ny = h.shape
    dx, dy = lx / nx, ly / ny
    acf = _autocorrelation(h, periodic)
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
    h = _as_map(h)
    lx, ly = _sizes(physical_sizes)
    lam = _length("cutoff", cutoff, allow_none=False)
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


# ------------------------------------------------------------------------------------------------
# Everything
# ------------------------------------------------------------------------------------------------


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
    h = _as_map(h)
    lx, ly = _sizes(physical_sizes)
    if flatness_cutoff is None:
        flatness_cutoff = long_cutoff if long_cutoff is not None else 0.25 * min(lx, ly)
    flatness_cutoff = _length("flatness_cutoff", flatness_cutoff, allow_none=False)
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
