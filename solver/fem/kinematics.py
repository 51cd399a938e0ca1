"""Kinematics and linear elasticity of the pressed body, as UFL maps on Mandel vectors.

Kinematics (:func:`strain_mandel`) and the constitutive law (a map from the Mandel strain vector
to the Mandel stress vector, e.g. :func:`linear_stress`) are separate, so that a law evaluated at
quadrature points (J2 plasticity, creep in :mod:`solver.physics.laws`) plugs in unchanged. Mandel
ordering: plane strain ``(xx, yy, zz, √2xy)``, axisymmetric ``(rr, zz, θθ, √2rz)`` (θ plays
the out-of-plane role of z, so the plane-strain laws of :mod:`solver.physics.laws` apply unchanged
with a non-zero third component), 3D ``(xx, yy, zz, √2yz, √2xz, √2xy)`` — the orderings of
:mod:`solver.physics.laws`. In this basis the double contraction of tensors is the dot product.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from solver.errors import InputError

KINDS = ("plane_strain", "axisymmetric", "3d")


@dataclass(frozen=True, slots=True)
class LinearElastic:
    """Isotropic linear elasticity.

    Attributes:
        E: Young's modulus (Pa).
        nu: Poisson ratio (1).
    """

    E: float
    nu: float

    def __post_init__(self):
        if not (math.isfinite(self.E) and self.E > 0):
            raise InputError(f"E={self.E}: must be a finite Young's modulus > 0 (Pa)")
        if not (-1.0 < self.nu < 0.5):
            raise InputError(f"nu={self.nu}: Poisson ratio must lie in (-1, 0.5)")

    @property
    def mu(self) -> float:
        return self.E / (2 * (1 + self.nu))

    @property
    def lmbda(self) -> float:
        return self.E * self.nu / ((1 + self.nu) * (1 - 2 * self.nu))

    @property
    def E_star(self) -> float:
        """Contact modulus against a rigid body, E/(1 − ν²) (Pa)."""
        return self.E / (1 - self.nu**2)

    @property
    def stress(self) -> Callable:
        """The Mandel strain → Mandel stress map of this material."""
        return linear_stress(self.lmbda, self.mu)


def linear_stress(lmbda: float, mu: float) -> Callable:
    """``σ = λ tr(ε) I + 2 μ ε`` on Mandel vectors (any of the orderings of this module)."""
    import ufl

    def stress(eps):
        n = eps.ufl_shape[0]
        tr = eps[0] + eps[1] + eps[2]
        one = ufl.as_vector([1.0, 1.0, 1.0] + [0.0] * (n - 3))
        return lmbda * tr * one + 2 * mu * eps

    return stress


def strain_mandel(u, kind: str):
    """Small-strain tensor of ``u`` as a Mandel vector (ordering in the module docstring)."""
    import ufl

    s2 = math.sqrt(2.0)
    if kind == "plane_strain":
        e = ufl.sym(ufl.grad(u))
        return ufl.as_vector([e[0, 0], e[1, 1], 0.0, s2 * e[0, 1]])
    if kind == "axisymmetric":
        r = ufl.SpatialCoordinate(u.ufl_function_space().mesh)[0]
        e = ufl.sym(ufl.grad(u))
        return ufl.as_vector([e[0, 0], e[1, 1], u[0] / r, s2 * e[0, 1]])
    if kind == "3d":
        e = ufl.sym(ufl.grad(u))
        return ufl.as_vector([e[0, 0], e[1, 1], e[2, 2], s2 * e[1, 2], s2 * e[0, 2],
                              s2 * e[0, 1]])
    raise InputError(f"kind={kind!r}: allowed {', '.join(KINDS)}")


def volume_weight(mesh, kind: str):
    """Weight of ``dx``/``ds`` integrals: ``2π r`` in axisymmetry (forces in N), else 1."""
    import ufl

    if kind == "axisymmetric":
        return 2 * math.pi * ufl.SpatialCoordinate(mesh)[0]
    return 1.0
