"""Rough and analytic counter-surfaces as height maps.

Conventions (shared by :mod:`solver.surface.statistics` and the mesh code):

* A height map ``h`` is a float64 array of shape ``nb_grid_pts = (nx, ny)`` in metres. ``h[i, j]``
  is the height at ``x = i Lx/nx``, ``y = j Ly/ny`` on a periodic grid (no end point), with
  ``physical_sizes = (Lx, Ly)`` in metres. Heights point up: the rigid collector is below, the
  lithium above, pressed down onto it.
* Parameter names follow SurfaceTopography's ``fourier_synthesis`` (Jacobs, Junge, Pastewka,
  Surf. Topogr.: Metrol. Prop. 5, 013001 (2017)).

Self-affine surfaces (:func:`self_affine`) are synthesised by Fourier filtering: complex Gaussian
amplitudes with variance ``C(q)`` on the half-plane of the real FFT, then one inverse real FFT. The
random numbers come from a counter-based generator (splitmix64 hash of the seed and the index of the
Fourier mode, then Box-Muller), evaluated in a numba kernel whose special functions (log, exp,
sincos) are written out so that the loops vectorise. The map is therefore a pure function of the
parameters and the seed: bit-identical for any number of numba threads and FFT workers, and on every
MPI rank. (Across machines it is identical when the CPUs have the same fused multiply-add support:
the fill kernel lets LLVM contract ``a*b + c``; every x86-64 CPU since 2013 and every aarch64 CPU
has FMA.)
"""

from __future__ import annotations

import math
import numbers
import threading

import numba
import numpy as np
import scipy.fft
import scipy.optimize
import scipy.special
from numba import njit, prange

from solver.errors import InputError

__all__ = [
    "self_affine",
    "non_gaussian",
    "flat",
    "sinusoid_1d",
    "sinusoid_2d",
    "paraboloid",
    "fft_workers",
    "release_workspace",
]

# ------------------------------------------------------------------------------------------------
# Parameter checks
# ------------------------------------------------------------------------------------------------


def _grid(nb_grid_pts) -> tuple[int, int]:
    try:
        nx, ny = nb_grid_pts
    except (TypeError, ValueError):
        raise InputError(f"nb_grid_pts = {nb_grid_pts!r}: must be two integers (nx, ny)") from None
    for n in (nx, ny):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise InputError(f"nb_grid_pts = {nb_grid_pts!r}: must be two integers (nx, ny)")
        if n < 2:
            raise InputError(f"nb_grid_pts = {nb_grid_pts!r}: each must be >= 2")
    return int(nx), int(ny)


def _sizes(physical_sizes) -> tuple[float, float]:
    try:
        lx, ly = (float(v) for v in physical_sizes)
    except (TypeError, ValueError):
        raise InputError(
            f"physical_sizes = {physical_sizes!r}: must be two lengths (Lx, Ly) in m") from None
    if not (math.isfinite(lx) and math.isfinite(ly) and lx > 0 and ly > 0):
        raise InputError(f"physical_sizes = {physical_sizes!r}: must be finite and > 0 (m)")
    return lx, ly


def _real(name: str, value, *, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} = {value!r}: must be a real number")
    v = float(value)
    if not math.isfinite(v):
        raise InputError(f"{name} = {value!r}: must be finite")
    return v


def _positive(name: str, value, *, allow_none: bool = False) -> float | None:
    v = _real(name, value, allow_none=allow_none)
    if v is not None and v <= 0:
        raise InputError(f"{name} = {value!r}: must be > 0")
    return v


# ------------------------------------------------------------------------------------------------
# Counter-based random numbers and vectorisable special functions (numba)
# ------------------------------------------------------------------------------------------------

_U64 = np.uint64
_GAMMA = _U64(0x9E3779B97F4A7C15)  # splitmix64 Weyl increment (golden ratio)
_MIX1 = _U64(0xBF58476D1CE4E5B9)
_MIX2 = _U64(0x94D049BB133111EB)
_LO32 = _U64(0xFFFFFFFF)
_ONE_BITS = _U64(0x3FF0000000000000)  # bits of 1.0
_LOG_OFF = _U64(0x3FE6A09E667F3BCD)  # bits of sqrt(2)/2
_EXP_BITS = _U64(0x4330000000000000)  # bits of 2**52
_MAGIC = 6755399441055744.0  # 1.5 * 2**52: (x + _MAGIC) - _MAGIC rounds x to an integer
_MAGIC_BITS = _U64(0x4338000000000000)
_TWO52_1024 = 4503599627371520.0  # 2**52 + 1024
_U_SHIFT = 1.0 - 2.0**-33  # [1, 2) with 32-bit mantissa -> (0, 1), exactly
_LN2_HI = 6.93147180369123816490e-01  # fdlibm's split of ln 2
_LN2_LO = 1.90821492927058770002e-10
_LOG2E = 1.44269504088896338700e00
_HALF_PI = 1.5707963267948966
# fdlibm __ieee754_log, __ieee754_exp and __kernel_sin coefficients (error < 1 ulp)
_LG1, _LG2, _LG3 = 6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01
_LG4, _LG5, _LG6 = 2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_P1, _P2, _P3 = 1.66666666666666019037e-01, -2.77777777770155933842e-03, 6.61375632143793436117e-05
_P4, _P5 = -1.65339022054652515390e-06, 4.13813679705723846039e-08
_S1, _S2, _S3 = -1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04
_S4, _S5, _S6 = 2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10

_TILE = 256  # columns per vector tile (scratch buffers stay in L1/L2)
_PAIRS = 8  # row pairs per parallel task

