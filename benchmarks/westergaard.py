"""Westergaard: an elastic block pressed onto a rigid sinusoid, plane strain, frictionless.

Surface ``h = g0 cos(2πx/λ)``; the block's face starts at ``y = g0`` (the crests). For the full
periodic problem on a half-space the contact half-width ``a`` obeys ``p̄ = p* sin²(πa/λ)`` with
``p* = π E* g0/λ`` (the mean pressure for full contact), and the peak pressure is
``p(0) = 2 p̄/sin(πa/λ) = 2√(p̄ p*)``.

Model: the half period ``x ∈ [0, λ/2]`` with symmetry planes (``u_x = 0``) at both sides, which is
exact for this even, periodic problem; thickness ``2λ``, uniform pressure on top. The part of the
field that varies along x decays like ``exp(−2π y/λ)`` (and faster for the harmonics), so the
finite thickness changes the answer by ``≈ exp(−4π) ≈ 3.5e−6`` (relative), far below the
tolerance, and the uniform top traction is the same as a rigid platen. Q1 elements, uniform along
the face, graded vertically (smallest at the face). Contact by SNES ``vinewtonrsls`` with bounds
on the face's vertical displacement.

The contact edge is located inside the element: the gap opens like ``(x − a)^(3/2)`` outside a
smooth contact, so ``g^(2/3)`` of the two first free nodes is extrapolated linearly to zero
(:func:`solver.fem.contact_results.contact_edges_1d`, method ``"gap"``). The node-counting estimate is
reported for comparison.
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

NAME = "westergaard"
CITATION = ("Westergaard, J. Appl. Mech. 6, A49 (1939); Johnson, Contact Mechanics (1985), §13: "
            "p̄ = p* sin²(πa/λ), p* = πE*g0/λ")

# Lithium (Masias et al., J. Mater. Sci. 54, 2585 (2019)); the benchmark is elastic.
E = 7.82e9  # Pa
NU = 0.381
WAVELENGTH = 10e-6  # m
AMPLITUDE = 0.05e-6  # m (slope 2πg0/λ ≈ 0.03: small strain)
THICKNESS = 2.0 * WAVELENGTH
RATIOS = (0.1, 0.3, 0.6, 0.9)  # p̄/p* of the checks
CURVE_RATIOS = (0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.75, 0.9, 0.95)
SIZES = {
    # elements across the half period, vertical grading
    "small": {"n_face": (25, 50, 100, 200), "grading": 1.1},
    "full": {"n_face": (50, 100, 200, 400), "grading": 1.05},
}
TOL_A = 0.01  # relative, on a for the finest mesh


def half_width(ratio: float) -> float:
    """Analytic contact half-width for ``p̄/p* = ratio`` (m)."""
    from solver.physics import references
    return float(references.westergaard_half_width(ratio, 1.0, WAVELENGTH))


def solve(comm, n_face: int, grading: float, ratios) -> list[dict]:
    """Press the block to each ``p̄/p*`` in turn; the contact edge and peak pressure at each."""
    from solver.fem import mesh as geometry
    from solver.physics import references
    mat = kinematics.LinearElastic(E, NU)
    p_star = references.westergaard_full_contact_pressure(mat.E_star, AMPLITUDE, WAVELENGTH)
    h_face = WAVELENGTH / (2 * n_face)
    block = geometry.lithium_block_2d(comm, WAVELENGTH / 2, THICKNESS, h_face, n_face, grading,
                                      z0=AMPLITUDE)

    def surface(x):
        return AMPLITUDE * np.cos(2 * np.pi * x / WAVELENGTH)

    cp = contact.ContactProblem(block, surface, mat.stress,
                                  prefix=f"westergaard_n{n_face}_")
    out = []
    for ratio in ratios:
        t0 = time.perf_counter()
        step = loadstep.solve_load_step(cp, ratio * p_star)
        state = contact_results.contact_state(cp)
        face = contact_results.gather_face(state, comm)
        x = face.points[:, 0]
        exact = references.westergaard_pressure(x, ratio * p_star, p_star, WAVELENGTH)
        peak = 2 * math.sqrt(ratio) * p_star
        row = {"ratio": ratio, "iterations": step.iterations,
               "p_rms_error": float(np.sqrt(np.mean((face.pressure - exact) ** 2))) / peak,
               "wall_s": time.perf_counter() - t0, "fraction": state.fraction,
               "force": state.force, "p_star": p_star,
               "p0": float(face.pressure[np.argmin(x)])}
        for method in ("gap", "node"):
            edges = contact_results.contact_edges_1d(x, face.gap, face.pressure, face.in_contact,
                                               method)
            row[f"a_{method}"] = edges[0][0] if len(edges) == 1 else math.nan
        out.append(row)
    return out


def run(size: str = "small") -> list[Check]:
    from solver.fem.backend import comm_world, import_dolfinx

    import_dolfinx()
    comm = comm_world()
    cfg = SIZES[size]
    ns = cfg["n_face"]
    results = {}
    for n in ns:  # the finest mesh also gives the curve, loads in increasing order
        loads = sorted(set(RATIOS) | set(CURVE_RATIOS)) if n == ns[-1] else RATIOS
        results[n] = solve(comm, n, cfg["grading"], loads)
    curve = results[ns[-1]]
    results[ns[-1]] = [r for r in curve if r["ratio"] in RATIOS]
    finest = results[ns[-1]]
    checks = []
    for row in finest:
        ref = half_width(row["ratio"])
        checks.append(Check(f"a at p/p*={row['ratio']:g} (n={ns[-1]})", row["a_gap"], ref,
                            TOL_A, "rel", "m"))
    for row in finest:
        checks.append(Check(f"a by node count at p/p*={row['ratio']:g}", row["a_node"],
                            half_width(row["ratio"]), kind="info", unit="m"))
    # Peak pressure 2√(p̄ p*) (lumped nodal reaction at the symmetry node) and equilibrium.
    for row in finest:
        p_bar = row["ratio"] * row["p_star"]
        checks.append(Check(f"p(0) at p/p*={row['ratio']:g}", row["p0"],
                            2 * math.sqrt(p_bar * row["p_star"]), 0.02, "rel", "Pa"))
    for row in finest:
        checks.append(Check(f"rms pressure error / p(0) at p/p*={row['ratio']:g}",
                            row["p_rms_error"], kind="info"))
    row = finest[-1]
    checks.append(Check("contact force / (p̄ λ/2)", row["force"]
                        / (row["ratio"] * row["p_star"] * WAVELENGTH / 2), 1.0, 1e-8, "rel"))

    # Mesh convergence: rms over the loads of the relative error in a.
    h = np.array([WAVELENGTH / (2 * n) for n in ns])
    err = np.array([math.sqrt(np.mean([((r["a_gap"] - half_width(r["ratio"]))
                                        / half_width(r["ratio"])) ** 2 for r in results[n]]))
                    for n in ns])
    rate = float(np.polyfit(np.log(h), np.log(err), 1)[0])
    for n, e in zip(ns, err, strict=True):
        checks.append(Check(f"rms rel. error of a, n={n}", float(e), kind="info"))
    checks.append(Check("largest error ratio fine/coarse", float(np.max(err[1:] / err[:-1])),
                        tolerance=1.0, kind="max"))
    # Expected first order: the edge moves by the gap error near it, O(h^(3/2)) for a field
    # with the √-singular stress of a contact edge, over the gap's slope there, O(h^(1/2)).
    checks.append(Check("fitted convergence rate of a", rate, tolerance=0.8, kind="min",
                        curve={"x": h.tolist(), "computed": err.tolist(),
                               "reference": (err[-1] * (h / h[-1]) ** rate).tolist(),
                               "xlabel": "face element size (m)",
                               "ylabel": "rms relative error of a",
                               "logx": True, "logy": True}))

    # p̄/p* against a/λ on the finest mesh.
    x = [r["ratio"] for r in curve]
    checks.append(Check(
        "a/λ curve, largest rel. error", max(abs(r["a_gap"] / half_width(r["ratio"]) - 1)
                                            for r in curve),
        tolerance=TOL_A, kind="max",
        curve={"x": x, "computed": [r["a_gap"] / WAVELENGTH for r in curve],
               "reference": [half_width(r) / WAVELENGTH for r in x],
               "xlabel": "p̄/p*", "ylabel": "a/λ"}))
    iters = [r["iterations"] for n in ns for r in results[n]] + [r["iterations"] for r in curve]
    checks.append(Check("Newton iterations per load step (max)", float(max(iters)),
                        kind="info"))
    return checks


if __name__ == "__main__":
    raise SystemExit(bench_main(run, NAME, CITATION))
