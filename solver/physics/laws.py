"""Pure constitutive and interface laws, evaluated on quadrature-point arrays (no mesh, no DOLFINx).

Constitutive laws
-----------------
Every constitutive law has the shape
``law(Δε, [dt,] state, params) -> LawResult(σ, tangent, state)`` on arrays of independent material
points:

* strains and stresses in **Mandel notation**, shape ``(n_points, ncomp)``:
  plane strain ``ncomp = 4``: ``[xx, yy, zz, √2·xy]``;
  3D ``ncomp = 6``: ``[xx, yy, zz, √2·yz, √2·xz, √2·xy]``.
  With these factors the double contraction is the plain dot product (``σ:ε = σ·ε``), norms are
  Euclidean and fourth-order tensors are ordinary ``ncomp × ncomp`` matrices, so one code path
  serves plane strain and 3D. In plane strain the caller passes ``Δε_zz = 0``; σ_zz and the
  inelastic ε^p_zz follow from the law.
* ``tangent`` is the consistent (algorithmic) tangent ``dσ_{n+1}/dΔε``, shape
  ``(n_points, ncomp, ncomp)``, symmetric for every law here.
* ``state`` is a :class:`LawState`. It carries the **total strain** ``eps`` (not the stress): the
  stress is always recomputed as ``σ = C:(ε − ε^p)`` (isotropic linear elasticity), so there is no
  drift between stored stress and stored strains. The internal variables are the inelastic strain
  ``eps_p`` (creep and plastic together, deviatoric), the accumulated equivalent rate-independent
  plastic strain ``p`` (the hardening variable) and the accumulated equivalent creep strain
  ``p_creep`` (a diagnostic; creep does not harden here).

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

Kinematics and finite strain
----------------------------
The strain measure is confined to the *kinematics* section (:func:`small_strain`, Mandel
conversions); the return map only sees a strain vector. Finite strain can follow in one of two ways:
(a) logarithmic (Hencky) strain ``ε = ½ ln(FᵀF)`` fed to the *same* return map, with the stress
interpreted as the rotated Kirchhoff stress and the tangent pushed forward with the derivative of
the matrix logarithm (Miehe, Apel & Lambrecht, CMAME 191, 5383 (2002)) — exact for isotropic laws
whose plastic flow is coaxial, as here; or (b) the multiplicative split ``F = F_e·F_p`` with an
exponential-map update of ``F_p`` (Simo, CMAME 99, 61 (1992)), which for isotropic elasticity in
Hencky form reduces to (a) with ``ε_e = ½ ln(b_e)``. Either way only ``small_strain`` and the
tangent push-forward change; :class:`LawState` would carry ``F_p`` (or ``ε^p`` of (a)) instead.

Interface laws
--------------
:func:`butler_volmer`, :func:`d_butler_volmer_deta`, :func:`linearised_charge_transfer_resistance`,
:func:`film_conductance` and :func:`film_conductance_derivatives` are NumPy functions of arrays.

Units are SI throughout: Pa, s, K, J/mol, V, A/m², S/m², Ω·m².

Threads: the kernel runs on numba's thread pool; under MPI set ``NUMBA_NUM_THREADS=1`` (or the
cores per rank) to avoid oversubscription, and point ``NUMBA_CACHE_DIR`` at a job-local directory.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from solver.errors import InputError, SolveError

#: Faraday constant, C/mol (CODATA 2018, exact).
FARADAY = 96485.33212
#: Molar gas constant, J/(mol K) (CODATA 2018, exact).
GAS_CONSTANT = 8.314462618

_SQ32 = math.sqrt(1.5)

# hardening codes used by the kernel
_NO_YIELD = 0
_LINEAR = 1
_SWIFT = 2


# ----------------------------------------------------------------------------------------------
# Parameters
# ----------------------------------------------------------------------------------------------


def _require(cls: str, field: str, value, ok: bool, allowed: str) -> None:
    if not ok:
        raise InputError(f"{cls}.{field} = {value!r}: allowed {allowed}")


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _check_elastic(cls: str, E, nu) -> None:
    _require(cls, "E", E, _finite(E) and E > 0, "0 < E < inf (Pa)")
    _require(cls, "nu", nu, _finite(nu) and -1.0 < nu < 0.5, "-1 < nu < 0.5")


def bulk_shear_moduli(E: float, nu: float) -> tuple[float, float]:
    """Bulk and shear modulus ``(K, G)`` of isotropic elasticity from ``E`` and ``ν``."""
    return E / (3.0 * (1.0 - 2.0 * nu)), E / (2.0 * (1.0 + nu))


@dataclass(frozen=True, slots=True)
class ElasticParams:
    """Isotropic linear elasticity.

    Attributes:
        E: Young's modulus, Pa (> 0).
        nu: Poisson ratio (-1 < ν < 0.5).
    """

    E: float
    nu: float

    def __post_init__(self):
        _check_elastic("ElasticParams", self.E, self.nu)


@dataclass(frozen=True, slots=True)
class J2Params:
    """Von Mises (J2) plasticity with isotropic hardening and isotropic linear elasticity.

    Hardening laws of the yield stress ``σ_y(p)`` in the accumulated equivalent plastic strain
    ``p``:

    * ``"linear"``: ``σ_y(p) = σ_y0 + H p`` (``H = 0``: perfectly plastic);
    * ``"power"`` (Swift, J. Mech. Phys. Solids 1, 1 (1952)): ``σ_y(p) = K (ε₀ + p)ⁿ`` with
      ``ε₀ = (σ_y0/K)^(1/n)`` so that ``σ_y(0) = σ_y0``. Unlike Ludwik's ``σ_y0 + K pⁿ`` its slope
      at ``p = 0`` is finite (``n σ_y0/ε₀``), which keeps the return-map Newton iteration regular.

    Attributes:
        E: Young's modulus, Pa.
        nu: Poisson ratio.
        sigma_y: initial yield stress σ_y0, Pa (> 0).
        hardening: ``"linear"`` or ``"power"``.
        H: linear hardening modulus, Pa (≥ 0); used for ``"linear"``.
        K: Swift strength coefficient, Pa (> 0); required for ``"power"``.
        n: Swift hardening exponent (0 < n ≤ 1); required for ``"power"``.
    """

    E: float
    nu: float
    sigma_y: float
    hardening: str = "linear"
    H: float = 0.0
    K: float | None = None
    n: float | None = None

    def __post_init__(self):
        c = "J2Params"
        _check_elastic(c, self.E, self.nu)
        _require(c, "sigma_y", self.sigma_y, _finite(self.sigma_y) and self.sigma_y > 0,
                 "0 < sigma_y < inf (Pa)")
        _require(c, "hardening", self.hardening, self.hardening in ("linear", "power"),
                 "'linear' or 'power'")
        _require(c, "H", self.H, _finite(self.H) and self.H >= 0, "0 <= H < inf (Pa)")
        if self.hardening == "power":
            _require(c, "K", self.K, _finite(self.K) and self.K > 0,
                     "0 < K < inf (Pa) for hardening='power'")
            _require(c, "n", self.n, _finite(self.n) and 0 < self.n <= 1,
                     "0 < n <= 1 for hardening='power'")

    @property
    def eps0(self) -> float:
        """Swift offset strain ``ε₀ = (σ_y0/K)^(1/n)`` (``nan`` for linear hardening)."""
        if self.hardening != "power":
            return math.nan
        return (self.sigma_y / self.K) ** (1.0 / self.n)

    def yield_stress(self, p):
        """``σ_y(p)`` in Pa (NumPy, for references and plots)."""
        p = np.asarray(p, dtype=float)
        if self.hardening == "linear":
            return self.sigma_y + self.H * p
        return self.K * (self.eps0 + p) ** self.n

    def _kernel_args(self) -> tuple[int, np.ndarray]:
        if self.hardening == "linear":
            return _LINEAR, np.array([self.sigma_y, self.H, 0.0, 0.0, 0.0])
        return _SWIFT, np.array([self.sigma_y, 0.0, self.K, self.n, self.eps0])


@dataclass(frozen=True, slots=True)
class NortonParams:
    """Norton (power-law) creep ``ε̇ = A σⁿ exp(−Q/(R T))`` in the equivalent (von Mises) measures.

    Attributes:
        A: pre-exponential factor in s⁻¹ Pa⁻ⁿ (> 0). Literature values are usually in
            s⁻¹ MPa⁻ⁿ: use :meth:`from_mpa`.
        n: stress exponent (1 ≤ n ≤ 20).
        Q: activation energy, J/mol (≥ 0; 0 means A is the rate coefficient at any T).
        T: temperature, K (> 0).
    """

    A: float
    n: float
    Q: float = 0.0
    T: float = 298.15

    def __post_init__(self):
        c = "NortonParams"
        _require(c, "A", self.A, _finite(self.A) and self.A > 0, "0 < A < inf (1/(s Pa^n))")
        _require(c, "n", self.n, _finite(self.n) and 1.0 <= self.n <= 20.0, "1 <= n <= 20")
        _require(c, "Q", self.Q, _finite(self.Q) and self.Q >= 0, "0 <= Q < inf (J/mol)")
        _require(c, "T", self.T, _finite(self.T) and self.T > 0, "0 < T < inf (K)")

    @classmethod
    def from_mpa(cls, A_per_MPa_n: float, n: float, Q: float = 0.0, T: float = 298.15,
                 T_ref: float | None = None) -> NortonParams:
        """From a literature rate coefficient in s⁻¹ MPa⁻ⁿ measured at ``T_ref`` (default ``T``).

        ``ε̇(σ, T_ref) = A_MPa (σ/1 MPa)ⁿ`` is converted to ``A = A_MPa·(10⁻⁶)ⁿ·exp(Q/(R T_ref))``
        (s⁻¹ Pa⁻ⁿ, pre-exponential), so that the law reproduces the literature rate at ``T_ref``.
        """
        _require("NortonParams", "A_per_MPa_n", A_per_MPa_n,
                 _finite(A_per_MPa_n) and A_per_MPa_n > 0, "0 < A < inf (1/(s MPa^n))")
        T_ref = T if T_ref is None else T_ref
        _require("NortonParams", "T_ref", T_ref, _finite(T_ref) and T_ref > 0,
                 "0 < T_ref < inf (K)")
        A = A_per_MPa_n * 1e-6**n * math.exp(Q / (GAS_CONSTANT * T_ref))
        return cls(A=A, n=n, Q=Q, T=T)

    @property
    def rate_coefficient(self) -> float:
        """``a = A exp(−Q/(R T))``, s⁻¹ Pa⁻ⁿ."""
        return self.A * math.exp(-self.Q / (GAS_CONSTANT * self.T))

    def strain_rate(self, sigma_eq):
        """Equivalent creep strain rate ``a σ_eqⁿ`` (s⁻¹) at equivalent stress ``sigma_eq`` (Pa)."""
        return self.rate_coefficient * np.asarray(sigma_eq, dtype=float) ** self.n


@dataclass(frozen=True, slots=True)
class ElasticCreepParams:
    """Elasticity + Norton creep (for :func:`norton_creep`)."""

    elastic: ElasticParams
    creep: NortonParams

    def __post_init__(self):
        _require("ElasticCreepParams", "elastic", self.elastic,
                 isinstance(self.elastic, ElasticParams), "an ElasticParams")
        _require("ElasticCreepParams", "creep", self.creep, isinstance(self.creep, NortonParams),
                 "a NortonParams")


@dataclass(frozen=True, slots=True)
class ElastoplasticCreepParams:
    """J2 plasticity (elasticity included) + Norton creep (for :func:`elastoplastic_creep`)."""

    plastic: J2Params
    creep: NortonParams

    def __post_init__(self):
        _require("ElastoplasticCreepParams", "plastic", self.plastic,
                 isinstance(self.plastic, J2Params), "a J2Params")
        _require("ElastoplasticCreepParams", "creep", self.creep,
                 isinstance(self.creep, NortonParams), "a NortonParams")


# ----------------------------------------------------------------------------------------------
# State and results
# ----------------------------------------------------------------------------------------------


class LawState(NamedTuple):
    """State of the material points at the end of a step (Mandel arrays).

    Attributes:
        eps: total strain, ``(n, ncomp)``.
        eps_p: inelastic strain (creep + plastic), ``(n, ncomp)``, traceless.
        p: accumulated equivalent rate-independent plastic strain (hardening variable), ``(n,)``.
        p_creep: accumulated equivalent creep strain, ``(n,)``.
    """

    eps: np.ndarray
    eps_p: np.ndarray
    p: np.ndarray
    p_creep: np.ndarray


class LawResult(NamedTuple):
    """What a constitutive law returns; unpacks as ``σ, tangent, state``."""

    stress: np.ndarray
    tangent: np.ndarray
    state: LawState


def initial_state(n_points: int, ncomp: int) -> LawState:
    """Unstrained virgin state of ``n_points`` points with ``ncomp`` (4 or 6) Mandel components."""
    if ncomp not in (4, 6):
        raise ValueError(f"ncomp = {ncomp}: allowed 4 (plane strain) or 6 (3D)")
    z = np.zeros((n_points, ncomp))
    return LawState(z, z.copy(), np.zeros(n_points), np.zeros(n_points))


# ----------------------------------------------------------------------------------------------
# Kinematics: the only place that knows the strain measure (see the module docstring)
# ----------------------------------------------------------------------------------------------

_MANDEL_3D = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


def to_mandel(t: np.ndarray, ncomp: int | None = None) -> np.ndarray:
    """Symmetric tensors ``(..., 3, 3)`` to Mandel vectors ``(..., ncomp)`` (default 6).

    ``ncomp = 4`` keeps ``[xx, yy, zz, √2·xy]`` (the yz, xz parts must vanish in plane strain).
    """
    t = np.asarray(t, dtype=float)
    ncomp = 6 if ncomp is None else ncomp
    pairs = _MANDEL_3D if ncomp == 6 else _MANDEL_3D[:3] + ((0, 1),)
    out = np.empty(t.shape[:-2] + (ncomp,))
    for k, (i, j) in enumerate(pairs):
        if i == j:
            out[..., k] = t[..., i, i]
        else:
            out[..., k] = math.sqrt(0.5) * (t[..., i, j] + t[..., j, i])
    return out


def from_mandel(v: np.ndarray) -> np.ndarray:
    """Mandel vectors ``(..., 4|6)`` to symmetric tensors ``(..., 3, 3)``."""
    v = np.asarray(v, dtype=float)
    ncomp = v.shape[-1]
    pairs = _MANDEL_3D if ncomp == 6 else _MANDEL_3D[:3] + ((0, 1),)
    t = np.zeros(v.shape[:-1] + (3, 3))
    for k, (i, j) in enumerate(pairs):
        if i == j:
            t[..., i, i] = v[..., k]
        else:
            t[..., i, j] = t[..., j, i] = v[..., k] / math.sqrt(2.0)
    return t


def small_strain(grad_u: np.ndarray) -> np.ndarray:
    """Small-strain measure ``ε = sym(∇u)`` as Mandel vectors.

    Args:
        grad_u: displacement gradients ``(n, 2, 2)`` (plane strain, gives ``ncomp = 4`` with
            ``ε_zz = 0``) or ``(n, 3, 3)`` (gives ``ncomp = 6``).

    Finite strain replaces this function (e.g. by ``½ ln(FᵀF)``) and nothing in the return map.
    """
    g = np.asarray(grad_u, dtype=float)
    d = g.shape[-1]
    if d == 2:
        g3 = np.zeros(g.shape[:-2] + (3, 3))
        g3[..., :2, :2] = g
        return to_mandel(g3, 4)
    if d == 3:
        return to_mandel(g, 6)
    raise ValueError(f"grad_u shape {g.shape}: allowed (n, 2, 2) or (n, 3, 3)")


def von_mises(sigma: np.ndarray) -> np.ndarray:
    """Von Mises equivalent stress ``√(3/2)‖dev σ‖`` of Mandel stresses ``(..., ncomp)``."""
    s = deviator(sigma)
    return np.sqrt(1.5 * np.sum(s * s, axis=-1))


def deviator(v: np.ndarray) -> np.ndarray:
    """Deviatoric part of Mandel vectors ``(..., ncomp)``."""
    v = np.array(v, dtype=float)
    v[..., :3] -= v[..., :3].sum(axis=-1, keepdims=True) / 3.0
    return v


def elastic_stiffness(E: float, nu: float, ncomp: int) -> np.ndarray:
    """Isotropic elasticity ``C = K m⊗m + 2G P_dev`` as an ``ncomp × ncomp`` Mandel matrix."""
    K, G = bulk_shear_moduli(E, nu)
    m = np.zeros(ncomp)
    m[:3] = 1.0
    return K * np.outer(m, m) + 2.0 * G * (np.eye(ncomp) - np.outer(m, m) / 3.0)


# ----------------------------------------------------------------------------------------------
# numba kernel: radial return shared by every law
# ----------------------------------------------------------------------------------------------


@njit(cache=True)
def _yield(kind, p, hp):
    """Yield stress and its slope at ``p``; hp = [σ_y0, H, K, n, ε₀]."""
    if kind == _LINEAR:
        return hp[0] + hp[1] * p, hp[1]
    s = hp[2] * (hp[4] + p) ** hp[3]
    return s, hp[3] * s / (hp[4] + p)


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
def _plastic_multiplier(q_tr, p_n, g3, kind, hp, a_dt, nc):
    """Solve ``q_tr − 3GΔγ_p − 3G·a·Δt·σ_y(p_n+Δγ_p)ⁿ − σ_y(p_n+Δγ_p) = 0`` for ``Δγ_p ≥ 0``.

    The residual decreases monotonically; the root lies in ``[0, (q_tr − σ_y(p_n))/3G]``.
    Newton with bisection safeguard.
    """
    sy, _ = _yield(kind, p_n, hp)
    lo = 0.0
    hi = (q_tr - sy) / g3
    scale = hi
    x = 0.0
    for _ in range(200):
        sy, hpr = _yield(kind, p_n + x, hp)
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
def _scalar_return(q_tr, p_n, g3, kind, hp, a_dt, nc):
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
        sy, _ = _yield(kind, p_n, hp)
        if q > sy:
            dgp = _plastic_multiplier(q_tr, p_n, g3, kind, hp, a_dt, nc)
            q, hpr = _yield(kind, p_n + dgp, hp)
            dgc = 0.0
            cr = 0.0
            if a_dt > 0.0:
                dgc = a_dt * q**nc
                cr = g3 * a_dt * nc * q ** (nc - 1.0)
            beta = hpr / (g3 + hpr * (1.0 + cr))
            return q, dgp, dgc, beta
    return q, 0.0, dgc, beta


@njit(parallel=True, cache=True)
def _return_map_kernel(eps, eps_p, p, p_creep, K, G, kind, hp, a_dt, nc,
                       sig, C, eps_p_new, p_new, p_creep_new):
    n, m = eps.shape
    g3 = 3.0 * G
    for i in prange(n):
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
        q, dgp, dgc, beta = _scalar_return(q_tr, p[i], g3, kind, hp, a_dt, nc)
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


def _run(deps, state: LawState, E, nu, kind, hp, a_dt, nc) -> LawResult:
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
    _return_map_kernel(eps, np.ascontiguousarray(state.eps_p, dtype=float),
                       np.ascontiguousarray(state.p, dtype=float),
                       np.ascontiguousarray(state.p_creep, dtype=float), float(K), float(G),
                       kind, hp, float(a_dt), float(nc), sig, C, eps_p_new, p_new, pc_new)
    return LawResult(sig, C, LawState(eps, eps_p_new, p_new, pc_new))


def _check_dt(dt) -> float:
    if not (_finite(dt) and dt >= 0):
        raise ValueError(f"dt = {dt!r}: allowed 0 <= dt < inf (s)")
    return float(dt)


_NO_HP = np.zeros(5)


# ----------------------------------------------------------------------------------------------
# Constitutive laws
# ----------------------------------------------------------------------------------------------


def elastic(deps: np.ndarray, state: LawState, params: ElasticParams) -> LawResult:
    """Isotropic linear elasticity; ``eps_p`` (if any) is kept frozen."""
    return _run(deps, state, params.E, params.nu, _NO_YIELD, _NO_HP, 0.0, 1.0)


def j2_return_map(deps: np.ndarray, state: LawState, params: J2Params) -> LawResult:
    """Rate-independent J2 plasticity with isotropic hardening: radial return, consistent tangent.

    Trial ``q_tr``; if ``q_tr > σ_y(p_n)``: ``q = σ_y(p_n+Δγ) = q_tr − 3GΔγ`` (scalar Newton for
    the Swift law, one step for linear hardening), ``β = H'/(3G + H')``.
    """
    kind, hp = params._kernel_args()
    return _run(deps, state, params.E, params.nu, kind, hp, 0.0, 1.0)


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
                        params: ElastoplasticCreepParams) -> LawResult:
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
    """
    dt = _check_dt(dt)
    j, c = params.plastic, params.creep
    kind, hp = j._kernel_args()
    return _run(deps, state, j.E, j.nu, kind, hp, c.rate_coefficient * dt, c.n)


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


