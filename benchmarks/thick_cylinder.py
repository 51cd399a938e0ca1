"""Thick-walled cylinder under internal pressure: plane strain, von Mises, perfectly plastic.

Hill (1950, ch. V): the limit (collapse) pressure of a cylinder ``Ri ≤ r ≤ Ro`` is
``q_lim = (2/√3) σ0 ln(Ro/Ri)``, and while the plastic zone extends to ``r = c`` the pressure is
``p(c) = (σ0/√3)[2 ln(c/Ri) + 1 − c²/Ro²]``
(:func:`solver.physics.references.cylinder_elastoplastic_pressure`; exact for ν = 1/2, close for
ν < 1/2, see below). The limit load is independent of the elastic
constants.

Model: a quarter annulus (symmetry ``u_y = 0`` on y = 0, ``u_x = 0`` on x = 0), a structured
triangulation of the mapped rectangle ``(r, θ)`` (no mesh generator), P2 displacements and the
3-point rule for the quadrature-point state (:mod:`solver.fem.quadrature`; P1/Q1 lock in fully plastic
plane-strain flow and overestimate limit loads). The load is **displacement controlled**: the
inner boundary is moved radially by ``U`` (``u = U x/|x|``; ``u_θ = 0`` is the exact symmetry of the
problem), and the pressure is read from the reaction by virtual work: with
``w = e_r (Ro − r)/(Ro − Ri)``, ``p = ∫ σ:ε(w) dx / ∫_{r=Ri} w·e_r ds`` (exact for the discrete
equilibrium, also on the polygonal boundary). Under displacement control the perfectly plastic
collapse is a plateau of ``p(U)`` that Newton follows without trouble, where load control fails
at the limit.

Material: lithium (Masias et al. 2019: E = 7.82 GPa, ν = 0.381, σ0 = 0.81 MPa), ``Ro/Ri = 2``.

Checks:

* the plateau pressure (at ``U`` = 60 times the first-yield displacement) against ``q_lim``
  within 1 % (``"rel"``), and its flatness (last doubling of ``U`` raises ``p`` by < 0.5 %);
* the first-yield pressure (largest ``q`` at ``Ri`` reaching σ0) against the Lamé/von Mises value;
* the pressure against the plastic radius ``c`` (from the FE stresses) vs Hill's ``p(c)``: largest
  relative difference over the elastic–plastic range < 1 %. Hill's curve treats
  ``σ_zz = (σ_rr + σ_θθ)/2`` (incompressible); with ν = 0.381 the elastic ``σ_zz = ν(σ_rr+σ_θθ)``
  differs, which changes ``p(c)`` by well under 1 % here (first yield: 0.06 %); the FE front ``c``
  is fitted from the elastic zone, where ``q² = 3B²/r⁴ + (1−2ν)²A²`` holds exactly (Lamé), so it
  is not limited to the quadrature-point spacing.
"""

from __future__ import annotations

import math
import time

import numpy as np

from solver.batch.bench.check import Check, bench_main

NAME = "thick_cylinder"
CITATION = ("Hill, The Mathematical Theory of Plasticity (1950), ch. V: "
            "q_lim = (2/√3) σ0 ln(Ro/Ri)")

E = 7.82e9  # Pa (Masias et al. 2019)
NU = 0.381
SIGMA0 = 0.81e6  # Pa
RI, RO = 1.0e-3, 2.0e-3  # m
#: Inner displacement steps in units of the first-yield displacement U_e.
U_STEPS = (0.5, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.3, 2.6, 3.0, 3.5, 4.0, 5.0, 7.5, 15.0, 30.0, 60.0)
SIZES = {
    # P2 triangles: radial × circumferential cells of the mapped rectangle (×2 triangles)
    "small": {"n_r": 12, "n_t": 18},
    "full": {"n_r": 32, "n_t": 48},
}
TOL_LIMIT = 0.01
TOL_CURVE = 0.01
TOL_FLAT = 0.005


def quarter_annulus(comm, n_r: int, n_t: int):
    """P1-geometry triangulation of ``Ri ≤ r ≤ Ro``, ``0 ≤ θ ≤ π/2``; facet tags 1 (inner)."""
    from solver.fem.backend import import_dolfinx

    dolfinx = import_dolfinx()
    mesh = dolfinx.mesh.create_rectangle(comm, [[0.0, 0.0], [1.0, 1.0]], [n_r, n_t],
                                         cell_type=dolfinx.mesh.CellType.triangle,
                                         diagonal=dolfinx.mesh.DiagonalType.crossed)
    x = mesh.geometry.x
    r = RI + (RO - RI) * x[:, 0]
    t = 0.5 * math.pi * x[:, 1]
    x[:, 0], x[:, 1] = r * np.cos(t), r * np.sin(t)
    fdim = mesh.topology.dim - 1
    mesh.topology.create_connectivity(fdim, fdim + 1)
    inner = dolfinx.mesh.locate_entities_boundary(
        mesh, fdim, lambda p: np.isclose(np.hypot(p[0], p[1]), RI, rtol=0, atol=1e-9 * RI))
    tags = dolfinx.mesh.meshtags(mesh, fdim, inner, np.full(len(inner), 1, dtype=np.int32))
    return mesh, tags


