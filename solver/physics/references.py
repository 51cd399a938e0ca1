"""Analytic reference solutions used by the benchmarks and tests (pure functions, SI units).

Each function states its formula, source and range of validity. Conventions that are easy to get
wrong (amplitude vs peak-to-valley, one vs both sides of a constriction, the slope measure of a
rough surface) are spelled out where they matter.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

# ----------------------------------------------------------------------------------------------
# Elastic contact
# ----------------------------------------------------------------------------------------------


def E_star(E: float, nu: float, E2: float = math.inf, nu2: float = 0.0) -> float:
    """Effective (plane-strain contact) modulus ``1/E* = (1−ν²)/E + (1−ν₂²)/E₂``.

    With the default rigid counter-body (``E₂ = inf``) this is ``E* = E/(1−ν²)``.
    Source: Johnson, Contact Mechanics (1985), §4.2.
    """
    inv = (1.0 - nu**2) / E
    if math.isfinite(E2):
        inv += (1.0 - nu2**2) / E2
    return 1.0 / inv


def westergaard_full_contact_pressure(E_star: float, g0: float, wavelength: float) -> float:
    """Mean pressure ``p* = π E* g₀/λ`` that flattens a 2D sinusoid completely.

    Surface ``h(x) = g₀ cos(2πx/λ)`` (``g₀`` = amplitude, half the peak-to-valley height) pressed
    by a rigid flat (or the equivalent pair with ``E*``), frictionless, linear elastic, periodic.
    Source: Westergaard, J. Appl. Mech. 6, A49 (1939); Johnson (1985) ch. 13 (wavy surfaces).
    """
    return math.pi * E_star * g0 / wavelength


def westergaard_half_width(p_mean, p_star: float, wavelength: float):
    """Contact half-width ``a`` from ``p̄ = p* sin²(πa/λ)``: ``a = (λ/π) arcsin √(p̄/p*)``.

    Valid for ``0 ≤ p̄ ≤ p*``; returns ``λ/2`` (full contact) for ``p̄ ≥ p*``.
    Source: Johnson (1985) ch. 13.
    """
    r = np.clip(np.asarray(p_mean, dtype=float) / p_star, 0.0, 1.0)
    return wavelength / math.pi * np.arcsin(np.sqrt(r))


def westergaard_pressure(x, p_mean: float, p_star: float, wavelength: float):
    """Contact pressure ``p(x)`` of the Westergaard problem, ``x`` measured from a contact centre.

    Partial contact (``p̄ < p*``, ``ψ = πa/λ``, ``|x| ≤ a`` within the period):
    ``p(x) = (2p̄ cos(πx/λ)/sin²ψ) · √(sin²ψ − sin²(πx/λ))``, zero for ``a < |x| ≤ λ/2``.
    Full contact (``p̄ ≥ p*``): ``p(x) = p̄ + p* cos(2πx/λ)``. Periodic in ``x`` with period λ; the
    two forms agree at ``p̄ = p*``, and the period average is ``p̄``.
    Source: Johnson (1985) ch. 13.
    """
    x = np.asarray(x, dtype=float)
    xr = (x + 0.5 * wavelength) % wavelength - 0.5 * wavelength
    if p_mean >= p_star:
        return p_mean + p_star * np.cos(2 * math.pi * xr / wavelength)
    if p_mean <= 0:
        return np.zeros_like(xr)
    s2 = p_mean / p_star
    arg = s2 - np.sin(math.pi * xr / wavelength) ** 2
    return np.where(arg > 0, 2 * p_mean * np.cos(math.pi * xr / wavelength) / s2
                    * np.sqrt(np.maximum(arg, 0.0)), 0.0)


class HertzContact(NamedTuple):
    """Hertz contact of a rigid sphere on an elastic half-space."""

    a: float
    """contact radius, m"""
    delta: float
    """approach (indentation depth), m"""
    p0: float
    """peak pressure, Pa"""
    P: float
    """load, N"""


def hertz(P: float, R: float, E_star: float) -> HertzContact:
    """Hertz from load: ``a = (3PR/(4E*))^(1/3)``, ``δ = a²/R``, ``p₀ = 3P/(2πa²)``.

    Linear elastic, frictionless, ``a ≪ R``. Source: Johnson (1985) §4.2.
    """
    a = (3.0 * P * R / (4.0 * E_star)) ** (1.0 / 3.0)
    return HertzContact(a, a * a / R, 3.0 * P / (2.0 * math.pi * a * a), P)


def hertz_from_indentation(delta: float, R: float, E_star: float) -> HertzContact:
    """Hertz from approach: ``a = √(Rδ)``, ``P = (4/3) E* √R δ^(3/2)``, ``p₀ = 2E*a/(πR)``."""
    a = math.sqrt(R * delta)
    P = 4.0 / 3.0 * E_star * math.sqrt(R) * delta**1.5
    return HertzContact(a, delta, 2.0 * E_star * a / (math.pi * R), P)


# ----------------------------------------------------------------------------------------------
# Plastic limit loads (Hill, Mathematical Theory of Plasticity, 1950, ch. V)
# ----------------------------------------------------------------------------------------------


def cylinder_limit_pressure(sigma0: float, Ri: float, Ro: float) -> float:
    """Limit internal pressure of a thick-walled cylinder, ``(2/√3) σ₀ ln(Ro/Ri)``.

    Plane strain, von Mises, perfectly plastic (k = σ₀/√3). Source: Hill (1950) ch. V.
    """
    return 2.0 / math.sqrt(3.0) * sigma0 * math.log(Ro / Ri)


def cylinder_elastoplastic_pressure(c, sigma0: float, Ri: float, Ro: float):
    """Internal pressure with the plastic zone reaching radius ``c`` (``Ri ≤ c ≤ Ro``).

    ``p(c) = (σ₀/√3) [2 ln(c/Ri) + 1 − c²/Ro²]``: first yield at ``c = Ri``
    (``p_e = (σ₀/√3)(1 − Ri²/Ro²)``), the limit load at ``c = Ro``.
    Written with the shear yield stress ``k = σ₀/√3`` (von Mises in plane strain) as
    ``p = k [2 ln(c/Ri) + 1 − c²/Ro²]``, it is exact for a Tresca material of shear yield stress k
    and for von Mises when ``σ_zz`` is the mean of the in-plane stresses, i.e. for an incompressible
    material (ν = 1/2); for ν < 1/2 Hill's numerical von Mises solution differs slightly in the
    elastic–plastic range (Hill 1950 ch. V), the limit load not at all.
    """
    c = np.asarray(c, dtype=float)
    return sigma0 / math.sqrt(3.0) * (2.0 * np.log(c / Ri) + 1.0 - c**2 / Ro**2)


def sphere_limit_pressure(sigma0: float, Ri: float, Ro: float) -> float:
    """Limit internal pressure of a thick spherical shell, ``2 σ₀ ln(Ro/Ri)``.

    Perfectly plastic, von Mises = Tresca under spherical symmetry. Source: Hill (1950) ch. V.
    """
    return 2.0 * sigma0 * math.log(Ro / Ri)


def sphere_elastoplastic_pressure(c, sigma0: float, Ri: float, Ro: float):
    """Internal pressure of a spherical shell with plastic radius ``c``.

    ``p(c) = 2σ₀ ln(c/Ri) + (2σ₀/3)(1 − c³/Ro³)``, exact (any ν) for small strain and perfect
    plasticity. Source: Hill (1950) ch. V.
    """
    c = np.asarray(c, dtype=float)
    return 2.0 * sigma0 * np.log(c / Ri) + 2.0 * sigma0 / 3.0 * (1.0 - c**3 / Ro**3)


# ----------------------------------------------------------------------------------------------
# Constriction resistance
# ----------------------------------------------------------------------------------------------


def _check_sides(sides: int) -> None:
    if sides not in (1, 2):
        raise ValueError(f"sides = {sides!r}: allowed 1 (one conducting half-space) or 2 "
                         "(two identical half-spaces)")


def holm_resistance(rho: float, a, *, sides: int):
    """Constriction resistance of one circular spot of radius ``a``: ``sides · ρ/(4a)``.

    ``sides`` has no default on purpose (the factor 2 is the classic slip):

    ``sides=1``: current from an equipotential spot into one half-space of resistivity ρ (e.g.
    lithium against a much better or equipotential conductor); ``sides=2``: two identical
    half-spaces in series, ``ρ/(2a)``. For dissimilar bodies add the two one-side values.
    Source: Holm, Electric Contacts: Theory and Application, 4th ed. (Springer, 1967).
    """
    _check_sides(sides)
    return sides * rho / (4.0 * np.asarray(a, dtype=float))


def greenwood_resistance(rho: float, radii, centres, *, sides: int) -> float:
    """Greenwood's multi-spot constriction resistance.

    Greenwood's formula, for **two identical** bodies of resistivity ρ (``sides = 2``):
    ``R = ρ/(2 Σ aᵢ) + (ρ/(π n²)) Σ_{i≠j} 1/s_ij``, the sum over ordered pairs ``i ≠ j``
    (each unordered pair twice), ``s_ij`` the centre distances. For one conducting body
    (``sides = 1``) every term is halved: ``ρ/(4 Σ aᵢ) + (ρ/(2π n²)) Σ_{i≠j} 1/s_ij``; the
    one-side interaction term is the potential ``ρ I/(2π s)`` of a point source on a half-space,
    averaged over spots carrying equal currents ``I/n``. With one spot, ``R`` reduces to Holm's
    ``sides·ρ/(4a)``.

    Valid when the spots are small compared with their separations (``aᵢ ≪ s_ij``) and lie in a
    cluster that is small compared with the bodies; the first term treats the spots as
    equipotential and independent (in parallel).
    Source: Greenwood, Br. J. Appl. Phys. 17, 1621 (1966).

    Args:
        rho: resistivity, Ω·m.
        radii: spot radii ``(n,)``, m.
        centres: spot centres ``(n, 2)``, m.
        sides: 2 (Greenwood's two identical bodies) or 1 (one conducting body); required.
    """
    _check_sides(sides)
    a = np.asarray(radii, dtype=float).ravel()
    xy = np.asarray(centres, dtype=float).reshape(a.size, 2)
    n = a.size
    r_self = rho / (2.0 * a.sum())
    if n > 1:
        d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
        inv = 1.0 / d[~np.eye(n, dtype=bool)]
        r_int = rho / (math.pi * n * n) * inv.sum()
    else:
        r_int = 0.0
    return 0.5 * sides * (r_self + r_int)


# ----------------------------------------------------------------------------------------------
# Current distribution at a disk electrode
# ----------------------------------------------------------------------------------------------


def newman_disk_current_distribution(r, r0: float):
    """Primary current distribution ``i/i_avg = ½ (1 − r²/r₀²)^(−1/2)`` on a disk of radius r₀.

    Disk electrode flush in an insulating plane, counter electrode at infinity, no kinetic or
    concentration overpotential (Wagner number → 0). Source: Newman, J. Electrochem. Soc. 113,
    501 (1966).
    """
    r = np.asarray(r, dtype=float)
    return 0.5 / np.sqrt(1.0 - (r / r0) ** 2)


def newman_disk_resistance(kappa: float, r0: float) -> float:
    """Primary (ohmic) resistance ``1/(4κr₀)`` of a disk electrode, counter electrode at infinity.

    Equal to Holm's one-side constriction resistance with ``ρ = 1/κ``. Source: Newman (1966).
    """
    return 1.0 / (4.0 * kappa * r0)


def wagner_number(kappa: float, R_ct: float, r0: float) -> float:
    """Wagner number ``Wa = κ R_ct / r₀`` (``R_ct`` in Ω·m², linearised charge transfer).

    ``Wa ≫ 1``: uniform (kinetically controlled) current; ``Wa ≪ 1``: primary distribution.
    Newman's parameter is ``J = (α_a+α_c) F i₀ r₀/(R T κ) = 1/Wa``.
    """
    return kappa * R_ct / r0


# ----------------------------------------------------------------------------------------------
# Rough contact: area–load laws
# ----------------------------------------------------------------------------------------------

#: Persson's small-load area coefficient κ = √(8/π) ≈ 1.596
#: (Persson, J. Chem. Phys. 115, 3840 (2001)).
KAPPA_PERSSON = math.sqrt(8.0 / math.pi)
#: Bush–Gibson–Thomas asymptote κ = √(2π) ≈ 2.507 (Bush, Gibson, Thomas, Wear 35, 87 (1975)).
KAPPA_BGT = math.sqrt(2.0 * math.pi)


def layer_compliance_factor(q, thickness: float):
    """Surface compliance of an elastic layer on a frictionless rigid base, relative to the
    half-space: ``f(qt) = (cosh 2qt − 1)/(sinh 2qt + 2qt)``.

    A layer ``0 < z < t`` (isotropic, linear elastic) carries the normal surface pressure
    ``p cos(q·x)`` at ``z = 0`` (no shear there) and rests at ``z = t`` on a rigid, frictionless
    base (``u_z = 0``, no shear): lamina's block under its platen. The surface deflection is
    ``u_z = f(qt) · 2p/(E* q) cos(q·x)``, ``2/(E* q)`` being the half-space's. Derived from
    Navier's equations in plane strain (exponential/linear solutions in z); for a map the same
    holds with ``q = |q|``. ``f`` does not depend on ν (it enters only through ``E*``);
    ``f → 1`` for ``qt ≫ 1`` (1 − f = 0.034 at ``qt = 3``, 9e-8 at ``qt = 10``), ``f ≈ qt/2``
    for ``qt ≪ 1``.

    Args:
        q: wavevector magnitude(s) (rad/m), > 0.
        thickness: layer thickness t (m); ``inf``: the half-space (1).

    Returns:
        ``f`` (1), the shape of ``q``.
    """
    q = np.asarray(q, dtype=float)
    if math.isinf(thickness):
        return np.ones_like(q)
    x = np.minimum(q * thickness, 350.0)  # f = 1 to round-off far before cosh overflows
    return (np.cosh(2 * x) - 1.0) / (np.sinh(2 * x) + 2 * x)


def contact_area_fraction_small_load(p_mean, E_star: float, rms_slope: float,
                                     kappa: float = KAPPA_PERSSON):
    """Elastic rough contact at small load, ``A/A₀ = κ p̄/(E* h′_rms)``.

    ``h′_rms = √⟨|∇h|²⟩`` is the rms of the full surface **gradient** (for an isotropic surface
    √2 times the rms slope of a line profile). Valid for ``A/A₀ ≲ 0.1``; numerics give κ ≈ 2 with a
    weak dependence on the Nayak parameter (Yastrebov et al., JMPS 107, 469 (2017)).
    """
    return kappa * np.asarray(p_mean, dtype=float) / (E_star * rms_slope)


def contact_area_fraction_plastic(p_mean, sigma_y: float, hardness_factor: float = 3.0):
    """Rigid-plastic estimate ``A/A₀ = min(1, p̄/H)`` with hardness ``H = 3σ_y`` (Tabor).

    Source: Tabor, The Hardness of Metals (1951); Bowden & Tabor (1950). An upper-bound-like
    estimate for fully plastic asperities without hardening or size effect.
    """
    return np.minimum(1.0, np.asarray(p_mean, dtype=float) / (hardness_factor * sigma_y))


# ----------------------------------------------------------------------------------------------
# Size-dependent strength (strain-gradient plasticity)
# ----------------------------------------------------------------------------------------------


def cmsg_intrinsic_length(shear_modulus: float, sigma_ref: float, burgers: float,
                          alpha: float, taylor_factor: float = 3.06,
                          nye_factor: float = 1.90) -> float:
    """CMSG intrinsic length ``ℓ = M² r̄ α² (μ/σ_ref)² b`` (m) of Taylor hardening.

    From ``σ_f = M α μ b √(ρ_S + ρ_G)``, ``ρ_G = r̄ η/b`` and ``σ_ref = M α μ b √ρ_S``:
    ``σ_f = σ_ref √(1 + ℓ η)``. Source: Huang, Qu, Hwang, Li & Gao, Int. J. Plasticity 20, 753
    (2004) (their ``M = 3.06``, ``r̄ = 1.90``, ``M² r̄ ≈ 18``; the Nye factor after Arsenlis & Parks,
    Acta Mater. 47, 1597 (1999)).

    Args:
        shear_modulus: μ, Pa.
        sigma_ref: reference (bulk) flow stress, Pa.
        burgers: Burgers vector length b, m.
        alpha: Taylor coefficient α (0.3–0.5 typical).
        taylor_factor: M.
        nye_factor: r̄.
    """
    return taylor_factor**2 * nye_factor * alpha**2 * (shear_modulus / sigma_ref) ** 2 * burgers


def nix_gao_hardness(depth, H0: float, h_star: float):
    """Indentation size effect ``H = H₀ √(1 + h*/h)`` (Pa) at depth ``h`` (m).

    Geometrically necessary dislocations under a self-similar (conical) indenter, Taylor
    hardening; ``h*`` (m) the characteristic depth, ``H₀`` the macroscopic hardness. Source:
    Nix & Gao, J. Mech. Phys. Solids 46, 411 (1998), eq. (9).
    """
    return H0 * np.sqrt(1.0 + h_star / np.asarray(depth, dtype=float))
