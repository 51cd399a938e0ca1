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
    2 µm, −5.8..+0.5 % at 1.32 µm; with the vertices enclosed by contact counted
    (:class:`VertexClosure`) −0.2..+1.4 % at 1.32 µm (benchmarks/contact_area_3d.py).
    """
    if kind != "3d" or V.element.basix_element.degree != 2 \
            or V.mesh.topology.cell_name() != "tetrahedron":
        return None
    return {"quadrature_rule": "custom",
            "quadrature_points": np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0],
                                           [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]),
            "quadrature_weights": np.array([1 / 24] * 3 + [1 / 8] * 3)}


def face_edges(V, facet_tags, marker: int) -> np.ndarray:
    """``(m, v1, v2)`` per edge of the P2 triangle faces tagged ``marker``: local block indices
    of the edge's midpoint dof and of its two vertex dofs (each edge once per rank)."""
    import basix

    mesh = V.mesh
    tdim = mesh.topology.dim
    mesh.topology.create_connectivity(tdim - 1, tdim)
    mesh.topology.create_connectivity(tdim, tdim - 1)
    f2c = mesh.topology.connectivity(tdim - 1, tdim)
    c2f = mesh.topology.connectivity(tdim, tdim - 1)
    layout = V.dofmap.dof_layout
    topology = basix.topology(basix.CellType.tetrahedron)
    edges = []
    for f in facet_tags.find(marker):
        c = f2c.links(f)[0]
        corners = set(topology[2][int(np.flatnonzero(c2f.links(c) == f)[0])])
        dofs = V.dofmap.cell_dofs(c)
        edges += [(dofs[layout.entity_dofs(1, e)[0]], dofs[layout.entity_dofs(0, a)[0]],
                   dofs[layout.entity_dofs(0, b)[0]])
                  for e, (a, b) in enumerate(topology[1]) if a in corners and b in corners]
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 3)
    edges[:, 1:] = np.sort(edges[:, 1:], axis=1)
    return np.unique(edges, axis=0)


class VertexClosure:
    """The contact indicator of P2 triangle faces with their enclosed vertices closed (collective).

    The contact conditions are node-wise (``λ_i ≥ 0``), and a P2 vertex's shape function
    integrates to zero on the face, so a smooth pressure gives a vertex no reaction of its own
    sign: the active set releases vertices amid contacting edge midpoints, lifted 0.1–1 nm off
    the surface. Counted as they are, the vertices held 14–17 % of the contact area where their
    share is 25 %, and the contact fraction fell 5–8 % below the BEM when the face was refined
    (``benchmarks/contact_area_3d.py``). Here a vertex counts as in contact when its own gap is
    closed or when the midpoints of *all* face edges at it are in contact: it lies inside the
    contact region as the nodes resolve it. The contact edge is not moved (a vertex with a free
    neighbour keeps its own state), and the midpoints and the solution are as solved. On the
    default 3D case (face elements 1.32 µm) the contact fraction is then within 1.4 % of the BEM
    at 2–20 % contact (−5.8 … +0.5 % without); at 1 µm within 3.4 % (+3.4 % at 2–3 % contact,
    where the spots span few nodes).

    Args:
        V: the vector P2 displacement space on tetrahedra.
        edges: :func:`face_edges` of the contact face.
        face_dofs: local (unrolled, owned and ghost) indices of the face's vertical dofs.
        owned: mask of ``face_dofs`` owned by this rank.
    """

    def __init__(self, V, edges: np.ndarray, face_dofs: np.ndarray, owned: np.ndarray):
        dolfinx = import_dolfinx()
        self.edges = edges
        self.blocks = np.asarray(face_dofs)[owned] // V.dofmap.index_map_bs
        self._vectors = [dolfinx.la.vector(V.dofmap.index_map, 1, dtype=np.float64)
                         for _ in range(3)]

    def __call__(self, in_contact_owned: np.ndarray) -> np.ndarray:
        """The closed indicator at the owned face dofs from their own ``in_contact``."""
        dolfinx = import_dolfinx()
        state, edges_at, closed_at = self._vectors
        for vec in self._vectors:
            vec.array[:] = 0.0
        state.array[self.blocks] = np.asarray(in_contact_owned, dtype=float)
        state.scatter_forward()  # the midpoints' states where this rank holds their edges
        m, ends = self.edges[:, 0], self.edges[:, 1:]
        for k in range(2):
            np.add.at(edges_at.array, ends[:, k], 1.0)
            np.add.at(closed_at.array, ends[:, k], state.array[m])
        # an edge held by several ranks counts on each, in both sums: "all closed" is unchanged
        for vec in (edges_at, closed_at):
            vec.scatter_reverse(dolfinx.la.InsertMode.add)
        n, c = edges_at.array[self.blocks], closed_at.array[self.blocks]
        return np.asarray(in_contact_owned, dtype=bool) | ((n > 0) & (c == n))
