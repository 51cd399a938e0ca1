"""Hertz: a rigid sphere pressed into a thick elastic block, frictionless.

The sphere is the paraboloid ``h = −r²/(2R)`` (for which Hertz's solution is exact in linear
elasticity), the block's face starts at ``z = 0`` (the apex). On a half-space the contact radius
is ``a = (3PR/(4E*))^(1/3)`` and the peak pressure ``p0 = 3P/(2πa²)``.

Model: axisymmetric (``r, z``): the problem is axisymmetric, so this is exact and a 2D mesh
resolves the contact edge at a cost that a 3D quarter block (about ``(a/h)²`` times more face
unknowns) could not afford here. Block radius and thickness ``25a``; ``u_r = 0`` on the axis and
on the outer radius (symmetry), uniform pressure ``P/(πL²)`` on top. The finite block changes
the surface displacement under the contact by a smooth field whose curvature is
``O(P/(E* L³))``, i.e. ``1/R`` by ``O((a/L)³) ≈ 1e−4`` relative, so ``a`` by less than that. The
face is uniform to ``r = 2a``, then graded; elements are graded vertically from the face.
"""

from __future__ import annotations

import math
import time

import numpy as np

from solver.batch.bench.check import Check, bench_main
from solver.fem import contact
from solver.fem import contact_results
from solver.fem import kinematics
from solver.simulation import loadstep

NAME = "hertz"
CITATION = ("Hertz, J. reine angew. Math. 92, 156 (1882); Johnson, Contact Mechanics (1985), "
            "§4.2: a = (3PR/(4E*))^(1/3)")

# Lithium (Masias et al., J. Mater. Sci. 54, 2585 (2019)); the benchmark is elastic.
E = 7.82e9  # Pa
NU = 0.381
RADIUS = 1e-3  # sphere radius R (m)
A_TARGET = 20e-6  # contact radius the load is chosen for (m); a/R = 0.02: small slopes
BLOCK = 25.0  # block radius and thickness in units of a
SIZES = {
    # elements across the uniform zone 0 ≤ r ≤ 2a, grading away from it
    "small": {"n_face": (20, 40, 80), "grading": 1.1},
    "full": {"n_face": (40, 80, 160, 320), "grading": 1.05},
}
TOL_A = 0.03


def solve(comm, n_face: int, grading: float, load_fractions=(1.0,)) -> list[dict]:
    """Press the sphere with the loads ``P·fraction`` in turn; contact radius at each."""
    from solver.fem import mesh as geometry
    from solver.physics import references
    mat = kinematics.LinearElastic(E, NU)
    load = 4 * mat.E_star * A_TARGET**3 / (3 * RADIUS)  # the load for which a = A_TARGET
    L = BLOCK * A_TARGET
    fine = 2 * A_TARGET
    block = geometry.lithium_block_axisymmetric(comm, L, L, fine / n_face, n_face, grading,
                                                fine_radius=fine, z0=0.0)

    def sphere(r):
        return -(r**2) / (2 * RADIUS)

    cp = contact.ContactProblem(block, sphere, mat.stress, prefix=f"hertz_n{n_face}_")
    out = []
    for frac in load_fractions:
        t0 = time.perf_counter()
        P = frac * load
        step = loadstep.solve_load_step(cp, P / (math.pi * L**2))
        state = contact_results.contact_state(cp)
        face = contact_results.gather_face(state, comm)
        r = face.points[:, 0]
        edges = contact_results.contact_edges_1d(r, face.gap, face.pressure, face.in_contact, "gap")
        ref = references.hertz(P, RADIUS, mat.E_star)
        out.append({"load": P, "a": edges[0][0] if len(edges) == 1 else math.nan,
                    "a_ref": ref.a, "p0": float(face.pressure[0]), "p0_ref": ref.p0,
                    "force": state.force, "iterations": step.iterations,
                    "wall_s": time.perf_counter() - t0, "cells":
                    block.mesh.topology.index_map(2).size_global})
    return out


def run(size: str = "small") -> list[Check]:
    from solver.fem.backend import comm_world, import_dolfinx

    import_dolfinx()
    comm = comm_world()
    cfg = SIZES[size]
    ns = cfg["n_face"]
    results = {n: solve(comm, n, cfg["grading"], (0.4, 1.0)) for n in ns}
    checks = []
    for n in ns:
        for row in results[n]:
            kind = "rel" if n == ns[-1] else "info"
            checks.append(Check(f"a at P={row['load']:.3g} N (n={n})", row["a"], row["a_ref"],
                                TOL_A if kind == "rel" else math.nan, kind, "m"))
    best = results[ns[-1]]
    for row in best:
        checks.append(Check(f"p0 at P={row['load']:.3g} N (lumped, axis node)", row["p0"],
                            row["p0_ref"], TOL_A, "rel", "Pa"))
        checks.append(Check(f"contact force / P at P={row['load']:.3g} N", row["force"]
                            / row["load"], 1.0, 1e-8, "rel"))
    h = np.array([2 * A_TARGET / n for n in ns])
    err = np.array([math.sqrt(np.mean([(r["a"] / r["a_ref"] - 1) ** 2 for r in results[n]]))
                    for n in ns])
    rate = float(np.polyfit(np.log(h), np.log(err), 1)[0])
    for n, e in zip(ns, err, strict=True):
        checks.append(Check(f"rms rel. error of a, n={n}", float(e), kind="info"))
    checks.append(Check("fitted convergence rate of a", rate, kind="info",
                        curve={"x": h.tolist(), "computed": err.tolist(),
                               "reference": (err[-1] * (h / h[-1]) ** rate).tolist(),
                               "xlabel": "face element size (m)",
                               "ylabel": "rms relative error of a",
                               "logx": True, "logy": True}))
    checks.append(Check("Newton iterations per load step (max)",
                        float(max(r["iterations"] for n in ns for r in results[n])),
                        kind="info"))
    return checks


if __name__ == "__main__":
    raise SystemExit(bench_main(run, NAME, CITATION))
