"""Interface laws of the current flow: Butler–Volmer kinetics and the film conductance of the
contact spots. NumPy functions of arrays (broadcasting), no mesh.

:func:`butler_volmer`, :func:`d_butler_volmer_deta`, :func:`linearised_charge_transfer_resistance`,
:func:`film_conductance` and :func:`film_conductance_derivatives`; the constants
:data:`FARADAY` and :data:`GAS_CONSTANT` (from :mod:`solver.physics.constants`) are available here
too.

Units are SI throughout: V, K, A/m², S/m², Ω·m², Pa, m.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from solver.checks import is_finite_real, is_real
from solver.physics._validation import require
from solver.physics.constants import FARADAY, GAS_CONSTANT

__all__ = ["FARADAY", "GAS_CONSTANT", "FilmParams", "butler_volmer", "d_butler_volmer_deta",
           "film_conductance", "film_conductance_derivatives",
           "linearised_charge_transfer_resistance"]


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
        require(c, "R_film", self.R_film, is_finite_real(self.R_film) and self.R_film > 0,
                "0 < R_film < inf (Ohm m^2)")
        require(c, "p_ref", self.p_ref, is_real(self.p_ref)
                and not math.isnan(self.p_ref) and self.p_ref > 0, "0 < p_ref <= inf (Pa)")
        require(c, "beta", self.beta, is_finite_real(self.beta) and self.beta >= 0,
                "0 <= beta < inf")
        require(c, "decay_length", self.decay_length,
                is_finite_real(self.decay_length) and self.decay_length >= 0,
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
