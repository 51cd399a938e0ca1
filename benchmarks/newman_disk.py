"""Newman's disk electrode: primary and secondary current distribution.

A disk electrode of radius r₀ flush with an insulating plane, electrolyte (ionic conductivity κ)
filling the half-space, counter electrode at infinity.

* Primary distribution (no kinetic resistance, equipotential disk):
  ``i/i_avg = ½ (1 − r²/r₀²)^(−1/2)``
  (:func:`solver.physics.references.newman_disk_current_distribution`) and ``R = 1/(4κr₀)``
  (:func:`~solver.physics.references.newman_disk_resistance`).
* Secondary distribution (Butler–Volmer): governed by the Wagner number ``Wa = κR_ct/r₀``
  (:func:`~solver.physics.references.wagner_number`); the distribution flattens as Wa grows
  (uniform for Wa → ∞).

Model: axisymmetric block (:func:`solver.fem.mesh.lithium_block_axisymmetric`, the electrolyte
here) of radius and height ``L``, far boundary (top and outer radius) as counter electrode, Q1,
face uniform to 2r₀ (node at r₀), graded 1.15 away. Primary:
:class:`solver.physics.interface.FilmInterface` with a vanishing film on the disk
(``R_f = 1e-7 r₀/κ``, its series term ``R_f/(πr₀²)`` subtracted), far boundary at the applied
voltage; local current density ``j = G φ`` on the face
(:meth:`~solver.fem.potential.CurrentProblem.current_density_at`), normalised by ``I/(πr₀²)``.
R: the least-squares extrapolation ``R(L) = R∞ + c/L`` over ``L/r₀ = 16, 32, 64`` (as in
``holm.py``). Secondary: :class:`solver.physics.interface.KineticInterface` (SNES newtonls),
Butler–Volmer with α_a = α_c = 0.5 on the disk, i₀ set from Wa, galvanostatic with a mean disk
current density of 0.1 i₀ (close to the linear regime), ``L = 32 r₀``.

The FE current density near the edge (r → r₀) is singular and first-order accurate; the check
stops at r/r₀ = 0.9 as the reference asks.
"""

from __future__ import annotations

import math

import numpy as np

from solver.batch.bench.check import Check, bench_main

NAME = "newman_disk"
CITATION = ("Newman, J. Electrochem. Soc. 113, 501 (1966): i/i_avg = ½(1 − r²/r₀²)^(−1/2), "
            "R = 1/(4κr₀); secondary distribution set by Wa = κR_ct/r₀")

KAPPA = 1.0  # S/m
R0 = 1.0e-3  # disk radius, m
T = 298.15
L_OVER_R0 = (16.0, 32.0, 64.0)
SIZES = {
    "small": {"n_per_r0": 40, "grading": 1.15, "wagner": (0.1, 1.0, 10.0)},
    "full": {"n_per_r0": 120, "grading": 1.08, "wagner": (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)},
}
TOL_DIST = 0.03
TOL_R = 0.03
R_CHECK = np.linspace(0.0, 0.9, 10)  # r/r0 of the distribution check


def _block(comm, n: int, L: float, grading: float):
    from solver.fem import mesh as geometry
    return geometry.lithium_block_axisymmetric(comm, L, L, R0 / n, 2 * n, grading,
                                               fine_radius=2 * R0)


def primary(comm, n: int, L: float, grading: float, distribution: bool):
    """R (Ω) and, if asked, i/i_avg at R_CHECK·r0."""
    from solver.fem import mesh as geometry
    from solver.fem.potential import CurrentProblem
    from solver.physics.electrochemistry import FilmParams
    from solver.physics.interface import FilmInterface
    block = _block(comm, n, L, grading)
    r_film = 1e-7 * R0 / KAPPA
    prob = CurrentProblem(block, FilmInterface(KAPPA, FilmParams(r_film)),
                          counter=(geometry.TOP, geometry.RIGHT),
                          prefix=f"newman_p{round(L / R0)}_")
    prob.set_face_values(lambda x, y: np.where(x < R0, 1.0 / r_film, 0.0))
    sol = prob.solve(voltage=1.0)
    R = sol.resistance - r_film / (math.pi * R0 * R0)
    dist = None
    if distribution:
        r = R_CHECK * R0
        j = prob.current_density_at(np.full(r.size, 1.0 / r_film), r)
        dist = j / (sol.interface_current / (math.pi * R0 * R0))
    return R, dist


