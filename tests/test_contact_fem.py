"""Frictionless contact of an elastic block on a rigid surface (solver.fem.mesh, solver.fem.contact, solver.simulation.loadstep).

The benchmarks run at their small size serially and under ``mpiexec -n 2``; 1 and 2 ranks give the
same contact fraction; an unconverged Newton raises :class:`SolveError`. Run as a script
(``mpiexec -n N python tests/test_contact_fem.py``) it prints the small case's results as JSON.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from solver.errors import InputError, SolveError
from mpi_helpers import serial_and_two_ranks
from solver.fem import mesh as geometry
from solver.fem.backend import comm_world, import_dolfinx
from solver.physics import laws
from solver.fem import contact
from solver.fem import contact_results
from solver.fem import kinematics
from solver.fem import petsc
from solver.simulation import loadstep
from solver.surface.heightmap import HeightMap

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.fem, pytest.mark.usefixtures("collective_cleanup")]

import_dolfinx()  # collective PETSc set-up on every rank at import (see hpc.md)
COMM = comm_world()

# A small Westergaard case: lithium, λ = 10 µm, g0 = 50 nm, 32 elements across the half period.
E, NU, LAM, G0, N = 7.82e9, 0.381, 10e-6, 0.05e-6, 32



def _small_case(prefix: str, petsc_options=None, n: int = N, material=None, **kw):
    mat = kinematics.LinearElastic(E, NU)
    block = geometry.lithium_block_2d(COMM, LAM / 2, 2 * LAM, LAM / (2 * n), n, 1.15, z0=G0)
    cp = contact.ContactProblem(block, lambda x: G0 * np.cos(2 * np.pi * x / LAM),
                                mat.stress if material is None else material,
                                prefix=prefix, petsc_options=petsc_options, **kw)
    return cp, math.pi * mat.E_star * G0 / LAM


def small_case_results(prefix: str = "test_ranks_") -> dict:
    """Contact fraction, edge and force of the small case at p̄/p* = 0.3 (same on every rank)."""
    cp, p_star = _small_case(prefix)
    step = loadstep.solve_load_step(cp, 0.3 * p_star)
    state = contact_results.contact_state(cp)
    face = contact_results.gather_face(state, COMM)
    edges = contact_results.contact_edges_1d(face.points[:, 0], face.gap, face.pressure,
                                       face.in_contact, "gap")
    return {"fraction": state.fraction, "a": edges[0][0], "force": state.force,
            "iterations": step.iterations, "ranks": COMM.size}


# --------------------------------------------------------------------------------------------
# No mesh
# --------------------------------------------------------------------------------------------


def test_surface_interpolation_periodic():
    Lx, Ly, nx, ny = 2.0, 3.0, 8, 6
    i, j = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    # A function that is bilinear within every grid cell: reproduced exactly.
    h = (i % 2) * 0.5 + (j % 3) * 0.25
    s = HeightMap(h, (Lx, Ly))
    x, y = np.array([0.0, 0.25, 0.125, Lx, Lx + 0.25]), np.array([0.0, 0.5, 0.25, Ly, 0.5])
    exact = np.array([0.0, 0.5 + 0.25, 0.25 + 0.125, 0.0, 0.5 + 0.25])
    np.testing.assert_allclose(s(x, y), exact, atol=1e-14)
    profile = HeightMap(np.array([0.0, 1.0, 0.0, -1.0]), (4.0,))
    np.testing.assert_allclose(profile(np.array([0.5, 3.5, 4.5, -0.5])), [0.5, -0.5, 0.5, -0.5])
    assert s.max == 1.0
    with pytest.raises(InputError):
        HeightMap(h, (Lx,))


def test_check_resolution_rule():
    from solver.fem.mesh import check_resolution

    assert check_resolution(1e-6, 0.25e-6) == pytest.approx(4.0)
    with pytest.raises(InputError, match="elements per short_cutoff"):
        check_resolution(1e-6, 0.3e-6)


def test_graded_nodes():
    from solver.fem.mesh import graded_nodes

    z = graded_nodes(2.0, 1e-3, 1.1)
    dz = np.diff(z)
    assert z[0] == 0.0 and z[-1] == pytest.approx(2.0, rel=1e-14)
    assert dz[0] == pytest.approx(1e-3, rel=1e-12)
    assert np.all(dz[1:] / dz[:-1] <= 1.1 + 1e-12) and np.all(np.diff(dz) > 0)
    assert np.max(np.diff(graded_nodes(1.0, 0.01, 1.2, h_max=0.05))) <= 0.05 * (1 + 1e-9)


@pytest.mark.parametrize("method", ["gap", "pressure"])
def test_contact_edges_sub_element(method):
    """Exact for a patch whose gap opens like d^(3/2) and pressure falls like √d."""
    from solver.fem.contact_results import contact_edges_1d

    x = np.linspace(0.0, 1.0, 41)
    lo, hi = 0.3137, 0.6521
    d = np.minimum(x - lo, hi - x)  # > 0 inside the patch
    edges = contact_edges_1d(x, np.maximum(-d, 0) ** 1.5, np.sqrt(np.maximum(d, 0)), d >= 0,
                             method)
    assert [e[1] for e in edges] == [-1, 1]
    np.testing.assert_allclose([e[0] for e in edges], [lo, hi], rtol=1e-12)
    node = contact_edges_1d(x, np.maximum(-d, 0) ** 1.5, np.sqrt(np.maximum(d, 0)), d >= 0,
                            "node")
    assert abs(node[0][0] - lo) <= 0.5 / 40 + 1e-12


def test_mandel_contraction_equals_tensor_contraction():
    """σ(ε(u))·ε(v) in Mandel notation equals σ:ε(v) of the tensors (plane strain)."""
    dolfinx = import_dolfinx()
    import ufl

    from solver.fem.kinematics import LinearElastic, strain_mandel

    mesh = dolfinx.mesh.create_unit_square(COMM, 3, 3)
    V = dolfinx.fem.functionspace(mesh, ("Lagrange", 1, (2,)))
    u, v = dolfinx.fem.Function(V), dolfinx.fem.Function(V)
    u.interpolate(lambda x: np.stack([x[0] ** 2 + x[1], x[0] * x[1]]))
    v.interpolate(lambda x: np.stack([x[1] ** 2, x[0] - x[1]]))
    mat = LinearElastic(E, NU)

    def tensor_stress(w):
        e = ufl.sym(ufl.grad(w))
        return mat.lmbda * ufl.tr(e) * ufl.Identity(2) + 2 * mat.mu * e

    mandel = ufl.dot(mat.stress(strain_mandel(u, "plane_strain")), strain_mandel(v, "plane_strain"))
    tensor = ufl.inner(tensor_stress(u), ufl.sym(ufl.grad(v)))
    a = COMM.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(mandel * ufl.dx)))
    b = COMM.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(tensor * ufl.dx)))
    assert a == pytest.approx(b, rel=1e-12)


# --------------------------------------------------------------------------------------------
# Small meshes
# --------------------------------------------------------------------------------------------


def test_contact_state_is_consistent():
    cp, p_star = _small_case("test_state_")
    loadstep.solve_load_step(cp, 0.5 * p_star)
    s = contact_results.contact_state(cp)
    p_bar = 0.5 * p_star
    assert s.force == pytest.approx(p_bar * LAM / 2, rel=1e-8)  # equilibrium
    assert np.all(s.gap >= -s.tol)
    scale = p_star
    assert np.all(s.pressure[s.in_contact] >= -1e-8 * scale)
    assert np.all(np.abs(s.pressure[~s.in_contact]) <= 1e-6 * scale)
    exact = 2 / math.pi * math.asin(math.sqrt(0.5))  # 2a/λ
    assert s.fraction == pytest.approx(exact, abs=2.0 / N)


@pytest.mark.parametrize("solver", contact.CONTACT_SOLVERS)
def test_unconverged_solve_raises(solver):
    from solver.fem.petsc import CONTACT_VI, preset

    cp, p_star = _small_case(f"test_maxit1_{solver}_", preset(CONTACT_VI, snes_max_it=1),
                             contact_solver=solver)
    before = cp.u.x.array.copy()
    with pytest.raises(SolveError, match={"vi": "SNES reason -5", "active_set": "active-set Newton .* after 1 iterations"}[solver]):
        loadstep.solve_load_step(cp, 0.3 * p_star)
    np.testing.assert_array_equal(cp.u.x.array, before)  # state restored for a cut-back
    assert not cp.load.loaded


def test_3d_block_with_height_map_matches_plane_strain():
    """A y-independent height map on a 3D block with u_y = 0 on its y faces is plane strain."""
    from solver.fem import mesh as geometry
    mat = kinematics.LinearElastic(E, NU)
    p_bar = 0.3 * math.pi * mat.E_star * G0 / LAM
    n = 16
    hmap = G0 * np.cos(2 * np.pi * np.arange(2 * n) / (2 * n))[:, None] * np.ones((1, 4))
    surf3 = HeightMap(hmap, (LAM, LAM))
    b3 = geometry.lithium_block_3d(COMM, (LAM / 2, LAM / n), 2 * LAM, LAM / (2 * n), (n, 1),
                                   1.3, z0=surf3.max)
    cp3 = contact.ContactProblem(b3, surf3, mat.stress, prefix="test_3d_")
    loadstep.solve_load_step(cp3, p_bar)
    s3 = contact_results.contact_state(cp3)
    b2 = geometry.lithium_block_2d(COMM, LAM / 2, 2 * LAM, LAM / (2 * n), n, 1.3, z0=G0)
    cp2 = contact.ContactProblem(b2, HeightMap(hmap[:, 0], (LAM,)), mat.stress,
                                   prefix="test_2d_")
    loadstep.solve_load_step(cp2, p_bar)
    s2 = contact_results.contact_state(cp2)
    assert s3.fraction == pytest.approx(s2.fraction, rel=1e-10)
    assert s3.force == pytest.approx(p_bar * LAM / 2 * LAM / n, rel=1e-8)
    z3 = COMM.allreduce(float(np.min(cp3.u.x.array[2::3])), op=_min())
    z2 = COMM.allreduce(float(np.min(cp2.u.x.array[1::2])), op=_min())
    assert z3 == pytest.approx(z2, rel=1e-8)


def _min():
    from mpi4py import MPI

    return MPI.MIN


# --------------------------------------------------------------------------------------------
# Benchmarks and ranks
# --------------------------------------------------------------------------------------------


# The benchmarks themselves run small, serially and on 2 ranks, in tests/test_benchmarks.py.


@pytest.mark.mpi
def test_one_and_two_ranks_agree():
    serial, parallel = serial_and_two_ranks(small_case_results, Path(__file__).resolve())
    assert parallel["fraction"] == pytest.approx(serial["fraction"], rel=1e-8)
    assert parallel["a"] == pytest.approx(serial["a"], rel=1e-8)
    assert parallel["force"] == pytest.approx(serial["force"], rel=1e-8)


if __name__ == "__main__":
    result = small_case_results()
    if COMM.rank == 0:
        print(json.dumps(result))


@pytest.mark.parametrize("control", ["traction", "platen"])
@pytest.mark.parametrize("plastic", [False, True])
def test_active_set_newton_finds_the_vi_solution(control, plastic):
    """The semismooth active-set Newton (solver.fem.active_set) and PETSc's vinewtonrsls solve
    the same complementarity problem: same contact state to the solver tolerance."""
    mat = (laws.J2Params(E, NU, 1e6, "linear", H=E / 10) if plastic else None)
    states = {}
    for solver in contact.CONTACT_SOLVERS:
        cp, p_star = _small_case(f"as_{solver}_{control}_{plastic:d}_", material=mat,
                                 control=control, contact_solver=solver)
        for r in (0.2, 0.6):
            loadstep.solve_load_step(cp, r * p_star)
        states[solver] = contact_results.contact_state(cp)
        cp.close()
    vi, a = states["vi"], states["active_set"]
    assert np.array_equal(vi.in_contact, a.in_contact)
    assert a.force == pytest.approx(vi.force, rel=1e-8)
    scale = np.max(np.abs(vi.pressure))
    assert np.max(np.abs(a.pressure - vi.pressure)) <= 1e-5 * scale


def test_active_set_newton_analyses_once():
    """The active set changes, the matrix pattern does not: one symbolic factorisation for all
    Newton iterations of several load steps (vinewtonrsls: one per iteration)."""
    from petsc4py import PETSc

    PETSc.Log.begin()

    def count(kind):  # LU (vinewtonrsls) or LDLᵀ (active set, solver.fem.petsc.CONTACT_AS_DIRECT)
        return sum(PETSc.Log.Event(e).getPerfInfo()["count"]
                   for e in (f"MatLUFactor{kind}", f"MatCholFctr{kind}"))

    s0, n0 = count("Sym"), count("Num")
    cp, p_star = _small_case("as_once_", control="platen", contact_solver="active_set")
    assert cp.active_set.ksp.getPC().getType() == "cholesky"
    its = sum(loadstep.solve_load_step(cp, r * p_star).iterations for r in (0.1, 0.4, 0.8))
    cp.close()
    assert count("Sym") - s0 == 1
    assert count("Num") - n0 == its > 3


def test_bordered_platen_needs_fewer_iterations_than_the_secant():
    """The platen as one more unknown (bordering, solver.fem.active_set): the same state as
    the secant iteration over displacement-controlled solves, in fewer Newton iterations, and
    its stiffness dF/dw is the secant's slope to a few per cent (both measure the same
    curve: the tangent at the end of the step against the chord of its last two points)."""
    mat = laws.J2Params(E, NU, 1e6, "linear", H=E / 10)
    its, states, stiff = {}, {}, {}
    for solver in contact.CONTACT_SOLVERS:
        cp, p_star = _small_case(f"bord_{solver}_", material=mat, control="platen",
                                 contact_solver=solver)
        its[solver] = sum(loadstep.solve_load_step(cp, r * p_star).iterations
                          for r in (0.2, 0.4, 0.6))
        states[solver] = contact_results.contact_state(cp)
        stiff[solver] = cp.load.platen_stiffness
        cp.close()
    assert its["active_set"] < its["vi"], its
    assert states["active_set"].force == pytest.approx(states["vi"].force, rel=1e-8)
    assert np.array_equal(states["active_set"].in_contact, states["vi"].in_contact)
    assert stiff["active_set"] > 0
    assert stiff["active_set"] == pytest.approx(stiff["vi"], rel=0.1)


def test_a_failed_bordered_step_falls_back_to_the_secant(monkeypatch):
    from solver.errors import SolveError
    from solver.fem import active_set

    def fail(self, *a, **k):
        self.iterations = 7
        raise SolveError("forced")

    cp, p_star = _small_case("bord_fallback_", control="platen", contact_solver="active_set")
    ref, _ = _small_case("bord_ref_", control="platen", contact_solver="active_set")
    rref = loadstep.solve_load_step(ref, 0.3 * p_star)
    monkeypatch.setattr(active_set.ActiveSetNewton, "solve_force", fail)
    step = loadstep.solve_load_step(cp, 0.3 * p_star)
    assert step.iterations > 7
    a, b = contact_results.contact_state(cp), contact_results.contact_state(ref)
    assert a.force == pytest.approx(b.force, rel=1e-7) and a.fraction == b.fraction
    assert rref.iterations < step.iterations
    cp.close()
    ref.close()


def test_the_secant_fallback_gives_up_past_its_iteration_budget(monkeypatch):
    """The secant as a failed bordered step's fallback spends at most
    loadstep.FALLBACK_MAX_ITERATIONS Newton iterations, then fails the step (rolled back) so
    that the press cuts the increment; with the budget it needs it reaches the same state."""
    from solver.errors import SolveError
    from solver.fem import active_set

    def fail(self, *a, **k):
        self.iterations = 7
        raise SolveError("forced")

    cp, p_star = _small_case("bord_budget_", control="platen", contact_solver="active_set")
    monkeypatch.setattr(active_set.ActiveSetNewton, "solve_force", fail)
    monkeypatch.setattr(loadstep, "FALLBACK_MAX_ITERATIONS", 1)
    before = cp.u.x.array.copy()
    with pytest.raises(SolveError, match="gave up after"):
        loadstep.solve_load_step(cp, 0.3 * p_star)
    assert np.array_equal(cp.u.x.array, before)
    monkeypatch.setattr(loadstep, "FALLBACK_MAX_ITERATIONS", 1000)
    assert loadstep.solve_load_step(cp, 0.3 * p_star).reason > 0
    cp.close()


def test_active_set_newton_stops_at_snes_divergence_tolerance(monkeypatch):
    """The active-set Newton applies SNES's divergence test (-snes_divergence_tolerance, 1e4
    by default): once the merit has grown by that factor over its first value the solve stops,
    as diverged, instead of running on to snes_max_it, and the state is rolled back."""
    from solver.errors import SolveError
    from solver.fem import active_set

    mat = laws.J2Params(E, NU, 1e6, "linear", H=E / 10)
    cp, p_star = _small_case("divtol_", material=mat, control="platen",
                             contact_solver="active_set")
    assert cp.snes.getDivergenceTolerance() == 1e4
    real = active_set.ActiveSetNewton._line_search

    def blow_up(self, x, norm, g, z, dz, target):
        new, gn, zn = real(self, x, norm, g, z, dz, target)
        return 2e4 * (norm + abs(g)), gn, zn  # a merit 2e4 times what it was

    monkeypatch.setattr(active_set.ActiveSetNewton, "_line_search", blow_up)
    before = cp.u.x.array.copy()
    with pytest.raises(SolveError, match="diverged"):
        loadstep.solve_load_step(cp, 0.3 * p_star, fallback=False)
    assert cp.active_set.iterations == 1
    assert np.array_equal(cp.u.x.array, before)
    monkeypatch.setattr(active_set.ActiveSetNewton, "_line_search", real)
    assert loadstep.solve_load_step(cp, 0.3 * p_star).reason > 0
    cp.close()


@pytest.mark.parametrize("dim", [2, 3])
def test_iterative_linear_solver_finds_the_direct_solution(dim):
    """CG + GAMG on the full fixed-pattern Jacobian (``linear_solver="iterative"``, the default
    above ITERATIVE_DOFS_3D in 3D) gives the LU solution of the active-set Newton: same active
    set, force to 1e-7, pressures to 1e-4 of the peak; and reports its Krylov iterations. So
    does GAMG with the low-memory options (CONTACT_AS_GAMG_LOW_MEMORY) given under the
    problem's prefix, as a user would (PETSC_OPTIONS)."""
    from petsc4py import PETSc

    mat = laws.J2Params(E, NU, 1e6, "linear", H=E / 10)
    states, lits, prolongator = {}, {}, {}
    for solver in ("direct", "iterative", "low_memory"):
        prefix = f"lin_{solver}_{dim}_"
        added = (petsc.set_options(prefix + "as_", petsc.CONTACT_AS_GAMG_LOW_MEMORY)
                 if solver == "low_memory" else [])
        kind = "direct" if solver == "direct" else "iterative"
        if dim == 2:
            cp, p_star = _small_case(prefix, material=mat, control="platen", linear_solver=kind)
        else:
            n, k = 8, 2 * np.pi * np.arange(32) / 32
            surf3 = HeightMap(G0 * np.cos(k)[:, None] * np.cos(k)[None, :], (LAM, LAM))
            b3 = geometry.lithium_block_3d(COMM, (LAM / 2, LAM / 2), LAM, LAM / (2 * n), (n, n),
                                           1.3, z0=surf3.max, cell="tetrahedron")
            cp = contact.ContactProblem(b3, surf3, mat, prefix=prefix, control="platen",
                                        linear_solver=kind, degree=2)
            p_star = math.pi * E / (1 - NU**2) * G0 / LAM
        assert cp.iterative == (solver != "direct")
        steps = [loadstep.solve_load_step(cp, r * p_star) for r in (0.2, 0.5)]
        lits[solver] = sum(s.linear_iterations for s in steps) / sum(s.iterations for s in steps)
        states[solver] = contact_results.contact_state(cp)
        if solver != "direct":
            # the options reach the active-set KSP's multigrid: its smoothers (3 Chebyshev
            # steps in CONTACT_AS_GAMG, PETSc's default 2) and the aggregation: plain
            # aggregation's prolongator has at most one entry per rigid-body mode in a row
            options = {**petsc.CONTACT_AS_GAMG,
                       **(petsc.CONTACT_AS_GAMG_LOW_MEMORY if solver == "low_memory" else {})}
            pc = cp.active_set.ksp.getPC()
            smoother = pc.getMGSmoother(1)
            assert smoother.getType() == "chebyshev"
            assert smoother.getTolerances()[3] == options["mg_levels_ksp_max_it"]
            P = pc.getMGInterpolation(pc.getMGLevels() - 1)
            prolongator[solver] = P.getInfo()["nz_used"] / P.getSize()[0]
        cp.close()
        for name in added:
            PETSc.Options().delValue(name)
    modes = 3 if dim == 2 else 6
    assert prolongator["low_memory"] <= modes < prolongator["iterative"]
    d = states["direct"]
    for solver in ("iterative", "low_memory"):
        i = states[solver]
        assert np.array_equal(d.in_contact, i.in_contact)
        assert i.force == pytest.approx(d.force, rel=1e-7)
        assert np.max(np.abs(i.pressure - d.pressure)) <= 1e-4 * np.max(np.abs(d.pressure))
        assert lits["direct"] <= 2 < lits[solver]