def lame(p: float) -> tuple[float, float]:
    """``(A, B)`` of the elastic Lamé solution ``σ_rr = A − B/r²``, ``σ_θθ = A + B/r²``."""
    A = p * RI**2 / (RO**2 - RI**2)
    return A, A * RO**2


def first_yield() -> tuple[float, float]:
    """Pressure and inner displacement at first yield (plane strain, von Mises, any ν)."""
    A, B = lame(1.0)  # per unit pressure
    q = math.sqrt(3 * B**2 / RI**4 + (1 - 2 * NU) ** 2 * A**2)
    p_e = SIGMA0 / q
    u_e = p_e * (1 + NU) / E * ((1 - 2 * NU) * A * RI + B / RI)
    return p_e, u_e


def plastic_radius(law, comm) -> float:
    """Elastic–plastic front ``c`` from the FE stresses of the elastic zone (see module doc)."""
    from mpi4py import MPI

    from solver.physics import laws
    r = np.hypot(law.points[:, 0], law.points[:, 1])
    q = laws.von_mises(law.stress_values())
    elastic = law.committed.p <= 0.0
    # least squares q² = a/r⁴ + b on the elastic points (normal equations summed over ranks)
    X = np.stack([r[elastic] ** -4, np.ones(np.count_nonzero(elastic))], axis=1)
    y = q[elastic] ** 2
    n_el = comm.allreduce(int(np.count_nonzero(elastic)), op=MPI.SUM)
    n_pl = comm.allreduce(int(np.count_nonzero(~elastic)), op=MPI.SUM)
    if n_pl == 0:
        return RI
    if n_el < 3:
        return RO
    M = comm.allreduce(X.T @ X, op=MPI.SUM)
    v = comm.allreduce(X.T @ y, op=MPI.SUM)
    a, b = np.linalg.solve(M, v)
    return float(min(RO, (a / (SIGMA0**2 - b)) ** 0.25)) if SIGMA0**2 > b else RO


def solve(comm, n_r: int, n_t: int, u_steps=U_STEPS) -> list[dict]:
    """Displacement-controlled expansion; per step ``U``, ``p``, ``c``, Newton iterations."""
    from solver.fem.backend import import_dolfinx

    dolfinx = import_dolfinx()
    import ufl
    from mpi4py import MPI
    from petsc4py import PETSc

    from solver.physics import laws

    from solver.fem import quadrature
    from solver.errors import SolveError
    from solver.fem.petsc import LINEAR_LU
    from solver.fem.petsc import apply as apply_options

    mesh, tags = quarter_annulus(comm, n_r, n_t)
    fdim = mesh.topology.dim - 1
    V = dolfinx.fem.functionspace(mesh, ("Lagrange", 2, (2,)))
    u = dolfinx.fem.Function(V, name="displacement")
    v, du = ufl.TestFunction(V), ufl.TrialFunction(V)
    law = quadrature.QuadratureLaw(u, "plane_strain", laws.J2Params(E, NU, SIGMA0))
    F = law.residual(v)
    J = law.jacobian(du, v)

    g = dolfinx.fem.Function(V)
    inner_dofs = dolfinx.fem.locate_dofs_topological(V, fdim, tags.find(1))
    bottom = dolfinx.mesh.locate_entities_boundary(mesh, fdim, lambda p: np.isclose(p[1], 0.0))
    left = dolfinx.mesh.locate_entities_boundary(mesh, fdim, lambda p: np.isclose(p[0], 0.0))
    bcs = [dolfinx.fem.dirichletbc(g, inner_dofs),
           dolfinx.fem.dirichletbc(PETSc.ScalarType(0.0),
                                   dolfinx.fem.locate_dofs_topological(V.sub(1), fdim, bottom),
                                   V.sub(1)),
           dolfinx.fem.dirichletbc(PETSc.ScalarType(0.0),
                                   dolfinx.fem.locate_dofs_topological(V.sub(0), fdim, left),
                                   V.sub(0))]
    prefix = f"thick_cylinder_{n_r}x{n_t}_"
    problem = dolfinx.fem.petsc.NonlinearProblem(F, u, bcs=bcs, J=J, petsc_options_prefix=prefix)
    quadrature.attach(problem, law, bcs)
    snes = problem.solver
    apply_options(snes, prefix, {"snes_type": "newtonls", "snes_linesearch_type": "basic",
                                 "snes_rtol": 1e-10, "snes_atol": 1e-11 * SIGMA0 * RI,
                                 "snes_stol": 0.0, "snes_max_it": 30, **LINEAR_LU})

    # virtual-work pressure: w = e_r (Ro − r)/(Ro − Ri)
    w = dolfinx.fem.Function(V)
    w.interpolate(lambda p: np.stack([p[0], p[1]]) / np.hypot(p[0], p[1])
                  * (RO - np.hypot(p[0], p[1])) / (RO - RI))
    ds = ufl.Measure("ds", domain=mesh, subdomain_data=tags)
    x = ufl.SpatialCoordinate(mesh)
    er = x / ufl.sqrt(ufl.dot(x, x))
    area = comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(ufl.dot(w, er) * ds(1))),
                          op=MPI.SUM)
    work = dolfinx.fem.form(ufl.replace(F, {v: w}))

    def pressure() -> float:
        return comm.allreduce(dolfinx.fem.assemble_scalar(work), op=MPI.SUM) / area

    p_e, u_e = first_yield()
    out = []
    U_prev = 0.0
    targets = [s * u_e for s in u_steps]
    k = 0
    while k < len(targets):
        U = targets[k]
        saved = u.x.array.copy()
        if U_prev > 0:  # proportional predictor (exact while elastic)
            u.x.array[:] *= U / U_prev
        g.interpolate(lambda p, U=U: U * np.stack([p[0], p[1]]) / np.hypot(p[0], p[1]))
        t0 = time.perf_counter()
        problem.solve()
        reason = snes.getConvergedReason()
        if reason <= 0:
            u.x.array[:] = saved
            law.restore()
            if U - U_prev < 1e-3 * u_e:
                raise SolveError(f"thick cylinder: Newton failed at U = {U:.4g} m "
                                 f"(reason {reason})")
            targets.insert(k, 0.5 * (U + U_prev))  # cut back
            continue
        law.update()
        law.commit()
        out.append({"U": U, "U/U_e": U / u_e, "p": pressure(), "c": plastic_radius(law, comm),
                    "iterations": snes.getIterationNumber(), "wall_s": time.perf_counter() - t0,
                    "p_e": p_e,
                    "q_max": comm.allreduce(float(np.max(laws.von_mises(law.stress_values()))),
                                            op=MPI.MAX)})
        U_prev = U
        k += 1
    return out


