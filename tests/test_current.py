"""Current through the pressed interface (solver.physics.interface, solver.physics.current_metrics,
solver.fem.potential, solver.simulation.current).

A rough synthetic contact map gives the same ASR on 1 and 2 ranks; bad input raises InputError;
the metrics of hand-made current maps match hand-computed values; face fields and the contact
area taken from a map are exact where they should be. The current benchmarks themselves run in
tests/test_benchmarks.py (small, serially and on 2 ranks). Run as a script
(``mpiexec -n N python tests/test_current.py``) it prints the rough case's ASRs as JSON.
"""

from __future__ import annotations

import gc
import json
import math
from pathlib import Path

import numpy as np
import pytest

from mpi_helpers import serial_and_two_ranks
from solver.errors import InputError, SolveError
from solver.fem import mesh as geometry
from solver.fem.backend import comm_world, import_dolfinx
from solver.fem.face_sampling import face_field
from solver.fem.potential import CurrentProblem
from solver.physics.current_metrics import current_metrics, top_area_share
from solver.physics.electrochemistry import FilmParams, butler_volmer
from solver.physics.interface import FilmInterface, KineticInterface, Kinetics
from solver.simulation import contactmap, current

ROOT = Path(__file__).resolve().parents[1]

import_dolfinx()  # collective PETSc set-up on every rank at import
COMM = comm_world()

LX = 20e-6  # m
THICKNESS = 20e-6  # m


@pytest.fixture(autouse=True)
def _collective_cleanup():
    yield
    gc.collect()  # PETSc destructors are collective
    COMM.Barrier()


def rough_map(n: int = 24, seed: int = 3, dim: int = 3) -> dict:
    """Contact-map arrays of one step: smooth random contact blobs on an n × n grid."""
    rng = np.random.default_rng(seed)
    shape = (n, n) if dim == 3 else (n, 1)
    k = np.fft.fftfreq(n)[:, None] ** 2 + (np.fft.fftfreq(n)[None, :] ** 2 if dim == 3 else 0)
    noise = rng.normal(size=shape)
    field = np.real(np.fft.ifft2(np.fft.fft2(noise, axes=(0, 1)) * np.exp(-k * 60), axes=(0, 1)))
    field = (field - field.mean()) / field.std()
    in_contact = field > 0.6
    pressure = np.where(in_contact, 1e6 * (1.0 + field), 0.0)
    gap = np.where(in_contact, 0.0, 1e-8 * (0.6 - field + 0.01))
    maps = contactmap.ContactMaps.empty(np.zeros(shape), (LX, LX))
    maps.append(pressure, gap, in_contact, 2e6, 0.0, "load")
    return maps.arrays()


def rough_case_results() -> dict:
    """ASR of the rough map for the film (Li|Cu) and kinetic (Li|SE) interfaces, any ranks."""
    block = geometry.lithium_block_3d(COMM, (LX, LX), THICKNESS, THICKNESS / 10, (12, 12), 1.2)
    maps = rough_map()
    film = FilmParams(1e-4, p_ref=1e6, beta=0.5, decay_length=5e-9)
    out = {"ranks": COMM.size}
    pe = CurrentProblem(block, FilmInterface(1.1e7, film), prefix="rough_e_")
    current.set_contact_map(pe, maps, 0)
    out["asr_film"] = pe.solve(current_density=10.0).asr
    pi = CurrentProblem(block, KineticInterface(0.1, Kinetics(10.0)), prefix="rough_i_")
    sol = current.solve_step(pi, maps, 0, current_density=10.0).solution
    out["asr_bv"], out["asr_bv_small_signal"] = sol.asr, sol.asr_small_signal
    return out


# --------------------------------------------------------------------------------------------
# Metrics on hand-made maps (no mesh)
# --------------------------------------------------------------------------------------------