def secondary(comm, block, wagner: float) -> dict:
    """Max/mean and centre/mean of the disk current density at Wagner number ``wagner``."""
    from solver.fem import mesh as geometry
    from solver.fem.potential import CurrentProblem
    from solver.physics import references
    from solver.physics.interface import KineticInterface, Kinetics
    kin0 = Kinetics(1.0, T=T)
    r_ct = wagner * R0 / KAPPA
    kin = Kinetics(kin0.R_ct / r_ct, T=T)  # R_ct ∝ 1/i0
    wa = references.wagner_number(KAPPA, kin.R_ct, R0)
    prob = CurrentProblem(block, KineticInterface(KAPPA, kin),
                          counter=(geometry.TOP, geometry.RIGHT), prefix=f"newman_wa{wagner:g}_")
    prob.set_face_values(lambda x, y: (x < R0).astype(float))
    j_disk = 0.1 * kin.i0
    sol = prob.solve(current_density=j_disk * R0**2 / prob.block.lengths[0] ** 2)
    r = np.linspace(0.0, 0.999, 400) * R0
    j = prob.current_density_at(np.ones(r.size), r)
    mean = sol.interface_current / (math.pi * R0 * R0)
    return {"wa": wa, "max_over_mean": float(j.max() / mean), "centre": float(j[0] / mean),
            "iterations": sol.iterations, "r": r / R0, "j": j / mean}


def run(size: str = "small") -> list[Check]:
    from solver.physics import references
    from solver.fem.backend import comm_world, import_dolfinx

    import_dolfinx()
    comm = comm_world()
    cfg = SIZES[size]
    n, grading = cfg["n_per_r0"], cfg["grading"]
    Ls = [q * R0 for q in L_OVER_R0]
    Rs, dist = [], None
    for L in Ls:
        R, d = primary(comm, n, L, grading, distribution=(L == Ls[-1]))
        Rs.append(R)
        dist = d if d is not None else dist
    M = np.column_stack([np.ones(len(Ls)), 1.0 / np.asarray(Ls)])
    (r_inf, _c), *_ = np.linalg.lstsq(M, np.asarray(Rs), rcond=None)
    ref_d = references.newman_disk_current_distribution(R_CHECK * R0, R0)
    rel = np.abs(dist / ref_d - 1.0)
    checks = [
        Check("primary i/i_avg, largest rel. error for r/r₀ ≤ 0.9", float(rel.max()),
              tolerance=TOL_DIST, kind="max",
              curve={"x": R_CHECK.tolist(), "computed": dist.tolist(),
                     "reference": ref_d.tolist(), "xlabel": "r/r₀", "ylabel": "i/i_avg"}),
        Check("primary i/i_avg at r = 0", float(dist[0]), 0.5, TOL_DIST, "rel"),
        Check("primary R∞ (fit R∞ + c/L)", float(r_inf),
              references.newman_disk_resistance(KAPPA, R0), TOL_R, "rel", "Ω"),
    ]
    block = _block(comm, n, 32.0 * R0, grading)
    sec = [secondary(comm, block, wa) for wa in cfg["wagner"]]
    ratios = [s["max_over_mean"] for s in sec]
    for s in sec:
        checks.append(Check(f"secondary i_max/i_avg at Wa = {s['wa']:.3g}", s["max_over_mean"],
                            kind="info"))
    checks.append(Check("secondary: largest ratio of successive i_max/i_avg (Wa ↑)",
                        max(b / a for a, b in zip(ratios, ratios[1:])), tolerance=1.0 - 1e-6,
                        kind="max",
                        curve={"x": [s["wa"] for s in sec], "computed": ratios,
                               "reference": [1.0] * len(sec), "xlabel": "Wagner number",
                               "ylabel": "i_max/i_avg (reference: uniform)", "logx": True}))
    checks.append(Check("secondary: i_max/i_avg ≥ 1 at every Wa", min(ratios), tolerance=1.0,
                        kind="min"))
    checks.append(Check("secondary Newton iterations (max)",
                        float(max(s["iterations"] for s in sec)), kind="info"))
    return checks


if __name__ == "__main__":
    raise SystemExit(bench_main(run, NAME, CITATION))
