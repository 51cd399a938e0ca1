"""Real contact area of lamina's 3D press against a spectral boundary-element solution on the
same surface (issue 13, item 5: the default 3D case's A_r/A0 within 3 % at 2–20 % contact).

The case is lamina's default case with ``mesh.dimension = 3`` and elastic lithium (Masias et
al. 2019: E = 7.82 GPa, ν = 0.381; plasticity and creep off, so that an elastic reference
exists), pressed by the product's press cycle (:class:`solver.simulation.press.PressCycle`:
rigid frictionless platen, active-set Newton, ``press.linear_solver = "auto"``) to the loads
below, one increment each. The product's ``contact_fraction`` (lumped nodal areas of the face
nodes in contact) is compared with the reference at every load.

Reference: the spectral BEM of :mod:`rough_elastic_contact` (Polonsky & Keer, Wear 231, 206
(1999)) on the height map lamina presses (``surface.npy``), made to solve *the same* problem:

* the FE block's lateral faces are symmetry planes, so its problem is exactly one quarter of the
  contact of the map mirrored across x = L and y = L (period 2L): the BEM solves that;
* the block has a finite thickness under a frictionless rigid platen: the BEM's compliance of
  each mode is the layer's, :func:`solver.physics.references.layer_compliance_factor` (checked
  against an FE solve in ``tests/test_layer_compliance_fem.py``; on the default case it changes
  the area by < 0.5 %);
* the area is counted on the map's grid, Fourier-interpolated to twice the points, with the
  perimeter correction ``A = A_nodes − α P Δ`` and α calibrated on Hertz spots
  (:func:`rough_elastic_contact.bem_hertz_alpha`); the map's own grid gives the same areas to
  ≤ 0.5 % (reported: "BEM grid convergence").

Sizes: ``full``: the default case itself (128² map of 50 µm, face elements 1.32 µm = short cutoff/6,
the 3D default since 2026-12-08; P2 tetrahedra, 373 527 displacement dofs), loads 6–70 MPa (A_r/A0 ≈
2–20 %), tolerance 3 % (the issue's): measured **+1.35, +0.48, +0.29, +1.05, −0.18 %** (2026-12-08,
one rank, 18 min; see "The vertex closure" below). ``small``: the block of
``press_performance_3d --size small`` (a 32² map of 12.5 µm with the default rms height and Hurst
exponent, cutoffs 6 and 12.5 µm, face elements 1.5 µm, thickness 12.5 µm, 14 079 dofs), loads
40–160 MPa (A_r/A0 ≈ 5–17 %); its few contact spots span a handful of face nodes each and the BEM on
its coarse map is converged to only ≈ 5 %, so it checks the chain (case → press → contact fraction,
BEM on the same map) with a tolerance of 10 % (measured +3.1, +3.5, −6.5 %; the P2 lumped-area count
it replaced gave +13, +12, +2.7 %). ``small`` also presses the same block with P1 tetrahedra and
face elements of 0.35 µm (45 177 dofs), checked against the BEM within 3 % (measured +0.07, +0.24,
−0.10 %; see below).

Measured (2026-12-06, 1 rank; the loads of ``full``): counting the P2 face nodes in contact with
their lumped areas (a vertex's is 0) gave +9.6, +11.2, +9.3, +10.3, +5.8 % at face elements of
2 µm and +6.3, +6.0, +7.0 % (first three loads) at 1.33 µm; with the areas of the face's P1
refinement, what lamina counts now (:class:`solver.fem.contact.ContactProblem`), +3.0, +6.6,
+4.1, +3.3, −4.5 % at 2 µm and +0.3, −0.7, −2.5 % at 1.33 µm (373 527 dofs). So the default 2 µm
misses the issue's 3 % at some loads.

All five loads at 1.33 µm (2026-12-07: ``full`` with the default face size made short cutoff / 6
for the run, 373 527 dofs, one rank, CG + GAMG, 22.6 min with another job on the second core):
+0.49, −0.61, −2.58, **−3.06, −5.76 %** (A_r/A0 0.0203, 0.0317, 0.0588, 0.1163, 0.1841 against
the BEM's 0.0202, 0.0319, 0.0603, 0.1200, 0.1954; BEM grid convergence ≤ 0.3 %). Refining the
face moves the FE areas *down* at every load (2 µm → 1.33 µm: −2.5, −7.2, −6.7, −6.4, −1.3
points), below the BEM from 20 MPa on; at 40 and 70 MPa (12 and 20 % contact) the difference is
as large as at 2 µm or larger, so a finer default alone would not meet the 3 % there. Not
understood yet; the candidates are the two area counts (the BEM's perimeter correction,
calibrated on isolated Hertz spots, at merged spots; the FE's node count on the face's P1
refinement) rather than the solutions. Hence the default stayed at short cutoff / 4 (until the
vertex closure below).

**Where the difference comes from** (2026-12-07, session 20, one rank):

* *Not the reference.* The BEM on the map Fourier-interpolated to 2×, 4×, 8× the points gives
  0.02016, 0.02014, 0.02015 / 0.03188, 0.03198, 0.03196 / 0.06034, 0.06064, 0.06060 / 0.12002,
  0.12008, 0.12004 / 0.19537, 0.19544, 0.19543 at the five loads of ``full``, and the raw node
  count without the perimeter correction, extrapolated linearly in the spacing from 4× and 8×,
  gives the same within 0.4 % (0.02016, 0.03195, 0.06055, 0.12002, 0.19543): the Hertz-calibrated
  correction holds at merged spots. The surface lamina presses is the map's *bilinear*
  interpolant (:class:`solver.surface.heightmap.HeightMap`); the BEM on it instead of the Fourier
  interpolant: within 0.5 % (``small``, 2×–8×). Now printed: "4× grid / 2× grid".
* *P1 tetrahedra converge to it.* ``small``'s block with ``mesh.degree = 1``, face elements 1,
  0.5, 0.35, 0.25 µm (4 704 – 93 636 dofs), against the BEM at 8× (0.05164, 0.09509, 0.16812):
  +26 / +18 / +2.1 %, +5.3 / −2.4 / +0.9 %, −1.4 / +0.6 / +0.05 %, **+2.2 / −0.3 / −0.8 %**. The
  check at 0.35 µm (``P1_FACE``, 3 %) is now part of ``small``: the 3D contact chain converges to
  the elastic reference where its discretisation allows.
* *P2 tetrahedra do not, at the same node spacing.* Face elements 1.5, 1, 0.75, 0.5 µm (14 079 –
  148 257 dofs): +1.6 / +3.9 / −6.4 %, −2.6 / −0.4 / +3.0 %, +5.5 / −1.8 / −3.8 %, **−7.8 / −4.9 /
  −7.0 %** — 5–8 % low at 0.5 µm, whose face nodes (0.25 µm apart) are finer than the map. The
  P2 vertex nodes are short in the contact set: they hold 25 % of the counted area of the face
  but 14–17 % of that in contact at 0.5 µm (15–22 % at 1 and 0.75 µm), and free vertices lie
  among contacting edge midpoints lifted by 0.1–1 nm (the contact tolerance is 1.4e-15 m). The
  complementarity is node-wise, ``λ_i ≥ 0``, and a P2 vertex's consistent share of a smooth
  pressure is zero, so its reaction has no sign of its own and the active set releases it.
  Counting nodes within 1 nm of the surface as in contact gives +0.7 / −1.1 / −2.2 % at 0.5 µm,
  but the count then depends on that tolerance (+1 … +8 % from 0.3 to 3 nm at 0.75–1.5 µm); the
  vertices' recovered pressure > 0 instead counts far too many (0.18–0.31).

Session 20 concluded that the 3 % of item 5 needed, for the default P2, a contact constraint that
does not release P2 vertices: e.g. the face's dual (mortar) basis made positive by the basis
transformation of quadratic mortar contact (Popp, Wohlmuth, Gee & Wall, SIAM J. Sci. Comput. 34,
B421 (2012)), or the constraint on the face's P1 refinement. Only the active-set *decision* on such
multipliers (``λ̃_v = λ_v + ⅛ Σ λ_m`` over a vertex's edge midpoints, ``λ̃_m = ¾ λ_m``: positive for
a uniform pressure, in proportion to the P1 refinement's areas), the free rows left as they are, was
tried: the active set then cycles (1 µm: no convergence in 60 iterations at the first load, ‖Φ‖
stalled at 9e-5): the free vertex rows must enforce ``λ̃_v = 0`` too, i.e. the face's displacement
basis transformed with them. P1 elements are not an alternative for lithium: they lock in fully
plastic flow (:mod:`indentation_size_effect`).

**The basis transformation, tried and dropped** (2026-12-08, session 21, one rank). The face's
vertical dofs written in the transformed basis ``N̂_v = N_v + α Σ_{m∼v} N_m``, ``N̂_m = (1 − 2α)
N_m`` with ``α = 1/8`` (``∫ N̂`` = the P1 refinement's areas, the counted ones), ``u = P ũ``; the
active-set Newton on ``Pᵀ K P`` (``MatPtAP``, fixed pattern), residual ``Pᵀ R``, the bound on the
transformed gap ``P⁻¹ g``; a node in contact where its transformed gap is closed. Every node now
carries contact with a positive weight and the active set converges (Newton 5, 5, 4 per load at
1 µm, 7, 6, 6 at 0.5 µm; 5, 5, 5 before), but the contact fraction is **+23 / +14 / +14 %** at
1 µm and **+8.4 / +9.0 / +7.1 %** at 0.5 µm against the BEM: it converges from above, as P1 does,
but at the spacing of the elements rather than of the nodes (P1 at 0.5 µm: +5.3 / −2.4 /
+0.9 %), because a transformed multiplier spreads over its element ring. Counting the same
solutions by the nodal gap instead: −20 / −18 / −23 % at 1 µm (active midpoints beside free
vertices stand ``α g_v`` off the surface). ``press_performance_3d --size small`` (plastic): 27
Newton steps against 26, A_r/A0 0.0185 against 0.0154. At the default 2 µm it would be further
off than the nodal constraint, so it was not adopted. Prototype: ``/tmp/s21/p2t.diff`` (not
committed).

**The vertex closure** (2026-12-08, session 21, one rank; what lamina counts now,
:class:`solver.fem.face_pressure.VertexClosure`). The solution is left as solved, and a P2 vertex
counts as in contact where its own gap is closed or where the midpoints of *all* face edges at it
are in contact: it lies inside the contact region as the nodes resolve it, lifted 0.1–1 nm by the
node-wise condition that gives it no reaction of its own sign. A vertex beside a free midpoint
keeps its own state, so the contact edge does not move. Against the BEM at 8× (``small``'s block,
the three loads):

==================  ====================  ==========================
face elements       nodal count (before)  with the vertex closure
==================  ====================  ==========================
1.5 µm              +1.6 / +3.9 / −6.4 %  +1.6 / +3.9 / −6.4 %
1 µm                −2.6 / −0.4 / +3.0 %  −2.6 / −0.4 / +5.6 %
0.75 µm             +5.5 / −1.8 / −3.8 %  +7.2 / +1.0 / +0.9 %
0.5 µm              −7.8 / −4.9 / −7.0 %  **+2.3 / +3.1 / +0.4 %**
==================  ====================  ==========================

``full`` (the five loads): at 2 µm +3.2, +6.7, +4.4, +4.2, −1.5 % (before +3.2, +6.7, +4.4, +3.5,
−4.5 %), at 1.32 µm **+1.35, +0.48, +0.29, +1.05, −0.18 %** (before +0.49, −0.61, −2.58, −3.06,
−5.76 %), at 1 µm (703 869 dofs, 2 ranks) +3.4, +3.4, +1.8, +0.36, −0.01 %. With the closure the
12–20 % loads close in on the BEM as the face is refined (+4.2, +1.05, +0.36 % and −1.5, −0.18,
−0.01 %), while at 2–3 % contact, where the spots span few nodes, the count scatters by ≈ ±2 %
between resolutions (+3.2, +1.35, +3.4 % at 6 MPa) without the systematic 5–8 % deficit of the
nodal count. 6 face elements per short cutoff meet the issue's 3 % at every load (4 do not), so
that is now the 3D default (:data:`solver.case.schema.DEFAULT_ELEMENTS_PER_WAVELENGTH`); at 8
(1 µm) the two lowest loads are 3.4 % high.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rough_elastic_contact as rec  # noqa: E402

from solver.batch.bench.check import Check, bench_main  # noqa: E402

NAME = "contact_area_3d"
CITATION = ("spectral BEM (Polonsky & Keer, Wear 231, 206 (1999)) on the same surface, mirrored, "
            "elastic layer on a frictionless base")

E, NU = 7.82e9, 0.381  # Pa, 1: lithium of Masias et al. (2019), the default material
SIZES = {
    "small": {"grid": 32, "size": 12.5e-6, "cutoffs": (6e-6, 12.5e-6), "face": 1.5e-6,
              "thickness": 12.5e-6, "loads": (40e6, 80e6, 160e6), "tolerance": 0.10},
    "full": {"grid": None, "loads": (6e6, 10e6, 20e6, 40e6, 70e6), "tolerance": 0.03},
}
#: The converged P1 check of ``small`` (see the module docstring): face elements (m) of P1
#: tetrahedra, and its tolerance against the BEM (the issue's 3 %).
P1_FACE, P1_TOLERANCE = 0.35e-6, 0.03


def case(size: str, degree: int | None = None, face: float | None = None):
    """The default case in 3D with elastic lithium at ``size``, load only, no output;
    ``degree`` and ``face`` (m) replace the mesh's Lagrange degree and face element size."""
    from solver.case import config

    s = SIZES[size]
    base = config.default_case()
    loads = list(s["loads"])
    changes = dict(
        name=f"area3d-{size}",
        press={"pressures": loads, "hold_times": [0.0] * len(loads), "release": False,
               "steps_per_ramp": 1, "max_pressure_ratio": 10.0},
        mesh={"dimension": 3},
        lithium={"plasticity": False, "creep": False},
        output={"heights": False, "plots": False, "fields": False,
                "stages": ["surface", "press"]})
    if s["grid"] is not None:
        changes["surface"] = {"nb_grid_pts": [s["grid"]] * 2, "physical_sizes": [s["size"]] * 2,
                              "short_cutoff": s["cutoffs"][0], "long_cutoff": s["cutoffs"][1]}
        changes["mesh"] = {"dimension": 3, "face_element_size": s["face"],
                           "thickness": s["thickness"]}
    if degree is not None:
        changes["mesh"] = {**changes["mesh"], "degree": degree}
    if face is not None:
        changes["mesh"] = {**changes["mesh"], "face_element_size": face}
    return config.replace(base, **changes)