# The fill kernel lets LLVM fuse multiply-adds ("contract"), nothing else: no reassociation, so the
# result is the same for any thread count and vector width (loops are elementwise; sums run in a
# fixed order).
_FM = {"contract"}


def _splitmix64(z: int) -> int:
    """One splitmix64 output for the 64-bit state ``z`` (Python ints; used for the seed key)."""
    mask = (1 << 64) - 1
    z = (z + int(_GAMMA)) & mask
    z = ((z ^ (z >> 30)) * int(_MIX1)) & mask
    z = ((z ^ (z >> 27)) * int(_MIX2)) & mask
    return z ^ (z >> 31)


def _seed_key(seed) -> np.uint64:
    """The 64-bit key of a seed (splitmix64 of the seed, salted)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**64:
        raise InputError(f"seed = {seed!r}: must be an integer in [0, 2**64)")
    return _U64(_splitmix64(int(seed) ^ 0x6C616D696E61))  # 'lamina'


@njit(cache=True, inline="always")
def _mix64(z):
    """splitmix64 finaliser: a bijective 64-bit hash (Steele, Lea, Flood, OOPSLA 2014)."""
    z = (z ^ (z >> _U64(30))) * _MIX1
    z = (z ^ (z >> _U64(27))) * _MIX2
    return z ^ (z >> _U64(31))


@njit(cache=True, inline="always")
def _log_split(b):
    """Bits ``b`` of ``x = 2^k m``, m in [sqrt(2)/2, sqrt(2)) -> (bits of the double 2^52+1024+k,
    bits of m); integer operations only, so that the loop vectorises."""
    k = (b - _LOG_OFF) >> _U64(52)  # k mod 4096
    return ((k + _U64(1024)) & _U64(0xFFF)) | _EXP_BITS, b - (k << _U64(52))


@njit(cache=True, inline="always", fastmath=_FM)
def _log_core(m, e):
    """ln(2^k m) from m and e = 2^52 + 1024 + k (fdlibm: ln m = 2 atanh s, s = (m-1)/(m+1))."""
    f = m - 1.0
    k = e - _TWO52_1024
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    r = t2 + t1
    hfsq = 0.5 * f * f
    return k * _LN2_HI - ((hfsq - (s * (hfsq + r) + k * _LN2_LO)) - f)


@njit(cache=True, inline="always", fastmath=_FM)
def _exp_core(y, kf):
    """exp(y) / 2^k with kf = y log2(e) + 1.5·2^52 (k = round(y/ln 2)); fdlibm's rational form."""
    k = kf - _MAGIC
    hi = y - k * _LN2_HI
    lo = k * _LN2_LO
    r = hi - lo
    z = r * r
    c = r - z * (_P1 + z * (_P2 + z * (_P3 + z * (_P4 + z * _P5))))
    return 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)


@njit(cache=True, inline="always")
def _pow2_bits(kbits):
    """Bits of the double 2^k from the bits of k + 1.5·2^52."""
    return ((kbits - _MAGIC_BITS) + _U64(1023)) << _U64(52)


@njit(cache=True, inline="always", fastmath=_FM)
def _sincos_2pi_core(f):
    """(cos 2πf, sin 2πf) for f in [0, 1): quadrant q = round(4f), r = (4f - q)π/2 in
    [-π/4, π/4], sin r by fdlibm's kernel, cos r = sqrt(1 - sin² r) (>= 1/√2, no cancellation)."""
    g = f * 4.0
    qf = (g + _MAGIC) - _MAGIC
    r = (g - qf) * _HALF_PI
    z = r * r
    sr = r + r * z * (_S1 + z * (_S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6)))))
    cr = math.sqrt(1.0 - sr * sr)
    odd = (qf == 1.0) or (qf == 3.0)
    a = sr if odd else cr
    b = cr if odd else sr
    co = -a if (qf == 1.0 or qf == 2.0) else a
    si = -b if (qf == 2.0 or qf == 3.0) else b
    return co, si


@njit(cache=True, error_model="numpy")
def _log_vec(x):
    """ln x for an array of positive normal doubles (the kernel's log; for tests)."""
    out = np.empty_like(x)
    xb = x.view(np.uint64)
    for t in range(x.shape[0]):
        e, m = _log_split(xb[t])
        out[t] = _log_core(np.array([m]).view(np.float64)[0], np.array([e]).view(np.float64)[0])
    return out


@njit(cache=True, error_model="numpy")
def _exp_vec(y):
    """exp y for an array with |y| < 700 (the kernel's exp; for tests)."""
    out = np.empty_like(y)
    for t in range(y.shape[0]):
        kf = y[t] * _LOG2E + _MAGIC
        kb = _pow2_bits(np.array([kf]).view(np.uint64)[0])
        out[t] = _exp_core(y[t], kf) * np.array([kb]).view(np.float64)[0]
    return out


@njit(cache=True, error_model="numpy")
def _sincos_2pi_vec(f):
    """(cos 2πf, sin 2πf) for an array of f in [0, 1) (the kernel's sincos; for tests)."""
    c = np.empty_like(f)
    s = np.empty_like(f)
    for t in range(f.shape[0]):
        c[t], s[t] = _sincos_2pi_core(f[t])
    return c, s


@njit(cache=True, inline="always")
def _sum4(v, n):
    """Sum of ``v[:n]`` in a fixed order (4 interleaved partial sums)."""
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    m = n - n % 4
    for t in range(0, m, 4):
        s0 += v[t]
        s1 += v[t + 1]
        s2 += v[t + 2]
        s3 += v[t + 3]
    for t in range(m, n):
        s0 += v[t]
    return (s0 + s1) + (s2 + s3)