# ----------------------------------------------------------------------------------------------
# Interface laws (current flow)
# ----------------------------------------------------------------------------------------------


def _f_over_rt(T):
    return FARADAY / (GAS_CONSTANT * np.asarray(T, dtype=float))


def butler_volmer(eta, i0, alpha_a, alpha_c, T=298.15):
    """Butler–Volmer current density ``i = i₀ [exp(α_a F η/RT) − exp(−α_c F η/RT)]`` in A/m².

    Args:
        eta: overpotential η, V (anodic positive).
        i0: exchange current density, A/m².
        alpha_a, alpha_c: anodic and cathodic transfer coefficients.
        T: temperature, K.
    """
    f = _f_over_rt(T)
    eta = np.asarray(eta, dtype=float)
    return i0 * (np.exp(alpha_a * f * eta) - np.exp(-alpha_c * f * eta))


def d_butler_volmer_deta(eta, i0, alpha_a, alpha_c, T=298.15):
    """``di/dη`` of :func:`butler_volmer`, S/m²."""
    f = _f_over_rt(T)
    eta = np.asarray(eta, dtype=float)
    return i0 * f * (alpha_a * np.exp(alpha_a * f * eta) + alpha_c * np.exp(-alpha_c * f * eta))


def linearised_charge_transfer_resistance(i0, alpha_a, alpha_c, T=298.15):
    """``R_ct = RT/(F i₀ (α_a+α_c))`` in Ω·m², the inverse slope of Butler–Volmer at η = 0."""
    return 1.0 / (i0 * (alpha_a + alpha_c) * _f_over_rt(T))


