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