def test_metrics_of_a_ramp_match_hand_values():
    j = np.arange(1.0, 101.0).reshape(10, 10)  # 1 … 100 A/m²
    m = current_metrics(j, 2.0, j_crit=80.0)
    # numpy linear interpolation at index q(n-1): 49.5, 89.1, 98.01, 98.901
    assert m.percentiles == pytest.approx({"p50": 50.5, "p90": 90.1, "p99": 99.01,
                                           "p99.9": 99.901}, rel=1e-12)
    assert m.j_mean == pytest.approx(50.5) and m.j_max == 100.0
    assert m.j_max_over_mean == pytest.approx(100.0 / 50.5)
    assert m.top1_share == pytest.approx(100.0 / 5050.0)  # 1 % of 100 cells = the top cell
    assert m.risk_area_fraction == pytest.approx(0.2)  # 81 … 100
    assert m.risk_area == pytest.approx(20 * 2.0)
    assert m.spots is None and m.percentiles_contact is None


def test_top_share_counts_a_fractional_cell():
    j = np.zeros((15, 10))
    j[0, 0], j[0, 1], j[0, 2] = 30.0, 20.0, 10.0
    # 1 % of 150 cells = 1.5 cells: 30 + 0.5·20 of the total 60
    assert top_area_share(j) == pytest.approx(40.0 / 60.0)
    m = current_metrics(j, 1.0, j_crit=15.0)
    assert m.risk_area_fraction == pytest.approx(2 / 150)


def test_spot_currents_by_hand():
    inc = np.zeros((6, 6), bool)
    inc[0:2, 0:2] = True      # spot A: 4 cells
    inc[4, 3:6] = True        # spot B: 3 cells
    j = np.where(inc, 0.0, 0.0)
    j[0:2, 0:2] = [[1.0, 2.0], [3.0, 4.0]]   # A carries 10·cell
    j[4, 3:6] = [10.0, 20.0, 30.0]           # B carries 60·cell
    m = current_metrics(j, 0.5, in_contact=inc)
    s = m.spots
    assert s.n_spots == 2
    assert s.current.tolist() == pytest.approx([30.0, 5.0])  # largest first, × cell area 0.5
    assert s.area.tolist() == pytest.approx([1.5, 2.0])
    assert s.mean_density.tolist() == pytest.approx([20.0, 2.5])
    assert s.max_density.tolist() == [30.0, 4.0]
    assert s.largest_share == pytest.approx(30.0 / 35.0)
    assert s.spots_for_half == 1
    # contact-area percentiles: the 7 contact values 1,2,3,4,10,20,30
    assert m.percentiles_contact["p50"] == pytest.approx(4.0)
    assert m.percentiles["p50"] == 0.0
    assert set(m.summary()) >= {"j_mean_A_per_m2", "top1_area_current_share", "n_spots"}


def test_metrics_bad_input():
    with pytest.raises(InputError, match="j_crit"):
        current_metrics(np.ones((4, 4)), 1.0, j_crit=0.0)
    with pytest.raises(InputError, match="j_crit"):
        current_metrics(np.ones((4, 4)), 1.0, j_crit=-3.0)
    with pytest.raises(InputError, match="non-finite"):
        current_metrics(np.array([[1.0, np.nan]]), 1.0)


def test_kinetics_laws():
    k = Kinetics(10.0, 0.4, 0.6)
    eta = np.linspace(-0.1, 0.1, 11)
    assert np.allclose(k.current(eta), butler_volmer(eta, 10.0, 0.4, 0.6), rtol=1e-14)
    for j in (-50.0, -1e-3, 1e-3, 7.0, 300.0):
        assert float(k.current(k.overpotential(j))) == pytest.approx(j, rel=1e-10)
    kn = Kinetics(10.0, eta_nucleation=0.05, smoothing=1e-3)
    # dead band: no current well inside, shifted Butler–Volmer well outside
    assert abs(float(kn.current(0.03))) < 1e-6 * 10.0
    shifted = float(butler_volmer(-0.15, 10.0, 0.5, 0.5))
    assert float(kn.current(-0.2)) == pytest.approx(shifted, rel=1e-6)
    plain = Kinetics(10.0)
    assert kn.overpotential(-10.0) == pytest.approx(plain.overpotential(-10.0) - 0.05, rel=1e-6)


