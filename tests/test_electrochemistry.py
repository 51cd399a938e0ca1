"""Interface laws of the current flow on arrays (:mod:`solver.physics.electrochemistry`):
Butler–Volmer values, linearisation and derivative, film conductance and its derivatives."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from solver.errors import InputError
from solver.physics import electrochemistry as EC


def test_butler_volmer_values_and_linearisation():
    T, i0 = 298.15, 10.0
    f = EC.FARADAY / (EC.GAS_CONSTANT * T)
    assert_allclose(EC.butler_volmer(0.0, i0, 0.5, 0.5, T), 0.0)
    assert_allclose(EC.butler_volmer(0.05, i0, 0.5, 0.5, T), 2 * i0 * math.sinh(0.025 * f))
    rct = EC.linearised_charge_transfer_resistance(i0, 0.3, 0.7, T)
    assert_allclose(rct, EC.GAS_CONSTANT * T / (EC.FARADAY * i0 * 1.0), rtol=1e-14)
    assert_allclose(1.0 / EC.d_butler_volmer_deta(0.0, i0, 0.3, 0.7, T), rct, rtol=1e-14)
    eta = 1e-6
    assert_allclose(EC.butler_volmer(eta, i0, 0.3, 0.7, T), eta / rct, rtol=1e-4)


def _taylor_slope_1d(f, df, x, scale):
    hs = scale * np.logspace(-2, -5, 7)
    errs = np.abs([f(x + h) - f(x) - h * df(x) for h in hs])
    return np.polyfit(np.log(hs), np.log(errs), 1)[0]


@pytest.mark.parametrize("eta", [-0.08, -0.01, 0.02, 0.1])
def test_butler_volmer_derivative_taylor(eta):
    args = (5.0, 0.4, 0.6, 310.0)
    s = _taylor_slope_1d(lambda e: EC.butler_volmer(e, *args),
                         lambda e: EC.d_butler_volmer_deta(e, *args), eta, 0.05)
    assert abs(s - 2) < 0.1


def test_film_conductance_cases():
    const = EC.FilmParams(R_film=1e-4)  # 1 Ω cm²
    assert_allclose(EC.film_conductance([0.0, 5e6], [-1e-9, 0.0], const), 1e4)
    assert_allclose(EC.film_conductance(0.0, 1e-9, const), 0.0)
    p = EC.FilmParams(R_film=5.5e-2, p_ref=1e6, beta=2.0, decay_length=1e-9)
    assert_allclose(EC.film_conductance(3e6, -1e-10, p), 16 / 5.5e-2)
    assert_allclose(EC.film_conductance(0.0, 2e-9, p), math.exp(-2) / 5.5e-2)
    # continuous at the contact edge
    assert_allclose(EC.film_conductance(0.0, 1e-30, p), EC.film_conductance(0.0, 0.0, p))
    with pytest.raises(InputError, match="FilmParams.R_film = "):
        EC.FilmParams(R_film=0.0)


def test_film_conductance_derivatives_taylor():
    p = EC.FilmParams(R_film=5.5e-2, p_ref=1e6, beta=1.7, decay_length=2e-9)
    s = _taylor_slope_1d(lambda x: EC.film_conductance(x, -1.0, p),
                         lambda x: EC.film_conductance_derivatives(x, -1.0, p)[0], 2e6, 1e6)
    assert abs(s - 2) < 0.1
    s = _taylor_slope_1d(lambda g: EC.film_conductance(0.0, g, p),
                         lambda g: EC.film_conductance_derivatives(0.0, g, p)[1], 3e-9, 1e-9)
    assert abs(s - 2) < 0.1
    dp, dg = EC.film_conductance_derivatives([1e6, 0.0], [-1.0, 1e-9], p)
    assert dg[0] == 0.0 and dp[1] == 0.0


# --------------------------------------------------------------------------------------------
# Small-signal resistance and the direction of the current (solver.physics.interface)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("eta_n", [0.0, 0.02])
@pytest.mark.parametrize("eta", [-0.1, -0.021, -0.005, 0.004, 0.019, 0.08])
def test_kinetics_slope_taylor(eta_n, eta):
    """``Kinetics.slope`` (di/dη, dead band included) passes the Taylor test."""
    from solver.physics.interface import Kinetics

    k = Kinetics(5.0, 0.3, 0.7, T=310.0, eta_nucleation=eta_n, smoothing=2e-3)
    s = _taylor_slope_1d(lambda e: float(k.current(e)), lambda e: float(k.slope(e)), eta, 2e-3)
    assert abs(s - 2) < 0.1


def test_differential_resistance_is_the_analytic_slope_of_butler_volmer():
    """dη/dj of j = i₀[exp(α_a f η) − exp(−α_c f η)] at η(j), by hand; → R_ct as j → 0;
    below η/j for α_a = α_c at every j and for α_a ≠ α_c at large |j| — but above it at a
    moderate anodic j when α_a < α_c (the cathodic exponential still bends the curve)."""
    from solver.physics.interface import Kinetics

    T, i0, aa, ac = 298.15, 10.0, 0.3, 0.7
    f = EC.FARADAY / (EC.GAS_CONSTANT * T)
    k = Kinetics(i0, aa, ac, T)
    for j in (-300.0, -10.0, -1e-3, 1e-3, 10.0, 300.0):
        eta = k.overpotential(j)
        by_hand = 1.0 / (i0 * f * (aa * math.exp(aa * f * eta) + ac * math.exp(-ac * f * eta)))
        assert_allclose(k.differential_resistance(j), by_hand, rtol=1e-12)
    assert_allclose(k.differential_resistance(1e-9), k.R_ct, rtol=1e-8)
    assert k.differential_resistance(300.0) < k.overpotential(300.0) / 300.0
    assert k.differential_resistance(-300.0) < k.overpotential(-300.0) / -300.0
    assert k.differential_resistance(10.0) > k.overpotential(10.0) / 10.0  # asymmetric α
    sym = Kinetics(i0, 0.5, 0.5, T)
    for j in (-50.0, -1.0, 0.1, 5.0, 80.0):
        assert sym.differential_resistance(j) < sym.overpotential(j) / j


def test_current_direction_and_drive_sign():
    """Cu|SE plates lithium onto the collector: a cathodic (negative) drive in the laws'
    anodic-positive convention; Li|SE strips, Li|Cu sends electrons Li → Cu (positive)."""
    from solver.physics.interface import CURRENT_DIRECTION, drive_sign

    assert drive_sign("cu_se") == -1.0
    assert drive_sign("li_se") == 1.0 and drive_sign("li_cu") == 1.0
    assert CURRENT_DIRECTION["cu_se"].startswith("plating") and "cathodic" in \
        CURRENT_DIRECTION["cu_se"]
    assert CURRENT_DIRECTION["li_se"].startswith("stripping")
    with pytest.raises(InputError, match="interface='na_se': allowed li_cu, li_se, cu_se"):
        drive_sign("na_se")
