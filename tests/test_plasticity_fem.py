"""Inelastic lithium in the contact problem (solver.fem.quadrature, solver.fem.contact, solver.simulation.loadstep).

FE-level Taylor tests of the assembled residual/Jacobian pair (through the SNES callbacks that
update the quadrature-point state), state handling of a failed Newton, API of the inelastic
contact problem, the thick-cylinder and plastic-rough-contact benchmarks at their small size,
and 1 vs 2 ranks. Run as a script (``mpiexec -n N python tests/test_plasticity_fem.py``) it
prints the small plastic contact case's results as JSON.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from solver.errors import InputError, SolveError
from mpi_helpers import serial_and_two_ranks
from solver.fem.backend import comm_world, import_dolfinx
from solver.fem import contact
from solver.fem import contact_results
from solver.fem import kinematics
from solver.simulation import loadstep
from solver.surface.heightmap import HeightMap

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.fem, pytest.mark.usefixtures("collective_cleanup")]

import_dolfinx()  # collective PETSc set-up on every rank at import
COMM = comm_world()

# Westergaard-like block: lithium elasticity, λ = 10 µm, g0 = 50 nm; σ_y well below the elastic
# contact pressures so that the contact zone yields.
E, NU, LAM, G0, N = 7.82e9, 0.381, 10e-6, 0.05e-6, 24
P_STAR = math.pi * E / (1 - NU**2) * G0 / LAM
SIGMA_Y = 0.3 * P_STAR



def _j2(**kw):
    from solver.physics import laws
    return laws.J2Params(E, NU, SIGMA_Y, **kw)


def _block(kind="plane_strain", n=N, cell=None):
    from solver.fem import mesh as geometry
    if kind == "plane_strain":
        return geometry.lithium_block_2d(COMM, LAM / 2, 2 * LAM, LAM / (2 * n), n, 1.2, z0=G0,
                                         cell=cell or "quadrilateral")
    if kind == "axisymmetric":
        return geometry.lithium_block_axisymmetric(COMM, LAM / 2, 2 * LAM, LAM / (2 * n), n, 1.2,
                                                   fine_radius=LAM / 2, z0=G0,
                                                   cell=cell or "quadrilateral")
    return geometry.lithium_block_3d(COMM, (LAM / 2, LAM / 2), 2 * LAM, LAM / (2 * n), (n, n),
                                     1.4, z0=G0, cell=cell or "hexahedron")


def _surface(kind="plane_strain"):
    if kind == "3d":
        return lambda x, y: G0 * np.cos(2 * np.pi * x / LAM) * np.cos(2 * np.pi * y / LAM)
    return lambda x: G0 * np.cos(2 * np.pi * x / LAM)


def _problem(material, prefix, kind="plane_strain", n=N, petsc_options=None, **kw):
    return contact.ContactProblem(_block(kind, n, kw.pop("cell", None)), _surface(kind),
                                    material, prefix=prefix, petsc_options=petsc_options, **kw)


def _norm(vec) -> float:
    return vec.norm()


# --------------------------------------------------------------------------------------------
# Taylor tests of the assembled residual / Jacobian (through the SNES callbacks)
# --------------------------------------------------------------------------------------------


def _taylor_remainders(snes, x0, dx, hs):
    """‖R(x0 + h dx) − R(x0) − h J(x0) dx‖ and ‖R(x0 + h dx) − R(x0)‖ for each h."""
    b0, bh, Jdx = x0.duplicate(), x0.duplicate(), x0.duplicate()
    snes.computeFunction(x0, b0)
    A, P, _ = snes.getJacobian()
    snes.computeJacobian(x0, A, P)
    A.mult(dx, Jdx)
    second, first = [], []
    for h in hs:
        xh = x0.copy()
        xh.axpy(h, dx)
        snes.computeFunction(xh, bh)
        bh.axpy(-1.0, b0)
        first.append(_norm(bh))
        bh.axpy(-h, Jdx)
        second.append(_norm(bh))
        xh.destroy()
    for v in (b0, bh, Jdx):
        v.destroy()
    return np.array(second), np.array(first)


def _random_direction(cp, scale: float):
    rng = np.random.default_rng(1234 + COMM.rank)
    dx = cp.problem.x.duplicate()
    with dx.localForm() as loc:
        loc.array[:] = rng.standard_normal(loc.array.shape)
    dx.ghostUpdate()  # owned values to the ghosts (consistent vector)
    dx.scale(scale / dx.norm())
    return dx


@pytest.mark.parametrize(("kind", "material"), [
    ("plane_strain", "perfect"), ("plane_strain", "swift"), ("axisymmetric", "linear"),
    ("3d", "creep"), ("plane_strain", "norton")])
def test_fe_taylor_plastic_regime(kind, material):
    """Second-order Taylor remainder of the assembled residual/Jacobian in the plastic regime.

    A plastic load step is committed, then the pair is evaluated at 1.3 times that displacement
    (plastic loading at the yielded points, further from the yield surface than any h·dx) in a
    random direction.
    """
    from solver.physics import laws
    mats = {
        "perfect": _j2(),
        "swift": laws.J2Params(E, NU, SIGMA_Y, hardening="power", K=4 * SIGMA_Y, n=0.3),
        "linear": _j2(H=0.05 * E),
        "creep": laws.ElastoplasticCreepParams(_j2(H=0.01 * E),
                                               laws.NortonParams(A=1e-40, n=5.0)),
        "norton": laws.ElasticCreepParams(laws.ElasticParams(E, NU),
                                          laws.NortonParams(A=1e-40, n=5.0)),
    }
    n = {"3d": 4, "axisymmetric": 16}.get(kind, 16)
    cp = _problem(mats[material], f"taylor_{kind}_{material}_", kind, n=n)
    loadstep.solve_load_step(cp, 0.25 * P_STAR, dt=1.0 if material in ("creep", "norton")
                              else 0.0)
    p_max = COMM.allreduce(float(np.max(cp.law.committed.p, initial=0.0)), op=_op("MAX"))
    pc_max = COMM.allreduce(float(np.max(cp.law.committed.p_creep, initial=0.0)),
                            op=_op("MAX"))
    assert max(p_max, pc_max) > 0  # the committed state is inelastic somewhere
    cp.law.dt = 2.0 if material in ("creep", "norton") else 0.0
    x0 = cp.problem.x.duplicate()
    with x0.localForm() as loc, cp.u.x.petsc_vec.localForm() as lu:
        loc.array[:] = 1.3 * lu.array
    dx = _random_direction(cp, 1e-6 * x0.norm())
    hs = 0.5 ** np.arange(4)
    second, first = _taylor_remainders(cp.snes, x0, dx, hs)
    rate2 = np.polyfit(np.log(hs), np.log(second), 1)[0]
    rate1 = np.polyfit(np.log(hs), np.log(first), 1)[0]
    assert rate1 == pytest.approx(1.0, abs=0.1)
    assert rate2 > 1.9, (second, first)
    assert second[-1] < 1e-2 * first[-1]
    # the iterate really is plastic: the consistent tangent differs from the elastic one
    C_el = laws.elastic_stiffness(E, NU, cp.law.ncomp)
    m = cp.law.ncomp
    dev = np.abs(cp.law.tangent.x.array.reshape(-1, m, m) - C_el).max()
    assert COMM.allreduce(float(dev), op=_op("MAX")) > 1e-3 * np.abs(C_el).max()
    x0.destroy()
    dx.destroy()


def _op(name):
    from mpi4py import MPI

    return getattr(MPI, name)


def test_tangent_is_of_the_iterate_jacobian_is_assembled_at():
    """A Jacobian assembled at x (without a residual at x first) uses the tangent at x."""
    cp = _problem(_j2(), "tangent_iterate_", n=12)
    loadstep.solve_load_step(cp, 0.25 * P_STAR)
    x1 = cp.problem.x.duplicate()
    with x1.localForm() as loc, cp.u.x.petsc_vec.localForm() as lu:
        loc.array[:] = 1.5 * lu.array
    A, P, _ = cp.snes.getJacobian()
    cp.snes.computeJacobian(x1, A, P)
    t1 = cp.law.tangent.x.array.copy()
    cp.snes.computeFunction(cp.problem.x, x1.duplicate())  # another iterate ...
    cp.snes.computeJacobian(x1, A, P)  # ... then J at x1 again
    np.testing.assert_array_equal(cp.law.tangent.x.array, t1)
    x1.destroy()


# --------------------------------------------------------------------------------------------
# Steps, state, failure
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", contact.CONTACT_SOLVERS)
def test_failed_newton_restores_u_and_state(solver):
    cp = _problem(_j2(), f"restore_{solver}_", contact_solver=solver)
    loadstep.solve_load_step(cp, 0.2 * P_STAR)
    u1 = cp.u.x.array.copy()
    st1 = cp.law.committed
    sigma1 = cp.law.sigma.x.array.copy()
    r1 = cp._assemble(cp.problem.F)
    cp.snes.setTolerances(max_it=1)
    with pytest.raises(SolveError, match={"vi": "SNES reason -5", "active_set": "active-set Newton .* after 1 iterations"}[solver]):
        loadstep.solve_load_step(cp, 0.5 * P_STAR)
    np.testing.assert_array_equal(cp.u.x.array, u1)
    assert cp.law.committed is st1
    # σ and C of the committed state are back (recomputed from it with a zero increment)
    scale = np.abs(sigma1).max()
    np.testing.assert_allclose(cp.law.sigma.x.array, sigma1, rtol=0, atol=1e-12 * scale)
    # (the tangent of points on the yield surface at a zero increment is elastic or plastic
    # by round-off: not compared) ... and so is the residual (the contact reactions)
    r = cp._assemble(cp.problem.F)
    np.testing.assert_allclose(r, r1, rtol=0, atol=1e-10 * np.abs(r1).max())
    assert cp.load.time == 0.0 and cp.pressure.value == pytest.approx(0.2 * P_STAR)
    cp.snes.setTolerances(max_it=60)
    step = loadstep.solve_load_step(cp, 0.5 * P_STAR)  # the caller's retry converges
    assert step.reason > 0
    # the same final state as an uninterrupted run
    ref = _problem(_j2(), f"restore_ref_{solver}_", contact_solver=solver)
    loadstep.solve_load_step(ref, 0.2 * P_STAR)
    loadstep.solve_load_step(ref, 0.5 * P_STAR)
    scale = np.abs(ref.u.x.array).max()
    np.testing.assert_allclose(cp.u.x.array, ref.u.x.array, rtol=0, atol=1e-8 * scale)


@pytest.mark.parametrize("solver", contact.CONTACT_SOLVERS)
def test_unconverged_first_step_raises_and_restores(solver):
    from solver.fem.petsc import CONTACT_VI, preset

    cp = _problem(_j2(), f"maxit1_plastic_{solver}_",
                  petsc_options=preset(CONTACT_VI, snes_max_it=1), contact_solver=solver)
    before = cp.u.x.array.copy()
    with pytest.raises(SolveError, match={"vi": "SNES reason -5", "active_set": "active-set Newton .* after 1 iterations"}[solver]):
        loadstep.solve_load_step(cp, 0.3 * P_STAR)
    np.testing.assert_array_equal(cp.u.x.array, before)
    assert not cp.load.loaded
    assert np.all(cp.law.sigma.x.array == 0.0)
    assert np.all(cp.law.committed.p == 0.0)


def test_unloading_is_elastic_and_keeps_plastic_strain():
    cp = _problem(_j2(), "unload_")
    loadstep.solve_load_step(cp, 0.15 * P_STAR)
    loadstep.solve_load_step(cp, 0.3 * P_STAR)
    p_loaded = cp.law.committed.p.copy()
    depth = contact_results.plastic_zone_depth(cp, 1e-6)
    assert depth > 0
    s_loaded = contact_results.contact_state(cp)
    loadstep.solve_load_step(cp, 0.05 * P_STAR)
    np.testing.assert_allclose(cp.law.committed.p, p_loaded, rtol=0, atol=1e-14)
    s_unloaded = contact_results.contact_state(cp)
    assert s_unloaded.force == pytest.approx(0.05 * P_STAR * LAM / 2, rel=1e-8)
    assert s_unloaded.fraction <= s_loaded.fraction
    assert contact_results.plastic_zone_depth(cp, 1e-6) == depth
    eq = contact_results.equivalent_plastic_strain(cp)
    assert eq.function_space.ufl_element().embedded_superdegree == 0
    assert COMM.allreduce(float(np.max(eq.x.array)), op=_op("MAX")) > 0


def test_plastic_contact_is_larger_than_elastic():
    from solver.physics import laws
    fractions = {}
    for name, mat in (("el", laws.ElasticParams(E, NU)), ("pl", _j2())):
        cp = _problem(mat, f"larger_{name}_", cell="triangle", degree=2)
        loadstep.solve_load_step(cp, 0.15 * P_STAR)
        loadstep.solve_load_step(cp, 0.3 * P_STAR)
        s = contact_results.contact_state(cp)
        assert s.force == pytest.approx(0.3 * P_STAR * LAM / 2, rel=1e-8)
        fractions[name] = s.fraction
    assert fractions["pl"] > fractions["el"] + 0.05


def test_creep_hold_grows_contact_and_time():
    """Norton creep (no yield surface) at constant load: A_r and the time grow, p stays zero."""
    from solver.physics import laws
    creep = laws.NortonParams(A=1e-34, n=5.0)  # ε̇ ≈ 1e-3 1/s at 50 MPa (≈ σ at the peak)
    cp = _problem(laws.ElasticCreepParams(laws.ElasticParams(E, NU), creep), "hold_")
    loadstep.solve_load_step(cp, 0.2 * P_STAR)
    fractions = [contact_results.contact_state(cp).fraction]
    for dt in (1.0, 3.0, 10.0):
        step = loadstep.solve_load_step(cp, 0.2 * P_STAR, dt=dt)
        state = contact_results.contact_state(cp)
        fractions.append(state.fraction)
        # read after the step, the reactions carry the load: creep is not applied twice
        assert state.force == pytest.approx(0.2 * P_STAR * cp.face_area, rel=1e-6)
    assert cp.load.time == pytest.approx(14.0) and step.time == pytest.approx(14.0)
    assert np.all(np.diff(fractions) >= 0) and fractions[-1] > fractions[0]
    assert np.all(cp.law.committed.p == 0.0)
    assert contact_results.plastic_zone_depth(cp, 1e-6, part="plastic") == 0.0
    assert contact_results.plastic_zone_depth(cp, 1e-6, part="creep") > 0.0


def test_3d_plastic_matches_plane_strain():
    """A y-independent map on a 3D block with u_y = 0 on its y faces is plane strain (J2)."""
    from solver.fem import mesh as geometry
    n = 12
    hmap = G0 * np.cos(2 * np.pi * np.arange(2 * n) / (2 * n))[:, None] * np.ones((1, 4))
    surf3 = HeightMap(hmap, (LAM, LAM))
    b3 = geometry.lithium_block_3d(COMM, (LAM / 2, LAM / n), 2 * LAM, LAM / (2 * n), (n, 1),
                                   1.3, z0=surf3.max)
    cp3 = contact.ContactProblem(b3, surf3, _j2(), prefix="pl3d_")
    b2 = geometry.lithium_block_2d(COMM, LAM / 2, 2 * LAM, LAM / (2 * n), n, 1.3, z0=G0)
    cp2 = contact.ContactProblem(b2, HeightMap(hmap[:, 0], (LAM,)), _j2(),
                                   prefix="pl2d_")
    for p in (0.15, 0.3):
        loadstep.solve_load_step(cp3, p * P_STAR)
        loadstep.solve_load_step(cp2, p * P_STAR)
    s3, s2 = contact_results.contact_state(cp3), contact_results.contact_state(cp2)
    assert s3.fraction == pytest.approx(s2.fraction, rel=1e-10)
    d3, d2 = contact_results.plastic_zone_depth(cp3), contact_results.plastic_zone_depth(cp2)
    assert d2 > 0 and d3 == pytest.approx(d2, rel=1e-8)
    p3 = COMM.allreduce(float(np.max(cp3.law.committed.p, initial=0)), op=_op("MAX"))
    p2 = COMM.allreduce(float(np.max(cp2.law.committed.p, initial=0)), op=_op("MAX"))
    assert p3 == pytest.approx(p2, rel=1e-6)


def test_axisymmetric_plastic_indentation():
    """A paraboloid into an axisymmetric J2 block: converges, yields below the surface first."""
    from solver.fem import mesh as geometry
    from solver.physics import laws
    R = 1e-4
    block = geometry.lithium_block_axisymmetric(COMM, 20e-6, 20e-6, 0.25e-6, 24, 1.2,
                                                fine_radius=6e-6, z0=0.0)
    cp = contact.ContactProblem(block, lambda r: -(r**2) / (2 * R),
                                  laws.J2Params(E, NU, 10e6), prefix="axi_pl_")
    P = 0.0
    for p in (0.5e6, 1e6, 2e6):  # mean pressure on the top (π L² area)
        step = loadstep.solve_load_step(cp, p)
        P = p
    s = contact_results.contact_state(cp)
    assert s.force == pytest.approx(P * math.pi * 20e-6**2, rel=1e-8)
    assert step.iterations < 40
    assert contact_results.plastic_zone_depth(cp) > 0


def test_material_types_and_errors():
    from solver.physics import laws
    for mat in (kinematics.LinearElastic(E, NU), kinematics.LinearElastic(E, NU).stress,
                laws.ElasticParams(E, NU)):
        cp = _problem(mat, f"types_{id(mat)}_", n=8)
        assert cp.law is None and cp.stress is not None
        loadstep.solve_load_step(cp, 0.1 * P_STAR, dt=2.0)
        assert cp.load.time == 2.0
        assert contact_results.plastic_zone_depth(cp) == 0.0
        assert np.all(contact_results.equivalent_plastic_strain(cp).x.array == 0.0)
    with pytest.raises(InputError, match="material"):
        _problem(object(), "types_bad_", n=8)
    with pytest.raises(InputError, match="dt"):
        loadstep.solve_load_step(cp, 0.1 * P_STAR, dt=-1.0)


def test_quadrature_state_layout():
    """Strain at quadrature points equals the UFL strain of an affine field (exact)."""
    dolfinx = import_dolfinx()
    import ufl

    from solver.physics import laws

    from solver.fem import quadrature
    mesh = dolfinx.mesh.create_unit_square(COMM, 3, 2, dolfinx.mesh.CellType.triangle)
    V = dolfinx.fem.functionspace(mesh, ("Lagrange", 2, (2,)))
    u = dolfinx.fem.Function(V)
    u.interpolate(lambda x: np.stack([1e-3 * x[0] + 2e-3 * x[1], -5e-4 * x[1]]))
    law = quadrature.QuadratureLaw(u, "plane_strain", laws.ElasticParams(E, NU))
    assert law.n_qp == 3 and law.quadrature_degree == 2
    eps = law.strain()
    np.testing.assert_allclose(eps, np.tile([1e-3, -5e-4, 0.0, math.sqrt(2) * 1e-3],
                                            (law.n_points, 1)), atol=1e-15)
    law.update()
    C = laws.elastic_stiffness(E, NU, 4)
    np.testing.assert_allclose(law.stress_values(), eps @ C.T, rtol=1e-12)
    # residual through the quadrature σ equals the UFL elastic one
    from solver.fem.kinematics import LinearElastic, strain_mandel

    v = ufl.TestFunction(V)
    r_q = dolfinx.fem.assemble_vector(dolfinx.fem.form(law.residual(v)))
    sig = LinearElastic(E, NU).stress(strain_mandel(u, "plane_strain"))
    r_u = dolfinx.fem.assemble_vector(
        dolfinx.fem.form(ufl.dot(sig, strain_mandel(v, "plane_strain")) * ufl.dx))
    np.testing.assert_allclose(r_q.array, r_u.array, rtol=1e-10, atol=1e-12 * E * 1e-3)
    with pytest.raises(InputError):
        quadrature.law_function(object())


# --------------------------------------------------------------------------------------------
# Benchmarks and ranks
# --------------------------------------------------------------------------------------------


# The benchmarks themselves run small, serially and on 2 ranks, in tests/test_benchmarks.py.


def small_plastic_case(prefix: str = "pl_ranks_") -> dict:
    """Plastic contact fraction, force and plastic depth of a small case (same on every rank)."""
    cp = _problem(_j2(), prefix, n=32)
    for p in (0.1, 0.2, 0.3):
        step = loadstep.solve_load_step(cp, p * P_STAR)
    s = contact_results.contact_state(cp)
    eq = cp.law.equivalent_inelastic_strain()
    return {"fraction": s.fraction, "force": s.force, "depth": contact_results.plastic_zone_depth(cp),
            "p_max": COMM.allreduce(float(np.max(eq, initial=0.0)), op=_op("MAX")),
            "iterations": step.iterations, "ranks": COMM.size}


@pytest.mark.mpi
def test_one_and_two_ranks_agree_plastic():
    serial, parallel = serial_and_two_ranks(small_plastic_case, Path(__file__).resolve())
    assert serial["p_max"] > 0
    assert parallel["fraction"] == pytest.approx(serial["fraction"], rel=1e-8)
    assert parallel["force"] == pytest.approx(serial["force"], rel=1e-8)
    assert parallel["depth"] == pytest.approx(serial["depth"], rel=1e-8)
    assert parallel["p_max"] == pytest.approx(serial["p_max"], rel=1e-6)


if __name__ == "__main__":
    result = small_plastic_case()
    if COMM.rank == 0:
        print(json.dumps(result))