@pytest.mark.parametrize("kwargs, field", [
    ({"i0": 0.0}, "i0"), ({"i0": -1.0}, "i0"), ({"i0": math.nan}, "i0"),
    ({"i0": 1.0, "alpha_a": 0.0}, "alpha_a"), ({"i0": 1.0, "T": -5.0}, "T"),
    ({"i0": 1.0, "eta_nucleation": -0.01}, "eta_nucleation")])
def test_kinetics_bad_input(kwargs, field):
    with pytest.raises(InputError, match=field):
        Kinetics(**kwargs)


@pytest.mark.parametrize("value", [0.0, -1e7, math.inf, math.nan, "a lot"])
def test_conductivities_must_be_positive(value):
    with pytest.raises(InputError, match="sigma"):
        FilmInterface(value, FilmParams(1e-4))
    with pytest.raises(InputError, match="kappa"):
        KineticInterface(value, Kinetics(1.0))


def test_map_step_checks():
    maps = rough_map(8)
    st = current.map_step(maps, 0)
    # the press cycle's ContactMaps object works as well as its arrays
    live = contactmap.ContactMaps.empty(np.zeros((8, 8)), (LX, LX))
    live.append(maps["pressure"][0], maps["gap"][0], maps["in_contact"][0], 2e6, 0.0, "load")
    st2 = current.map_step(live, 0, heights=np.zeros((8, 8)), physical_sizes=(LX, LX))
    assert np.array_equal(st2.in_contact, st.in_contact) and st2.physical_sizes == st.physical_sizes
    assert st.shape == (8, 8) and st.cell_area == pytest.approx((LX / 8) ** 2)
    with pytest.raises(InputError, match="step"):
        current.map_step(maps, 3)
    with pytest.raises(InputError, match="grid"):
        current.map_step(maps, 0, heights=np.zeros((16, 16)), physical_sizes=(LX, LX))
    with pytest.raises(InputError, match="physical_sizes"):
        current.map_step(maps, 0, heights=np.zeros((8, 8)), physical_sizes=(2 * LX, LX))
    with pytest.raises(InputError, match="different surface"):
        current.map_step(maps, 0, heights=np.ones((8, 8)), physical_sizes=(LX, LX))
    with pytest.raises(InputError, match="quantity"):
        st.sample("temperature", np.zeros(2))
    # nearest grid point, periodic: x just below Lx belongs to grid point 0
    assert st.sample("in_contact", np.array([LX - 1e-12]), np.array([0.0]))[0] == \
        float(maps["in_contact"][0][0, 0])


# --------------------------------------------------------------------------------------------
# FE
# --------------------------------------------------------------------------------------------


@pytest.mark.fem
def test_face_field_means_are_exact():
    """Facet means of a bilinear field on hexahedra and a linear one on tetrahedra."""
    dolfinx = import_dolfinx()
    # the mean of x·y over a rectangle is the product of the means; a linear field's mean over a
    # triangle is its value at the centroid
    for cell, f, exact in (
            ("hexahedron", lambda x, y: x * y, lambda X: X[:, :, 0].mean(1) * X[:, :, 1].mean(1)),
            ("tetrahedron", lambda x, y: x + 2 * y,
             lambda X: (X[:, :, 0] + 2 * X[:, :, 1]).mean(1))):
        block = geometry.lithium_block_3d(COMM, (2.0, 1.0), 1.0, 0.5, (4, 3), cell=cell)
        V0 = dolfinx.fem.functionspace(block.mesh, ("DG", 0))
        facets = block.facet_tags.find(geometry.BOTTOM)
        g = face_field(V0, facets, f, samples=3)
        mesh = block.mesh
        X = mesh.geometry.x[dolfinx.mesh.entities_to_geometry(mesh, 2, facets)]
        mesh.topology.create_connectivity(2, 3)
        f2c = mesh.topology.connectivity(2, 3)
        cells = np.array([f2c.links(ff)[0] for ff in facets])
        assert np.allclose(g.x.array[V0.dofmap.list[cells, 0]], exact(X), rtol=1e-12, atol=1e-14)


