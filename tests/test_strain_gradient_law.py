"""CMSG size-dependent strength on arrays (no mesh): the flow stress σ_f = √(σ_y(p)² + σ_y0² ℓ η),
its J2 limit (ℓ → 0), Taylor tests of the tangent with a gradient term, the creep drag scaled with
the same factor, and bad input. The field part (η from the plastic-strain field) is in
tests/test_strain_gradient_fem.py."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose

from solver.errors import InputError
from solver.physics import laws as L
from tests.test_laws import (LI, assert_second_order, creep_li, j2_sets, preloaded_state,
                             random_deps)

ELL = 10e-3  # m: the Taylor estimate for bulk lithium (benchmarks/data/strain_gradient_plasticity.md)


def with_length(j, ell):
    return dataclasses.replace(j, intrinsic_length=ell)


@pytest.mark.parametrize("ncomp", [4, 6])
@pytest.mark.parametrize("name", ["perfect", "linear", "swift"])
def test_zero_length_is_j2_bit_for_bit_and_small_length_converges_to_it(ncomp, name):
    rng = np.random.default_rng(11)
    j = j2_sets()[name]
    eps_y = j.sigma_y / j.E
    st = preloaded_state(lambda de, s: L.j2_return_map(de, s, j), ncomp, rng, 30, 5 * eps_y)
    deps = random_deps(rng, 30, ncomp, 10 * eps_y)
    eta = rng.uniform(0, 1e5, 30)  # 1/m
    ref = L.j2_return_map(deps, st, j)
    same = L.j2_return_map(deps, st, with_length(j, 0.0), eta)
    assert np.array_equal(ref.stress, same.stress) and np.array_equal(ref.tangent, same.tangent)
    tiny = L.j2_return_map(deps, st, with_length(j, 1e-20), eta)  # σ_y0² ℓ η / σ_y² ≤ 1e-15
    scale = np.abs(ref.stress).max()
    assert np.abs(tiny.stress - ref.stress).max() <= 1e-10 * scale
    assert np.abs(tiny.state.p - ref.state.p).max() <= 1e-10 * np.abs(ref.state.p).max()


@pytest.mark.parametrize("ncomp", [4, 6])
def test_uniaxial_flow_stress_is_the_cmsg_value(ncomp):
    """Perfect plasticity, fixed η: the von Mises stress on yielding equals √(σ_y² + σ_y² ℓ η)."""
    j = with_length(j2_sets()["perfect"], ELL)
    eta = np.array([0.0, 1e2, 1e3, 1e4, 1e5])
    n = eta.size
    st = L.initial_state(n, ncomp)
    deps = np.zeros((n, ncomp))
    e = 0.05  # far beyond yield for every η here
    deps[:, 0], deps[:, 1], deps[:, 2] = e, -e / 2, -e / 2
    res = L.j2_return_map(deps, st, j, eta)
    expected = j.sigma_y * np.sqrt(1 + ELL * eta)
    assert_allclose(L.von_mises(res.stress), expected, rtol=1e-12)
    assert_allclose(j.flow_stress(0.0, eta), expected, rtol=1e-15)


@pytest.mark.parametrize("ncomp", [4, 6])
@pytest.mark.parametrize("name", ["perfect", "linear", "swift"])
def test_taylor_cmsg_tangent(ncomp, name):
    rng = np.random.default_rng(12)
    j = j2_sets()[name]
    ell = ELL if name == "perfect" else 1e-5
    jg = with_length(j, ell)
    eta = rng.uniform(1e5, 1e6, 20)

    def law(de, st):
        return L.j2_return_map(de, st, jg, eta)
    eps_y = j.sigma_y / j.E * np.sqrt(1 + ell * eta.max())
    st = preloaded_state(law, ncomp, rng, 20, 5 * eps_y)
    deps = random_deps(rng, 20, ncomp, 10 * eps_y)
    res = law(deps, st)
    assert np.all(res.state.p > st.p)
    assert np.all(L.von_mises(res.stress) > 1.2 * j.yield_stress(res.state.p))  # GND term matters
    assert_second_order(law, deps, st, rng, 10 * eps_y)


@pytest.mark.parametrize("ncomp", [4, 6])
@pytest.mark.parametrize("dt, scale, branch", [(1.0, 3e-4, "creep"), (1e-3, 3e-3, "plastic")])
def test_taylor_cmsg_with_creep(ncomp, dt, scale, branch):
    rng = np.random.default_rng(13)
    params = L.ElastoplasticCreepParams(with_length(L.J2Params(**LI), ELL), creep_li())
    eta = rng.uniform(1e3, 1e4, 20)  # σ_f/σ_y = 3.3 … 10

    def law(de, st):
        return L.elastoplastic_creep(de, dt, st, params, eta)
    st = L.initial_state(20, ncomp)
    if branch == "plastic":
        st = preloaded_state(law, ncomp, rng, 20, scale)
    deps = random_deps(rng, 20, ncomp, scale)
    res = law(deps, st)
    assert np.all(res.state.p_creep > st.p_creep)
    assert np.all((res.state.p > st.p) if branch == "plastic" else (res.state.p == st.p))
    assert_second_order(law, deps, st, rng, scale)


def test_creep_rate_at_the_flow_stress_is_the_bulk_rate_at_the_bulk_yield_stress():
    """The drag stress scales with σ_f/σ_y: a point held at q = s·σ_y with η such that
    σ_f = s·σ_y creeps exactly as a bulk point held at σ_y (small step: rate = Δγ_c/Δt)."""
    j = L.J2Params(**LI)
    creep = creep_li()
    s = 6.0
    eta = np.array([(s**2 - 1) / ELL])
    q_eq = 0.99  # just below the flow stress: viscous branch
    dt = 1e-9
    out = []
    for jj, e in ((j, None), (with_length(j, ELL), eta)):
        params = L.ElastoplasticCreepParams(jj, creep)
        target = q_eq * jj.flow_stress(0.0, 0.0 if e is None else e[0])
        G = j.E / (2 * (1 + j.nu))
        deps = np.zeros((1, 4))
        gam = target / (3 * G)  # pure shear with q = target
        deps[0, 3] = np.sqrt(2) * gam * np.sqrt(3) / 2 * 2 / np.sqrt(3)
        st = L.initial_state(1, 4)
        q0 = L.von_mises(L.elastic(deps, st, L.ElasticParams(j.E, j.nu)).stress)[0]
        deps *= target / q0
        res = L.elastoplastic_creep(deps, dt, st, params, e)
        out.append(res.state.p_creep[0] / dt)
    bulk, scaled = out
    assert bulk == pytest.approx(creep.strain_rate(q_eq * j.sigma_y), rel=1e-6)
    assert scaled == pytest.approx(bulk, rel=1e-6)


def test_bad_intrinsic_length_and_eta_are_refused():
    with pytest.raises(InputError, match="intrinsic_length"):
        L.J2Params(**LI, intrinsic_length=-1.0)
    with pytest.raises(InputError, match="intrinsic_length"):
        L.J2Params(**LI, intrinsic_length=float("nan"))
    j = L.J2Params(**LI, intrinsic_length=ELL)
    st = L.initial_state(2, 4)
    with pytest.raises(ValueError, match="eta"):
        L.j2_return_map(np.zeros((2, 4)), st, j, np.array([1.0, -1.0]))