@njit(cache=True, parallel=True, error_model="numpy", fastmath=_FM)
def _fill_rows(K, key, qx, qy, axx, axy, ayy, p, x_cut, amp_low, dx2, dy2, wcol,
               row_sq, row_slope):
    r"""Fill the rfft half-plane ``K`` (nx, nky) with complex Gaussian amplitudes of variance A².

    For mode ``(i, j)`` with linear index ``m = i nky + j``: ``a = mix64(key + (m + 1) γ)``
    (splitmix64); its high 32 bits give ``u = (hi + 1/2) 2^-32`` in (0, 1), its low 32 bits
    ``φ = 2π lo 2^-32``; Box-Muller: ``K = A sqrt(-ln u) e^{iφ}`` (so ``E|K|² = A²``), with
    ``x = (a_xx qx² + a_xy qx qy + a_yy qy²)`` (already divided by q_r²) and
    ``A = x^p`` for ``1 <= x <= x_cut``, ``amp_low`` for ``x < 1``, 0 for ``x > x_cut``.

    Rows ``i`` and ``nx - i`` are done by the same task; when ``a_xy = 0`` they share A.
    ``row_sq[i] = Σ_j wcol_j |K_ij|²``, ``row_slope[i] = Σ_j wcol_j A² (dx2_i + dy2_j)``
    (``wcol`` = 2 for interior columns, 0 for the ky = 0 and Nyquist columns, which
    :func:`_hermitian_columns` redoes).
    """
    nx, nky = K.shape
    npairs = nx // 2 + 1
    ntasks = (npairs + _PAIRS - 1) // _PAIRS
    share = axy == 0.0
    dqy = qy[1] if nky > 1 else 1.0
    for task in prange(ntasks):
        ibuf = np.empty((7, _TILE), np.uint64)
        fbuf = np.empty((8, _TILE))
        amp_row = np.empty(nky)
        ub, vb, um, ue, xm, xe, kb = ibuf[0], ibuf[1], ibuf[2], ibuf[3], ibuf[4], ibuf[5], ibuf[6]
        xq, xl, lu, cs, sn, wsq, wsl, amp = (fbuf[0], fbuf[1], fbuf[2], fbuf[3], fbuf[4], fbuf[5],
                                             fbuf[6], fbuf[7])
        u = ub.view(np.float64)
        v = vb.view(np.float64)
        umf = um.view(np.float64)
        uef = ue.view(np.float64)
        xmf = xm.view(np.float64)
        xef = xe.view(np.float64)
        xb = xl.view(np.uint64)
        kf = kb.view(np.float64)
        for ip in range(task * _PAIRS, min(npairs, (task + 1) * _PAIRS)):
            i2 = nx - ip
            nrows = 2 if (ip > 0 and i2 > ip) else 1
            for r in range(nrows):
                i = ip if r == 0 else i2
                qxi = qx[i]
                cxx = axx * qxi * qxi
                cxy = axy * qxi
                # columns that can be inside x <= x_cut (a_yy qy² + cxy qy + cxx - x_cut <= 0),
                # one column of slack each side; the cut itself is decided per mode below
                ja = 0
                jb = nky
                if x_cut < math.inf:
                    disc = cxy * cxy - 4.0 * ayy * (cxx - x_cut)
                    if disc < 0.0:
                        jb = 0
                    else:
                        sq = math.sqrt(disc)
                        q1 = (-cxy - sq) / (2.0 * ayy)
                        q2 = (-cxy + sq) / (2.0 * ayy)
                        ja = max(0, int(math.floor(q1 / dqy)) - 1)
                        jb = min(nky, int(math.ceil(q2 / dqy)) + 2)
                        jb = max(ja, jb)
                Kr = K[i]
                for j in range(0, ja):
                    Kr[j] = 0.0
                for j in range(jb, nky):
                    Kr[j] = 0.0
                if r == 0 or not share:
                    # PSD amplitude A = x^p = exp(p ln x) on [ja, jb)
                    for j0 in range(ja, jb, _TILE):
                        n = min(_TILE, jb - j0)
                        qyc = qy[j0:j0 + n]
                        for t in range(n):
                            qyt = qyc[t]
                            x = cxx + (cxy + ayy * qyt) * qyt
                            xq[t] = x
                            xl[t] = max(x, 1.0)
                        for t in range(n):
                            xe[t], xm[t] = _log_split(xb[t])
                        for t in range(n):
                            y = p * _log_core(xmf[t], xef[t])
                            k = y * _LOG2E + _MAGIC
                            kf[t] = k
                            amp[t] = _exp_core(y, k)
                        for t in range(n):
                            kb[t] = _pow2_bits(kb[t])
                        ar = amp_row[j0:j0 + n]
                        for t in range(n):
                            x = xq[t]
                            a = amp[t] * kf[t] if x >= 1.0 else amp_low
                            ar[t] = 0.0 if x > x_cut else a
                # complex Gaussians of unit variance, times A
                acc_sq = 0.0
                acc_sl = 0.0
                dxi = dx2[i]
                for j0 in range(ja, jb, _TILE):
                    n = min(_TILE, jb - j0)
                    base = key + _U64(i * nky + j0 + 1) * _GAMMA
                    for t in range(n):
                        h = _mix64(base + _U64(t) * _GAMMA)
                        ub[t] = ((h >> _U64(32)) << _U64(20)) | _ONE_BITS
                        vb[t] = ((h & _LO32) << _U64(20)) | _ONE_BITS
                    for t in range(n):
                        u[t] = u[t] - _U_SHIFT
                        v[t] = v[t] - 1.0
                    for t in range(n):
                        ue[t], um[t] = _log_split(ub[t])
                    for t in range(n):
                        lu[t] = _log_core(umf[t], uef[t])
                    for t in range(n):
                        cs[t], sn[t] = _sincos_2pi_core(v[t])
                    Kc = Kr[j0:j0 + n]
                    ar = amp_row[j0:j0 + n]
                    dyc = dy2[j0:j0 + n]
                    wc = wcol[j0:j0 + n]
                    for t in range(n):
                        a = ar[t]
                        rr = math.sqrt(-lu[t]) * a
                        re = rr * cs[t]
                        im = rr * sn[t]
                        Kc[t] = complex(re, im)
                        w = wc[t]
                        wsq[t] = w * (re * re + im * im)
                        wsl[t] = w * (a * a * (dxi + dyc[t]))
                    acc_sq += _sum4(wsq, n)
                    acc_sl += _sum4(wsl, n)
                row_sq[i] = acc_sq
                row_slope[i] = acc_sl


