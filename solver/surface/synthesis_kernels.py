"""numba kernels of the self-affine generator: counter-based random numbers, vectorisable special
functions and the fill of the real-FFT half-plane (one numba kernel file; used by
:mod:`solver.surface.selfaffine`).

The random numbers come from a counter-based generator (splitmix64 hash of the seed and the index
of the Fourier mode, then Box-Muller). The special functions (log, exp, sincos) are written out
(fdlibm's polynomials) so that the loops vectorise; the fill kernel lets LLVM contract
``a*b + c`` and nothing else, so its output does not depend on the thread count or vector width.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from solver.checks import is_int
from solver.errors import InputError

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
    if not is_int(seed) or not 0 <= seed < 2**64:
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



@njit(cache=True, inline="always")
def _live_columns(cxx, cxy, ayy, x_cut, dqy, nky):
    """Columns ``[ja, jb)`` of a row that can be inside ``x <= x_cut``.

    Those where ``a_yy qy² + cxy qy + cxx - x_cut <= 0``, one column of slack each side; the cut
    itself is decided per mode by :func:`_amplitudes`.
    """
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
    return ja, jb


@njit(cache=True, inline="always", fastmath=_FM)
def _amplitudes(amp_row, qy, ja, jb, cxx, cxy, ayy, p, x_cut, amp_low, ibuf, fbuf):
    """PSD amplitudes of one row on ``[ja, jb)`` into ``amp_row`` (see :func:`_fill_rows`).

    ``A = x^p = exp(p ln x)`` for ``1 <= x <= x_cut``, ``amp_low`` below 1, 0 beyond ``x_cut``,
    one tile of ``_TILE`` columns at a time in the scratch rows of ``ibuf`` (uint64) and ``fbuf``.
    """
    xm, xe, kb = ibuf[4], ibuf[5], ibuf[6]
    xq, xl, amp = fbuf[0], fbuf[1], fbuf[7]
    xmf = xm.view(np.float64)
    xef = xe.view(np.float64)
    xb = xl.view(np.uint64)
    kf = kb.view(np.float64)
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


@njit(cache=True, inline="always", fastmath=_FM)
def _gaussians(Kr, amp_row, key, i, nky, ja, jb, dxi, dy2, wcol, ibuf, fbuf):
    """Complex Gaussians of unit variance times ``amp_row`` into row ``i`` (``Kr``) on ``[ja, jb)``.

    Returns:
        ``(Σ_j wcol_j |K_ij|², Σ_j wcol_j A² (dxi + dy2_j))``, summed tile by tile in a fixed order.
    """
    ub, vb, um, ue = ibuf[0], ibuf[1], ibuf[2], ibuf[3]
    lu, cs, sn, wsq, wsl = fbuf[2], fbuf[3], fbuf[4], fbuf[5], fbuf[6]
    u = ub.view(np.float64)
    v = vb.view(np.float64)
    umf = um.view(np.float64)
    uef = ue.view(np.float64)
    acc_sq = 0.0
    acc_sl = 0.0
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
    return acc_sq, acc_sl


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
        for ip in range(task * _PAIRS, min(npairs, (task + 1) * _PAIRS)):
            i2 = nx - ip
            nrows = 2 if (ip > 0 and i2 > ip) else 1
            for r in range(nrows):
                i = ip if r == 0 else i2
                qxi = qx[i]
                cxx = axx * qxi * qxi
                cxy = axy * qxi
                ja, jb = _live_columns(cxx, cxy, ayy, x_cut, dqy, nky)
                Kr = K[i]
                for j in range(0, ja):
                    Kr[j] = 0.0
                for j in range(jb, nky):
                    Kr[j] = 0.0
                if r == 0 or not share:
                    _amplitudes(amp_row, qy, ja, jb, cxx, cxy, ayy, p, x_cut, amp_low, ibuf, fbuf)
                acc_sq, acc_sl = _gaussians(Kr, amp_row, key, i, nky, ja, jb, dx2[i], dy2, wcol,
                                            ibuf, fbuf)
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