def press_case(the_case, heights, sizes, comm):
    """Press ``the_case`` on ``heights``: ``(records, global displacement dofs, cycle)``."""
    from solver.simulation import press

    setup = press.build_setup(the_case, heights, sizes, comm)
    cycle = press.PressCycle(the_case, setup, comm)
    V = cycle.cp.V
    return cycle.run(), V.dofmap.index_map.size_global * V.dofmap.index_map_bs, cycle


def fourier_upsample(h: np.ndarray, factor: int) -> np.ndarray:
    """The periodic band-limited map ``h`` (n×n, n even) on ``factor`` times the grid points."""
    n = h.shape[0]
    H = np.fft.fft2(h)
    m, k = n * factor, n // 2
    G = np.zeros((m, m), complex)
    G[:k, :k], G[:k, -k:], G[-k:, :k], G[-k:, -k:] = H[:k, :k], H[:k, -k:], H[-k:, :k], H[-k:, -k:]
    return np.real(np.fft.ifft2(G)) * factor * factor


def bem_fraction(h: np.ndarray, L: float, E_star: float, p_mean: float, thickness: float,
                 alpha: float) -> float:
    """A_r/A0 of the FE's problem on the map ``h`` (n×n over L×L): BEM on the mirrored map
    with the layer's compliance, perimeter-corrected node count on [0, L]²."""
    n = h.shape[0]
    p = rec.bem_solve(rec.mirror(rec.with_end_nodes(h)), 2 * L, E_star, p_mean,
                      thickness=thickness)
    d = L / n
    c = (p > 0)[: n + 1, : n + 1]
    w = np.ones((n + 1, n + 1))
    w[[0, -1], :] *= 0.5
    w[:, [0, -1]] *= 0.5
    nodes = float(np.sum(w * c)) * d * d
    per = rec.staircase_perimeter(c, d, symmetric=True)
    return rec.corrected_area(nodes, per, d, alpha) / L**2