@njit(cache=True, error_model="numpy")
def _hermitian_columns(K, qx, qy, axx, axy, ayy, p, x_cut, amp_low, dx2, dy2, columns):
    """Make the ky = 0 (and Nyquist) columns Hermitian along x, as ``irfftn`` assumes.

    In these columns the modes of rows ``i`` and ``nx - i`` are complex conjugates: rows
    ``i > nx/2`` take the conjugate of their partner; self-conjugate modes (``i = 0`` and, for even
    ``nx``, ``i = nx/2``) are real, ``sqrt(2) Re K`` (variance A²). ``K[0, 0] = 0`` (zero mean).

    Returns:
        (Σ |K|², Σ A² (dx2 + dy2)) over these columns, each mode once, in row order.
    """
    nx = K.shape[0]
    half = nx // 2
    tot_sq = 0.0
    tot_sl = 0.0
    for jc in range(columns.shape[0]):
        j = columns[jc]
        for i in range(nx):
            if i > half:
                K[i, j] = np.conj(K[nx - i, j])
            elif i == 0 or (i == half and nx % 2 == 0):
                K[i, j] = math.sqrt(2.0) * K[i, j].real
        if j == 0:
            K[0, 0] = 0.0
        for i in range(nx):
            ic = nx - i if i > half else i
            x = axx * qx[ic] * qx[ic] + (axy * qx[ic] + ayy * qy[j]) * qy[j]
            a = math.exp(p * math.log(x)) if x >= 1.0 else amp_low
            a = 0.0 if x > x_cut else a
            a = 0.0 if (i == 0 and j == 0) else a
            z = K[i, j]
            tot_sq += z.real * z.real + z.imag * z.imag
            tot_sl += a * a * (dx2[i] + dy2[j])
    return tot_sq, tot_sl


@njit(cache=True, parallel=True, error_model="numpy")
def _scale_rows(h, factor):
    """``h *= factor`` in place, rows in parallel."""
    nx, ny = h.shape
    for i in prange(nx):
        for j in range(ny):
            h[i, j] = h[i, j] * factor


def fft_workers() -> int:
    """Threads for lamina's FFTs: numba's thread count (``NUMBA_NUM_THREADS``).

    ``scipy.fft`` splits a multi-dimensional transform into independent 1-D transforms over the
    threads, so the result does not depend on this number (tested); it only sets the speed.
    """
    return max(1, int(numba.get_num_threads()))


# ------------------------------------------------------------------------------------------------
# Self-affine surfaces
# ------------------------------------------------------------------------------------------------


def _spectrum_setup(nb_grid_pts, physical_sizes, hurst, rms_height, rms_slope, short_cutoff,
                    long_cutoff, rolloff, correlation_ratio, lay_angle):
    """Validate the parameters of :func:`self_affine`; return the arguments of the kernels."""
    nx, ny = _grid(nb_grid_pts)
    lx, ly = _sizes(physical_sizes)
    hurst = _real("hurst", hurst)
    if not 0.0 < hurst <= 1.0:
        raise InputError(f"hurst = {hurst!r}: must be in (0, 1]")
    if (rms_height is None) == (rms_slope is None):
        raise InputError(
            f"rms_height = {rms_height!r}, rms_slope = {rms_slope!r}: give exactly one of them")
    rms_height = _positive("rms_height", rms_height, allow_none=True)
    rms_slope = _positive("rms_slope", rms_slope, allow_none=True)
    short_cutoff = _positive("short_cutoff", short_cutoff, allow_none=True)
    long_cutoff = _positive("long_cutoff", long_cutoff, allow_none=True)
    dmax = max(lx / nx, ly / ny)
    if short_cutoff is not None and short_cutoff < 2 * dmax * (1 - 1e-12):
        raise InputError(f"short_cutoff = {short_cutoff!r}: must be >= 2 grid spacings "
                         f"= {2 * dmax:g} m")
    if long_cutoff is None:
        long_cutoff = max(lx, ly)
    if short_cutoff is not None and short_cutoff >= long_cutoff:
        raise InputError(f"short_cutoff = {short_cutoff!r}: must be < long_cutoff "
                         f"= {long_cutoff:g} m")
    rolloff = _real("rolloff", rolloff)
    if rolloff < 0:
        raise InputError(f"rolloff = {rolloff!r}: must be >= 0")
    gamma = _real("correlation_ratio", correlation_ratio)
    if gamma < 1:
        raise InputError(f"correlation_ratio = {correlation_ratio!r}: must be >= 1")
    theta = _real("lay_angle", lay_angle)

    q_r = 2 * math.pi / long_cutoff
    # q'² = γ² q∥² + q⊥², q∥ = q·(cos θ, sin θ): the long correlation length lies along θ
    c, s = math.cos(theta), math.sin(theta)
    g2 = gamma * gamma
    axx = (g2 * c * c + s * s) / q_r**2
    ayy = (g2 * s * s + c * c) / q_r**2
    axy = 2.0 * (g2 - 1.0) * c * s / q_r**2
    if abs(axy) <= 1e-14 * (axx + ayy):  # lay along x or y (θ = π/2 gives cos θ ≈ 6e-17)
        axy = 0.0
    x_cut = math.inf if short_cutoff is None else (long_cutoff / short_cutoff) ** 2
    p = -0.5 * (1.0 + hurst)
    qx = 2 * math.pi * np.fft.fftfreq(nx, lx / nx)
    qy = 2 * math.pi * np.fft.rfftfreq(ny, ly / ny)
    dx2 = (2.0 * np.sin(0.5 * qx * lx / nx) / (lx / nx)) ** 2
    dy2 = (2.0 * np.sin(0.5 * qy * ly / ny) / (ly / ny)) ** 2
    nky = ny // 2 + 1
    columns = np.array([0, nky - 1] if ny % 2 == 0 else [0], dtype=np.int64)
    wcol = np.full(nky, 2.0)
    wcol[columns] = 0.0
    return dict(nx=nx, ny=ny, qx=qx, qy=qy, axx=axx, axy=axy, ayy=ayy, p=p, x_cut=x_cut,
                amp_low=math.sqrt(rolloff), dx2=dx2, dy2=dy2, columns=columns, wcol=wcol,
                rms_height=rms_height, rms_slope=rms_slope)


