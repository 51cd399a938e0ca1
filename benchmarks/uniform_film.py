"""Full contact with a uniform interface: the ASR is the interface's own specific resistance.

With the whole face in contact and a uniform interface law, the potential is exactly linear in
the distance from the face (the FE space contains it), the current density is uniform, and
``ASR = ΔV/J − t/c`` equals the interface's specific resistance to round-off:

* electronic Li|Cu (:class:`solver.physics.interface.FilmInterface`): ``R_film``, and
  ``R_film/(1 + p/p_ref)^β`` for a pressure-dependent film at uniform pressure p
  (:func:`solver.physics.electrochemistry.film_conductance`);
* ionic Li|SE (:class:`~solver.physics.interface.KineticInterface`, Butler–Volmer): ``η(J)/J``
  with η the inverse of the kinetics at the applied current density (``→ R_ct`` as J → 0);
* anode-less Cu|SE (nucleation dead band η_n): the same with the shifted law, plating (J < 0).

The face fields come from a synthetic contact map (full contact, uniform pressure) through
:func:`solver.simulation.current.set_contact_map` on a grid that does not match the FE face,
both galvanostatic and potentiostatic; 3D hexahedra and a plane-strain 2D block. The current map
on the surface grid must be uniform (``j_max/j_mean = 1``).
"""

from __future__ import annotations

import numpy as np

from solver.batch.bench.check import Check, bench_main

NAME = "uniform_film"
CITATION = "Exact 1D solution: ASR = R_film (uniform film, full contact), η(J)/J for kinetics"

SIGMA = 1.1e7  # S/m, lithium
KAPPA = 0.1  # S/m, a sulfide/oxide electrolyte order of magnitude
R_FILM = 1.0e-4  # Ω m² (1 Ω cm²)
LX = 20e-6  # m
THICKNESS = 30e-6  # m
P_UNIFORM = 3e6  # Pa
TOL = 1e-6
SIZES = {"small": {"n_face": 6, "n_grid": 16}, "full": {"n_face": 16, "n_grid": 64}}


def full_contact_map(n: int, dim: int) -> dict:
    """Contact-map arrays of one step: full contact at uniform pressure (grid n × n or n × 1)."""
    from solver.simulation import contactmap
    shape = (n, n) if dim == 3 else (n, 1)
    h = np.zeros(shape)
    maps = contactmap.ContactMaps.empty(h, (LX, LX))
    maps.append(np.full(shape, P_UNIFORM), np.zeros(shape), np.ones(shape, bool), P_UNIFORM, 0.0,
                "load")
    return maps.arrays()


def _block(comm, dim: int, n: int):
    from solver.fem import mesh as geometry
    if dim == 3:
        return geometry.lithium_block_3d(comm, (LX, LX), THICKNESS, THICKNESS / 8, (n, n), 1.2)
    return geometry.lithium_block_2d(comm, LX, THICKNESS, THICKNESS / 8, 2 * n, 1.2)


def run(size: str = "small") -> list[Check]:
    from solver.fem.potential import CurrentProblem
    from solver.physics.interface import FilmInterface, KineticInterface, Kinetics
    from solver.simulation import current
    from solver.physics.electrochemistry import FARADAY, FilmParams, GAS_CONSTANT
    from solver.fem.backend import comm_world, import_dolfinx

    import_dolfinx()
    comm = comm_world()
    cfg = SIZES[size]
    checks = []
    J = 10.0  # A/m² (1 mA/cm²)
    for dim in (3, 2):
        block = _block(comm, dim, cfg["n_face"])
        maps = full_contact_map(cfg["n_grid"], dim)
        # electronic, constant and pressure-dependent film
        for film, label in ((FilmParams(R_FILM), "R_film"),
                            (FilmParams(R_FILM, p_ref=1e6, beta=0.5), "R_film(p)")):
            ref = R_FILM / (1.0 + P_UNIFORM / film.p_ref) ** film.beta
            prob = CurrentProblem(block, FilmInterface(SIGMA, film),
                                          prefix=f"uniform_e{dim}_{film.beta:g}_")
            for drive in ("current", "voltage"):
                step = current.solve_step(
                    prob, maps, 0, **({"current_density": J} if drive == "current"
                                      else {"voltage": J * (ref + THICKNESS / SIGMA)}))
                checks.append(Check(f"{dim}D Li|Cu ASR = {label}, {drive}", step.solution.asr,
                                    ref, TOL, "rel", "Ω m²"))
            checks.append(Check(f"{dim}D Li|Cu current map j_max/j_mean",
                                step.metrics.j_max_over_mean, 1.0, 1e-9, "rel"))
        # ionic Li|SE and anode-less Cu|SE
        for kin, jj, label in ((Kinetics(10.0), J, "Li|SE"),
                               (Kinetics(10.0, eta_nucleation=0.02), -J, "Cu|SE η_n")):
            ref = kin.overpotential(jj) / jj
            prob = CurrentProblem(block, KineticInterface(KAPPA, kin),
                                          prefix=f"uniform_i{dim}_{label[:2]}_")
            step = current.solve_step(prob, maps, 0, current_density=jj)
            checks.append(Check(f"{dim}D {label} ASR = η(J)/J, current", step.solution.asr, ref,
                                TOL, "rel", "Ω m²"))
            v = jj * (ref + THICKNESS / KAPPA)
            sol = prob.solve(voltage=v)
            checks.append(Check(f"{dim}D {label} ASR, voltage", sol.asr, ref, TOL, "rel",
                                "Ω m²"))
            checks.append(Check(f"{dim}D {label} current at the applied voltage",
                                sol.current_density, jj, TOL, "rel", "A/m²"))
            checks.append(Check(f"{dim}D {label} current map j_max/j_mean",
                                step.metrics.j_max_over_mean, 1.0, 1e-6, "rel"))
    kin = Kinetics(10.0)
    checks.append(Check("R_ct of i0 = 10 A/m² (linearised)", kin.R_ct,
                        GAS_CONSTANT * kin.T / (FARADAY * 10.0), 1e-12, "rel",
                        "Ω m²"))
    checks.append(Check("η(J)/J → R_ct at J = 1e-4 i0", kin.overpotential(1e-3) / 1e-3,
                        kin.R_ct, 1e-6, "rel", "Ω m²"))
    return checks


if __name__ == "__main__":
    raise SystemExit(bench_main(run, NAME, CITATION))
