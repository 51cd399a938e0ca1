"""Constitutive laws on arrays: Taylor tests of every tangent, return-map properties, numba kernel
against a NumPy/SciPy reference, plane strain (4) and 3D (6). Mandel notation and elasticity:
tests/test_tensors.py; interface laws: tests/test_electrochemistry.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import brentq

from solver.physics import laws as L
from solver.physics.constants import GAS_CONSTANT
from solver.errors import InputError, SolveError

# lithium-like and steel-like parameter sets (SI)
LI = {"E": 7.82e9, "nu": 0.381, "sigma_y": 0.81e6}
STEEL = {"E": 200e9, "nu": 0.3, "sigma_y": 250e6}


def j2_sets():
    return {
        "perfect": L.J2Params(**LI),
        "linear": L.J2Params(**STEEL, H=2e9),
        "swift": L.J2Params(**STEEL, hardening="power", K=600e6, n=0.2),
    }


def creep_li(T=298.15):
    return L.NortonParams.from_mpa(9.242e-3, 6.56, T=T)


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def random_deps(rng, n, ncomp, scale, vol=0.3):
    """Random strain increments: deviatoric of norm ``scale`` plus some volumetric part."""
    d = rng.standard_normal((n, ncomp))
    d = L.deviator(d)
    d *= scale / np.linalg.norm(d, axis=1, keepdims=True)
    d[:, :3] += vol * scale * rng.standard_normal((n, 1))
    return d


def taylor_errors(law, deps, state, d, hs):
    base = law(deps, state)
    errs = []
    for h in hs:
        s = law(deps + h * d, state).stress
        r = s - base.stress - h * np.einsum("nij,nj->ni", base.tangent, d)
        errs.append(np.linalg.norm(r, axis=1))
    return base, np.array(errs)  # (len(hs), n)


def assert_second_order(law, deps, state, rng, strain_scale):
    n, ncomp = deps.shape
    d = rng.standard_normal((n, ncomp))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    hs = strain_scale * np.logspace(-2, -5, 7)
    _, errs = taylor_errors(law, deps, state, d, hs)
    slopes = np.array([np.polyfit(np.log(hs), np.log(errs[:, i]), 1)[0] for i in range(n)])
    assert np.all(np.abs(slopes - 2.0) < 0.1), slopes


def preloaded_state(law, ncomp, rng, n, scale):
    """A state after one inelastic step, so that the tested step starts from eps_p, p != 0."""
    st = L.initial_state(n, ncomp)
    return law(random_deps(rng, n, ncomp, scale), st).state


# ------------------------------------------------------------------------------------------------
# NumPy/SciPy reference (independent scalar solves with brentq on the unscaled equations)
# ------------------------------------------------------------------------------------------------


def reference_law(deps, state, E, nu, yield_fn=None, a_dt=0.0, nc=1.0):
    K, G = L.bulk_shear_moduli(E, nu)
    n, m = deps.shape
    mvec = np.zeros(m)
    mvec[:3] = 1
    P = np.eye(m) - np.outer(mvec, mvec) / 3
    eps = state.eps + deps
    sig = np.empty((n, m))
    C = np.empty((n, m, m))
    eps_p = np.empty((n, m))
    p_new = state.p.copy()
    pc_new = state.p_creep.copy()
    for i in range(n):
        ee = eps[i] - state.eps_p[i]
        s_tr = 2 * G * (P @ ee)
        nrm = np.linalg.norm(s_tr)
        q_tr = math.sqrt(1.5) * nrm
        N = s_tr / nrm
        q, dgp, dgc, beta = q_tr, 0.0, 0.0, 1.0
        if a_dt > 0:
            q = brentq(lambda x, q_tr=q_tr: x + 3 * G * a_dt * x**nc - q_tr, 0.0, q_tr, xtol=1e-300,
                       rtol=1e-15, maxiter=500)
            dgc = a_dt * q**nc
            beta = 1 / (1 + 3 * G * a_dt * nc * q ** (nc - 1))
        if yield_fn is not None and q > yield_fn(state.p[i])[0]:
            def r(x, i=i, q_tr=q_tr):
                sy = yield_fn(state.p[i] + x)[0]
                return q_tr - 3 * G * x - 3 * G * a_dt * sy**nc - sy
            hi = (q_tr - yield_fn(state.p[i])[0]) / (3 * G)
            dgp = brentq(r, 0.0, hi, xtol=1e-300, rtol=1e-15, maxiter=500) if r(hi) < 0 else hi
            q, hpr = yield_fn(state.p[i] + dgp)
            dgc = a_dt * q**nc
            beta = hpr / (3 * G + hpr * (1 + 3 * G * a_dt * nc * q ** (nc - 1)))
        eps_p[i] = state.eps_p[i] + math.sqrt(1.5) * (dgp + dgc) * N
        p_new[i] += dgp
        pc_new[i] += dgc
        sig[i] = (K * np.outer(mvec, mvec) + 2 * G * P) @ (eps[i] - eps_p[i])
        theta = q / q_tr
        C[i] = (K * np.outer(mvec, mvec) + 2 * G * theta * (P - np.outer(N, N))
                + 2 * G * beta * np.outer(N, N))
    return sig, C, L.LawState(eps, eps_p, p_new, pc_new)


def yield_fn_of(j: L.J2Params):
    if j.hardening == "linear":
        return lambda p: (j.sigma_y + j.H * p, j.H)
    return lambda p: (j.K * (j.eps0 + p) ** j.n, j.n * j.K * (j.eps0 + p) ** (j.n - 1))


# ------------------------------------------------------------------------------------------------
# parameters
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, field", [
    ({"E": -1.0, "nu": 0.3}, "E"),
    ({"E": 1e9, "nu": 0.5}, "nu"),
    ({"E": 1e9, "nu": float("nan")}, "nu"),
])
def test_elastic_params_validate(kwargs, field):
    with pytest.raises(InputError, match=f"ElasticParams.{field} = ") as e:
        L.ElasticParams(**kwargs)
    assert "\n" not in str(e.value) and "allowed" in str(e.value)


@pytest.mark.parametrize("kwargs, field", [
    ({"sigma_y": 0.0}, "sigma_y"),
    ({"sigma_y": 1e6, "hardening": "exp"}, "hardening"),
    ({"sigma_y": 1e6, "H": -1.0}, "H"),
    ({"sigma_y": 1e6, "hardening": "power", "n": 0.2}, "K"),
    ({"sigma_y": 1e6, "hardening": "power", "K": 1e7, "n": 1.5}, "n"),
])
def test_j2_params_validate(kwargs, field):
    with pytest.raises(InputError, match=f"J2Params.{field} = "):
        L.J2Params(E=1e9, nu=0.3, **kwargs)


@pytest.mark.parametrize("kwargs, field", [
    ({"A": 0.0, "n": 5.0}, "A"), ({"A": 1e-30, "n": 0.5}, "n"),
    ({"A": 1e-30, "n": 5.0, "Q": -1.0}, "Q"), ({"A": 1e-30, "n": 5.0, "T": 0.0}, "T")])
def test_norton_params_validate(kwargs, field):
    with pytest.raises(InputError, match=f"NortonParams.{field} = "):
        L.NortonParams(**kwargs)


def test_norton_from_mpa_units_and_arrhenius():
    c = L.NortonParams.from_mpa(9.242e-3, 6.56)
    assert_allclose(c.strain_rate(1e6), 9.242e-3, rtol=1e-13)
    assert_allclose(c.strain_rate(0.2e6), 9.242e-3 * 0.2**6.56, rtol=1e-13)
    # literature value at T_ref, evaluated at another temperature with Q
    Q = 37e3
    hot = L.NortonParams.from_mpa(9.242e-3, 6.56, Q=Q, T=333.15, T_ref=298.15)
    ref = L.NortonParams.from_mpa(9.242e-3, 6.56, Q=Q, T=298.15)
    assert_allclose(ref.strain_rate(1e6), 9.242e-3, rtol=1e-12)
    ratio = math.exp(-Q / GAS_CONSTANT * (1 / 333.15 - 1 / 298.15))
    assert_allclose(hot.strain_rate(1e6) / ref.strain_rate(1e6), ratio, rtol=1e-12)


def test_swift_hardening_starts_at_sigma_y():
    j = j2_sets()["swift"]
    assert_allclose(j.yield_stress(0.0), j.sigma_y, rtol=1e-14)
    p = np.array([1e-3, 1e-2, 0.1])
    assert_allclose(j.yield_stress(p), 600e6 * (j.eps0 + p) ** 0.2)


# ------------------------------------------------------------------------------------------------
# Taylor tests of the consistent tangents
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ncomp", [4, 6])
def test_taylor_elastic_regime_is_exact(ncomp):
    """Elastic regime: the map is linear, so the Taylor remainder is round-off, not O(h²)."""
    rng = np.random.default_rng(1)
    for law in (lambda de, st: L.elastic(de, st, L.ElasticParams(7.82e9, 0.381)),
                lambda de, st: L.j2_return_map(de, st, j2_sets()["perfect"])):
        scale = 0.3 * LI["sigma_y"] / LI["E"]  # well inside the yield surface
        deps = random_deps(rng, 20, ncomp, scale)
        d = rng.standard_normal((20, ncomp))
        hs = scale * np.logspace(-2, -5, 7)
        base, errs = taylor_errors(law, deps, L.initial_state(20, ncomp), d, hs)
        lin = hs[:, None] * np.linalg.norm(np.einsum("nij,nj->ni", base.tangent, d), axis=1)
        assert np.all(errs <= 1e-8 * lin)
        assert np.all(base.state.p == 0)


@pytest.mark.parametrize("ncomp", [4, 6])
@pytest.mark.parametrize("name", ["perfect", "linear", "swift"])
def test_taylor_j2_plastic(ncomp, name):
    rng = np.random.default_rng(2)
    j = j2_sets()[name]
    def law(de, st):
        return L.j2_return_map(de, st, j)
    eps_y = j.sigma_y / j.E
    st = preloaded_state(law, ncomp, rng, 20, 5 * eps_y)
    deps = random_deps(rng, 20, ncomp, 10 * eps_y)
    assert np.all(law(deps, st).state.p > st.p)  # plastic loading at every point
    assert_second_order(law, deps, st, rng, 10 * eps_y)


@pytest.mark.parametrize("ncomp", [4, 6])
@pytest.mark.parametrize("dt", [1e-2, 1.0, 1e3])
def test_taylor_norton_creep(ncomp, dt):
    rng = np.random.default_rng(3)
    params = L.ElasticCreepParams(L.ElasticParams(7.82e9, 0.381), creep_li())
    def law(de, st):
        return L.norton_creep(de, dt, st, params)
    scale = 1e-3  # q_tr ~ 5 MPa: strong creep at every dt here
    st = preloaded_state(law, ncomp, rng, 20, scale)
    deps = random_deps(rng, 20, ncomp, scale)
    res = law(deps, st)
    q_tr = L.von_mises(L.elastic(deps, L.LawState(st.eps, st.eps_p, st.p, st.p_creep),
                                 params.elastic).stress)
    assert np.all(L.von_mises(res.stress) < q_tr)
    assert_second_order(law, deps, st, rng, scale)


@pytest.mark.parametrize("ncomp", [4, 6])
@pytest.mark.parametrize("name, dt, scale, branch", [
    ("perfect", 1.0, 0.6 * 0.81e6 / 7.82e9, "creep"),   # below yield: viscous branch
    ("perfect", 1e-3, 20 * 0.81e6 / 7.82e9, "plastic"),  # fast loading: plastic branch
    ("linear", 1e-3, 10 * 250e6 / 200e9, "plastic"),
    ("swift", 1e-3, 10 * 250e6 / 200e9, "plastic"),
])
def test_taylor_elastoplastic_creep(ncomp, name, dt, scale, branch):
    rng = np.random.default_rng(4)
    j = j2_sets()[name]
    creep = creep_li() if name == "perfect" else L.NortonParams(A=1e-60, n=6.0)
    params = L.ElastoplasticCreepParams(j, creep)
    def law(de, st):
        return L.elastoplastic_creep(de, dt, st, params)
    st = L.initial_state(20, ncomp)
    if branch == "plastic":
        st = preloaded_state(law, ncomp, rng, 20, scale)
    deps = random_deps(rng, 20, ncomp, scale)
    res = law(deps, st)
    assert np.all(res.state.p_creep > st.p_creep)
    if branch == "plastic":
        assert np.all(res.state.p > st.p)
    else:
        assert np.all(res.state.p == st.p)
    assert_second_order(law, deps, st, rng, scale)


# ------------------------------------------------------------------------------------------------
# return-map properties
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ncomp", [4, 6])
def test_perfectly_plastic_uniaxial_stress_reaches_sigma_y(ncomp):
    j = j2_sets()["perfect"]
    def law(de, st):
        return L.j2_return_map(de, st, j)
    mask = np.zeros(ncomp, bool)
    mask[0] = True  # ε_xx prescribed, every other stress component zero
    st = L.initial_state(1, ncomp)
    eps_y = j.sigma_y / j.E
    history = []
    for e in np.linspace(0, 5 * eps_y, 11)[1:]:
        target = np.zeros((1, ncomp))
        target[0, 0] = e
        res = L.mixed_control_step(law, st, target, mask).result
        st = res.state
        history.append(res.stress[0, 0])
    assert_allclose(history[0], 0.5 * j.sigma_y, rtol=1e-10)  # elastic: E·ε
    assert_allclose(history[-4:], j.sigma_y, rtol=1e-10)
    assert_allclose(res.stress[0, 1:], 0.0, atol=1e-9 * j.sigma_y)


@pytest.mark.parametrize("ncomp", [4, 6])
@pytest.mark.parametrize("name", ["perfect", "linear", "swift"])
def test_j2_on_yield_surface_and_incompressible(ncomp, name):
    rng = np.random.default_rng(5)
    j = j2_sets()[name]
    st = L.initial_state(50, ncomp)
    eps_y = j.sigma_y / j.E
    for _ in range(3):
        res = L.j2_return_map(random_deps(rng, 50, ncomp, 8 * eps_y), st, j)
        st = res.state
    assert np.all(st.p > 0)
    assert_allclose(L.von_mises(res.stress), j.yield_stress(st.p), rtol=1e-12)
    assert np.all(np.abs(st.eps_p[:, :3].sum(1)) <= 1e-15 * np.abs(st.eps_p).max())


@pytest.mark.parametrize("ncomp", [4, 6])
def test_elastoplastic_creep_plastic_branch_on_yield_surface(ncomp):
    rng = np.random.default_rng(6)
    j = j2_sets()["linear"]
    params = L.ElastoplasticCreepParams(j, L.NortonParams(A=1e-60, n=6.0))
    st = L.initial_state(30, ncomp)
    res = L.elastoplastic_creep(random_deps(rng, 30, ncomp, 0.02), 1.0, st, params)
    assert np.all(res.state.p > 0) and np.all(res.state.p_creep > 0)
    assert_allclose(L.von_mises(res.stress), j.yield_stress(res.state.p), rtol=1e-12)
    # creep increment is backward Euler at the returned stress
    assert_allclose(res.state.p_creep, params.creep.strain_rate(L.von_mises(res.stress)) * 1.0,
                    rtol=1e-12)
    assert np.all(np.abs(res.state.eps_p[:, :3].sum(1)) <= 1e-15 * np.abs(res.state.eps_p).max())


@pytest.mark.parametrize("ncomp", [4, 6])
def test_elastic_unloading_after_plastic_loading(ncomp):
    rng = np.random.default_rng(7)
    j = j2_sets()["linear"]
    st0 = L.initial_state(10, ncomp)
    eps_y = j.sigma_y / j.E
    deps = random_deps(rng, 10, ncomp, 5 * eps_y, vol=0.0)
    load = L.j2_return_map(deps, st0, j)
    assert np.all(load.state.p > 0)
    # reverse a fifth of the increment: Δq ≈ 0.94 σ_y, inside the elastic range 2σ_y
    back = -0.2 * deps
    unload = L.j2_return_map(back, load.state, j)
    C = L.elastic_stiffness(j.E, j.nu, ncomp)
    assert_allclose(unload.stress - load.stress, back @ C.T, rtol=1e-10, atol=1e-6)
    assert_allclose(unload.state.p, load.state.p, rtol=0, atol=0)
    assert_allclose(unload.tangent, np.broadcast_to(C, unload.tangent.shape), rtol=1e-12)


def test_plane_strain_equals_3d_embedding():
    rng = np.random.default_rng(8)
    j = j2_sets()["swift"]
    params = L.ElastoplasticCreepParams(j, L.NortonParams(A=1e-60, n=6.0))
    d4 = random_deps(rng, 15, 4, 0.01)
    d6 = np.zeros((15, 6))
    d6[:, [0, 1, 2, 5]] = d4
    r4 = L.elastoplastic_creep(d4, 1.0, L.initial_state(15, 4), params)
    r6 = L.elastoplastic_creep(d6, 1.0, L.initial_state(15, 6), params)
    idx = [0, 1, 2, 5]
    assert_allclose(r6.stress[:, idx], r4.stress, rtol=1e-13, atol=1e-13 * np.abs(r4.stress).max())
    assert_allclose(r6.tangent[:, idx][:, :, idx], r4.tangent, rtol=1e-12, atol=1e-3)
    assert_allclose(r6.state.p, r4.state.p, rtol=1e-13)


def test_combined_law_limits():
    rng = np.random.default_rng(9)
    j = j2_sets()["linear"]
    deps = random_deps(rng, 20, 6, 0.01)
    st = L.initial_state(20, 6)
    creep = L.NortonParams(A=1e-60, n=6.0)
    # dt = 0: rate-independent J2
    a = L.elastoplastic_creep(deps, 0.0, st, L.ElastoplasticCreepParams(j, creep))
    b = L.j2_return_map(deps, st, j)
    assert_allclose(a.stress, b.stress, rtol=1e-14)
    assert_allclose(a.tangent, b.tangent, rtol=1e-14)
    # yield stress far away: Norton creep
    big = L.J2Params(E=j.E, nu=j.nu, sigma_y=1e15)
    c = L.elastoplastic_creep(deps, 10.0, st, L.ElastoplasticCreepParams(big, creep))
    d = L.norton_creep(deps, 10.0, st, L.ElasticCreepParams(L.ElasticParams(j.E, j.nu), creep))
    assert_allclose(c.stress, d.stress, rtol=1e-14)
    assert_allclose(c.tangent, d.tangent, rtol=1e-14)
    assert np.all(c.state.p == 0)


@pytest.mark.parametrize("ncomp", [4, 6])
def test_norton_uniaxial_creep_rate(ncomp):
    """Constant uniaxial stress: backward Euler gives the Norton rate exactly, ε̇_lat = −ε̇_ax/2."""
    creep = creep_li()
    params = L.ElasticCreepParams(L.ElasticParams(7.82e9, 0.381), creep)
    sigma, dt = 0.4e6, 50.0
    def law(de, st):
        return L.norton_creep(de, dt, st, params)
    st = L.initial_state(1, ncomp)
    target = np.zeros((1, ncomp))
    target[0, 0] = sigma
    eps = []
    for _ in range(4):
        st = L.mixed_control_step(law, st, target, np.zeros(ncomp, bool)).result.state
        eps.append(st.eps[0].copy())
    rate = (eps[-1] - eps[1]) / (2 * dt)
    assert_allclose(rate[0], creep.strain_rate(sigma), rtol=1e-9)
    assert_allclose(rate[1:3], -0.5 * rate[0], rtol=1e-9)


def test_mixed_control_reports_failure():
    def law(de, st):
        return L.j2_return_map(de, st, j2_sets()["perfect"])
    target = np.zeros((1, 6))
    target[0, 0] = 2 * LI["sigma_y"]  # above the perfectly plastic limit: no solution
    with pytest.raises(SolveError, match="mixed-control"):
        L.mixed_control_step(law, L.initial_state(1, 6), target, np.zeros(6, bool), max_iter=8)


def test_bad_shapes_and_dt():
    st = L.initial_state(3, 6)
    with pytest.raises(ValueError, match="deps shape"):
        L.elastic(np.zeros((3, 5)), st, L.ElasticParams(1e9, 0.3))
    with pytest.raises(ValueError, match="state shapes"):
        L.elastic(np.zeros((2, 6)), st, L.ElasticParams(1e9, 0.3))
    with pytest.raises(ValueError, match="dt = "):
        L.norton_creep(np.zeros((3, 6)), -1.0, st,
                       L.ElasticCreepParams(L.ElasticParams(1e9, 0.3), creep_li()))


# ------------------------------------------------------------------------------------------------
# numba kernel against the NumPy/SciPy reference
# ------------------------------------------------------------------------------------------------


def _compare(res, ref):
    sig, C, st = ref
    smax = np.abs(sig).max()
    assert_allclose(res.stress, sig, rtol=1e-12, atol=1e-12 * smax)
    assert_allclose(res.tangent, C, rtol=1e-12, atol=1e-12 * np.abs(C).max())
    assert_allclose(res.state.eps_p, st.eps_p, rtol=1e-12, atol=1e-12 * np.abs(st.eps_p).max())
    assert_allclose(res.state.p, st.p, rtol=1e-12, atol=1e-300)
    assert_allclose(res.state.p_creep, st.p_creep, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("ncomp", [4, 6])
@pytest.mark.parametrize("name", ["perfect", "linear", "swift"])
def test_kernel_matches_reference_j2(ncomp, name):
    rng = np.random.default_rng(10)
    j = j2_sets()[name]
    eps_y = j.sigma_y / j.E
    st0 = L.initial_state(12, ncomp)
    st = L.j2_return_map(random_deps(rng, 12, ncomp, 4 * eps_y), st0, j).state
    deps = random_deps(rng, 12, ncomp, 4 * eps_y)
    deps[::2] *= 0.05  # mix of elastic (unloading) and plastic points
    res = L.j2_return_map(deps, st, j)
    plastic = res.state.p > st.p
    assert plastic.any() and not plastic.all()
    _compare(res, reference_law(deps, st, j.E, j.nu, yield_fn_of(j)))


@pytest.mark.parametrize("ncomp", [4, 6])
@pytest.mark.parametrize("dt", [1e-3, 1.0, 1e4])
def test_kernel_matches_reference_norton(ncomp, dt):
    rng = np.random.default_rng(11)
    c = creep_li()
    params = L.ElasticCreepParams(L.ElasticParams(7.82e9, 0.381), c)
    st = L.initial_state(12, ncomp)
    deps = random_deps(rng, 12, ncomp, 3e-4)
    res = L.norton_creep(deps, dt, st, params)
    _compare(res, reference_law(deps, st, 7.82e9, 0.381, None, c.rate_coefficient * dt, c.n))


@pytest.mark.parametrize("ncomp", [4, 6])
@pytest.mark.parametrize("name, A, dt", [("perfect", None, 1e-3), ("perfect", None, 10.0),
                                         ("linear", 1e-60, 1.0), ("swift", 1e-60, 1.0)])
def test_kernel_matches_reference_combined(ncomp, name, A, dt):
    rng = np.random.default_rng(12)
    j = j2_sets()[name]
    c = creep_li() if A is None else L.NortonParams(A=A, n=6.0)
    params = L.ElastoplasticCreepParams(j, c)
    eps_y = j.sigma_y / j.E
    deps = random_deps(rng, 16, ncomp, 6 * eps_y)
    st = L.initial_state(16, ncomp)
    res = L.elastoplastic_creep(deps, dt, st, params)
    _compare(res, reference_law(deps, st, j.E, j.nu, yield_fn_of(j), c.rate_coefficient * dt, c.n))


@pytest.mark.parametrize("ncomp", [4, 6])
@pytest.mark.parametrize("name", ["perfect", "linear", "swift", "cmsg", "creep", "ep-creep",
                                  "ep-creep-plastic"])
def test_consistent_tangents_are_symmetric(ncomp, name):
    """Every law's consistent tangent is symmetric (radial return: C = a I_vol + b I_dev + c n⊗n):
    the active-set Newton factorises its Jacobian with LDLᵀ (solver.fem.petsc.CONTACT_AS_DIRECT).
    States on the branch each law is meant for (plastic, creeping), as in the Taylor tests."""
    rng = np.random.default_rng(11)
    eta = np.abs(rng.normal(size=20)) * 1e4  # CMSG gradients of 1e4 1/m
    j = j2_sets().get(name, j2_sets()["perfect"])
    cmsg = L.J2Params(**LI, intrinsic_length=3.4e-3)
    laws = {
        "cmsg": lambda de, st: L.j2_return_map(de, st, cmsg, eta),
        "creep": lambda de, st: L.norton_creep(
            de, 1.0, st, L.ElasticCreepParams(L.ElasticParams(7.82e9, 0.381), creep_li())),
        "ep-creep": lambda de, st: L.elastoplastic_creep(
            de, 1.0, st, L.ElastoplasticCreepParams(cmsg, creep_li()), eta),
        "ep-creep-plastic": lambda de, st: L.elastoplastic_creep(
            de, 1e-3, st, L.ElastoplasticCreepParams(j, creep_li()), None),
    }
    law = laws.get(name, lambda de, st: L.j2_return_map(de, st, j))
    scale = 20 * j.sigma_y / j.E if name not in ("creep", "ep-creep") else 1e-3
    st = preloaded_state(law, ncomp, rng, 20, scale)
    deps = random_deps(rng, 20, ncomp, scale)
    res = law(deps, st)
    moved = res.state.p_creep > st.p_creep if name in ("creep", "ep-creep") else res.state.p > st.p
    assert np.all(moved)  # every point on its inelastic branch
    C = res.tangent
    assert np.max(np.abs(C - np.swapaxes(C, 1, 2))) <= 1e-12 * np.max(np.abs(C))