def test_iterative_platen_solve_starts_from_the_last_one():
    """Under the platen each Newton step solves twice; the unit platen move changes little
    between iterations, so its CG solve starts from the last one: fewer Krylov iterations than
    from zero, the same solution."""
    mat = laws.J2Params(E, NU, 1e6, "linear", H=E / 10)
    krylov, force = {}, {}
    for warm in (False, True):
        cp, p_star = _small_case(f"warm{int(warm)}_", material=mat, control="platen",
                                 linear_solver="iterative")
        assert cp.active_set._warm  # a Krylov solve: warm starts are on by default
        cp.active_set._warm = warm
        for r in (0.2, 0.5):
            loadstep.solve_load_step(cp, r * p_star)
        krylov[warm] = cp.active_set.totals["krylov"]
        force[warm] = contact_results.contact_state(cp).force
        cp.close()
    assert krylov[True] < krylov[False]
    assert force[True] == pytest.approx(force[False], rel=1e-7)


def test_inexact_newton_saves_krylov_iterations_not_accuracy():
    """The iterative active-set Newton solves its steps inexactly (Eisenstat–Walker forcing
    terms, solver.fem.petsc.CONTACT_AS_EW, on by default): fewer Krylov iterations than with the
    KSP's own 1e-9, the same solution; the contact and platen rows are exact whatever the
    tolerance (their values are put in after the solve), so even a loose 1e-2 leaves no face dof
    below the surface and the platen on its displacement."""
    mat = laws.J2Params(E, NU, 1e6, "linear", H=E / 10)
    krylov, state = {}, {}
    for case, ew in (("exact", None), ("ew", "default"), ("loose", 1e-2)):
        cp, p_star = _small_case(f"ew_{case}_", material=mat, control="platen",
                                 linear_solver="iterative")
        assert cp.active_set._ew is not None  # on by default for a Krylov solve
        assert cp.active_set._ew["rtol_max"] == 1e-4
        if ew is None:
            cp.active_set._ew = None
        elif ew != "default":
            cp.active_set._ew = {**cp.active_set._ew, "rtol_0": ew, "rtol_max": ew}
        for r in (0.2, 0.5):
            loadstep.solve_load_step(cp, r * p_star)
        krylov[case] = cp.active_set.totals["krylov"] / cp.active_set.totals["solves"]
        state[case] = contact_results.contact_state(cp)
        face = cp.u.x.array[cp.face_dofs] - cp.lower
        assert np.min(face) >= -1e-12 * cp.height_scale
        top = cp.u.x.array[cp.active_set._top]
        assert np.allclose(top, cp.platen.value, rtol=0, atol=1e-14 * cp.height_scale)
        cp.close()
    assert krylov["ew"] < 0.8 * krylov["exact"]
    for case in ("ew", "loose"):
        assert np.array_equal(state[case].in_contact, state["exact"].in_contact)
        assert state[case].force == pytest.approx(state["exact"].force, rel=1e-7)


