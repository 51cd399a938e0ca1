"""Performance of one 3D press: wall time, memory per dof, Newton iterations, cost split.

A lithium block (Q1 hexahedra, :func:`solver.geometry.lithium_block_3d`) is pressed in
:data:`INCREMENTS` load increments onto a rigid self-affine surface (H = 0.8, short cutoff
resolved by 4 face elements, long cutoff = patch/2: the defaults of ``lamina run``), with the
product's contact solver (:class:`solver.mechanics.ContactProblem`, SNES ``vinewtonrsls``).
Thickness = patch size, elements graded from the face (ratio 1.3, capped at thickness/4), as
:func:`solver.press.build_setup` meshes a case. On the same mesh and with the same linear solver
options, one linear-elasticity solve (the face bonded, ``u_z = 0``, same lateral conditions and
top pressure) is timed in the same run, so that the cost of one Newton step of the contact
problem is reported relative to it.

Measured on the current rank count (``mpiexec -n K``):

* wall time of the press (all increments) and of the set-up (mesh, forms, surface);
* memory per displacement dof: peak resident set size (``ru_maxrss``) summed over the ranks,
  divided by the global number of dofs; also above the baseline after the imports, and the
  MUMPS factor memory (INFOG(22), LU preset only);
* Newton iterations per increment;
* time of one Newton step / time of one linear solve (assembly + factorisation or AMG set-up +
  solve of the bonded problem);
* the split of the press's SNES time into residual and Jacobian assembly, PC set-up (the
  factorisation or AMG hierarchy, rebuilt every Newton step because the reduced matrix changes
  with the active set), Krylov/triangular solves, and the rest (active-set bookkeeping,
  sub-matrix extraction), from PETSc's log events (largest over the ranks).

Solver presets: ``small`` (50 193 dofs) uses the direct preset (:data:`solver.petsc.CONTACT_VI`,
MUMPS); ``full`` (954 288 dofs) the iterative one (:data:`solver.petsc.CONTACT_VI_GAMG`). Why:
MUMPS's factor (INFOG(22), bonded linear solve on the same meshes, one rank) took 553 MB at
50 193 dofs, 1116 MB at 86 436 and 2509 MB at 164 775: ∝ N^1.27, i.e. ≈ 23 GB for the factor
alone at 954 288 dofs, more than a 24 GB workstation. GAMG at 50 193 dofs needed 561 MB peak
(all of the process) but 138 CG iterations per Newton step (the reduced-space sub-matrix loses the
3 × 3 block structure, so the AMG sees a scalar problem; 90 at 19 k dofs) and 11.7 s per step,
against 5.3 s with LU. Extrapolated to 954 288 dofs (iterations ∝ N^0.45, work ∝ N × iterations):
≈ 6 GB and ≈ 14 min per Newton step on one core, ≈ 4–5 h for the 19 steps of this press —
``full`` was therefore not run on the 2-core development machine; it is meant for a cluster node.
"""

from __future__ import annotations

import math
import resource
import time

import numpy as np

from solver.bench import Check, bench_main

NAME = "press_performance"
CITATION = ("lamina performance benchmark (no external reference): Newton step vs linear solve "
            "on the same mesh and solver; PETSc log events")

E = 7.82e9  # Pa, lithium (Masias et al., J. Mater. Sci. 54, 2585 (2019)); elastic press
NU = 0.381
FACE = 2e-6  # m, face element size: the short cutoff 8 µm / 4, lamina's default
HURST = 0.8
SEED = 1
#: Load increments as target contact fractions A/A0 ≈ κ p̄/(E* h'_rms) with κ ≈ 2: the press
#: closes 2 %, 5 % and 10 % of the face, the regime of the stack pressures of interest.
INCREMENTS = (0.02, 0.05, 0.10)
SIZES = {
    # face elements per side; solver preset
    "small": {"n_face": 38, "preset": "lu"},  # 50 193 dofs
    "full": {"n_face": 140, "preset": "gamg"},  # 954 288 dofs
}
#: Upper bound on (time of one Newton step) / (time of one linear solve). A Newton step of the
#: reduced-space method assembles the residual and the Jacobian (as the linear solve assembles
#: its matrix and load), extracts the inactive-set sub-matrix and factorises (or builds the AMG
#: hierarchy of) a matrix no larger than the linear one: ≈ 1–1.5 linear solves. With GAMG the
#: sub-matrix loses the 3×3 block structure, so CG needs more iterations than on the linear
#: problem. The bounds leave a factor ≈ 2 for timing noise on a shared machine.
RATIO_MAX = {"lu": 3.0, "gamg": 6.0}

EVENTS = ("SNESSolve", "SNESFunctionEval", "SNESJacobianEval", "KSPSolve", "PCSetUp", "PCApply")


def _peak_rss_bytes() -> float:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0