@pytest.mark.fem
def test_contact_area_from_map_is_exact_on_a_matching_face():
    """FE face elements = grid cells: the nearest-point Voronoi cells split each facet into
    quarters, so the face's contact area equals the grid's in_contact area exactly."""
    maps = rough_map(12)
    block = geometry.lithium_block_3d(COMM, (LX, LX), THICKNESS, THICKNESS / 6, (12, 12), 1.3)
    prob = CurrentProblem(block, KineticInterface(0.1, Kinetics(1.0)), prefix="area_i_")
    st = current.set_contact_map(prob, maps, 0)
    assert prob.face_total() / prob.face_area == pytest.approx(st.in_contact.mean(), rel=1e-12)
    pf = CurrentProblem(block, FilmInterface(1e7, FilmParams(1e-4)), prefix="area_e_")
    current.set_contact_map(pf, maps, 0)
    assert pf.face_total() == pytest.approx(1e4 * st.in_contact.mean() * LX * LX, rel=1e-12)


@pytest.mark.fem
def test_rough_film_asr_is_film_over_contact_fraction():
    """Lithium conducts ~1e11 times better than the film per unit length: the ASR of a rough
    contact is R_film/A_frac (parallel spots) up to the tiny Li constriction; current balance
    and the current map."""
    maps = rough_map(12)
    block = geometry.lithium_block_3d(COMM, (LX, LX), THICKNESS, THICKNESS / 6, (12, 12), 1.3)
    prob = CurrentProblem(block, FilmInterface(1.1e7, FilmParams(1e-4)), prefix="rough_film_")
    step = current.solve_step(prob, maps, 0, current_density=10.0, j_crit=15.0)
    frac = float(maps["in_contact"][0].mean())
    sol = step.solution
    assert sol.asr == pytest.approx(1e-4 / frac, rel=1e-6)
    assert sol.interface_current == pytest.approx(sol.current, rel=1e-10)
    jmap = step.current_map
    assert np.all(jmap[~maps["in_contact"][0]] == 0.0)
    assert jmap[maps["in_contact"][0]] == pytest.approx(10.0 / frac, rel=1e-6)
    assert step.metrics.j_mean == pytest.approx(10.0, rel=1e-6)
    assert step.metrics.risk_area_fraction == pytest.approx(frac if 10 / frac > 15 else 0.0)
    s = step.summary()
    assert s["asr_ohm_cm2"] == pytest.approx(1e4 * sol.asr)


@pytest.mark.fem
def test_plane_strain_profile_map():
    maps = rough_map(32, dim=2)
    block = geometry.lithium_block_2d(COMM, LX, THICKNESS, THICKNESS / 10, 32, 1.2)
    prob = CurrentProblem(block, FilmInterface(1.1e7, FilmParams(1e-4)), prefix="ps_film_")
    step = current.solve_step(prob, maps, 0, voltage=1e-3)
    frac = float(maps["in_contact"][0].mean())
    assert step.solution.asr == pytest.approx(1e-4 / frac, rel=1e-6)
    assert step.current_map.shape == (32, 1)


@pytest.mark.fem
def test_problem_bad_input():
    block = geometry.lithium_block_3d(COMM, (LX, LX), THICKNESS, THICKNESS / 4, (4, 4), 1.3)
    prob = CurrentProblem(block, FilmInterface(1e7, FilmParams(1e-4)), prefix="bad_e_")
    with pytest.raises(InputError, match="exactly one"):
        prob.solve()
    with pytest.raises(InputError, match="exactly one"):
        prob.solve(current_density=1.0, voltage=1.0)
    with pytest.raises(InputError, match="drive"):
        prob.solve(current_density=math.nan)
    with pytest.raises(SolveError, match="no conducting contact"):
        prob.solve(current_density=1.0)  # face field still zero
    maps = rough_map(8)
    wrong = dict(maps, physical_sizes=np.array([2 * LX, LX]))
    with pytest.raises(InputError, match="physical_sizes"):
        current.set_contact_map(prob, wrong, 0)
    with pytest.raises(InputError, match="grid"):
        current.set_contact_map(prob, maps, 0, heights=np.zeros((9, 8)), physical_sizes=(LX, LX))
    with pytest.raises(InputError, match="model"):
        CurrentProblem(block, "film", prefix="bad_x_")