def test_lagged_preconditioner_is_rebuilt_when_it_stops_working(monkeypatch):
    """The iterative active-set Newton keeps the preconditioner of an earlier Jacobian while
    CG converges almost as fast with it (active_set.PC_LAG_GROWTH): fewer set-ups than Newton
    steps, the same solution as a set-up at every step; a Krylov solve that fails with an old
    preconditioner is retried with a fresh one instead of failing the Newton step (CG reports
    an old GAMG hierarchy as indefinite after 2-3 iterations where the Jacobian has moved: its
    fine level smooths with the new matrix and the old eigenvalue bounds)."""
    from solver.fem import active_set

    mat = laws.J2Params(E, NU, 1e6, "linear", H=E / 10)
    setups, steps, state = {}, {}, {}
    lag = active_set.ActiveSetNewton._lag
    for case in ("every", "lagged"):
        monkeypatch.setattr(active_set.ActiveSetNewton, "_lag",
                            lag if case == "lagged" else lambda self: setattr(self, "_rebuild",
                                                                              True))
        cp, p_star = _small_case(f"lag_{case}_", material=mat, control="platen",
                                 linear_solver="iterative")
        res = [loadstep.solve_load_step(cp, r * p_star) for r in (0.2, 0.5)]
        setups[case] = cp.active_set.totals["pc_setups"]
        steps[case] = sum(r.iterations for r in res)
        state[case] = contact_results.contact_state(cp)
        cp.close()
    assert setups["every"] == steps["every"]
    assert setups["lagged"] < steps["lagged"]
    assert np.array_equal(state["lagged"].in_contact, state["every"].in_contact)
    assert state["lagged"].force == pytest.approx(state["every"].force, rel=1e-7)

    class FailOnce:
        """The active-set KSP, whose next solve with a reused preconditioner reports failure."""

        def __init__(self, ksp):
            self.ksp, self.armed, self.failed = ksp, True, 0

        def __getattr__(self, name):
            return getattr(self.ksp, name)

        def getConvergedReason(self):
            if self.armed and asn._reusing:
                self.armed, self.failed = False, self.failed + 1
                return -3  # KSP_DIVERGED_ITS
            return self.ksp.getConvergedReason()

    monkeypatch.setattr(active_set, "PC_LAG_GROWTH", 1e9)  # never rebuilt by the rate
    cp, p_star = _small_case("lag_retry_", material=mat, control="platen",
                             linear_solver="iterative")
    asn = cp.active_set
    loadstep.solve_load_step(cp, 0.2 * p_star)
    before = asn.totals["pc_setups"]
    asn.ksp = FailOnce(asn.ksp)
    assert loadstep.solve_load_step(cp, 0.5 * p_star).reason > 0
    assert asn.ksp.failed == 1 and asn.totals["pc_setups"] > before
    assert contact_results.contact_state(cp).force == pytest.approx(state["every"].force,
                                                                    rel=1e-7)
    asn.ksp = asn.ksp.ksp
    cp.close()