def run(size: str = "small") -> list[Check]:
    from solver.fem.backend import comm_world, import_dolfinx

    from solver.physics import references
    import_dolfinx()
    comm = comm_world()
    cfg = SIZES[size]
    t0 = time.perf_counter()
    rows = solve(comm, cfg["n_r"], cfg["n_t"])
    wall = time.perf_counter() - t0
    q_lim = references.cylinder_limit_pressure(SIGMA0, RI, RO)
    p_e = rows[0]["p_e"]
    checks = [Check("plateau pressure (limit load)", rows[-1]["p"], q_lim, TOL_LIMIT, "rel",
                    "Pa",
                    curve={"x": [r["U/U_e"] for r in rows], "computed": [r["p"] for r in rows],
                           "reference": [min(q_lim, r["U/U_e"] * p_e) for r in rows],
                           "xlabel": "inner displacement U/U_e", "ylabel": "pressure (Pa)",
                           "logx": True})]
    checks.append(Check("plateau flatness: p(60 U_e)/p(30 U_e) − 1",
                        rows[-1]["p"] / rows[-2]["p"] - 1.0, tolerance=TOL_FLAT, kind="max"))
    # first yield: at U = U_e (step 2) the largest q equals σ0 (elastic up to there)
    at_e = next(r for r in rows if r["U/U_e"] == 1.0)
    checks.append(Check("first-yield pressure", at_e["p"], p_e, 0.01, "rel", "Pa"))
    ep = [r for r in rows if RI * 1.02 < r["c"] < RO * 0.98]
    hill = [float(references.cylinder_elastoplastic_pressure(r["c"], SIGMA0, RI, RO))
            for r in ep]
    err = max(abs(r["p"] / h - 1.0) for r, h in zip(ep, hill, strict=True)) if ep else math.nan
    checks.append(Check("p(c) vs Hill, largest rel. difference", err, tolerance=TOL_CURVE,
                        kind="max",
                        curve={"x": [r["c"] / RI for r in ep], "computed": [r["p"] for r in ep],
                               "reference": hill, "xlabel": "plastic radius c/Ri",
                               "ylabel": "pressure (Pa)"}))
    checks.append(Check("elastic–plastic steps on the curve", float(len(ep)), tolerance=4.0,
                        kind="min"))
    checks.append(Check("Newton iterations per step (max)",
                        float(max(r["iterations"] for r in rows)), kind="info"))
    checks.append(Check("solve wall time", wall, kind="info", unit="s"))
    return checks


if __name__ == "__main__":
    raise SystemExit(bench_main(run, NAME, CITATION))
