"""Parameters, state and result of the constitutive laws (:mod:`solver.physics.return_map`).

Every parameter class is a frozen dataclass that checks its values on construction and raises a
one-line :class:`~solver.errors.InputError` (``J2Params.sigma_y = -1.0: allowed ...``).

``state`` is a :class:`LawState`. It carries the **total strain** ``eps`` (not the stress): the
stress is always recomputed as ``σ = C:(ε − ε^p)`` (isotropic linear elasticity), so there is no
drift between stored stress and stored strains. The internal variables are the inelastic strain
``eps_p`` (creep and plastic together, deviatoric), the accumulated equivalent rate-independent
plastic strain ``p`` (the hardening variable) and the accumulated equivalent creep strain
``p_creep`` (a diagnostic; creep does not harden here). Arrays are Mandel vectors
(:mod:`solver.physics.tensors`).

Units are SI throughout: Pa, s, K, J/mol.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from solver.checks import is_finite_real
from solver.physics._validation import require, require_parts
from solver.physics.constants import GAS_CONSTANT

# hardening codes used by the kernel (solver.physics.return_map)
_NO_YIELD = 0
_LINEAR = 1
_SWIFT = 2


# ----------------------------------------------------------------------------------------------
# Parameters
# ----------------------------------------------------------------------------------------------


def _check_elastic(cls: str, E, nu) -> None:
    require(cls, "E", E, is_finite_real(E) and E > 0, "0 < E < inf (Pa)")
    require(cls, "nu", nu, is_finite_real(nu) and -1.0 < nu < 0.5, "-1 < nu < 0.5")


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

    Size-dependent strength (conventional mechanism-based strain-gradient plasticity, CMSG:
    Huang, Qu, Hwang, Li & Gao, Int. J. Plasticity 20, 753 (2004)): Taylor hardening with the
    geometrically necessary dislocations of the plastic-strain gradient adds ``ρ_G = r̄ η^p/b`` to
    the statistically stored density, and the flow stress becomes

        ``σ_f(p, η) = √(σ_y(p)² + σ_y0² ℓ η)``,   ``ℓ = M² r̄ α² (μ/σ_y0)² b``,

    with ``η`` (1/m) the effective plastic-strain gradient ``√(¼ η_ijk η_ijk)``,
    ``η_ijk = ε^p_ik,j + ε^p_jk,i − ε^p_ij,k``. The gradient is a field quantity: the laws take it
    per point (``eta``), the finite-element layer computes it from the committed plastic strain
    (one step behind, as CMSG implementations do). ``ℓ = 0`` is J2 (the same code path).

    Attributes:
        E: Young's modulus, Pa.
        nu: Poisson ratio.
        sigma_y: initial yield stress σ_y0, Pa (> 0).
        hardening: ``"linear"`` or ``"power"``.
        H: linear hardening modulus, Pa (≥ 0); used for ``"linear"``.
        K: Swift strength coefficient, Pa (> 0); required for ``"power"``.
        n: Swift hardening exponent (0 < n ≤ 1); required for ``"power"``.
        intrinsic_length: CMSG intrinsic material length ``ℓ``, m (≥ 0; 0: no size effect).
    """

    E: float
    nu: float
    sigma_y: float
    hardening: str = "linear"
    H: float = 0.0
    K: float | None = None
    n: float | None = None
    intrinsic_length: float = 0.0

    def __post_init__(self):
        c = "J2Params"
        _check_elastic(c, self.E, self.nu)
        require(c, "sigma_y", self.sigma_y, is_finite_real(self.sigma_y) and self.sigma_y > 0,
                "0 < sigma_y < inf (Pa)")
        require(c, "hardening", self.hardening, self.hardening in ("linear", "power"),
                "'linear' or 'power'")
        require(c, "H", self.H, is_finite_real(self.H) and self.H >= 0, "0 <= H < inf (Pa)")
        require(c, "intrinsic_length", self.intrinsic_length,
                is_finite_real(self.intrinsic_length) and self.intrinsic_length >= 0,
                "0 <= intrinsic_length < inf (m)")
        if self.hardening == "power":
            require(c, "K", self.K, is_finite_real(self.K) and self.K > 0,
                    "0 < K < inf (Pa) for hardening='power'")
            require(c, "n", self.n, is_finite_real(self.n) and 0 < self.n <= 1,
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

    def flow_stress(self, p, eta=0.0):
        """CMSG flow stress ``σ_f = √(σ_y(p)² + σ_y0² ℓ η)`` in Pa (``eta`` in 1/m; NumPy)."""
        return np.sqrt(self.yield_stress(p) ** 2 + self.gnd_term(eta))

    def gnd_term(self, eta):
        """``σ_y0² ℓ η`` (Pa²): the geometrically necessary dislocations' share of ``σ_f²``."""
        return self.sigma_y**2 * self.intrinsic_length * np.asarray(eta, dtype=float)

    def _kernel_args(self) -> tuple[int, np.ndarray]:
        """``(hardening code, [σ_y0, H, K, n, ε₀])`` for the return-map kernel (Pa, 1)."""
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
        require(c, "A", self.A, is_finite_real(self.A) and self.A > 0, "0 < A < inf (1/(s Pa^n))")
        require(c, "n", self.n, is_finite_real(self.n) and 1.0 <= self.n <= 20.0, "1 <= n <= 20")
        require(c, "Q", self.Q, is_finite_real(self.Q) and self.Q >= 0, "0 <= Q < inf (J/mol)")
        require(c, "T", self.T, is_finite_real(self.T) and self.T > 0, "0 < T < inf (K)")

    @classmethod
    def from_mpa(cls, A_per_MPa_n: float, n: float, Q: float = 0.0, T: float = 298.15,
                 T_ref: float | None = None) -> NortonParams:
        """From a literature rate coefficient in s⁻¹ MPa⁻ⁿ measured at ``T_ref`` (default ``T``).

        ``ε̇(σ, T_ref) = A_MPa (σ/1 MPa)ⁿ`` is converted to ``A = A_MPa·(10⁻⁶)ⁿ·exp(Q/(R T_ref))``
        (s⁻¹ Pa⁻ⁿ, pre-exponential), so that the law reproduces the literature rate at ``T_ref``.
        """
        require("NortonParams", "A_per_MPa_n", A_per_MPa_n,
                is_finite_real(A_per_MPa_n) and A_per_MPa_n > 0, "0 < A < inf (1/(s MPa^n))")
        T_ref = T if T_ref is None else T_ref
        require("NortonParams", "T_ref", T_ref, is_finite_real(T_ref) and T_ref > 0,
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
    """Elasticity + Norton creep (for :func:`~solver.physics.return_map.norton_creep`)."""

    elastic: ElasticParams
    creep: NortonParams

    def __post_init__(self):
        require_parts(self, elastic=ElasticParams, creep=NortonParams)


@dataclass(frozen=True, slots=True)
class ElastoplasticCreepParams:
    """J2 plasticity (elasticity included) + Norton creep (for
    :func:`~solver.physics.return_map.elastoplastic_creep`)."""

    plastic: J2Params
    creep: NortonParams

    def __post_init__(self):
        require_parts(self, plastic=J2Params, creep=NortonParams)


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
