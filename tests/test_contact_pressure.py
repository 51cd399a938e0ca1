"""Contact pressure recovered from the reactions (solver.fem.face_pressure): right for every element.

A block pressed by a uniform traction ``p̄`` onto a flat rigid surface is in uniaxial strain (the
lateral faces are symmetry planes), so the contact pressure is ``p̄`` everywhere on the face. The
recovered nodal pressure must equal ``p̄`` at every face node to 1e-6 — for P1 and P2, in 2D
(quadrilaterals, triangles) and 3D (hexahedra, tetrahedra). Dividing the reactions by the lumped
nodal areas fails this for P2 tetrahedra: the lumped area of a P2 triangle's vertex is exactly 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mpi_helpers import serial_and_two_ranks
from solver.fem import contact, contact_results, kinematics
from solver.fem import mesh as geometry
from solver.fem.backend import comm_world, import_dolfinx
from solver.simulation import loadstep

pytestmark = [pytest.mark.fem, pytest.mark.usefixtures("collective_cleanup")]

import_dolfinx()
COMM = comm_world()
E, NU, P_BAR = 7.82e9, 0.381, 1.0e6
L, T, N = 10e-6, 10e-6, 4


def _block(dim: int, cell: str):
    if dim == 2:
        return geometry.lithium_block_2d(COMM, L, T, T / N, N, 1.0, cell=cell)
    return geometry.lithium_block_3d(COMM, (L, L), T, T / N, (N, N), 1.0, cell=cell)


@pytest.mark.parametrize("dim, cell", [(2, "quadrilateral"), (2, "triangle"), (3, "hexahedron"),
                                       (3, "tetrahedron")])
@pytest.mark.parametrize("degree", [1, 2])
def test_uniform_pressure_is_recovered_on_every_face_node(dim, cell, degree):
    # 1 nm below the face: a flat surface exactly at the face has no height scale
    flat = (lambda x: np.full_like(x, -1e-9)) if dim == 2 else (lambda x, y: np.full_like(x, -1e-9))
    cp = contact.ContactProblem(_block(dim, cell), flat, kinematics.LinearElastic(E, NU).stress,
                                prefix=f"flatp_{dim}{cell[:3]}{degree}_", degree=degree)
    loadstep.solve_load_step(cp, P_BAR)
    st = contact_results.contact_state(cp)
    assert np.all(st.in_contact)
    assert np.all(np.isfinite(st.pressure))
    worst = COMM.allreduce(float(np.max(np.abs(st.pressure / P_BAR - 1.0), initial=0.0)),
                           op=contact_results.mpi().MAX)
    assert worst <= 1e-6, worst
    assert st.force == pytest.approx(P_BAR * cp.face_area, rel=1e-6)
    cp.close()


@pytest.mark.parametrize("cell, degree", [("tetrahedron", 2), ("tetrahedron", 1),
                                          ("hexahedron", 2)])
def test_contact_area_counts_every_face_node(cell, degree):
    """The contact fraction counts nodal areas; on P2 tetrahedra those of the face's P1
    refinement (a P2 vertex's lumped area is 0): every face node > 0, equal inside the
    structured face (less on its edges and corners), summing to the face area.
    Elsewhere the lumped areas themselves."""
    flat = lambda x, y: np.full_like(x, -1e-9)  # noqa: E731
    cp = contact.ContactProblem(_block(3, cell), flat, kinematics.LinearElastic(E, NU).stress,
                                prefix=f"count_{cell[:3]}{degree}_", degree=degree)
    own = cp._owned
    count, lumped = cp._count_area[own], cp._area[own]
    total = COMM.allreduce(float(np.sum(count)), op=contact_results.mpi().SUM)
    assert total == pytest.approx(cp.face_area, rel=1e-12)
    if cell == "tetrahedron" and degree == 2:
        assert np.min(lumped) == pytest.approx(0.0, abs=1e-12 * L * L)  # why it is needed
        d = L / (2 * N)  # node spacing
        x, y = cp.face_points[own, 0], cp.face_points[own, 1]
        edges = np.isclose(x, 0) | np.isclose(x, L) | np.isclose(y, 0) | np.isclose(y, L)
        assert np.allclose(count[~edges], d * d, rtol=1e-10)
        assert np.all(count[edges] > d * d / 10)
    else:
        assert np.array_equal(count, lumped)
    cp.close()


def _closure_case():
    """A P2 tetrahedral block, its face dofs' positions (owned) and a contact indicator set on
    the edge midpoints by position (the same on any rank count), vertices out of contact."""
    flat = lambda x, y: np.full_like(x, -1e-9)  # noqa: E731
    cp = contact.ContactProblem(_block(3, "tetrahedron"), flat,
                                kinematics.LinearElastic(E, NU).stress, prefix="closure_",
                                degree=2)
    xy = cp.face_points[cp._owned, :2]
    h = L / N
    on_grid = np.all(np.isclose(xy / h, np.rint(xy / h), atol=1e-9), axis=1)  # vertices
    k = np.rint(xy / (h / 2)).astype(int)
    indicator = ~on_grid & ((7 * k[:, 0] + 3 * k[:, 1]) % 5 != 0)
    return cp, xy, on_grid, indicator


def test_vertex_closure_closes_exactly_the_enclosed_vertices():
    """VertexClosure: a P2 face vertex joins the contact set iff the midpoints of all face
    edges at it are in contact; midpoints and in-contact nodes are kept. Reference: the face
    triangles' edges found from their vertex coordinates (not the dof layout)."""
    if COMM.size > 1:
        pytest.skip("serial reference; the 2-rank count is compared below")
    dolfinx = import_dolfinx()
    cp, xy, vertex, indicator = _closure_case()
    closed = cp.closure(indicator)
    assert np.array_equal(closed[~vertex], indicator[~vertex])
    mesh = cp.block.mesh
    fdim = mesh.topology.dim - 1
    facets = cp.block.facet_tags.find(geometry.BOTTOM)
    corners = mesh.geometry.x[dolfinx.mesh.entities_to_geometry(mesh, fdim, facets)][:, :, :2]
    index = {tuple(np.round(p / 1e-9).astype(int)): i for i, p in enumerate(xy)}
    at = {i: [] for i in np.flatnonzero(vertex)}
    for tri in corners:
        for a, b in ((0, 1), (1, 2), (0, 2)):
            m = index[tuple(np.round((tri[a] + tri[b]) / 2 / 1e-9).astype(int))]
            for end in (a, b):
                at[index[tuple(np.round(tri[end] / 1e-9).astype(int))]].append(m)
    expected = np.array([all(indicator[m] for m in at[i]) for i in np.flatnonzero(vertex)])
    assert 0 < expected.sum() < expected.size  # the case has both kinds
    assert np.array_equal(closed[vertex], expected)
    # every vertex enclosed: all of them close; none in contact: none does
    assert np.all(cp.closure(~vertex)[vertex])
    assert not np.any(cp.closure(np.zeros_like(vertex)))
    cp.close()


def closure_count() -> dict:
    cp, _, _, indicator = _closure_case()
    n = COMM.allreduce(int(np.count_nonzero(cp.closure(indicator))),
                       op=contact_results.mpi().SUM)
    cp.close()
    return {"closed": n, "ranks": COMM.size}


def test_vertex_closure_is_the_same_on_two_ranks():
    serial, parallel = serial_and_two_ranks(closure_count, Path(__file__).resolve())
    assert parallel["closed"] == serial["closed"] > 0


if __name__ == "__main__":
    result = closure_count()
    if COMM.rank == 0:
        print(json.dumps(result))