# The current benchmarks (holm, greenwood, newman_disk, uniform_film) run small, serially and on
# 2 ranks, in tests/test_benchmarks.py (registry group "current").


@pytest.mark.fem
@pytest.mark.mpi
def test_one_and_two_ranks_same_asr():
    serial, parallel = serial_and_two_ranks(rough_case_results, Path(__file__).resolve())
    assert parallel["asr_film"] == pytest.approx(serial["asr_film"], rel=1e-8)
    assert parallel["asr_bv"] == pytest.approx(serial["asr_bv"], rel=1e-8)
    assert parallel["asr_bv_small_signal"] == pytest.approx(serial["asr_bv_small_signal"],
                                                            rel=1e-8)


if __name__ == "__main__":
    result = rough_case_results()
    if COMM.rank == 0:
        print(json.dumps(result))


@pytest.mark.fem
@pytest.mark.parametrize("law", ["film", "kinetics"])
def test_current_map_grid_mean_is_the_applied_current_density(law):
    """The face sees the map through facet means, the grid map samples it at its points: on a
    face whose facets do not match the grid cells the point samples alone miss ∫ j ds by more
    than 0.5 %; the map is scaled to the exact interface current, and the factor reported."""
    maps = rough_map(24)
    block = geometry.lithium_block_3d(COMM, (LX, LX), THICKNESS, THICKNESS / 6, (7, 7), 1.3)
    model = (FilmInterface(1.1e7, FilmParams(1e-4, p_ref=1e6, beta=0.5, decay_length=5e-9))
             if law == "film" else KineticInterface(0.1, Kinetics(10.0)))
    prob = CurrentProblem(block, model, prefix=f"mapmean_{law}_")
    step = current.solve_step(prob, maps, 0, current_density=10.0)
    assert step.solution.interface_current == pytest.approx(step.solution.current, rel=1e-6)
    assert step.metrics.j_mean == pytest.approx(10.0, rel=5e-3)
    assert float(np.mean(step.current_map)) == pytest.approx(10.0, rel=5e-3)
    s = step.summary()
    assert abs(s["current_map_sampling_factor"] - 1) > 5e-3  # the sampling alone is off
    assert s["interface_current_density_A_per_m2"] == pytest.approx(10.0, rel=1e-6)


# --------------------------------------------------------------------------------------------
# Small-signal ASR (solver.fem.potential_tangent) and the direction of the current
# --------------------------------------------------------------------------------------------


@pytest.mark.fem
@pytest.mark.parametrize("drive", [{"current_density": 10.0}, {"voltage": 1e-3}])
def test_small_signal_asr_of_a_film_is_the_dc_asr(drive):
    """A linear interface: dΔV/dJ = ΔV/J, so R_ss − t/σ equals the dc ASR (1e-8); and asking
    for it leaves the dc solution bit-identical."""
    maps = rough_map(12)
    block = geometry.lithium_block_3d(COMM, (LX, LX), THICKNESS, THICKNESS / 6, (12, 12), 1.3)
    film = FilmParams(1e-4, p_ref=1e6, beta=0.5, decay_length=5e-9)
    prob = CurrentProblem(block, FilmInterface(1.1e7, film), prefix="ss_film_")
    current.set_contact_map(prob, maps, 0)
    plain = prob.solve(**drive)
    phi_plain = prob.phi.x.array.copy()
    step = current.solve_step(prob, maps, 0, **drive)
    sol = step.solution
    assert plain.asr_small_signal is None
    assert tuple(sol)[:10] == tuple(plain)[:10]  # dc results: exactly the same numbers
    assert np.array_equal(prob.phi.x.array, phi_plain)
    assert sol.asr_small_signal == pytest.approx(sol.asr, rel=1e-8)
    s = step.summary()
    assert s["asr_small_signal_ohm_m2"] == sol.asr_small_signal
    assert s["asr_small_signal_ohm_cm2"] == pytest.approx(1e4 * sol.asr_small_signal, rel=1e-15)
    prob.close()


