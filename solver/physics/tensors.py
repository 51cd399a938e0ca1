"""Mandel notation, the strain measure and isotropic elasticity on quadrature-point arrays.

Strains and stresses are **Mandel vectors**, shape ``(n_points, ncomp)``:
plane strain ``ncomp = 4``: ``[xx, yy, zz, √2·xy]``;
3D ``ncomp = 6``: ``[xx, yy, zz, √2·yz, √2·xz, √2·xy]``.
With these factors the double contraction is the plain dot product (``σ:ε = σ·ε``), norms are
Euclidean and fourth-order tensors are ordinary ``ncomp × ncomp`` matrices, so one code path
serves plane strain and 3D.

Kinematics and finite strain
----------------------------
The strain measure is confined to this module (:func:`small_strain`, Mandel conversions); the
return map (:mod:`solver.physics.return_map`) only sees a strain vector. Finite strain can follow
in one of two ways:
(a) logarithmic (Hencky) strain ``ε = ½ ln(FᵀF)`` fed to the *same* return map, with the stress
interpreted as the rotated Kirchhoff stress and the tangent pushed forward with the derivative of
the matrix logarithm (Miehe, Apel & Lambrecht, CMAME 191, 5383 (2002)) — exact for isotropic laws
whose plastic flow is coaxial, as here; or (b) the multiplicative split ``F = F_e·F_p`` with an
exponential-map update of ``F_p`` (Simo, CMAME 99, 61 (1992)), which for isotropic elasticity in
Hencky form reduces to (a) with ``ε_e = ½ ln(b_e)``. Either way only ``small_strain`` and the
tangent push-forward change; :class:`~solver.physics.law_params.LawState` would carry ``F_p`` (or
``ε^p`` of (a)) instead.

Units are SI: Pa for moduli and stresses.
"""

from __future__ import annotations

import math

import numpy as np

_MANDEL_3D = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


def bulk_shear_moduli(E: float, nu: float) -> tuple[float, float]:
    """Bulk and shear modulus ``(K, G)`` of isotropic elasticity from ``E`` and ``ν``.

    Args:
        E: Young's modulus, Pa.
        nu: Poisson ratio.

    Returns:
        ``(K, G)`` in Pa.
    """
    return E / (3.0 * (1.0 - 2.0 * nu)), E / (2.0 * (1.0 + nu))


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
    """Isotropic elasticity ``C = K m⊗m + 2G P_dev`` as an ``ncomp × ncomp`` Mandel matrix (Pa)."""
    K, G = bulk_shear_moduli(E, nu)
    m = np.zeros(ncomp)
    m[:3] = 1.0
    return K * np.outer(m, m) + 2.0 * G * (np.eye(ncomp) - np.outer(m, m) / 3.0)
