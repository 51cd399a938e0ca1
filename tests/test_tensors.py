"""Mandel notation, the small-strain measure and isotropic elasticity
(:mod:`solver.physics.tensors`)."""

from __future__ import annotations

import math

import numpy as np
from numpy.testing import assert_allclose

from solver.physics import tensors as L


def test_mandel_roundtrip_and_contraction():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 3, 3))
    a = a + a.transpose(0, 2, 1)
    b = rng.standard_normal((5, 3, 3))
    b = b + b.transpose(0, 2, 1)
    assert_allclose(L.from_mandel(L.to_mandel(a)), a, atol=1e-14)
    assert_allclose((L.to_mandel(a) * L.to_mandel(b)).sum(-1), np.einsum("nij,nij->n", a, b))


def test_small_strain_plane_and_3d():
    g2 = np.array([[[1e-3, 2e-3], [0.0, -1e-3]]])
    e = L.small_strain(g2)
    assert_allclose(e, [[1e-3, -1e-3, 0.0, math.sqrt(2) * 1e-3]])
    g3 = np.zeros((1, 3, 3))
    g3[0, :2, :2] = g2[0]
    e3 = L.small_strain(g3)
    assert_allclose(e3[:, [0, 1, 2, 5]], e)
    assert_allclose(e3[:, 3:5], 0.0)


def test_elastic_stiffness_matches_lame():
    E, nu = 7.82e9, 0.381
    lam = E * nu / ((1 + nu) * (1 - 2 * nu))
    mu = E / (2 * (1 + nu))
    C = L.elastic_stiffness(E, nu, 6)
    assert_allclose(C[:3, :3], lam + 2 * mu * np.eye(3), rtol=1e-14)
    assert_allclose(np.diag(C)[3:], 2 * mu, rtol=1e-14)