def test_active_set_jacobian_is_symmetric_for_its_ldlt():
    """The active-set Newton factorises with LDLᵀ (solver.fem.petsc.CONTACT_AS_DIRECT), which
    reads one triangle of the matrix: the plastic Jacobian at a converged plastic step, with the
    contact and platen rows replaced as the solver replaces them, equals its transpose."""
    if COMM.size > 1:
        pytest.skip("reads the whole matrix on one rank")
    mat = laws.J2Params(E, NU, 1e6, "linear", H=E / 10)
    cp, p_star = _small_case("as_sym_", material=mat, control="platen",
                             contact_solver="active_set")
    loadstep.solve_load_step(cp, 0.5 * p_star)
    assert np.any(cp.law.committed.p > 0)  # a plastic zone: the consistent tangent is in use
    A = cp.problem.A
    cp.snes.computeJacobian(cp.problem.x, A, A)
    rows = np.concatenate([cp.active_set._rows, cp.active_set._top_rows])
    A.zeroRowsColumns(rows, diag=1.0)
    # from the CSR arrays: PETSc's own transpose may trust the matrix's symmetry flag
    import scipy.sparse as sp
    indptr, indices, values = A.getValuesCSR()
    K = sp.csr_matrix((values, indices, indptr), shape=A.getSize())
    cp.close()
    assert abs(K - K.T).max() <= 1e-12 * abs(K).max()
    assert K.nnz > 0 and not np.allclose(K.diagonal(), 1.0)


