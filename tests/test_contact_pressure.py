"""Contact pressure recovered from the reactions (solver.fem.face_pressure): right for every element.

A block pressed by a uniform traction ``p̄`` onto a flat rigid surface is in uniaxial strain (the
lateral faces are symmetry planes), so the contact pressure is ``p̄`` everywhere on the face. The
recovered nodal pressure must equal ``p̄`` at every face node to 1e-6 — for P1 and P2, in 2D
(quadrilaterals, triangles) and 3D (hexahedra, tetrahedra). Dividing the reactions by the lumped
nodal areas fails this for P2 tetrahedra: the lumped area of a P2 triangle's vertex is exactly 0.
"""

from __future__ import annotations

import numpy as np
import pytest

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
