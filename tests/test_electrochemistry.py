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