@dataclass(frozen=True, slots=True)
class FilmParams:
    """Interface film (interphase / contamination layer) conductance.

    ``G(p, g)`` in S/m², with ``g`` the normal gap (≤ 0 in contact) and ``p ≥ 0`` the contact
    pressure:

    * in contact (``g ≤ 0``): ``G = (1/R_film)·(1 + p/p_ref)^β`` — a constant film resistance for
      ``β = 0`` (default) or ``p_ref = inf``; with ``β > 0`` a phenomenological pressure dependence
      (film thinning, micro-contact growth inside the film) to be fitted to data such as Krauskopf
      et al. (2019);
    * out of contact (``g > 0``): ``G = (1/R_film)·exp(−g/decay_length)`` (tunnelling-like decay,
      continuous at ``g = 0``), or ``G = 0`` with ``decay_length = 0`` (default).

    Attributes:
        R_film: specific film resistance at zero pressure, Ω·m² (> 0); 1 Ω cm² = 1e-4 Ω m².
        p_ref: reference pressure of the pressure dependence, Pa (> 0, ``inf`` = none).
        beta: pressure exponent (≥ 0).
        decay_length: gap decay length, m (≥ 0, 0 = insulating gap).
    """

    R_film: float
    p_ref: float = math.inf
    beta: float = 0.0
    decay_length: float = 0.0

    def __post_init__(self):
        c = "FilmParams"
        _require(c, "R_film", self.R_film, _finite(self.R_film) and self.R_film > 0,
                 "0 < R_film < inf (Ohm m^2)")
        _require(c, "p_ref", self.p_ref, isinstance(self.p_ref, (int, float))
                 and not math.isnan(self.p_ref) and self.p_ref > 0, "0 < p_ref <= inf (Pa)")
        _require(c, "beta", self.beta, _finite(self.beta) and self.beta >= 0, "0 <= beta < inf")
        _require(c, "decay_length", self.decay_length,
                 _finite(self.decay_length) and self.decay_length >= 0,
                 "0 <= decay_length < inf (m)")


