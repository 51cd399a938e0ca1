"""The elastic layer's surface compliance (references.layer_compliance_factor) against an FE
solve of the same layer: P2 plane strain, a ``p cos(qx)`` surface pressure, a frictionless rigid
base, symmetry planes at x = 0 and x = λ/2 — lamina's block under its platen."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solver.fem.backend import import_dolfinx
from solver.physics import references as R


def _fe_deflection(qt: float, nu: float, E: float = 1.0, p: float = 1.0) -> float:
    """Amplitude of the surface deflection ``u_y(x = 0, top)`` of a layer of thickness 1."""
    dolfinx = import_dolfinx()
    import dolfinx.fem.petsc  # noqa: F401
    import ufl
    from mpi4py import MPI
    from petsc4py import PETSc

    t = 1.0
    q = qt / t
    half = math.pi / q
    nx, ny = 24, max(8, int(24 * t / half))
    msh = dolfinx.mesh.create_rectangle(MPI.COMM_WORLD, [[0.0, 0.0], [half, t]], [nx, ny],
                                        dolfinx.mesh.CellType.triangle)
    V = dolfinx.fem.functionspace(msh, ("Lagrange", 2, (2,)))
    mu, lam = E / (2 * (1 + nu)), E * nu / ((1 + nu) * (1 - 2 * nu))
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)

    def eps(w):
        return ufl.sym(ufl.grad(w))

    def sigma(w):
        return 2 * mu * eps(w) + lam * ufl.tr(eps(w)) * ufl.Identity(2)

    x = ufl.SpatialCoordinate(msh)
    fdim = 1
    top = dolfinx.mesh.locate_entities_boundary(msh, fdim, lambda y: np.isclose(y[1], t))
    tags = dolfinx.mesh.meshtags(msh, fdim, top, np.full(len(top), 1, dtype=np.int32))
    ds = ufl.Measure("ds", domain=msh, subdomain_data=tags)
    a = ufl.inner(sigma(u), eps(v)) * ufl.dx
    L = -p * ufl.cos(q * x[0]) * v[1] * ds(1)
    bcs = []
    for comp, where in ((1, lambda y: np.isclose(y[1], 0.0)),
                        (0, lambda y: np.isclose(y[0], 0.0) | np.isclose(y[0], half))):
        facets = dolfinx.mesh.locate_entities_boundary(msh, fdim, where)
        dofs = dolfinx.fem.locate_dofs_topological(V.sub(comp), fdim, facets)
        bcs.append(dolfinx.fem.dirichletbc(PETSc.ScalarType(0.0), dofs, V.sub(comp)))
    problem = dolfinx.fem.petsc.LinearProblem(
        a, L, bcs=bcs, petsc_options_prefix="test_layer_",
        petsc_options={"ksp_type": "preonly", "pc_type": "lu",
                       "pc_factor_mat_solver_type": "mumps"})
    uh = problem.solve()
    if isinstance(uh, tuple):
        uh = uh[0]
    corner = dolfinx.mesh.locate_entities_boundary(
        msh, 0, lambda y: np.isclose(y[0], 0.0) & np.isclose(y[1], t))
    dofs = dolfinx.fem.locate_dofs_topological(V.sub(1), 0, corner)
    return float(-uh.x.array[dofs[0]])


@pytest.mark.parametrize("qt", [0.3, 1.0, 3.0])
@pytest.mark.parametrize("nu", [0.25, 0.381])
def test_layer_surface_deflection_matches_fe(qt, nu):
    E = 1.0
    expected = R.layer_compliance_factor(qt, 1.0) * 2.0 / (R.E_star(E, nu) * qt)
    assert _fe_deflection(qt, nu, E) == pytest.approx(float(expected), rel=1e-3)
