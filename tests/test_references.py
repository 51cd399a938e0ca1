"""Analytic references against known numbers, limits and self-consistency."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.integrate import quad

from solver.physics import references as R
def test_e_star():
    assert_allclose(R.E_star(7.82e9, 0.381), 7.82e9 / (1 - 0.381**2))
    # two identical bodies: half the single-body value
    assert_allclose(R.E_star(1e9, 0.3, 1e9, 0.3), 0.5 * R.E_star(1e9, 0.3))


def test_westergaard_full_contact_pressure():
    assert_allclose(R.westergaard_full_contact_pressure(1e9, 1e-6, 1e-4), math.pi * 1e9 * 1e-2)


@pytest.mark.parametrize("ratio", [0.05, 0.3, 0.7, 0.99])
def test_westergaard_half_width_and_pressure(ratio):
    lam, p_star = 2e-4, 3e6
    p_mean = ratio * p_star
    a = R.westergaard_half_width(p_mean, p_star, lam)
    assert_allclose(p_star * math.sin(math.pi * a / lam) ** 2, p_mean, rtol=1e-13)
    # the distribution carries the mean pressure and vanishes outside |x| <= a
    total, _ = quad(lambda x: R.westergaard_pressure(x, p_mean, p_star, lam), -a, a, limit=200)
    assert_allclose(total / lam, p_mean, rtol=1e-6)
    x = np.array([1.01 * a, 0.5 * lam, -0.6 * lam + lam])
    assert np.all(R.westergaard_pressure(x, p_mean, p_star, lam)[:2] == 0.0)
    # periodic
    assert_allclose(R.westergaard_pressure(0.3 * a + lam, p_mean, p_star, lam),
                    R.westergaard_pressure(0.3 * a, p_mean, p_star, lam))


def test_westergaard_limits():
    lam, p_star = 1.0, 1.0
    assert_allclose(R.westergaard_half_width(p_star, p_star, lam), lam / 2)
    assert_allclose(R.westergaard_half_width(2 * p_star, p_star, lam), lam / 2)
    assert R.westergaard_half_width(0.0, p_star, lam) == 0.0
    # small load: Hertz-like a ≈ (λ/π)√(p̄/p*)
    assert_allclose(R.westergaard_half_width(1e-8, p_star, lam), math.sqrt(1e-8) / math.pi,
                    rtol=1e-8)
    # the partial and full contact forms agree at p̄ → p*
    x = np.linspace(-0.45, 0.45, 7)
    assert_allclose(R.westergaard_pressure(x, p_star * (1 - 1e-12), p_star, lam),
                    R.westergaard_pressure(x, p_star, p_star, lam), rtol=1e-5, atol=1e-6)
    # full contact: p̄ + p* cos(2πx/λ), never negative at p̄ = p*
    assert_allclose(R.westergaard_pressure(0.5, 1.5, 1.0, 1.0), 0.5)


def test_hertz_known_numbers_and_inverse():
    P, Rad, Es = 10.0, 5e-3, 1e9
    h = R.hertz(P, Rad, Es)
    assert_allclose(h.a, (3 * P * Rad / (4 * Es)) ** (1 / 3))
    assert_allclose(h.delta, h.a**2 / Rad)
    assert_allclose(h.p0, 3 * P / (2 * math.pi * h.a**2))
    assert_allclose(h.p0, 1.5 * P / (math.pi * h.a**2))  # p0 = 3/2 · mean pressure
    inv = R.hertz_from_indentation(h.delta, Rad, Es)
    assert_allclose(inv, h, rtol=1e-13)
    # stiffness dP/dδ = 2 a E*
    d = 1e-6 * h.delta
    k = (R.hertz_from_indentation(h.delta + d, Rad, Es).P
         - R.hertz_from_indentation(h.delta - d, Rad, Es).P) / (2 * d)
    assert_allclose(k, 2 * h.a * Es, rtol=1e-8)


def test_cylinder_and_sphere_limit_loads():
    s0, Ri, Ro = 250e6, 1.0, 2.0
    assert_allclose(R.cylinder_limit_pressure(s0, Ri, Ro), 2 / math.sqrt(3) * s0 * math.log(2))
    assert_allclose(R.cylinder_elastoplastic_pressure(Ro, s0, Ri, Ro),
                    R.cylinder_limit_pressure(s0, Ri, Ro), rtol=1e-14)
    assert_allclose(R.cylinder_elastoplastic_pressure(Ri, s0, Ri, Ro),
                    s0 / math.sqrt(3) * (1 - Ri**2 / Ro**2), rtol=1e-14)
    c = np.linspace(Ri, Ro, 20)
    assert np.all(np.diff(R.cylinder_elastoplastic_pressure(c, s0, Ri, Ro)) > 0)
    assert_allclose(R.sphere_limit_pressure(s0, Ri, Ro), 2 * s0 * math.log(2))
    assert_allclose(R.sphere_elastoplastic_pressure(Ro, s0, Ri, Ro),
                    R.sphere_limit_pressure(s0, Ri, Ro), rtol=1e-14)
    assert_allclose(R.sphere_elastoplastic_pressure(Ri, s0, Ri, Ro),
                    2 * s0 / 3 * (1 - Ri**3 / Ro**3), rtol=1e-14)


def test_holm_and_greenwood_conventions():
    rho, a = 9.3e-8, 1e-6
    assert_allclose(R.holm_resistance(rho, a, sides=1), rho / (4 * a))
    assert_allclose(R.holm_resistance(rho, a, sides=2), rho / (2 * a))
    # one spot: Greenwood reduces to Holm, for both conventions
    for sides in (1, 2):
        assert_allclose(R.greenwood_resistance(rho, [a], [[0, 0]], sides=sides),
                        R.holm_resistance(rho, a, sides=sides))
    with pytest.raises(ValueError, match="sides"):
        R.holm_resistance(rho, a, sides=3)


def test_greenwood_two_spots():
    rho, a, s = 1.0, 1e-3, 0.1
    got = R.greenwood_resistance(rho, [a, a], [[0, 0], [s, 0]], sides=2)
    # ρ/(2·2a) + ρ/(π·4)·(2/s): ordered pairs (1,2) and (2,1)
    assert_allclose(got, rho / (4 * a) + rho / (2 * math.pi * s))
    one = R.greenwood_resistance(rho, [a, a], [[0, 0], [s, 0]], sides=1)
    assert_allclose(one, 0.5 * got)
    # far apart: two independent Holm spots in parallel
    far = R.greenwood_resistance(rho, [a, a], [[0, 0], [1e9, 0]], sides=1)
    assert_allclose(far, 0.5 * R.holm_resistance(rho, a, sides=1), rtol=1e-9)
    # a dense cluster approaches one spot of the cluster size (Greenwood's point): the
    # interaction term dominates and grows as the spots get closer
    close = R.greenwood_resistance(rho, [a, a], [[0, 0], [10 * a, 0]], sides=1)
    assert close > far


def test_newman_disk():
    r0, kappa = 1e-3, 0.1
    assert_allclose(R.newman_disk_current_distribution(0.0, r0), 0.5)
    # i/i_avg integrates to one over the disk
    tot, _ = quad(lambda r: 2 * math.pi * r * R.newman_disk_current_distribution(r, r0),
                  0, r0, limit=200)
    assert_allclose(tot / (math.pi * r0**2), 1.0, rtol=1e-6)
    # primary resistance equals the one-side Holm constriction with ρ = 1/κ
    assert_allclose(R.newman_disk_resistance(kappa, r0), R.holm_resistance(1 / kappa, r0, sides=1))
    assert_allclose(R.wagner_number(kappa, 1e-4, r0), 0.1 * 1e-4 / 1e-3)


def test_area_load_laws():
    assert_allclose(R.KAPPA_PERSSON, 1.5957691216057308)
    assert_allclose(R.KAPPA_BGT, 2.5066282746310002)
    assert_allclose(R.contact_area_fraction_small_load(1e5, 1e9, 0.1, 2.0), 2e-3)
    assert_allclose(R.contact_area_fraction_small_load(1e5, 1e9, 0.1),
                    R.KAPPA_PERSSON * 1e-3)
    assert_allclose(R.contact_area_fraction_plastic([0.3e6, 10e6], 1e6), [0.1, 1.0])


def test_cmsg_intrinsic_length_of_lithium_and_nix_gao():
    """ℓ = M² r̄ α² (μ/σ)² b: bulk lithium (μ 2.83 GPa, b 0.302 nm, σ 0.8 MPa) gives millimetres
    (benchmarks/data/strain_gradient_plasticity.md §6.1 rounds them to 6.1 and 17 mm at α = 0.3, 0.5)."""
    from solver.physics import references as R
    ell3 = R.cmsg_intrinsic_length(2.83e9, 0.8e6, 3.02e-10, 0.3)
    ell5 = R.cmsg_intrinsic_length(2.83e9, 0.8e6, 3.02e-10, 0.5)
    assert ell3 == pytest.approx(6.05e-3, rel=0.01)
    assert ell5 == pytest.approx(16.8e-3, rel=0.01)
    assert ell5 / ell3 == pytest.approx((0.5 / 0.3) ** 2, rel=1e-12)
    H = R.nix_gao_hardness([1e-9, 1e-6, 1.0], 2e6, 1e-6)
    assert H[1] == pytest.approx(2e6 * math.sqrt(2), rel=1e-12)
    assert H[2] == pytest.approx(2e6, rel=1e-5) and H[0] == pytest.approx(2e6 * math.sqrt(1001))


def test_layer_compliance_factor_limits():
    """Thick layer → half-space (1); thin layer → qt/2; monotone in between."""
    x = np.array([1e-4, 1e-2, 0.5, 1.0, 2.0, 3.0, 10.0, 1e3])
    f = R.layer_compliance_factor(x, 1.0)
    assert_allclose(f[:2], x[:2] / 2, rtol=1e-3)
    assert 1 - f[5] == pytest.approx(0.0337, abs=1e-4) and 0 < 1 - f[6] < 1e-7 and f[-1] == 1.0
    assert np.all(np.diff(f) > 0) and np.all(f <= 1)
    assert_allclose(R.layer_compliance_factor(x, math.inf), 1.0)