def film_conductance(pressure, gap, params: FilmParams):
    """Film conductance ``G(p, g)`` in S/m² (see :class:`FilmParams`); arrays broadcast."""
    p = np.maximum(np.asarray(pressure, dtype=float), 0.0)
    g = np.asarray(gap, dtype=float)
    g0 = 1.0 / params.R_film
    closed = g0 * (1.0 + p / params.p_ref) ** params.beta
    if params.decay_length > 0:
        open_ = g0 * np.exp(-np.maximum(g, 0.0) / params.decay_length)
    else:
        open_ = np.zeros_like(g)
    return np.where(g <= 0.0, closed, open_)


def film_conductance_derivatives(pressure, gap, params: FilmParams):
    """``(∂G/∂p, ∂G/∂g)`` of :func:`film_conductance` (S/m²/Pa, S/m²/m)."""
    p = np.maximum(np.asarray(pressure, dtype=float), 0.0)
    g = np.asarray(gap, dtype=float)
    g0 = 1.0 / params.R_film
    closed = g <= 0.0
    if params.beta > 0 and math.isfinite(params.p_ref):
        dp = g0 * params.beta / params.p_ref * (1.0 + p / params.p_ref) ** (params.beta - 1.0)
        dp = np.where(np.asarray(pressure) >= 0.0, dp, 0.0)
    else:
        dp = np.zeros_like(p)
    if params.decay_length > 0:
        dg = -g0 / params.decay_length * np.exp(-np.maximum(g, 0.0) / params.decay_length)
    else:
        dg = np.zeros_like(g)
    dp, dg = np.broadcast_arrays(dp, dg)
    closed = np.broadcast_to(closed, dp.shape)
    return np.where(closed, dp, 0.0), np.where(closed, 0.0, dg)