@pytest.mark.fem
def test_small_signal_tangent_follows_an_iterative_preset():
    """A problem set up for CG + AMG solves its tangent with CG + AMG too (the preset's
    ksp_/pc_/mg_ options), and still finds the film's dc ASR."""
    from solver.fem.potential_forms import CURRENT_LINEAR_GAMG
    from solver.fem.potential_tangent import tangent_options

    opts = tangent_options(CURRENT_LINEAR_GAMG)
    assert opts["pc_type"] == "gamg" and opts["mg_levels_pc_type"] == "jacobi"
    maps = rough_map(12)
    block = geometry.lithium_block_3d(COMM, (LX, LX), THICKNESS, THICKNESS / 6, (12, 12), 1.3)
    prob = CurrentProblem(block, FilmInterface(1.1e7, FilmParams(1e-4)), prefix="ss_gamg_",
                          petsc_options=CURRENT_LINEAR_GAMG)
    step = current.solve_step(prob, maps, 0, current_density=10.0)
    assert prob._small_signal._problems["current"].solver.getPC().getType() == "gamg"
    assert step.solution.asr_small_signal == pytest.approx(step.solution.asr, rel=1e-8)
    prob.close()


def _flat_se(prefix: str, kin: Kinetics, kappa: float = 0.1) -> CurrentProblem:
    """An SE block in full, uniform contact (contact fraction 1 on every facet)."""
    block = geometry.lithium_block_2d(COMM, LX, THICKNESS, THICKNESS / 10, 8, 1.2)
    prob = CurrentProblem(block, KineticInterface(kappa, kin), prefix=prefix)
    prob.set_face_values(lambda x, y: np.ones_like(x))
    return prob


@pytest.mark.fem
def test_small_signal_asr_of_butler_volmer_matches_the_1d_series_model():
    """Flat full contact: ΔV(J) = η(J) + J·L/κ exactly on P1, so dΔV/dJ = L/κ + dη/dJ with
    dη/dJ = 1/(i₀ f (α_a e^{α_a f η} + α_c e^{−α_c f η})) at the operating η, and the
    small-signal ASR (bulk L/κ removed) is dη/dJ, to 1e-6, galvanostatic and potentiostatic,
    anodic and cathodic. At small J it is R_ct = RT/(F i₀ (α_a+α_c)); at large J below the dc
    ASR."""
    from solver.physics.electrochemistry import FARADAY, GAS_CONSTANT

    i0, aa, ac, kappa = 10.0, 0.3, 0.7, 0.1
    kin = Kinetics(i0, aa, ac)
    f = FARADAY / (GAS_CONSTANT * kin.T)
    prob = _flat_se("ss_bv_flat_", kin, kappa)
    bulk = THICKNESS / kappa
    for J in (1e-3, 10.0, 300.0, -30.0):
        eta = kin.overpotential(J)
        deta_dj = 1.0 / (i0 * f * (aa * math.exp(aa * f * eta) + ac * math.exp(-ac * f * eta)))
        gal = prob.solve(current_density=J, small_signal=True)
        assert gal.asr_small_signal == pytest.approx(deta_dj, rel=1e-6), J
        assert gal.asr_small_signal + gal.bulk_asr == pytest.approx(bulk + deta_dj, rel=1e-6)
        pot = prob.solve(voltage=gal.delta_v, small_signal=True)
        assert pot.current_density == pytest.approx(J, rel=1e-8)
        assert pot.asr_small_signal == pytest.approx(deta_dj, rel=1e-6), J
    small = prob.solve(current_density=1e-3, small_signal=True)
    assert small.asr_small_signal == pytest.approx(kin.R_ct, rel=1e-4)
    high = prob.solve(current_density=300.0, small_signal=True)
    assert high.asr_small_signal < 0.5 * high.asr
    prob.close()


