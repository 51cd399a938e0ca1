"""What a solved contact problem shows: reactions, contact state, inelastic zone, contact edges.

Read-only functions of a :class:`solver.fem.contact.ContactProblem` (collective where they reduce
over ranks); they neither solve nor change the problem.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from solver.errors import InputError
from solver.fem.backend import import_dolfinx, mpi
from solver.fem.contact import ContactProblem


class ContactState(NamedTuple):
    """Contact on the face, for the face nodes owned by this rank.

    Attributes:
        points: reference coordinates of the face nodes, shape ``(n, gdim)`` (m).
        gap: ``z_node + u_z − h(x)`` (m), ≥ 0 up to the solver tolerance.
        pressure: contact pressure (Pa): the nodal reaction (residual of the unconstrained
            problem at the face dof) divided by the nodal (lumped) area.
        in_contact: ``gap <= tol``; on P2 tetrahedra also a vertex whose face edges all have
            their midpoint in contact (:class:`solver.fem.face_pressure.VertexClosure`).
        area: nodal area ``∫ φ_i ds`` (m², axisymmetric: with 2πr; 2D: per unit depth, m).
        fraction: real contact area fraction on the whole face (all ranks), nodal areas of the
            nodes in contact over the face area (P2 tetrahedra: the areas of the face's P1
            refinement, :func:`solver.fem.face_pressure.count_area_rule`, since a P2 vertex's is 0).
        force: total contact force ``Σ pressure·area`` (all ranks; N, or N/m in 2D).
        tol: the gap tolerance used.
    """

    points: np.ndarray
    gap: np.ndarray
    pressure: np.ndarray
    in_contact: np.ndarray
    area: np.ndarray
    fraction: float
    force: float
    tol: float


def face_reactions(cp: ContactProblem) -> np.ndarray:
    """Reactions at the face's vertical dofs (local, owned and ghost; N, 2D: N/m): the residual
    of the unconstrained problem at the current ``u``."""
    if cp.law is not None:
        cp.law.update()  # σ of the current u (no-op after a converged solve)
    return cp._assemble(cp.problem.F)[cp.face_dofs]


def contact_force(cp: ContactProblem) -> float:
    """Total contact force (N; 2D: N/m) of the current iterate, from the reactions of the face
    nodes (all ranks). Collective."""
    residual = face_reactions(cp)
    return float(cp.comm.allreduce(float(np.sum(residual[cp._owned])), op=mpi().SUM))


def contact_state(cp: ContactProblem, tol: float | None = None) -> ContactState:
    """Gap, contact pressure and contact indicator at the face nodes owned by this rank.

    The pressure is recovered from the reactions (the residual of the unconstrained problem at
    the face's vertical dofs) divided by the nodal (lumped) area ``∫ φ_i ds``, or where that
    area is 0 (P2 triangle vertices) by the patch of face dofs around the node
    (:mod:`solver.fem.face_pressure`): exact for a uniform pressure on every element type, never
    infinite. The force ``Σ r_i`` equals the applied load (equilibrium of the discrete problem).
    On P2 tetrahedra the vertices enclosed by contacting edge midpoints count as in contact
    (:class:`solver.fem.face_pressure.VertexClosure`).
    """
    tol = cp.default_tol() if tol is None else float(tol)
    residual = face_reactions(cp)
    own = cp._owned
    gap = (cp.u.x.array[cp.face_dofs] - cp.lower)[own]
    area = cp._area[own]
    pressure = cp.face_pressure(residual[own])
    in_contact = gap <= tol
    if cp.closure is not None:  # P2 triangle faces: vertices inside the contact region
        in_contact = cp.closure(in_contact)
    MPI = mpi()
    contact_area = cp.comm.allreduce(float(np.sum(cp._count_area[own][in_contact])), op=MPI.SUM)
    force = cp.comm.allreduce(float(np.sum(residual[own])), op=MPI.SUM)
    return ContactState(cp.face_points[own].copy(), gap, pressure, in_contact, area,
                        contact_area / cp.face_area, force, tol)


def gather_face(state: ContactState, comm, axis: int = 0) -> ContactState:
    """The face data of all ranks on every rank, sorted by the coordinate ``axis``.

    Meant for 2D and axisymmetric faces (a line of nodes); collective.
    """
    parts = comm.allgather((state.points, state.gap, state.pressure, state.in_contact,
                            state.area))
    points = np.concatenate([p[0] for p in parts])
    order = np.argsort(points[:, axis], kind="stable")
    cat = [np.concatenate([p[i] for p in parts])[order] for i in range(1, 5)]
    return ContactState(points[order], *cat, state.fraction, state.force, state.tol)


def equivalent_plastic_strain(cp: ContactProblem, part: str = "inelastic"):
    """Accumulated equivalent inelastic strain of the committed state, cell means (DG0).

    ``part``: ``"inelastic"`` (plastic + creep, default), ``"plastic"`` or ``"creep"``. Zero for
    an elastic material. Collective.
    """
    dolfinx = import_dolfinx()
    if cp.law is None:
        f = dolfinx.fem.Function(dolfinx.fem.functionspace(cp.block.mesh, ("DG", 0)))
    else:
        f = cp.law.cell_average(cp.law.equivalent_inelastic_strain(part))
    f.name = f"equivalent_{part}_strain"
    return f


def plastic_zone_depth(cp: ContactProblem, threshold: float = 1e-4,
                       part: str = "inelastic") -> float:
    """Depth of the inelastic zone below the contact face (m), the same on all ranks.

    The largest distance from the contact face into the lithium of a quadrature point whose
    accumulated equivalent inelastic strain (``part`` as in :func:`equivalent_plastic_strain`)
    exceeds ``threshold``; 0 if there is none. Collective.
    """
    depth = 0.0
    if cp.law is not None:
        eq = cp.law.equivalent_inelastic_strain(part)
        hit = eq > threshold
        if np.any(hit):
            depth = float(np.max(cp.law.points[hit, cp.vertical] - cp.block.z_face))
    return float(cp.comm.allreduce(max(depth, 0.0), op=mpi().MAX))


def contact_edges_1d(x: np.ndarray, gap: np.ndarray, pressure: np.ndarray,
                     in_contact: np.ndarray, method: str = "gap") -> list[tuple[float, int]]:
    """Sub-element positions of the contact edges along a line of face nodes.

    Near the edge of a smooth frictionless elastic contact the pressure vanishes like
    ``√(distance)`` inside and the gap opens like ``distance^(3/2)`` outside. The edge between
    the last node in contact and the first free one is found by extrapolating to zero, linearly
    in x, either ``p²`` from the two contact nodes before the last (``"pressure"``; the last
    contact node's lumped pressure is smeared across the edge) or ``g^(2/3)`` from the two
    first free nodes (``"gap"``, the default: on the Westergaard benchmark with 100 elements per
    half period its largest error is 0.09 % against 0.5 % for ``"pressure"``); ``"mean"``
    averages both; ``"node"`` takes the midpoint between the last node
    in contact and the first free one (node counting).
    The result is clipped to the two elements around the last node in contact.

    Args:
        x: increasing node positions; gap, pressure, in_contact: per node.

    Returns:
        ``[(position, direction)]`` with direction +1 where contact ends towards +x, −1 where it
        starts.
    """
    x = np.asarray(x, dtype=float)
    c = np.asarray(in_contact, dtype=bool)
    edges = []
    for k in np.flatnonzero(c[:-1] != c[1:]):
        if c[k]:  # contact ends between k and k+1
            inside, outside, step = k, k + 1, 1
        else:  # contact starts between k and k+1
            inside, outside, step = k + 1, k, -1
        # The last node in contact may carry a vanishing pressure and sit just past the edge:
        # the edge lies within one element either side of it.
        j = min(max(inside - step, 0), len(x) - 1)
        lo, hi = min(x[j], x[outside]), max(x[j], x[outside])
        est = {}
        i1, i2 = inside - step, inside - 2 * step
        if 0 <= i2 < len(x) and c[i1] and c[i2]:
            p1, p2 = max(pressure[i1], 0.0) ** 2, max(pressure[i2], 0.0) ** 2
            if p2 > p1:
                est["pressure"] = x[i1] + (x[i1] - x[i2]) * p1 / (p2 - p1)
        o1, o2 = outside, outside + step
        if 0 <= o2 < len(x) and not c[o2]:
            g1, g2 = max(gap[o1], 0.0) ** (2 / 3), max(gap[o2], 0.0) ** (2 / 3)
            if g2 > g1:
                est["gap"] = x[o1] - (x[o2] - x[o1]) * g1 / (g2 - g1)
        mid = 0.5 * (x[inside] + x[outside])
        if method == "node":
            pos = mid
        elif method == "mean":
            vals = list(est.values())
            pos = float(np.mean(vals)) if vals else mid
        elif method in ("pressure", "gap"):
            pos = est.get(method, est.get("gap" if method == "pressure" else "pressure", mid))
        else:
            raise InputError(f"method={method!r}: allowed 'pressure', 'gap', 'mean', 'node'")
        edges.append((float(np.clip(pos, lo, hi)), step))
    return edges


def plastic_strain_section(cp: ContactProblem, physical_sizes, h_lateral: float):
    """Cell centres (lateral, vertical; m) and equivalent plastic strain in a vertical section
    (3D: the cells within half an element of ``y = Ly/2``), gathered on rank 0 (collective).

    Returns:
        ``(points (n, 2), values (n,), title)``; empty arrays off rank 0.
    """
    eps = equivalent_plastic_strain(cp)
    mesh = eps.function_space.mesh
    tdim = mesh.topology.dim
    n = mesh.topology.index_map(tdim).size_local
    dolfinx = import_dolfinx()
    mids = dolfinx.mesh.compute_midpoints(mesh, tdim, np.arange(n, dtype=np.int32))
    vals = eps.x.array[:n] if eps.x.array.size >= n else np.zeros(n)
    if tdim == 3:
        Ly = physical_sizes[1]
        h = h_lateral
        sel = np.abs(mids[:, 1] - Ly / 2) <= h / 2
        pts, vals = mids[sel][:, [0, 2]], vals[sel]
        title = "Equivalent plastic strain, section y = Ly/2"
    else:
        pts, title = mids[:, :2], "Equivalent plastic strain"
    parts = cp.comm.gather((pts, vals), root=0)
    if cp.comm.rank != 0:
        return (np.zeros((0, 2)), np.zeros(0), title)
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), title)