def run(size: str = "small") -> list[Check]:
    from solver.fem.backend import comm_world
    from solver.physics import references as refs
    from solver.simulation.surface import build_heights

    comm = comm_world()
    the_case = case(size)
    heights, sizes, _ = build_heights(the_case.surface, the_case.seed)
    records, ndofs, cycle = press_case(the_case, heights, sizes, comm)
    p1 = None
    if size == "small":
        p1, p1_dofs, _ = press_case(case(size, degree=1, face=P1_FACE), heights, sizes,
                                         comm)

    E_star = refs.E_star(E, NU)
    L, t = sizes[0], the_case.mesh.thickness
    checks = [Check("displacement dofs (global)", float(ndofs), kind="info"),
              Check("iterative linear solver (CG + GAMG)", float(cycle.cp.iterative),
                    kind="info")]
    ref = None
    if comm.rank == 0:  # the BEM is serial; every rank gets its numbers below
        alpha, _ = rec.bem_hertz_alpha(16, E_star, np.random.default_rng(1))
        fine, finer = fourier_upsample(heights, 2), fourier_upsample(heights, 4)
        ref = [(bem_fraction(fine, L, E_star, r.mean_pressure, t, alpha),
                bem_fraction(heights, L, E_star, r.mean_pressure, t, alpha),
                bem_fraction(finer, L, E_star, r.mean_pressure, t, alpha),
                bem_fraction(fine, L, E_star, r.mean_pressure, math.inf, alpha))
               for r in records]
    ref = comm.bcast(ref, root=0)
    tol = SIZES[size]["tolerance"]
    for r, (bem, coarse, finest, half_space) in zip(records, ref):
        tag = f"p̄ = {r.mean_pressure / 1e6:.3g} MPa"
        checks += [
            Check(f"A_r/A0 at {tag} (BEM {bem:.4f})", r.contact_fraction, bem, tol, "rel"),
            Check(f"A_r/A0 on the surface grid at {tag}", r.contact_fraction_grid, kind="info"),
            Check(f"BEM grid convergence at {tag}: map grid / 2× grid", coarse / bem,
                  kind="info"),
            Check(f"BEM grid convergence at {tag}: 4× grid / 2× grid", finest / bem,
                  kind="info"),
            Check(f"BEM half-space / layer at {tag}", half_space / bem, kind="info"),
            Check(f"pressure-map sampling factor at {tag}", r.pressure_map_sampling_factor,
                  kind="info"),
        ]
    if p1 is not None:
        checks.append(Check(f"P1, face {P1_FACE * 1e6:.2g} µm: displacement dofs",
                            float(p1_dofs), kind="info"))
        # the same loads as the P2 press (its cut-backs, if any, could differ)
        bem_at = {r.mean_pressure: b[0] for r, b in zip(records, ref)}
        for r in (r for r in p1 if r.mean_pressure in SIZES[size]["loads"]):
            bem = bem_at[r.mean_pressure]
            checks.append(Check(f"P1, face {P1_FACE * 1e6:.2g} µm: A_r/A0 at p̄ = "
                                f"{r.mean_pressure / 1e6:.3g} MPa (BEM {bem:.4f})",
                                r.contact_fraction, bem, P1_TOLERANCE, "rel"))
    return checks


if __name__ == "__main__":
    raise SystemExit(bench_main(run, NAME, CITATION))