@pytest.mark.fem
def test_small_signal_asr_with_a_nucleation_dead_band():
    """Cu|SE kinetics (dead band η_n, smoothed): the small-signal ASR of a flat full contact is
    dη/dj of the smoothed law (Kinetics.differential_resistance, itself Taylor-tested), far
    below the dc ASR, which carries η_n/J."""
    kin = Kinetics(10.0, 0.5, 0.5, eta_nucleation=0.01, smoothing=1e-3)
    prob = _flat_se("ss_bv_band_", kin)
    sol = prob.solve(current_density=-10.0, small_signal=True)
    assert sol.asr_small_signal == pytest.approx(kin.differential_resistance(-10.0), rel=1e-6)
    assert sol.asr == pytest.approx(kin.overpotential(-10.0) / -10.0, rel=1e-6)
    assert sol.asr_small_signal < sol.asr - 0.009 / 10.0
    pot = prob.solve(voltage=sol.delta_v, small_signal=True)
    assert pot.asr_small_signal == pytest.approx(sol.asr_small_signal, rel=1e-6)
    prob.close()


@pytest.mark.fem
def test_cu_se_plates_onto_the_collector():
    """An anode-less case (copper pressed on the SE) drives a cathodic current: lithium plates
    onto the copper. The step records J < 0, ΔV < 0 and η < 0 (φ_SE > 0 at the face), the ASRs
    and the current map > 0 in the drive direction; with α_a ≠ α_c plating and stripping of
    the same magnitude differ (the cathodic branch is used)."""
    from types import SimpleNamespace

    from solver.case import config

    case = config.from_dict({
        "lithium": {"material": "copper", "creep": False, "yield_stress": 1e8},
        "press": {"hold_times": [0.0, 0.0, 0.0]},
        "mesh": {"thickness": THICKNESS},
        "current": {"interface": "cu_se", "alpha_a": 0.3, "alpha_c": 0.7,
                    "nucleation_overpotential": 0.0}})
    assert current.signed_drive(case) == {"current_density": -10.0}
    notes = current.stage_notes(case)
    assert notes["drive_sign"] == -1.0 and notes["current_direction"].startswith("plating")
    assert any("solid electrolyte is rigid" in a for a in notes["assumptions"])
    maps = rough_map(32, dim=2)
    li = geometry.lithium_block_2d(COMM, LX, THICKNESS, THICKNESS / 10, 32, 1.2)
    prob = current.build_current_problem(case, SimpleNamespace(block=li), COMM)
    assert isinstance(prob.model, KineticInterface)
    current.set_contact_map(prob, maps, 0)
    plain = prob.solve(**current.signed_drive(case))  # without the small-signal solve
    phi_plain = prob.phi.x.array.copy()
    step = current.solve_step(prob, maps, 0, **current.signed_drive(case))
    assert tuple(step.solution)[:10] == tuple(plain)[:10]  # dc results: bit-identical
    assert np.array_equal(prob.phi.x.array, phi_plain)
    s = step.summary()
    assert s["current_density_A_per_m2"] == pytest.approx(-10.0)
    assert s["delta_v_V"] < 0 and s["interface_current_density_A_per_m2"] < 0
    face = prob.face_points(np.array([0.0]))
    assert prob.eval_potential(face)[0] > 0  # η = φ_Cu − φ_SE < 0: cathodic
    assert s["asr_ohm_m2"] > 0 and s["asr_small_signal_ohm_m2"] > 0
    assert step.metrics.j_mean == pytest.approx(10.0, rel=5e-3)
    stripping = current.solve_step(prob, maps, 0, current_density=10.0)
    assert abs(stripping.solution.asr / step.solution.asr - 1) > 0.05
    prob.close()