@pytest.mark.parametrize("linear_solver", ["direct", "iterative"])
def test_free_line_search_reaches_the_same_solution(linear_solver):
    """The "free" line search of the active-set Newton (``-<prefix>as_line_search free``:
    step-42's merit on the step's free dofs with a secant on the slope along the step) converges
    to the solution of the default "merit" backtracking (same contact set, force to 1e-7) on
    hardening plasticity under the platen; with Krylov steps solved to a loose 1e-2 it falls
    back to the whole merit and still converges (it stalled at ‖Φ‖ ≈ 2e3 without); an unknown
    value is refused."""
    from petsc4py import PETSc

    from solver.errors import InputError
    from solver.simulation import press

    mat = laws.J2Params(E, NU, 1e6, "linear", H=E / 10)
    opts = PETSc.Options()
    state = {}
    for search in ("merit", "free", "loose"):
        prefix = f"ls_{search}_{linear_solver}_"
        opts[prefix + "as_line_search"] = "merit" if search == "merit" else "free"
        try:
            cp, p_star = _small_case(prefix, material=mat, control="platen",
                                     linear_solver=linear_solver)
            assert cp.active_set.line_search == opts[prefix + "as_line_search"]
            if search == "loose":
                if cp.active_set._ew is None:
                    cp.close()
                    continue  # a direct solve is exact
                cp.active_set._ew = {**cp.active_set._ew, "rtol_0": 1e-2, "rtol_max": 1e-2}
            for r in (0.2, 0.5):
                loadstep.solve_load_step(cp, r * p_star)
            state[search] = contact_results.contact_state(cp)
            cp.close()
        finally:
            opts.delValue(prefix + "as_line_search")
    for search in state:
        assert np.array_equal(state[search].in_contact, state["merit"].in_contact)
        assert state[search].force == pytest.approx(state["merit"].force, rel=1e-7)
    assert state["merit"].fraction > 0
    opts["ls_bad_as_line_search"] = "bogus"
    opts[press.PREFIX + "as_line_search"] = "bogus"
    try:
        with pytest.raises(InputError, match="ls_bad_as_line_search='bogus'"):
            _small_case("ls_bad_", material=mat, control="platen")
        # a run refuses it before it writes anything
        with pytest.raises(InputError, match="lamina_press_as_line_search='bogus'"):
            press.check_solver_options()
    finally:
        opts.delValue("ls_bad_as_line_search")
        opts.delValue(press.PREFIX + "as_line_search")
    press.check_solver_options()