def preset(name: str) -> dict:
    from solver import petsc

    return dict(petsc.CONTACT_VI if name == "lu" else petsc.CONTACT_VI_GAMG)


def linear_options(contact_options: dict) -> dict:
    """The linear-solver part (ksp_, pc_, mat_, mg_) of a contact preset."""
    return {k: v for k, v in contact_options.items() if not k.startswith("snes_")}


def build(comm, n: int, options: dict):
    """Surface, block and contact problem of the press; returns (cp, material, h'_rms)."""
    from solver import geometry, mechanics, surface

    L = n * FACE
    h = surface.self_affine((n, n), (L, L), HURST, rms_height=0.3e-6, short_cutoff=4 * FACE,
                            long_cutoff=L / 2, seed=SEED)
    block = geometry.lithium_block_3d(comm, (L, L), L, FACE, (n, n), 1.3, z0=float(h.max()),
                                      h_max=L / 4)
    mat = mechanics.LinearElastic(E, NU)
    cp = mechanics.ContactProblem(block, geometry.SurfaceHeights(h, (L, L)), mat.stress,
                                  prefix=f"perf_contact_n{n}_", petsc_options=options)
    dx = L / n
    slope = math.sqrt(float(np.mean(((np.roll(h, -1, 0) - h) / dx) ** 2
                                    + ((np.roll(h, -1, 1) - h) / dx) ** 2)))
    return cp, mat, slope


def linear_solve(cp, mat, pressure: float, options: dict, prefix: str) -> dict:
    """One linear-elasticity solve on the contact problem's mesh and space: face bonded
    (``u_z = 0``), the same lateral conditions and top pressure. Times assembly and solve."""
    from solver.fem_backend import import_dolfinx

    dolfinx = import_dolfinx()
    import ufl
    from petsc4py import PETSc

    from solver import geometry, mechanics
    from solver.petsc import apply as apply_options

    V = cp.V
    mesh = V.mesh
    fdim = mesh.topology.dim - 1
    face = cp.block.facet_tags.find(geometry.BOTTOM)
    bonded = dolfinx.fem.locate_dofs_topological(V.sub(2), fdim, face)
    bcs = [*cp.bcs, dolfinx.fem.dirichletbc(PETSc.ScalarType(0.0), bonded, V.sub(2))]
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    ds = ufl.Measure("ds", domain=mesh, subdomain_data=cp.block.facet_tags)
    a = ufl.dot(mat.stress(mechanics.strain_mandel(u, "3d")),
                mechanics.strain_mandel(v, "3d")) * ufl.dx
    L = -pressure * v[2] * ds(geometry.TOP)
    a_form, L_form = dolfinx.fem.form(a), dolfinx.fem.form(L)
    x = dolfinx.fem.Function(V)
    comm = mesh.comm
    comm.Barrier()
    t0 = time.perf_counter()
    A = dolfinx.fem.petsc.assemble_matrix(a_form, bcs=bcs)
    A.assemble()
    b = dolfinx.fem.petsc.assemble_vector(L_form)
    dolfinx.fem.petsc.apply_lifting(b, [a_form], bcs=[bcs])
    b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    dolfinx.fem.petsc.set_bc(b, bcs)
    comm.Barrier()
    t1 = time.perf_counter()
    ksp = PETSc.KSP().create(comm)
    ksp.setOperators(A)
    apply_options(ksp, prefix, options)
    ksp.setUp()  # the factorisation / AMG set-up, logged apart from KSPSolve as in SNES VI
    comm.Barrier()
    t2 = time.perf_counter()
    ksp.solve(b, x.x.petsc_vec)
    comm.Barrier()
    t3 = time.perf_counter()
    pc = ksp.getPC()
    factor_mb = (float(pc.getFactorMatrix().getMumpsInfog(22))
                 if pc.getType() == "lu" else math.nan)
    out = {"assembly_s": t1 - t0, "setup_s": t2 - t1, "solve_s": t3 - t2, "total_s": t3 - t0,
           "its": ksp.getIterationNumber(), "reason": int(ksp.getConvergedReason()),
           "factor_MB": factor_mb}
    ksp.destroy()
    A.destroy()
    b.destroy()
    return out


def _events(stage) -> dict:
    """Time (largest over the ranks) and count of the logged events in ``stage``."""
    from petsc4py import PETSc

    from solver.fem_backend import comm_world

    comm = comm_world()
    out = {}
    for name in EVENTS:
        info = PETSc.Log.Event(name).getPerfInfo(stage.id)
        out[name] = (comm.allreduce(float(info["time"]), op=_mpi().MAX), int(info["count"]))
    return out


def _mpi():
    from mpi4py import MPI

    return MPI