def _irfft2(K: np.ndarray, ny: int) -> np.ndarray:
    """``scipy.fft.irfftn(K, s=(nx, ny))``, with the complex pass along x done in place in ``K``.

    Same 1-D transforms as ``irfftn`` (the result is identical), but ``irfftn`` first copies its
    input (it does not use ``overwrite_x``); here the half spectrum is scratch and is overwritten.
    """
    workers = fft_workers()
    Kx = scipy.fft.ifft(K, axis=0, overwrite_x=True, workers=workers)
    return scipy.fft.irfft(Kx, n=ny, axis=1, workers=workers)


# One spectrum buffer is kept between calls of self_affine (its contents are scratch once the
# inverse FFT has run): generating ensembles then does not page-fault a fresh 16·nx·(ny/2+1)-byte
# array every time, which costs as much as the fill itself on some machines.
_WORKSPACE: dict = {}
_WORKSPACE_LOCK = threading.Lock()


def _take_workspace(shape) -> np.ndarray:
    with _WORKSPACE_LOCK:
        buf = _WORKSPACE.pop("K", None)
    if buf is None or buf.shape != tuple(shape):
        del buf
        buf = np.empty(shape, dtype=np.complex128)
    return buf


def _return_workspace(buf: np.ndarray) -> None:
    with _WORKSPACE_LOCK:
        _WORKSPACE["K"] = buf


def release_workspace() -> None:
    """Free the spectrum buffer that :func:`self_affine` keeps for its next call
    (16·nx·(ny/2+1) bytes of the last map size)."""
    with _WORKSPACE_LOCK:
        _WORKSPACE.clear()


