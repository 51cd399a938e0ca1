"""Uniaxial power-law creep of lithium at one material point (Masias et al. 2019).

A single 3D material point of the press-and-hold law (:func:`solver.physics.laws.elastoplastic_creep`,
lithium parameters from ``solver/case/materials/lithium_masias2019.toml``) is held at a constant uniaxial
stress σ ∈ {0.2, 0.3, 0.4, 0.5, 0.6} MPa (all six stress components prescribed; a Newton iteration
on the strain with the consistent tangent, :func:`solver.physics.laws.mixed_control_step`). The time step
grows geometrically until the creep strain per step reaches 1e-4; the steady rate is read from the
axial strain over the last steps of equal length. σ stays below the yield stress (0.81 MPa), so the
rate-independent branch stays inactive and the rates are those of the Norton branch.

Checks:

* the stress exponent fitted to log ε̇ vs log σ equals n = 6.56 within 2 % — fails if the kernel's
  stress dependence, the equivalent-stress measure or the mixed-control loop is wrong;
* ε̇ at 0.2 and 0.6 MPa against the published minimum creep rates 2.0e-7 and 3.89e-4 1/s, compared
  in log10 with a tolerance of 0.09 decades. The two published points are **inconsistent with
  n = 6.56**: together they imply n = 6.89 (rate ratio 1945 vs 3^6.56 = 1349). With n fixed, no
  prefactor fits both: the best (least squares in log, A = 9.242e-3 1/(s MPa^n), the value in the
  material file) misses each by 0.0795 decades (+20 %, −17 %). The tolerance is that floor plus
  0.01 decades (2.4 % in A, for rounding); it fails for the single-point fit A = 7.7e-3 (0.159
  decades off at 0.6 MPa) and for any unit slip (MPa vs Pa is 39 decades);
* creep is isochoric: lateral/axial creep rate = −1/2;
* the instantaneous (elastic) axial strain equals σ/E;
* steadiness: the rate changes by less than 1e-9 between the last two windows;
* info: the exponent implied by the two published points.
"""

from __future__ import annotations

import math

import numpy as np

from solver.physics import laws as L
from solver.batch.bench.check import Check, bench_main
from solver.case.config import LithiumConfig
from solver.case.materials import lithium_law_params, material

NAME = "lithium_creep"
CITATION = ("Masias, Felten, Garcia-Mendez, Wolfenstine, Sakamoto, J. Mater. Sci. 54, 2585 (2019), "
            "doi:10.1007/s10853-018-2971-3")

STRESS_DECADE_TOL = 0.09  # decades; see the module docstring


def lithium_params() -> L.ElastoplasticCreepParams:
    """Press-and-hold law parameters of the default case's lithium (the material file, no case
    overrides), through the same mapping as the press stage."""
    return lithium_law_params(LithiumConfig())


def creep_test(params: L.ElastoplasticCreepParams, sigma: float, window: int = 4,
               strain_step: float = 1e-4, dt0: float = 1e-3):
    """Hold one 3D point at uniaxial stress ``sigma``.

    Returns ``(rate, rate_previous_window, lateral_ratio, eps_elastic)``.
    """
    target = np.zeros((1, 6))
    target[0, 0] = sigma
    free = np.zeros(6, bool)
    state = L.initial_state(1, 6)

    def step(state, dt):
        def law(de, st):
            return L.elastoplastic_creep(de, dt, st, params)
        return L.mixed_control_step(law, state, target, free, rtol=1e-12).result.state

    state = step(state, 1e-9)  # loading: elastic up to a negligible creep strain
    eps_elastic = state.eps[0, 0]
    dt = dt0
    while True:  # grow dt until a step creeps by `strain_step`
        new = step(state, dt)
        grown = new.p_creep[0] - state.p_creep[0]
        state = new
        if grown >= strain_step:
            break
        dt *= 2.0
    history = [state.eps[0].copy()]
    for _ in range(2 * window):
        state = step(state, dt)
        history.append(state.eps[0].copy())
    h = np.array(history)
    rate_prev = (h[window, 0] - h[0, 0]) / (window * dt)
    rate = (h[2 * window, 0] - h[window, 0]) / (window * dt)
    lateral = (h[2 * window, 1:3] - h[window, 1:3]).mean() / (h[2 * window, 0] - h[window, 0])
    return rate, rate_prev, lateral, eps_elastic


def run(size: str = "small") -> list[Check]:
    mat = material("lithium_masias2019")
    params = lithium_params()
    n_ref = mat.creep_stress_exponent
    (s_lo, s_hi) = mat.creep_data.stress_Pa
    (r_lo, r_hi) = mat.creep_data.min_strain_rate_per_s
    stresses = np.linspace(0.2e6, 0.6e6, 5 if size == "small" else 17)
    out = [creep_test(params, s) for s in stresses]
    rates = np.array([o[0] for o in out])
    slope = float(np.polyfit(np.log(stresses), np.log(rates), 1)[0])
    n_data = math.log(r_hi / r_lo) / math.log(s_hi / s_lo)
    line = np.log10(r_lo) + n_data * np.log10(stresses / s_lo)  # through the two published points

    def rate_at(s):
        return float(rates[int(np.argmin(np.abs(stresses - s)))])

    unsteady = float(max(abs(o[0] - o[1]) / o[0] for o in out))
    lateral = float(max((o[2] for o in out), key=lambda r: abs(r + 0.5)))
    i_mid = len(stresses) // 2
    return [
        Check("creep exponent n (fit of log rate vs log stress)", slope, n_ref, 0.02, "rel",
              curve={"x": np.log10(stresses).tolist(), "computed": np.log10(rates).tolist(),
                     "reference": line.tolist(), "xlabel": "log10(σ / Pa)",
                     "ylabel": "log10(ε̇ / (1/s))",
                     "reference_label": "line through Masias' two minimum creep rates "
                                        f"(n = {n_data:.2f})"}),
        Check("log10 rate at 0.2 MPa vs Masias 2.0e-7 1/s", math.log10(rate_at(s_lo)),
              math.log10(r_lo), STRESS_DECADE_TOL, "abs", "log10(1/s)"),
        Check("log10 rate at 0.6 MPa vs Masias 3.89e-4 1/s", math.log10(rate_at(s_hi)),
              math.log10(r_hi), STRESS_DECADE_TOL, "abs", "log10(1/s)"),
        Check("lateral/axial creep rate (isochoric), worst", lateral, -0.5, 1e-8, "rel"),
        Check("elastic strain / (σ/E) at loading",
              float(out[i_mid][3] * mat.youngs_modulus_Pa / stresses[i_mid]), 1.0, 1e-6,
              "rel"),
        Check("rate change between last two windows", unsteady, math.nan, 1e-9, "max"),
        Check("n implied by the two published points", n_data, n_ref, math.nan, "info"),
    ]


if __name__ == "__main__":
    raise SystemExit(bench_main(run, NAME, CITATION))
