"""Non-Gaussian height distributions: a rank-preserving Johnson transform of a height map to a
target skewness and kurtosis (:func:`non_gaussian`)."""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize
import scipy.special

from solver.errors import InputError
from solver.surface.validation import real_param

_MOMENT_TOL = 1e-6
_MAX_SOLVE_POINTS = 1 << 18


def _std_moments(v: np.ndarray) -> tuple[float, float]:
    """Skewness and kurtosis of the values ``v``."""
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
        """Misfit of (skewness, kurtosis / max(1, target)) at (a, ln b); large when undefined."""
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
            """Misfit of (skewness, kurtosis / max(1, target)) at (a, ln b)."""
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
    skewness = real_param("skewness", skewness)
    kurtosis = real_param("kurtosis", kurtosis)
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
