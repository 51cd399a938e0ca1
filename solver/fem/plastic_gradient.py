"""The effective plastic-strain gradient ``η^p`` of CMSG at the quadrature points of a mesh.

Conventional mechanism-based strain-gradient plasticity (Huang, Qu, Hwang, Li & Gao,
Int. J. Plasticity 20, 753 (2004)) needs, at each material point, the gradient of the plastic
strain field, which a pointwise law cannot see. No extra unknowns or boundary conditions: this
module computes it from a plastic-strain field at the quadrature points — the committed one after
each converged step, and, by default, the step's own at every iterate of the contact Newton
(:meth:`solver.fem.quadrature.QuadratureLaw.iterate_gradient`; CMSG implementations often let
it enter the flow stress one increment late, which lets a region that starts to yield in a step
flow at bulk strength for that whole step):

1. lumped L2 projection of the quadrature-point plastic strain ``ε^p`` (Mandel components) onto
   continuous P1: ``ε̂_a = ∫ ε^p φ_a dx / ∫ φ_a dx`` (positive weights for P1, so no overshoot);
2. at the quadrature points, the third-order gradient ``ε^p_ij,k`` of the P1 field and

       ``η_ijk = ε^p_ik,j + ε^p_jk,i − ε^p_ij,k``,   ``η^p = √(¼ η_ijk η_ijk)``   (1/m)

   (Fleck & Hutchinson, Adv. Appl. Mech. 33, 295 (1997); Gao, Huang, Nix & Hutchinson,
   J. Mech. Phys. Solids 47, 1239 (1999)).

Plane strain: nothing varies along ``z``. Axisymmetric (``r, z, θ``): the physical components
of the gradient in the hoop direction carry the connection terms of cylindrical coordinates,
``ε_rθ;θ = ε_θr;θ = (ε_rr − ε_θθ)/r`` and ``ε_zθ;θ = ε_θz;θ = ε_rz/r``.

Collective (assembly and a ghost update); the result is local to the owned points.
"""

from __future__ import annotations

import math

import numpy as np

from solver.fem.backend import import_dolfinx

# Mandel index -> tensor indices
_MANDEL_2D = ((0, 0), (1, 1), (2, 2), (0, 1))
_MANDEL_3D = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


def _gradient_tensor(f, kind: str, mesh):
    """``D[i][j][k] = ε_ij,k`` (UFL scalars or 0) of the P1 Mandel field ``f``."""
    import ufl

    m = 6 if kind == "3d" else 4
    pairs = _MANDEL_3D if m == 6 else _MANDEL_2D
    gdim = mesh.geometry.dim
    G = ufl.grad(f)
    T = [[0 for _ in range(3)] for _ in range(3)]
    D = [[[0 for _ in range(3)] for _ in range(3)] for _ in range(3)]
    for c, (i, j) in enumerate(pairs):
        s = 1.0 if i == j else 1.0 / math.sqrt(2.0)
        T[i][j] = T[j][i] = s * f[c]
        for k in range(gdim):
            D[i][j][k] = D[j][i][k] = s * G[c, k]
    if kind == "axisymmetric":
        r = ufl.SpatialCoordinate(mesh)[0]
        # indices: 0 = r, 1 = z, 2 = θ
        D[0][2][2] = D[2][0][2] = (T[0][0] - T[2][2]) / r
        D[1][2][2] = D[2][1][2] = T[1][0] / r
    return D


def effective_gradient_expr(f, kind: str, mesh):
    """UFL ``η^p = √(¼ Σ η_ijk²)`` of the P1 Mandel plastic-strain field ``f`` (1/m)."""
    import ufl

    D = _gradient_tensor(f, kind, mesh)
    total = 0
    for i in range(3):
        for j in range(3):
            for k in range(3):
                terms = [t for t in (D[i][k][j], D[j][k][i]) if not isinstance(t, int)]
                e = sum(terms) if terms else 0
                if not isinstance(D[i][j][k], int):
                    e = e - D[i][j][k]
                if not isinstance(e, int):
                    total = total + e * e
    return ufl.sqrt(0.25 * total)


class PlasticStrainGradient:
    """``η^p`` at the owned quadrature points of a :class:`solver.fem.quadrature.QuadratureLaw`.

    Args:
        law: the quadrature law (its mesh, kind, points and quadrature space).
    """

    def __init__(self, law):
        dolfinx = import_dolfinx()
        import ufl

        mesh, m = law.mesh, law.ncomp
        self._law = law
        self.V = dolfinx.fem.functionspace(mesh, ("Lagrange", 1, (m,)))
        self.field = dolfinx.fem.Function(self.V, name="plastic_strain_p1")
        self._q = dolfinx.fem.Function(law.V_sigma, name="plastic_strain_q")
        v = ufl.TestFunction(self.V)
        self._rhs = dolfinx.fem.form(ufl.inner(self._q, v) * law.dx)
        ones = ufl.as_vector([1.0] * m)
        mass = dolfinx.fem.assemble_vector(dolfinx.fem.form(ufl.inner(ones, v) * law.dx))
        mass.scatter_reverse(dolfinx.la.InsertMode.add)
        mass.scatter_forward()
        self._mass = mass.array.copy()
        self._expr = dolfinx.fem.Expression(effective_gradient_expr(self.field, law.kind, mesh),
                                            law.reference_points)

    def project(self, eps_p: np.ndarray) -> None:
        """Lumped L2 projection of the owned points' ``eps_p`` ``(n, ncomp)`` into :attr:`field`.
        Collective."""
        dolfinx = import_dolfinx()
        law = self._law
        self._q.x.array.reshape(-1, law.ncomp)[law._dofs] = eps_p
        b = dolfinx.fem.assemble_vector(self._rhs)
        b.scatter_reverse(dolfinx.la.InsertMode.add)
        b.scatter_forward()
        self.field.x.array[:] = b.array / self._mass

    def compute(self, eps_p: np.ndarray) -> np.ndarray:
        """``η^p`` (1/m) at the owned points, ``(n,)``, from their plastic strain. Collective."""
        self.project(eps_p)
        law = self._law
        vals = self._expr.eval(law.mesh, law.cells)
        return np.ascontiguousarray(vals.reshape(law.n_points))