def _spectrum(setup: dict, key, out=None) -> tuple[np.ndarray, float, float]:
    """The Hermitian half-plane spectrum and its sums (Σ|K|², E Σ|K|²|D|²) over the full plane."""
    su = setup
    shape = (su["nx"], su["ny"] // 2 + 1)
    K = np.empty(shape, dtype=np.complex128) if out is None else out
    row_sq = np.empty(su["nx"])
    row_slope = np.empty(su["nx"])
    args = (su["qx"], su["qy"], su["axx"], su["axy"], su["ayy"], su["p"], su["x_cut"],
            su["amp_low"], su["dx2"], su["dy2"])
    _fill_rows(K, key, *args, su["wcol"], row_sq, row_slope)
    col_sq, col_slope = _hermitian_columns(K, *args, su["columns"])
    sum_sq = math.fsum(row_sq) + col_sq
    sum_slope = math.fsum(row_slope) + col_slope
    return K, sum_sq, sum_slope


def self_affine(nb_grid_pts, physical_sizes, hurst, *, rms_height=None, rms_slope=None,
                short_cutoff=None, long_cutoff=None, rolloff=1.0, correlation_ratio=1.0,
                lay_angle=0.0, seed=0) -> np.ndarray:
    r"""A random self-affine (optionally anisotropic) height map by Fourier filtering.

    The power spectral density (SurfaceTopography normalisation,
    :math:`h_{rms}^2 = (2\pi)^{-2}\int C(\mathbf q)\, d^2q`) is

    .. math::

        C(\mathbf q) = C_0 \begin{cases} \text{rolloff}\; q_r^{-2(1+H)} & q' < q_r \\
        q'^{-2(1+H)} & q_r \le q' \le q_s \\ 0 & q' > q_s \end{cases},
        \qquad q'^2 = \gamma^2 q_\parallel^2 + q_\perp^2,

    with :math:`q_s = 2\pi/\text{short\_cutoff}`, :math:`q_r = 2\pi/\text{long\_cutoff}`,
    :math:`q_\parallel = q_x\cos\theta + q_y\sin\theta` (along the lay) and
    :math:`q_\perp = -q_x\sin\theta + q_y\cos\theta`. With :math:`\gamma = 1` it is isotropic. With
    :math:`\gamma > 1` the map is the isotropic one stretched by :math:`\gamma` along the lay: the
    correlation length along the lay is :math:`\gamma` times the one across, and the cutoff
    wavelengths hold across the lay (they are :math:`\gamma` times longer along it). The mean
    (q = 0 mode) is zero.

    Each Fourier mode of the real-FFT half-plane gets a complex Gaussian amplitude of variance
    :math:`C(\mathbf q)` from a counter-based generator (splitmix64 of the seed and the mode's
    index, Box-Muller); the ky = 0 and Nyquist columns are made Hermitian so that the map is exactly
    ``scipy.fft.irfftn`` of the half spectrum (computed as its two passes, the complex one in place;
    :func:`fft_workers` threads), i.e. the real inverse of the full spectrum. The result
    depends only on the arguments: the same seed gives a bit-identical map for any number of
    threads or MPI ranks. Modes beyond the short cutoff are not drawn (but keep their place in the
    random stream), so a short cutoff makes the generation cheaper. One spectrum buffer
    (16·nx·(ny/2+1) bytes) is kept for the next call; :func:`release_workspace` frees it.

    Normalisation (:math:`C_0`):

    * ``rms_height``: every realisation is scaled exactly (Parseval on the spectrum), so
      :math:`\sqrt{\langle h^2\rangle}` equals the target to rounding.
    * ``rms_slope``: :math:`C_0` is set from the expected PSD so that the *expected* mean square
      slope equals the target. The slope is the forward-difference slope of the grid, as measured by
      :func:`solver.surface.statistics.rms_slope` (the slope of the triangulated surface):
      :math:`\langle|\nabla h|^2\rangle = N^{-2}\sum_{\mathbf q} E|K_\mathbf q|^2 \,
      [(2\sin(q_x\Delta_x/2)/\Delta_x)^2 + (2\sin(q_y\Delta_y/2)/\Delta_y)^2]` summed over the
      grid's modes. It holds for any cutoffs (no continuum approximation); a single realisation
      fluctuates around the target by a few per cent for small maps.

    Args:
        nb_grid_pts: grid points ``(nx, ny)``, integers >= 2.
        physical_sizes: ``(Lx, Ly)`` in m.
        hurst: Hurst exponent H in (0, 1].
        rms_height: target rms height (m). Exactly one of ``rms_height``, ``rms_slope``.
        rms_slope: target rms slope (1).
        short_cutoff: shortest wavelength (m), >= 2 grid spacings; None: no cut (grid Nyquist).
        long_cutoff: roll-off wavelength (m), > short_cutoff; None: the larger domain size.
        rolloff: PSD below q_r relative to C(q_r), >= 0 (1: flat plateau, 0: nothing).
        correlation_ratio: :math:`\gamma \ge 1`, correlation length along / across the lay.
        lay_angle: :math:`\theta`, direction of the lay (long correlation) from x (rad).
        seed: integer in [0, 2**64).

    Returns:
        Heights ``h`` (m), float64 array of shape ``(nx, ny)``, mean zero.

    Raises:
        InputError: a parameter out of range, or cutoffs that leave no Fourier mode on the grid.
    """
    setup = _spectrum_setup(nb_grid_pts, physical_sizes, hurst, rms_height, rms_slope,
                            short_cutoff, long_cutoff, rolloff, correlation_ratio, lay_angle)
    key = _seed_key(seed)
    nx, ny = setup["nx"], setup["ny"]
    K = _take_workspace((nx, ny // 2 + 1))
    K, sum_sq, sum_slope = _spectrum(setup, key, out=K)
    if not sum_sq > 0.0:
        raise InputError(f"short_cutoff = {short_cutoff!r}, long_cutoff = {long_cutoff!r}, "
                         f"rolloff = {rolloff!r}: leave no Fourier mode on the {nx}x{ny} grid")
    h = _irfft2(K, ny)
    _return_workspace(K)
    del K
    n_tot = float(nx) * float(ny)
    if setup["rms_height"] is not None:
        factor = setup["rms_height"] * n_tot / math.sqrt(sum_sq)  # <h²> = Σ|K|²/N²
    else:
        factor = setup["rms_slope"] * n_tot / math.sqrt(sum_slope)
    _scale_rows(h, factor)
    return h


# ------------------------------------------------------------------------------------------------
# Non-Gaussian heights
# ------------------------------------------------------------------------------------------------

_MOMENT_TOL = 1e-6
_MAX_SOLVE_POINTS = 1 << 18


def _std_moments(v: np.ndarray) -> tuple[float, float]:
    d = v - v.mean()
    m2 = np.mean(d * d)
    return float(np.mean(d**3) / m2**1.5), float(np.mean(d**4) / m2**2)


def _johnson(z: np.ndarray, family: str, a: float, b: float) -> np.ndarray:
    """Johnson transforms of normal scores: SU ``sinh(a + b z)``, SB ``1/(1 + exp(-(a + b z)))``,
    lognormal ``exp(b z)`` (the boundary between them)."""
    if family == "SU":
        return np.sinh(a + b * z)
    if family == "SB":
        return scipy.special.expit(a + b * z)
    return np.exp(b * z)


def _lognormal_kurtosis(skewness: float) -> float:
    """Kurtosis of the lognormal distribution with the given |skewness| (the SU/SB boundary)."""
    s = abs(skewness)
    if s == 0:
        return 3.0
    # skewness = (w + 2) sqrt(w - 1), kurtosis = w^4 + 2w^3 + 3w^2 - 3
    w = scipy.optimize.brentq(lambda w: (w + 2) * math.sqrt(w - 1) - s, 1.0, 1.0 + s * s + 2)
    return w**4 + 2 * w**3 + 3 * w**2 - 3


def _solve_family(z: np.ndarray, fam: str, skewness: float, kurtosis: float):
    """Parameters (a, b) of one Johnson family matching the target moments on the scores ``z``
    (coarse search, then least squares), and the realised (skewness, kurtosis)."""
    if fam == "LN":
        if skewness == 0.0:
            return None
        sign = 1.0 if skewness > 0 else -1.0
        b = scipy.optimize.brentq(
            lambda b: _std_moments(_johnson(z, "LN", 0.0, b))[0] - abs(skewness), 1e-8, 3.0,
            xtol=1e-15)
        vals = _std_moments(_johnson(z, "LN", 0.0, sign * b))
        return (0.0, sign * b), vals

    def resid(params):
        a, lb = params
        with np.errstate(all="ignore"):
            sk, ku = _std_moments(_johnson(z, fam, a, math.exp(lb)))
        if not (math.isfinite(sk) and math.isfinite(ku)):
            return [1e3, 1e3]
        return [sk - skewness, (ku - kurtosis) / max(1.0, kurtosis)]

    zs = z[:: max(1, z.size // 4096)]
    best = None
    lb_grid = np.linspace(-6.0, 2.5, 35) if fam == "SU" else np.linspace(-4.0, 3.5, 31)
    for a in np.linspace(-4.0, 4.0, 33):
        for lb in lb_grid:
            with np.errstate(all="ignore"):
                sk, ku = _std_moments(_johnson(zs, fam, a, math.exp(lb)))
            if not (math.isfinite(sk) and math.isfinite(ku)):
                continue
            err = (sk - skewness) ** 2 + ((ku - kurtosis) / max(1.0, kurtosis)) ** 2
            if best is None or err < best[0]:
                best = (err, a, lb)
    if best is None:
        return None
    sol = scipy.optimize.least_squares(resid, x0=[best[1], best[2]], xtol=1e-15, ftol=1e-15,
                                       gtol=1e-15, max_nfev=300)
    a, lb = sol.x
    with np.errstate(all="ignore"):
        vals = _std_moments(_johnson(z, fam, a, math.exp(lb)))
    return (float(a), float(math.exp(lb))), vals


def _refine_johnson(z: np.ndarray, fit, skewness: float, kurtosis: float, tol: float):
    """Polish a fit found on a subsample of the scores on all of them; None if it fails."""
    fam, a, b = fit
    if fam == "LN":
        res = _solve_family(z, "LN", skewness, kurtosis)
        (a, b), (sk, ku) = res
    else:
        def resid(params):
            with np.errstate(all="ignore"):
                sk, ku = _std_moments(_johnson(z, fam, params[0], math.exp(params[1])))
            return [sk - skewness, (ku - kurtosis) / max(1.0, kurtosis)]

        sol = scipy.optimize.least_squares(resid, x0=[a, math.log(b)], xtol=1e-15, ftol=1e-15,
                                           gtol=1e-15, max_nfev=40)
        a, b = float(sol.x[0]), float(math.exp(sol.x[1]))
        sk, ku = _std_moments(_johnson(z, fam, a, b))
    if abs(sk - skewness) <= tol * max(1.0, abs(skewness)) and abs(ku - kurtosis) <= tol * kurtosis:
        return fam, a, b
    return None


def _fit_johnson(z: np.ndarray, skewness: float, kurtosis: float, tol: float):
    """Family and parameters of the Johnson transform whose values at the normal scores ``z`` have
    the target skewness and kurtosis (to ``tol``); None when no family reaches them."""
    k_ln = _lognormal_kurtosis(skewness)
    order = ["SU", "SB"] if kurtosis > k_ln else ["SB", "SU"]
    for fam in order + ["LN"]:
        res = _solve_family(z, fam, skewness, kurtosis)
        if res is None:
            continue
        (a, b), (sk, ku) = res
        if (abs(sk - skewness) <= tol * max(1.0, abs(skewness))
                and abs(ku - kurtosis) <= tol * kurtosis):
            return fam, a, b
    return None


def non_gaussian(h, skewness, kurtosis) -> np.ndarray:
    r"""Heights with a target skewness and kurtosis, same mean, rms and height order as ``h``.

    Rank-preserving transform: the heights are ranked, each rank ``r`` (0-based, ``N`` points)
    gets the normal score :math:`z_r = \Phi^{-1}((r + 1/2)/N)`, and the scores are mapped through a
    Johnson transform (Johnson, Biometrika 36, 149 (1949)):

    * SU, :math:`\sinh(a + b z)`, above the lognormal line of the (Ssk, Sku) plane,
    * SB, :math:`1/(1 + e^{-(a + b z)})`, below it (down to the bound Sku = Ssk² + 1),
    * lognormal :math:`e^{b z}` on it,

    whose parameters (a, b) are solved (least squares on the scores; for maps larger than 2^18
    points first on 2^18 scores, then polished on all) so that the transformed scores have the
    target moments to 1e-6. The result is re-standardised to the mean and the rms about the mean
    (Sq) of ``h``. Because the output values are a permutation of the transformed scores, the
    realised skewness and kurtosis of the map equal the target to 1e-6 whatever the map. The
    spatial arrangement (which point is higher than which) is kept; the PSD changes a little.

    Args:
        h: height map (m), any shape with at least 8 points, not constant.
        skewness: target Ssk.
        kurtosis: target Sku (3 for a Gaussian); must exceed ``skewness² + 1``.

    Returns:
        New height map, same shape and dtype float64.

    Raises:
        InputError: an impossible (skewness, kurtosis) pair or a constant map.
    """
    skewness = _real("skewness", skewness)
    kurtosis = _real("kurtosis", kurtosis)
    if kurtosis <= skewness**2 + 1.0:
        raise InputError(f"kurtosis = {kurtosis!r}: must be > skewness² + 1 = "
                         f"{skewness**2 + 1:g} (no distribution has a lower kurtosis)")
    h = np.asarray(h, dtype=np.float64)
    if h.size < 8 or not np.all(np.isfinite(h)):
        raise InputError(f"h: shape {h.shape}; need >= 8 finite heights")
    mean = float(h.mean())
    sq = float(np.sqrt(np.mean((h - mean) ** 2)))
    if not sq > 0:
        raise InputError("h: constant heights; cannot impose a skewness and kurtosis")
    n = h.size
    order = np.argsort(h, axis=None, kind="stable")
    z = scipy.special.ndtri((np.arange(n) + 0.5) / n)
    zsolve = z if n <= _MAX_SOLVE_POINTS else scipy.special.ndtri(
        (np.arange(_MAX_SOLVE_POINTS) + 0.5) / _MAX_SOLVE_POINTS)
    fit = _fit_johnson(zsolve, skewness, kurtosis, _MOMENT_TOL)
    if fit is not None and zsolve.size != z.size:
        fit = _refine_johnson(z, fit, skewness, kurtosis, _MOMENT_TOL)
    if fit is None:
        raise InputError(f"skewness = {skewness!r}, kurtosis = {kurtosis!r}: not reachable by a "
                         f"Johnson transform of {n} normal scores")
    values = _johnson(z, *fit)
    values = (values - values.mean()) / np.sqrt(np.mean((values - values.mean()) ** 2))
    out = np.empty(n)
    out[order] = mean + sq * values
    return out.reshape(h.shape)


# ------------------------------------------------------------------------------------------------
# Analytic shapes
# ------------------------------------------------------------------------------------------------


def _coords(nb_grid_pts, physical_sizes):
    nx, ny = _grid(nb_grid_pts)
    lx, ly = _sizes(physical_sizes)
    x = np.arange(nx) * (lx / nx)
    y = np.arange(ny) * (ly / ny)
    return x[:, None], y[None, :], (lx, ly), (nx, ny)


def flat(nb_grid_pts, physical_sizes) -> np.ndarray:
    """A flat surface, ``h = 0``.

    Args:
        nb_grid_pts: ``(nx, ny)``.
        physical_sizes: ``(Lx, Ly)`` in m.

    Returns:
        Zeros of shape ``(nx, ny)`` (m).
    """
    _, _, _, (nx, ny) = _coords(nb_grid_pts, physical_sizes)
    return np.zeros((nx, ny))


def sinusoid_1d(nb_grid_pts, physical_sizes, amplitude, wavelength) -> np.ndarray:
    r"""Grooves along y: :math:`h = a \cos(2\pi x/\lambda)`.

    Periodic on the domain when ``Lx`` is a whole number of wavelengths. Analytic statistics:
    Sq = a/√2, Sdq = 2πa/(λ√2), Ssk = 0, Sku = 1.5.

    Args:
        nb_grid_pts: ``(nx, ny)``.
        physical_sizes: ``(Lx, Ly)`` in m.
        amplitude: a (m), >= 0.
        wavelength: λ (m), > 0.

    Returns:
        Heights (m), shape ``(nx, ny)``.
    """
    x, y, _, (nx, ny) = _coords(nb_grid_pts, physical_sizes)
    a = _real("amplitude", amplitude)
    if a < 0:
        raise InputError(f"amplitude = {amplitude!r}: must be >= 0")
    lam = _positive("wavelength", wavelength)
    return np.broadcast_to(a * np.cos(2 * np.pi * x / lam), (nx, ny)).copy()


def sinusoid_2d(nb_grid_pts, physical_sizes, amplitude, wavelength) -> np.ndarray:
    r"""An egg-box: :math:`h = a \cos(2\pi x/\lambda)\cos(2\pi y/\lambda)`.

    Analytic statistics: Sq = a/2, Sdq = 2πa/(λ√2), Ssk = 0, Sku = 2.25.

    Args:
        nb_grid_pts: ``(nx, ny)``.
        physical_sizes: ``(Lx, Ly)`` in m.
        amplitude: a (m), >= 0.
        wavelength: λ (m), > 0 (the same along x and y).

    Returns:
        Heights (m), shape ``(nx, ny)``.
    """
    x, y, _, _ = _coords(nb_grid_pts, physical_sizes)
    a = _real("amplitude", amplitude)
    if a < 0:
        raise InputError(f"amplitude = {amplitude!r}: must be >= 0")
    lam = _positive("wavelength", wavelength)
    return a * np.cos(2 * np.pi * x / lam) * np.cos(2 * np.pi * y / lam)


def paraboloid(nb_grid_pts, physical_sizes, radius) -> np.ndarray:
    r"""A paraboloidal cap with its peak at the domain centre: :math:`h = -r^2/(2R)`.

    ``r`` is the distance from ``(Lx/2, Ly/2)``; the peak height is 0 and the map is not periodic
    (Hertz contact of a sphere of radius R at small indentation).

    Args:
        nb_grid_pts: ``(nx, ny)``.
        physical_sizes: ``(Lx, Ly)`` in m.
        radius: radius of curvature R (m), > 0.

    Returns:
        Heights (m), shape ``(nx, ny)``, <= 0.
    """
    x, y, (lx, ly), _ = _coords(nb_grid_pts, physical_sizes)
    radius = _positive("radius", radius)
    r2 = (x - 0.5 * lx) ** 2 + (y - 0.5 * ly) ** 2
    return -r2 / (2.0 * radius)

