"""The constitutive laws: one numba return map on quadrature-point arrays (no mesh, no DOLFINx).

Every constitutive law has the shape
``law(Δε, [dt,] state, params) -> LawResult(σ, tangent, state)`` on arrays of independent material
points:

* strains and stresses in **Mandel notation** (:mod:`solver.physics.tensors`), shape
  ``(n_points, ncomp)``, ``ncomp = 4`` in plane strain and 6 in 3D. In plane strain the caller
  passes ``Δε_zz = 0``; σ_zz and the inelastic ε^p_zz follow from the law.
* ``tangent`` is the consistent (algorithmic) tangent ``dσ_{n+1}/dΔε``, shape
  ``(n_points, ncomp, ncomp)``, symmetric for every law here.
* ``state`` is a :class:`~solver.physics.law_params.LawState` (total strain and internal
  variables; the stress is recomputed from them).

All laws share one numba kernel (:func:`_return_map_kernel`: ``prange`` over points,
``cache=True``), a radial return in which the law enters through one scalar equation for the
equivalent stress ``q`` (von Mises, ``q = √(3/2)‖s‖``):

* elastic: ``q = q_tr``;
* J2 plasticity (:func:`j2_return_map`): ``q_tr − 3GΔγ − σ_y(p_n+Δγ) = 0`` if ``q_tr > σ_y(p_n)``
  (closed form for linear hardening, safeguarded scalar Newton for the Swift law);
* Norton creep (:func:`norton_creep`, implicit backward Euler):
  ``q + 3G·Δt·a·qⁿ = q_tr``, ``a = A exp(−Q/(R T))`` (solved for ``ln(q/q_tr)``, which makes the
  Newton iteration robust for any Δt);
* creep + rate-independent plasticity (:func:`elastoplastic_creep`), see that function.

The flow direction is the J2 normal ``N = s_tr/‖s_tr‖`` for every mechanism, so
``Δε^p = √(3/2) Δγ N`` is deviatoric (plastic incompressibility) and the consistent tangent has the
closed form ``C = K m⊗m + 2Gθ (P_dev − N⊗N) + 2Gβ N⊗N`` with ``θ = q/q_tr`` and
``β = dq/dq_tr`` from the scalar equation.

:func:`mixed_control_step` drives material points with some strain and some stress components
prescribed.

Units are SI throughout: Pa, s, K, J/mol.

Threads: the kernel runs on numba's thread pool; under MPI lamina gives each rank its share of
the node's cores (:func:`solver.fem.backend.share_cores`, unless ``NUMBA_NUM_THREADS`` is set);
point ``NUMBA_CACHE_DIR`` at a job-local directory.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from solver.checks import is_finite_real
from solver.errors import SolveError
from solver.physics.law_params import (
    _LINEAR,
    _NO_YIELD,
    ElasticCreepParams,
    ElasticParams,
    ElastoplasticCreepParams,
    J2Params,
    LawResult,
    LawState,
)
from solver.physics.tensors import bulk_shear_moduli

_SQ32 = math.sqrt(1.5)


# ----------------------------------------------------------------------------------------------
# numba kernel: radial return shared by every law
# ----------------------------------------------------------------------------------------------


@njit(cache=True)
def _yield(kind, p, hp, g):
    """Flow stress and its slope at ``p``; hp = [σ_y0, H, K, n, ε₀], ``g = σ_y0² ℓ η`` (Pa²).

    ``σ_f = √(σ_y(p)² + g)`` (CMSG), ``dσ_f/dp = σ_y σ_y'/σ_f``; ``g = 0`` returns ``σ_y(p)``
    itself (J2, bit for bit).
    """
    if kind == _LINEAR:
        s = hp[0] + hp[1] * p
        ds = hp[1]
    else:
        s = hp[2] * (hp[4] + p) ** hp[3]
        ds = hp[3] * s / (hp[4] + p)
    if g > 0.0:
        f = math.sqrt(s * s + g)
        return f, s * ds / f
    return s, ds


@njit(cache=True)
def _creep_log_ratio(logc, n):
    """Solve ``x + c xⁿ = 1`` for ``y = ln x``.

    Newton on the convex, increasing ``F(y) = y + softplus(ln c + (n−1)y)``.

    Started right of the root where the function is positive, Newton decreases monotonically and
    converges quadratically; the function has slopes between 1 and n, so few steps are needed.
    """
    y = min(0.0, -logc / n)
    for _ in range(200):
        z = logc + (n - 1.0) * y
        if z > 0.0:
            ez = math.exp(-z)
            sp = z + math.log1p(ez)
            w = 1.0 / (1.0 + ez)
        else:
            ez = math.exp(z)
            sp = math.log1p(ez)
            w = ez / (1.0 + ez)
        f = y + sp
        dy = f / (1.0 + (n - 1.0) * w)
        y -= dy
        if abs(dy) <= 1e-16 * max(1.0, abs(y)):
            break
    return y


@njit(cache=True)
def _plastic_multiplier(q_tr, p_n, g3, kind, hp, a_dt, nc, g):
    """Solve ``q_tr − 3GΔγ_p − 3G·a·Δt·σ_y(p_n+Δγ_p)ⁿ − σ_y(p_n+Δγ_p) = 0`` for ``Δγ_p ≥ 0``.

    The residual decreases monotonically; the root lies in ``[0, (q_tr − σ_y(p_n))/3G]``.
    Newton with bisection safeguard.
    """
    sy, _ = _yield(kind, p_n, hp, g)
    lo = 0.0
    hi = (q_tr - sy) / g3
    scale = hi
    x = 0.0
    for _ in range(200):
        sy, hpr = _yield(kind, p_n + x, hp, g)
        r = q_tr - g3 * x - sy
        dr = -g3 - hpr
        if a_dt > 0.0:
            cr = a_dt * sy**nc
            r -= g3 * cr
            dr -= g3 * a_dt * nc * sy ** (nc - 1.0) * hpr
        if r > 0.0:
            lo = x
        else:
            hi = x
        xn = x - r / dr
        if not (lo <= xn <= hi):
            xn = 0.5 * (lo + hi)
        dx = xn - x
        x = xn
        if abs(dx) <= 1e-16 * scale or hi - lo <= 1e-16 * scale:
            break
    return x


@njit(cache=True)
def _scalar_return(q_tr, p_n, g3, kind, hp, a_dt, nc, g):
    """Equivalent stress after the return and the inelastic multipliers.

    Returns ``(q, Δγ_p, Δγ_c, β)`` with ``β = dq/dq_tr``.
    """
    if q_tr <= 0.0:
        return q_tr, 0.0, 0.0, 1.0
    # creep-only predictor (elastic if there is no creep)
    q = q_tr
    dgc = 0.0
    beta = 1.0
    y = 0.0
    if a_dt > 0.0:
        logc = math.log(g3 * a_dt) + (nc - 1.0) * math.log(q_tr)
        y = _creep_log_ratio(logc, nc)
        x = math.exp(y)
        one_minus_x = -math.expm1(y)
        q = x * q_tr
        dgc = q_tr / g3 * math.exp(logc + nc * y)
        beta = x / (x + nc * one_minus_x)
    if kind != _NO_YIELD:
        sy, _ = _yield(kind, p_n, hp, g)
        if q > sy:
            dgp = _plastic_multiplier(q_tr, p_n, g3, kind, hp, a_dt, nc, g)
            q, hpr = _yield(kind, p_n + dgp, hp, g)
            dgc = 0.0
            cr = 0.0
            if a_dt > 0.0:
                dgc = a_dt * q**nc
                cr = g3 * a_dt * nc * q ** (nc - 1.0)
            beta = hpr / (g3 + hpr * (1.0 + cr))
            return q, dgp, dgc, beta
    return q, 0.0, dgc, beta


@njit(parallel=True, cache=True)
def _return_map_kernel(eps, eps_p, p, p_creep, K, G, kind, hp, a_dt, nc, gnd,
                       sig, C, eps_p_new, p_new, p_creep_new):
    """Radial return at every point (``prange``): writes σ (Pa), the consistent tangent (Pa) and
    the new internal variables into ``sig``, ``C``, ``eps_p_new``, ``p_new``, ``p_creep_new``.

    ``gnd[i] = σ_y0² ℓ η_i`` (Pa²) raises the flow stress to ``σ_f = √(σ_y² + gnd)`` and, with
    creep, the creep drag stress by the same factor: ``a_i = a (σ_y(p_n)/σ_f(p_n))ⁿ`` (the CMSG
    viscoplastic form ``ε̇ ∝ (q/σ_f)ⁿ``), both frozen over the step.
    """
    n, m = eps.shape
    g3 = 3.0 * G
    for i in prange(n):
        gi = gnd[i]
        a_i = a_dt
        if gi > 0.0 and a_dt > 0.0 and kind != _NO_YIELD:
            s0, _ = _yield(kind, p[i], hp, 0.0)
            sf, _ = _yield(kind, p[i], hp, gi)
            a_i = a_dt * (s0 / sf) ** nc
        N = np.empty(m)
        tr = 0.0
        for k in range(3):
            tr += eps[i, k] - eps_p[i, k]
        norm2 = 0.0
        for k in range(m):
            e = eps[i, k] - eps_p[i, k]
            if k < 3:
                e -= tr / 3.0
            N[k] = 2.0 * G * e
            norm2 += N[k] * N[k]
        norm = math.sqrt(norm2)
        q_tr = _SQ32 * norm
        q, dgp, dgc, beta = _scalar_return(q_tr, p[i], g3, kind, hp, a_i, nc, gi)
        dg = dgp + dgc
        if norm > 0.0:
            for k in range(m):
                N[k] /= norm
        else:
            for k in range(m):
                N[k] = 0.0
        theta = q / q_tr if q_tr > 0.0 else 1.0
        for k in range(m):
            eps_p_new[i, k] = eps_p[i, k] + _SQ32 * dg * N[k]
        p_new[i] = p[i] + dgp
        p_creep_new[i] = p_creep[i] + dgc
        # stress = C:(eps - eps_p_new)
        tre = 0.0
        for k in range(3):
            tre += eps[i, k] - eps_p_new[i, k]
        for k in range(m):
            e = eps[i, k] - eps_p_new[i, k]
            if k < 3:
                e -= tre / 3.0
                sig[i, k] = K * tre + 2.0 * G * e
            else:
                sig[i, k] = 2.0 * G * e
        # consistent tangent K m⊗m + 2Gθ(P_dev − N⊗N) + 2Gβ N⊗N
        for a in range(m):
            for b in range(m):
                mm = 1.0 if (a < 3 and b < 3) else 0.0
                idab = 1.0 if a == b else 0.0
                nn = N[a] * N[b]
                C[i, a, b] = (K * mm + 2.0 * G * theta * (idab - mm / 3.0 - nn)
                              + 2.0 * G * beta * nn)


def _run(deps, state: LawState, E, nu, kind, hp, a_dt, nc, gnd=None) -> LawResult:
    """Check the shapes, run the kernel on ``state.eps + deps`` and pack the result.

    ``E`` in Pa; ``kind``/``hp`` the hardening code and parameters of
    :meth:`~solver.physics.law_params.J2Params._kernel_args`; ``a_dt`` the creep rate coefficient
    times the step (Pa⁻ⁿ, 0: no creep), ``nc`` the creep exponent; ``gnd`` the per-point CMSG term
    ``σ_y0² ℓ η`` (Pa², ``None``: zero).
    """
    deps = np.ascontiguousarray(deps, dtype=float)
    if deps.ndim != 2 or deps.shape[1] not in (4, 6):
        raise ValueError(f"deps shape {deps.shape}: allowed (n, 4) or (n, 6)")
    n, m = deps.shape
    if state.eps.shape != (n, m) or state.eps_p.shape != (n, m) or state.p.shape != (n,) \
            or state.p_creep.shape != (n,):
        raise ValueError(f"state shapes do not match deps shape {deps.shape}")
    K, G = bulk_shear_moduli(E, nu)
    eps = state.eps + deps
    sig = np.empty((n, m))
    C = np.empty((n, m, m))
    eps_p_new = np.empty((n, m))
    p_new = np.empty(n)
    pc_new = np.empty(n)
    if gnd is None:
        gnd = np.zeros(n)
    else:
        gnd = np.ascontiguousarray(np.broadcast_to(gnd, (n,)), dtype=float)
    _return_map_kernel(eps, np.ascontiguousarray(state.eps_p, dtype=float),
                       np.ascontiguousarray(state.p, dtype=float),
                       np.ascontiguousarray(state.p_creep, dtype=float), float(K), float(G),
                       kind, hp, float(a_dt), float(nc), gnd, sig, C, eps_p_new, p_new, pc_new)
    return LawResult(sig, C, LawState(eps, eps_p_new, p_new, pc_new))


def _check_dt(dt) -> float:
    """``dt`` (s) as a float; ValueError unless finite and >= 0."""
    if not (is_finite_real(dt) and dt >= 0):
        raise ValueError(f"dt = {dt!r}: allowed 0 <= dt < inf (s)")
    return float(dt)


_NO_HP = np.zeros(5)


# ----------------------------------------------------------------------------------------------
# Constitutive laws
# ----------------------------------------------------------------------------------------------


def elastic(deps: np.ndarray, state: LawState, params: ElasticParams) -> LawResult:
    """Isotropic linear elasticity; ``eps_p`` (if any) is kept frozen."""
    return _run(deps, state, params.E, params.nu, _NO_YIELD, _NO_HP, 0.0, 1.0)


def _gnd(params: J2Params, eta):
    """Per-point ``σ_y0² ℓ η`` (Pa²) or ``None`` when there is no size effect."""
    if eta is None or params.intrinsic_length == 0.0:
        return None
    eta = np.asarray(eta, dtype=float)
    if not (np.all(np.isfinite(eta)) and np.all(eta >= 0)):
        raise ValueError("eta: allowed finite values >= 0 (1/m)")
    return params.gnd_term(eta)


def j2_return_map(deps: np.ndarray, state: LawState, params: J2Params,
                  eta: np.ndarray | None = None) -> LawResult:
    """Rate-independent J2 plasticity with isotropic hardening: radial return, consistent tangent.

    Trial ``q_tr``; if ``q_tr > σ_f(p_n)``: ``q = σ_f(p_n+Δγ) = q_tr − 3GΔγ`` (scalar Newton for
    the Swift law, one step for linear hardening), ``β = σ_f'/(3G + σ_f')``.

    ``eta``: effective plastic-strain gradient per point (1/m, ``(n,)``, fixed over the step) for
    the CMSG flow stress ``σ_f = √(σ_y(p)² + σ_y0² ℓ η)`` (``params.intrinsic_length = ℓ``); ``None``
    or ``ℓ = 0``: J2 with ``σ_f = σ_y``.
    """
    kind, hp = params._kernel_args()
    return _run(deps, state, params.E, params.nu, kind, hp, 0.0, 1.0, _gnd(params, eta))


def norton_creep(deps: np.ndarray, dt: float, state: LawState,
                 params: ElasticCreepParams) -> LawResult:
    """Norton creep, implicit backward Euler over ``dt``: ``q + 3G Δt a qⁿ = q_tr``.

    ``Δε^c = Δt·a·qⁿ·(3/2) s/q`` evaluated at the end of the step (unconditionally stable),
    ``β = 1/(1 + 3G Δt a n qⁿ⁻¹)``. ``dt = 0`` gives the elastic response.
    """
    dt = _check_dt(dt)
    e, c = params.elastic, params.creep
    return _run(deps, state, e.E, e.nu, _NO_YIELD, _NO_HP, c.rate_coefficient * dt, c.n)


def elastoplastic_creep(deps: np.ndarray, dt: float, state: LawState,
                        params: ElastoplasticCreepParams,
                        eta: np.ndarray | None = None) -> LawResult:
    """Norton creep plus rate-independent J2 plasticity, for press-and-hold.

    Model: ``ε = ε_e + ε^c + ε^p`` with ``ε̇^c = a qⁿ (3/2) s/q`` (always active) and
    ``ε̇^p = λ̇ (3/2) s/q`` subject to ``q ≤ σ_y(p)``, ``λ̇ ≥ 0``, ``λ̇ (q − σ_y(p)) = 0``,
    ``ṗ = λ̇``. Only ``ε^p`` hardens (creep strain goes into ``p_creep``, not ``p``), as in the
    separate creep and plasticity mechanisms of commercial codes. Both flows are J2-directed, so the
    backward-Euler step is a radial return with ``q = q_tr − 3G(Δγ_c + Δγ_p)``, ``Δγ_c = Δt a qⁿ``:

    1. creep-only predictor: solve ``q + 3G Δt a qⁿ = q_tr``; if ``q ≤ σ_y(p_n)`` the step is
       viscous (``Δγ_p = 0``) — this is always the case below yield, e.g. during a hold at low
       stack pressure;
    2. otherwise ``q = σ_y(p_n + Δγ_p)`` and one scalar equation for the plastic multiplier,
       ``q_tr − 3GΔγ_p − 3G Δt a σ_y(p_n+Δγ_p)ⁿ − σ_y(p_n+Δγ_p) = 0``, has a unique root in
       ``(0, (q_tr − σ_y(p_n))/3G]`` (the residual is positive at 0 because step 1 overshot the
       yield surface, and decreasing). ``β = H'/(3G + H'(1 + 3G Δt a n qⁿ⁻¹))``.

    The two branches are complementary (KKT), so the map is continuous. ``dt = 0`` gives
    :func:`j2_return_map`; ``σ_y → ∞`` gives :func:`norton_creep`.

    Size effect (``eta``, ``params.plastic.intrinsic_length``, see :func:`j2_return_map`): the
    geometrically necessary dislocations that raise the flow stress to ``σ_f`` also raise the
    creep drag stress by the same factor, ``ε̇^c = a (q σ_y(p_n)/σ_f(p_n))ⁿ`` — CMSG's own
    viscoplastic flow rule is ``ε̇^p ∝ (q/σ_f)^m`` (Huang et al. 2004). Without it, a strength
    raised tenfold would creep at ``10ⁿ`` (≈ 10⁶·⁶) times the bulk rate at its own yield stress;
    with it, a point at its flow stress creeps as bulk lithium does at the bulk yield stress.
    """
    dt = _check_dt(dt)
    j, c = params.plastic, params.creep
    kind, hp = j._kernel_args()
    return _run(deps, state, j.E, j.nu, kind, hp, c.rate_coefficient * dt, c.n, _gnd(j, eta))


# ----------------------------------------------------------------------------------------------
# Material-point driver
# ----------------------------------------------------------------------------------------------


class MixedControlResult(NamedTuple):
    """Converged step of :func:`mixed_control_step`."""

    result: LawResult
    iterations: int


def mixed_control_step(law: Callable[[np.ndarray, LawState], LawResult], state: LawState,
                       target: np.ndarray, strain_controlled, *, rtol: float = 1e-10,
                       max_iter: int = 30) -> MixedControlResult:
    """One step at material points with some strain and some stress components prescribed.

    Newton on the free (stress-controlled) strain components with the consistent tangent.

    Args:
        law: ``law(deps, state) -> LawResult`` (bind params and dt, e.g. with a lambda).
        state: state at the start of the step.
        target: ``(n, ncomp)``; total strain for strain-controlled components, stress (Pa) for the
            others.
        strain_controlled: boolean mask ``(ncomp,)``.
        rtol: convergence when ``max |σ_free − target_free| ≤ rtol · max(|σ|, |target_free|)``.
        max_iter: iterations before :class:`SolveError`.
    """
    target = np.asarray(target, dtype=float)
    mask = np.asarray(strain_controlled, dtype=bool)
    free = np.flatnonzero(~mask)
    deps = np.zeros_like(state.eps)
    deps[:, mask] = target[:, mask] - state.eps[:, mask]
    res = law(deps, state)
    for it in range(max_iter + 1):
        if free.size == 0:
            return MixedControlResult(res, it)
        R = res.stress[:, free] - target[:, free]
        scale = max(np.abs(res.stress).max(), np.abs(target[:, free]).max(), 1e-300)
        if np.abs(R).max() <= rtol * scale:
            return MixedControlResult(res, it)
        if it == max_iter:
            break
        J = res.tangent[:, free][:, :, free]
        try:
            deps[:, free] -= np.linalg.solve(J, R[..., None])[..., 0]
        except np.linalg.LinAlgError:
            raise SolveError("mixed-control material-point step: singular tangent (stress "
                             "target beyond a perfectly plastic limit?)") from None
        res = law(deps, state)
    raise SolveError(f"mixed-control material-point step: no convergence in {max_iter} iterations "
                     f"(residual {np.abs(R).max():.3e} Pa)")
