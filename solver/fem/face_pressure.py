"""Contact pressure at the face nodes, recovered from the reactions without dividing by zero.

The reaction ``r_i`` at a face dof is the work of the contact traction on its shape function,
``r_i = ∫ p φ_i ds``. Divided by the lumped nodal area ``a_i = ∫ φ_i ds`` it gives the nodal
pressure, exactly for a uniform pressure and, for P1/Q1 faces, with the smallest error against the
Westergaard solution of the recoveries tried (rms error / p(0) 2.5e-3, 2.4e-4, 2.6e-4, 3.0e-4 at
p̄/p* = 0.1, 0.3, 0.6, 0.9; the consistent projection ``M p = r`` gave 1.8e-3, 2.7e-3, 1.5e-3,
5.2e-4 and amplified the node-to-node alternation of P2 faces on rough surfaces). But on a P2
triangle the lumped area of a vertex is exactly 0, so the division gives ``inf``. Here

    p_i = r_i / a_i                                    where a_i > 0,
    p_i = Σ_{j ∈ P(i)} r_j / Σ_{j ∈ P(i)} a_j           where a_i = 0,

with ``P(i)`` the face dofs that share a face element with ``i`` (the sparsity pattern of the face
mass matrix). Both are exact for a uniform pressure (``r = p̄ a``) on every element type, the
patch sum is positive (a P2 triangle's edge midpoints carry the area), and P1/Q1/Q2 faces and 2D
P2 lines are recovered as before, to the bit.
"""

from __future__ import annotations

import numpy as np

from solver.fem.backend import import_dolfinx, mpi

#: A lumped area at most this fraction of the largest counts as zero (P2 triangle vertices:
#: exactly 0 up to round-off).
ZERO_AREA = 1e-12


class FacePressure:
    """Nodal contact pressure from reactions on the vertical dofs of a face (collective).

    Args:
        V: the vector displacement space.
        face_dofs: local (unrolled, owned and ghost) indices of the face's vertical dofs.
        owned: mask of ``face_dofs`` owned by this rank.
        area: lumped nodal areas ``∫ φ_i ds`` at the owned face dofs (m²; 2D: m).
        form: the bilinear form ``u_z v_z w ds(face)`` (UFL) on ``V``: its sparsity pattern on the
            face dofs defines the patches.
        comm: the mesh communicator.
    """

    def __init__(self, V, face_dofs: np.ndarray, owned: np.ndarray, area: np.ndarray, form,
                 comm):
        dolfinx = import_dolfinx()
        from petsc4py import PETSc

        self.area = np.asarray(area, dtype=float)
        largest = comm.allreduce(float(np.max(np.abs(self.area), initial=0.0)), op=mpi().MAX)
        self.zero = np.abs(self.area) <= ZERO_AREA * largest
        self.patches = None
        if not comm.allreduce(bool(self.zero.any()), op=mpi().LOR):
            return  # every node has an area: no patches needed (no matrix assembled)
        bs = V.dofmap.index_map_bs
        rows = (V.dofmap.index_map.local_range[0] * bs
                + np.asarray(face_dofs)[owned]).astype(PETSc.IntType)
        A = dolfinx.fem.petsc.assemble_matrix(dolfinx.fem.form(form))
        A.assemble()
        index = PETSc.IS().createGeneral(rows, comm=comm)
        M = A.createSubMatrix(index, index)
        ai, aj, av = M.getValuesCSR()
        self.patches = PETSc.Mat().createAIJ(size=M.getSizes(), csr=(ai, aj, np.ones_like(av)),
                                             comm=comm)
        self.patches.assemble()
        for obj in (A, index, M):
            obj.destroy()
        self._x, self._y = self.patches.createVecs()

    def _patch_sums(self, values: np.ndarray) -> np.ndarray:
        self._x.array[:] = values
        self.patches.mult(self._x, self._y)
        return self._y.array.copy()

    def __call__(self, reactions_owned: np.ndarray) -> np.ndarray:
        """Nodal pressures (Pa) at the owned face dofs from their reactions (N; 2D: N/m)."""
        r = np.asarray(reactions_owned, dtype=float)
        p = np.divide(r, self.area, out=np.zeros_like(r), where=~self.zero)
        if self.patches is not None:  # collective: every rank multiplies
            sums_r, sums_a = self._patch_sums(r), self._patch_sums(self.area)
            p[self.zero] = sums_r[self.zero] / sums_a[self.zero]
        return p

    def destroy(self) -> None:
        """Free the PETSc objects (collective)."""
        if self.patches is not None:
            for obj in (self.patches, self._x, self._y):
                obj.destroy()


def count_area_rule(V, kind: str) -> dict | None:
    """The face quadrature whose nodal areas the contact fraction counts, or None for the lumped
    areas ``∫ φ_i ds``.

    A P2 triangle's vertices have lumped area 0, so on P2 tetrahedra the lumped count ignores a
    quarter of the face nodes and overweights the rest: the default 3D case's fraction was
    6-11 % above a BEM solution of the same problem, at 2 µm and still at 1.33 µm face elements.
    There the nodes count with the lumped areas of the face's P1 refinement (each triangle split
    in four at its edge midpoints: a vertex gets A/12, a midpoint A/4; equal areas on the
    structured face), a quadrature rule at the nodes: +3..+7 % (−4.5 % at 20 % contact) at
    2 µm, −2.5..+0.3 % at 1.33 µm (benchmarks/contact_area_3d.py).
    """
    if kind != "3d" or V.element.basix_element.degree != 2 \
            or V.mesh.topology.cell_name() != "tetrahedron":
        return None
    return {"quadrature_rule": "custom",
            "quadrature_points": np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0],
                                           [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]),
            "quadrature_weights": np.array([1 / 24] * 3 + [1 / 8] * 3)}
