"""Holm: constriction resistance of one circular conducting spot on a large conductor.

An equipotential spot of radius ``a`` on the otherwise insulating face of a half-space of
resistivity ρ, the other electrode at infinity: ``R = ρ/(4a)`` (one side,
:func:`solver.physics.references.holm_resistance` with ``sides=1``).

Model: axisymmetric (exact for this problem): :func:`solver.fem.mesh.lithium_block_axisymmetric`
of radius and height ``L`` (lithium, σ = 1.1e7 S/m), the spot at the axis on the face,
:class:`solver.fem.potential.CurrentProblem` with
:class:`~solver.physics.interface.FilmInterface`: the spot is a film of vanishing resistance
``R_f = 1e-7·ρa`` (``G = 1/R_f`` for r < a, 0 elsewhere; the face is uniform to r = 2a with a
node at r = a), the far boundary (top and outer radius) is held at the applied voltage. The film
adds ``R_f/(πa²)`` (1e-7 of the answer) in series; it is subtracted.
Q1 elements, uniform on the face to r = 2a, graded by 1.15 away from it.

Finite size: the far boundary at distance ``L`` takes away the resistance between itself and
infinity, ``R(L) = R∞ + c/L + O(a²/L³)`` (for a hemispherical boundary ``c = −ρ/(2π)``; here a
cylinder of radius and height L, whose c is fitted). **Extrapolation used**: a least-squares fit
of ``R(L) = R∞ + c/L`` over ``L/a = 16, 32, 64`` on the finest mesh; R∞ is the checked value.

Discretisation: the current density at the spot edge is singular (``∝ (a−r)^(−1/2)``), so the FE
error of R is first order in the face element size h (measured: −2.2 %, −1.1 %, −0.6 % at
a/h = 10, 20, 40). A Richardson extrapolation in h of the two finest meshes is reported as info.
"""

from __future__ import annotations

import math

import numpy as np

from solver.batch.bench.check import Check, bench_main

NAME = "holm"
CITATION = ("Holm, Electric Contacts: Theory and Application, 4th ed. (Springer, 1967): "
            "R = ρ/(4a) (one side)")

SIGMA = 1.1e7  # S/m, lithium (solver/case/materials/lithium_masias2019.toml)
RHO = 1.0 / SIGMA
A = 1.0e-6  # spot radius, m
L_OVER_A = (16.0, 32.0, 64.0)
SIZES = {
    # face elements per spot radius (uniform to r = 2a), vertical/radial grading away from it
    "small": {"n_per_a": (10, 20, 40), "grading": 1.15},
    "full": {"n_per_a": (20, 40, 80, 160), "grading": 1.1},
}
TOL = 0.02  # relative, on the extrapolated R∞


def resistance(comm, n_per_a: int, L: float, grading: float) -> float:
    """Constriction resistance (Ω) of the spot with the far boundary at distance L."""
    from solver.fem.potential import CurrentProblem
    from solver.physics.interface import FilmInterface
    from solver.fem import mesh as geometry
    from solver.physics.electrochemistry import FilmParams
    h = A / n_per_a
    block = geometry.lithium_block_axisymmetric(comm, L, L, h, 2 * n_per_a, grading,
                                                fine_radius=2 * A)
    r_film = 1e-7 * RHO * A
    model = FilmInterface(SIGMA, FilmParams(r_film))
    prob = CurrentProblem(block, model, counter=(geometry.TOP, geometry.RIGHT),
                          prefix=f"holm_n{n_per_a}_L{round(L / A)}_")
    prob.set_face_values(lambda x, y: np.where(x < A, 1.0 / r_film, 0.0))
    sol = prob.solve(voltage=1e-3)
    return sol.resistance - r_film / (math.pi * A * A)


def fit_far_field(Ls, Rs) -> tuple[float, float]:
    """Least-squares ``R = R∞ + c/L``: returns (R∞, c)."""
    M = np.column_stack([np.ones(len(Ls)), 1.0 / np.asarray(Ls)])
    (r_inf, c), *_ = np.linalg.lstsq(M, np.asarray(Rs), rcond=None)
    return float(r_inf), float(c)


def run(size: str = "small") -> list[Check]:
    from solver.physics import references
    from solver.fem.backend import comm_world, import_dolfinx

    import_dolfinx()
    comm = comm_world()
    cfg = SIZES[size]
    ref = float(references.holm_resistance(RHO, A, sides=1))
    Ls = [q * A for q in L_OVER_A]
    fits = {}
    raw = {}
    for n in cfg["n_per_a"]:
        Rs = [resistance(comm, n, L, cfg["grading"]) for L in Ls]
        raw[n] = Rs
        fits[n] = fit_far_field(Ls, Rs)
    ns = cfg["n_per_a"]
    finest = ns[-1]
    r_inf, c = fits[finest]
    resid = max(abs(r_inf + c / L - R) for L, R in zip(Ls, raw[finest], strict=True)) / ref
    checks = [
        Check(f"R∞ (fit R∞ + c/L, a/h = {finest})", r_inf, ref, TOL, "rel", "Ω"),
        Check(f"R at L = {L_OVER_A[-1]:g}a, no extrapolation", raw[finest][-1], ref,
              kind="info", unit="Ω"),
        Check("fit residual / R_Holm (1/L law)", resid, tolerance=1e-3, kind="max"),
        Check("fitted far-field coefficient c/ρ", c / RHO, kind="info"),
    ]
    h = np.array([A / n for n in ns])
    err = np.array([abs(fits[n][0] - ref) / ref for n in ns])
    for n, e in zip(ns, err, strict=True):
        checks.append(Check(f"rel. error of R∞, a/h = {n}", float(e), kind="info"))
    rate = float(np.polyfit(np.log(h), np.log(err), 1)[0])
    checks.append(Check("fitted convergence rate of R∞ in h (edge singularity: 1)", rate,
                        tolerance=0.7, kind="min",
                        curve={"x": h.tolist(), "computed": err.tolist(),
                               "reference": (err[-1] * (h / h[-1]) ** 1.0).tolist(),
                               "xlabel": "face element size h (m)",
                               "ylabel": "relative error of R∞", "logx": True, "logy": True}))
    richardson = 2 * fits[ns[-1]][0] - fits[ns[-2]][0]
    checks.append(Check("R∞ Richardson in h (two finest)", richardson, ref, kind="info",
                        unit="Ω"))
    checks.append(Check(
        "R(L) on the finest mesh", raw[finest][-1], ref, kind="info", unit="Ω",
        curve={"x": [A / L for L in Ls], "computed": [R / ref for R in raw[finest]],
               "reference": [(r_inf + c / L) / ref for L in Ls],
               "xlabel": "a/L", "ylabel": "R / (ρ/4a)  (reference: fitted R∞ + c/L)"}))
    return checks


if __name__ == "__main__":
    raise SystemExit(bench_main(run, NAME, CITATION))