def run(size: str = "small") -> list[Check]:
    from solver.fem_backend import comm_world, import_dolfinx

    import_dolfinx()
    from petsc4py import PETSc

    from solver import mechanics

    PETSc.Log.begin()
    comm = comm_world()
    MPI = _mpi()
    cfg = SIZES[size]
    options = preset(cfg["preset"])
    base = comm.allreduce(_peak_rss_bytes(), op=MPI.SUM)

    comm.Barrier()
    t0 = time.perf_counter()
    cp, mat, slope = build(comm, cfg["n_face"], options)
    comm.Barrier()
    t_setup = time.perf_counter() - t0
    ndofs = cp.V.dofmap.index_map.size_global * cp.V.dofmap.index_map_bs

    stage = PETSc.Log.Stage("lamina_press")
    stage.push()
    t0 = time.perf_counter()
    steps = []
    for frac in INCREMENTS:
        ts = time.perf_counter()
        res = mechanics.solve_load_step(cp, frac * mat.E_star * slope / 2.0)
        steps.append((res, time.perf_counter() - ts))
    comm.Barrier()
    t_press = time.perf_counter() - t0
    stage.pop()
    peak = comm.allreduce(_peak_rss_bytes(), op=MPI.SUM)  # the press alone
    pc = cp.snes.getKSP().getPC()
    factor_mb = (float(pc.getFactorMatrix().getMumpsInfog(22)) if pc.getType() == "lu"
                 else math.nan)
    fraction = mechanics.contact_state(cp).fraction
    ev = _events(stage)
    cp.snes.getKSP().reset()  # free the press's factor before the linear solve

    lin_stage = PETSc.Log.Stage("lamina_linear")
    lin_stage.push()
    lin = linear_solve(cp, mat, float(cp.pressure.value), linear_options(options),
                       f"perf_linear_n{cfg['n_face']}_")
    lin_stage.pop()

    newton = sum(r.iterations for r, _ in steps)
    snes_t = ev["SNESSolve"][0]
    t_step = snes_t / newton
    ratio = t_step / lin["total_s"]
    # In SNES vinewtonrsls the PC is set up outside KSPSolve (checked on the event counts):
    # the parts below add up to the SNES time.
    func, jac = ev["SNESFunctionEval"][0], ev["SNESJacobianEval"][0]
    pcsetup, solve = ev["PCSetUp"][0], ev["KSPSolve"][0]
    rest = snes_t - func - jac - pcsetup - solve
    info = [
        ("displacement dofs (global)", float(ndofs), "1"),
        ("MPI ranks", float(comm.size), "1"),
        ("set-up wall time (surface, mesh, forms)", t_setup, "s"),
        ("press wall time (all increments)", t_press, "s"),
        ("contact fraction at the last increment", fraction, "1"),
        ("Newton iterations per increment (mean)", newton / len(steps), "1"),
        ("Newton iterations per increment (max)", float(max(r.iterations for r, _ in steps)),
         "1"),
        ("Krylov iterations per Newton step (mean)",
         sum(r.linear_iterations for r, _ in steps) / newton, "1"),
        ("time of one Newton step", t_step, "s"),
        ("time of one linear solve (assembly + set-up + solve)", lin["total_s"], "s"),
        ("linear solve: assembly", lin["assembly_s"], "s"),
        ("linear solve: PC set-up (factor/AMG)", lin["setup_s"], "s"),
        ("linear solve: solve", lin["solve_s"], "s"),
        ("linear solve: Krylov iterations", float(lin["its"]), "1"),
        ("Newton: residual assembly / SNES time", func / snes_t, "1"),
        ("Newton: Jacobian assembly / SNES time", jac / snes_t, "1"),
        ("Newton: PC set-up (factor/AMG) / SNES time", pcsetup / snes_t, "1"),
        ("Newton: KSP solve / SNES time", solve / snes_t, "1"),
        ("Newton: rest (active set, sub-matrix) / SNES time", rest / snes_t, "1"),
        ("peak RSS of the press, summed over ranks", peak, "B"),
        ("peak RSS per dof", peak / ndofs, "B"),
        ("peak RSS above the import baseline per dof", (peak - base) / ndofs, "B"),
        ("MUMPS factor (INFOG(22)) per dof, press", factor_mb * 1e6 / ndofs, "B"),
    ]
    checks = [Check(name, float(value), kind="info", unit=unit) for name, value, unit in info]
    for k, (res, wall) in enumerate(steps):
        checks.append(Check(f"increment {k + 1}: Newton iterations", float(res.iterations),
                            kind="info"))
        checks.append(Check(f"increment {k + 1}: wall time", wall, kind="info", unit="s"))
    checks.append(Check("linear solve converged (KSP reason)", float(lin["reason"]),
                        tolerance=1.0, kind="min"))
    checks.append(Check("Newton step / linear solve", ratio,
                        tolerance=RATIO_MAX[cfg["preset"]], kind="max"))
    return checks


if __name__ == "__main__":
    raise SystemExit(bench_main(run, NAME, CITATION))
