"""Contact pressure recovered from the reactions by a consistent face projection.

The reaction ``r_i`` at a face dof is the work of the contact traction on its shape function,
``r_i = ∫ p φ_i ds``. Dividing by the lumped nodal area ``∫ φ_i ds`` (the row sum of the face mass
matrix) is exact only where that area is positive and the pressure uniform over the support: on a
P2 triangle the lumped area of a vertex is exactly 0 (``inf`` pressures), and on P2 lines it
alternates between 1/6 and 2/3 of the element length (a node-to-node zig-zag). Here the pressure
is the field ``p_h = Σ p_j φ_j`` whose work equals the reactions,

    M p = r,   M_ij = ∫ φ_i φ_j ds   (the face mass matrix of the vertical dofs),

which is exact for any pressure the face space represents (a uniform pressure gives ``p = p̄`` on
every node, for every element) and conserves the force: ``Σ_i ∫ p_h φ_i ds = Σ r_i``. ``M`` is
symmetric positive definite on the face dofs; it is solved by CG with a Jacobi preconditioner to
a relative residual of 1e-13 (a mass matrix is well conditioned: tens of iterations).
"""

from __future__ import annotations

import numpy as np

from solver.errors import SolveError
from solver.fem.backend import import_dolfinx


class FaceProjection:
    """``p = M⁻¹ r`` on the vertical dofs of a face (collective construction and solves).

    Args:
        V: the vector displacement space.
        face_dofs: local (unrolled, owned and ghost) indices of the face's vertical dofs.
        owned: mask of ``face_dofs`` owned by this rank.
        form: the bilinear form ``u_z v_z w ds(face)`` (UFL) on ``V``.
        prefix: PETSc options prefix of the face solve (ends with ``_``).
    """

    def __init__(self, V, face_dofs: np.ndarray, owned: np.ndarray, form, prefix: str):
        dolfinx = import_dolfinx()
        from petsc4py import PETSc

        bs = V.dofmap.index_map_bs
        imap = V.dofmap.index_map
        local = np.asarray(face_dofs)[owned]
        # owned dofs are numbered contiguously from the rank's offset in the global vector
        rows = (imap.local_range[0] * bs + local).astype(PETSc.IntType)
        A = dolfinx.fem.petsc.assemble_matrix(dolfinx.fem.form(form))
        A.assemble()
        self._is = PETSc.IS().createGeneral(rows, comm=V.mesh.comm)
        self.M = A.createSubMatrix(self._is, self._is)
        A.destroy()
        self.ksp = PETSc.KSP().create(V.mesh.comm)
        self.ksp.setOptionsPrefix(prefix)
        self.ksp.setOperators(self.M)
        self.ksp.setType("cg")
        self.ksp.getPC().setType("jacobi")
        self.ksp.setTolerances(rtol=1e-13, atol=0.0, max_it=10_000)
        self.ksp.setFromOptions()
        self.b, self.x = self.M.createVecRight(), self.M.createVecLeft()

    def __call__(self, reactions_owned: np.ndarray) -> np.ndarray:
        """The nodal pressures (Pa) at the owned face dofs, from their reactions (N)."""
        self.b.array[:] = reactions_owned
        self.x.set(0.0)
        self.ksp.solve(self.b, self.x)
        if self.ksp.getConvergedReason() <= 0:
            raise SolveError(f"face pressure projection: CG reason {self.ksp.getConvergedReason()}"
                             f" after {self.ksp.getIterationNumber()} iterations")
        return self.x.array.copy()

    def destroy(self) -> None:
        """Free the PETSc objects (collective)."""
        for obj in (self.ksp, self.M, self.b, self.x, self._is):
            obj.destroy()
