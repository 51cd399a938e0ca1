"""Elastic–perfectly-plastic lithium pressed onto a rough profile, then held (Norton creep).

Lithium (Masias et al. 2019, ``solver/case/materials/lithium_masias2019.toml``: E = 7.82 GPa,
ν = 0.381, σ_y = 0.81 MPa, no hardening; creep ε̇ = A σⁿ, n = 6.56) is pressed by a uniform mean
pressure p̄ = 0.1 … 3 σ_y onto a rigid self-affine profile (plane strain), and the real contact
area fraction A_r/A0 is compared with two references computed or known for the same profile:

* the **elastic** curve, same mesh, same surface (``laws.ElasticParams``): plasticity caps the
  contact pressure, so at equal load the elastic–plastic contact is larger,
  ``A_pl ≥ A_el`` (checked at every load);
* the **rigid–plastic** estimate ``A = p̄/H`` (Tabor). Here the ordering is the *other* way
  round from the often-quoted "upper bound": by the lower-bound theorem of limit analysis the
  actual stresses (in equilibrium, nowhere above yield) cannot carry more than the collapse load
  of the body on the same contact spots, and for spots far enough apart that each one's
  fully plastic mechanism fits between its neighbours (Hill's flat-punch field reaches one
  half-width beyond each edge) that collapse load is ``H·A``. So ``p̄ ≤ H A``, i.e.
  ``A_pl ≥ p̄/H``: the rigid–plastic estimate is the **lower** limit that the elastic–plastic
  area approaches as the plasticity index ``E* h′_rms/σ_y → ∞`` (elastic–plastic asperities carry
  a mean pressure below H: Johnson's cavity model, Contact Mechanics (1985) ch. 6). It is
  checked for
  ``p̄ ≤ σ_y`` (A ≲ 0.4, dilute spots); at higher load neighbouring spots interact, the confined
  material between them carries a hydrostatic pressure, and the mean contact pressure may
  exceed H (A < min(1, p̄/H), as at 3σ_y here: 1.07 H, full contact not reached). Measured mean
  contact pressure: 0.59 H at 0.1σ_y rising to 0.95 H at 2σ_y. The comparison with
  ``min(1, p̄/(3σ_y))`` is reported as info at every load.

Hardness used: the plane-strain value of a frictionless flat punch on a rigid–perfectly-plastic
half-space, ``H = (2 + π) k`` (Prandtl 1920; Hill, The Mathematical Theory of Plasticity (1950)
ch. VIII), with the von Mises shear yield stress ``k = σ_y/√3``: ``H = 2.968 σ_y``. (Tabor's
``H ≈ 2.8–3σ_y`` is the 3D indentation value, measured and from axisymmetric slip-line fields.)

Then a hold at p̄ = σ_y with Norton creep (``laws.ElastoplasticCreepParams``, Masias creep
parameters): the contact grows by creep at constant load. Checked: A_r never decreases from one
hold step to the next, and rises in total by more than one face element. The press of the
hold problem follows the same load path as the J2 curve with ``dt = 0``, where the creep law
reduces to J2: its contact fraction must equal the J2 one.

Why a 2D profile (one row of a self-affine isotropic map, :func:`solver.surface.synthesis.self_affine`):
the elastic curve must be resolved on the same mesh, i.e. spots of a few per cent of the length
need several face elements each; a line profile gives that with 64–256 face elements where a 3D
map would need as many squared, and the plane-strain hardness is known in closed form. The
profile rms slope 2e-3 is chosen for a plasticity index ``E* h′/σ_y ≈ 23``, where the elastic,
elastic–plastic and rigid–plastic curves are distinct; for a real collector (slopes ≈ 0.1,
index ≈ 1000) the elastic area would be < 1 % and unresolved, and ``A_pl ≈ p̄/H``.

Load path: plasticity is path dependent and so is its time (load-increment) discretisation:
A_r at 2σ_y is 0.76 when reached in one step from σ_y, 0.71 with steps growing the pressure by
≤ 1.5×, 0.69–0.70 with ≤ 1.4× and ≤ 1.2× (small size). The benchmark loads with ≤ 1.5× steps
(:data:`LOAD_RATIO`); the checks above hold with margins larger than that spread, except
``A_pl ≥ p̄/H`` at σ_y (0.37 vs 0.34), which is why that bound stops there.

Model: block ``[0, L] × [z0, z0 + 2L]`` (the mirror image of the profile about the lateral
symmetry planes has wavelength 2L; its field decays by ``exp(−2π)`` over the thickness, so the
top sees a uniform stress), P2 triangles (P1/Q1 lock in fully plastic flow), 3-point rule for the
quadrature-point state, uniform pressure on top, SNES ``vinewtonrsls``.
"""

from __future__ import annotations

import math
import time

import numpy as np

from solver.batch.bench.check import Check, bench_main
from solver.fem import contact
from solver.fem import contact_results
from solver.simulation import loadstep
from solver.surface.heightmap import HeightMap

NAME = "plastic_rough_contact"
CITATION = ("Tabor, The Hardness of Metals (1951); Prandtl (1920)/Hill (1950): plane-strain "
            "flat-punch pressure (2+π)k, k = σ_y/√3; Masias et al., J. Mater. Sci. 54, 2585 (2019)")

LENGTH = 20e-6  # m, lateral size of the block (one period of the profile)
THICKNESS = 2 * LENGTH
HURST = 0.8
RMS_SLOPE = 2e-3  # of the profile (forward differences)
SEED = 7
PRESSURES = (0.1, 0.3, 1.0, 2.0, 3.0)  # p̄/σ_y
LOWER_BOUND_UP_TO = 1.0  # p̄/σ_y: A ≥ p̄/H checked up to here (dilute spots, module doc)
#: Largest ratio of successive pressures while loading (plasticity is path dependent: the
#: contact fraction at 2σ_y is 0.76 when reached in one step from σ_y, 0.71 with ratio 1.5,
#: 0.69–0.70 with ratios 1.4–1.2; see the module doc).
LOAD_RATIO = 1.5
HOLD_PRESSURE = 1.0  # p̄/σ_y, one of PRESSURES
HOLD_DT = (1.0, 3.0, 10.0, 30.0)  # s
SIZES = {
    # face elements n (= profile samples), short cutoff in samples, vertical grading
    "small": {"n": 64, "short": 4, "grading": 1.2},
    "full": {"n": 256, "short": 8, "grading": 1.1},
}
#: Plane-strain hardness (Prandtl's frictionless flat punch on a rigid–perfectly-plastic
#: half-space): p = (2 + π) k with the von Mises shear yield stress k = σ_y/√3.
HARDNESS_FACTOR = (2.0 + math.pi) / math.sqrt(3.0)


def lithium():
    """``(J2Params, ElastoplasticCreepParams)`` of the default case's lithium (the material file)
    without its size effect (``intrinsic_length = 0``): the references here are for bulk J2."""
    from solver.case.config import LithiumConfig
    from solver.case.materials import lithium_law_params

    params = lithium_law_params(LithiumConfig(intrinsic_length=0.0))
    return params.plastic, params


def profile(n: int, short: int) -> np.ndarray:
    """One row of a self-affine isotropic map, scaled to the profile rms slope RMS_SLOPE."""
    from solver.surface import synthesis as surface
    h = surface.self_affine((n, n), (LENGTH, LENGTH), HURST, rms_height=1.0,
                            short_cutoff=short * LENGTH / n, long_cutoff=LENGTH / 2, seed=SEED)
    row = h[:, 0].copy()
    slope = math.sqrt(np.mean((np.diff(np.append(row, row[0])) / (LENGTH / n)) ** 2))
    return row * (RMS_SLOPE / slope)


def make_problem(comm, cfg: dict, material, prefix: str):
    from solver.fem import mesh as geometry
    n = cfg["n"]
    surf = HeightMap(profile(n, cfg["short"]), (LENGTH,))
    geometry.check_resolution(cfg["short"] * LENGTH / n, LENGTH / n)
    block = geometry.lithium_block_2d(comm, LENGTH, THICKNESS, LENGTH / n, n, cfg["grading"],
                                      z0=surf.max, h_max=LENGTH / 4, cell="triangle")
    return contact.ContactProblem(block, surf, material, prefix=prefix, degree=2)


def ramp(cp, target: float, dt: float = 0.0, start: float | None = None,
         ratio: float = 1.0, max_cuts: int = 8) -> list:
    """Load to ``target`` (or hold there over ``dt``), halving any step that fails.

    From ``start`` (default: the current pressure) the pressure grows geometrically by at most
    ``ratio`` per step (``ratio = 1``: one step); from ``start = 0`` the first step goes
    straight to ``target``.
    """
    from solver.errors import SolveError

    p0 = float(cp.pressure.value) if start is None else start
    n = 1
    if p0 > 0 and ratio > 1 and target > p0 * ratio:
        n = math.ceil(math.log(target / p0) / math.log(ratio) - 1e-9)
    steps = [(p0 * (target / p0) ** ((i + 1) / n) if n > 1 else target, dt / n)
             for i in range(n)]
    out, cuts, last = [], 0, p0
    while steps:
        p, d = steps.pop(0)
        try:
            out.append(loadstep.solve_load_step(cp, p, d))
            last = p
        except SolveError:
            cuts += 1
            if cuts > max_cuts:
                raise
            steps[:0] = [(0.5 * (last + p) if last > 0 else 0.5 * p, 0.5 * d), (p, 0.5 * d)]
    return out


def press(cp, pressures, sy: float) -> list[dict]:
    """Load through ``pressures`` (p̄/σ_y) in turn; contact fraction after each."""
    rows, last = [], 0.0
    for r in pressures:
        steps = ramp(cp, r * sy, start=last, ratio=LOAD_RATIO)
        last = r * sy
        st = contact_results.contact_state(cp)
        rows.append({"p/sy": r, "fraction": st.fraction, "force": st.force,
                     "iterations": max(s.iterations for s in steps),
                     "depth": contact_results.plastic_zone_depth(cp)})
    return rows


def run(size: str = "small") -> list[Check]:
    from solver.fem.backend import comm_world, import_dolfinx

    import_dolfinx()
    from solver.physics import laws
    comm = comm_world()
    cfg = SIZES[size]
    j2, epc = lithium()
    sy = j2.sigma_y
    H = HARDNESS_FACTOR * sy
    t0 = time.perf_counter()
    el = press(make_problem(comm, cfg, laws.ElasticParams(j2.E, j2.nu), "prc_elastic_"),
               PRESSURES, sy)
    t_el = time.perf_counter() - t0
    pl = press(make_problem(comm, cfg, j2, "prc_plastic_"), PRESSURES, sy)
    t_pl = time.perf_counter() - t0 - t_el

    cp = make_problem(comm, cfg, epc, "prc_hold_")
    k_hold = PRESSURES.index(HOLD_PRESSURE)
    pre = press(cp, PRESSURES[:k_hold + 1], sy)
    hold = [{"t": 0.0, "fraction": pre[-1]["fraction"], "depth": pre[-1]["depth"]}]
    for dt in HOLD_DT:
        ramp(cp, HOLD_PRESSURE * sy, dt=dt)
        hold.append({"t": cp.load.time, "fraction": contact_results.contact_state(cp).fraction,
                     "depth": contact_results.plastic_zone_depth(cp)})
    creep = comm.allreduce(float(np.max(cp.law.committed.p_creep, initial=0.0)),
                           op=_max())
    t_hold = time.perf_counter() - t0 - t_el - t_pl

    n = cfg["n"]
    p = [r["p/sy"] for r in pl]
    checks = []
    for e, q in zip(el, pl, strict=True):
        checks.append(Check(f"A_pl ≥ A_el at p̄={q['p/sy']:g}σ_y", q["fraction"],
                            tolerance=e["fraction"], kind="min"))
    for q in pl:
        if q["p/sy"] <= LOWER_BOUND_UP_TO:
            checks.append(Check(f"A_pl ≥ p̄/H at p̄={q['p/sy']:g}σ_y", q["fraction"],
                                tolerance=q["p/sy"] * sy / H, kind="min"))
    for q in pl:
        checks.append(Check(f"A_pl vs min(1, p̄/3σ_y) at p̄={q['p/sy']:g}σ_y", q["fraction"],
                            min(1.0, q["p/sy"] / 3.0), kind="info"))
    checks.append(Check("A_pl increases with load: smallest rise",
                        float(np.min(np.diff([q["fraction"] for q in pl]))), tolerance=1e-12,
                        kind="min",
                        curve={"x": p, "computed": [q["fraction"] for q in pl],
                               "reference": [e["fraction"] for e in el], "xlabel": "p̄/σ_y",
                               "ylabel": "A_r/A0 (elastic–plastic; reference: elastic)"}))
    checks.append(Check("A_pl at the largest load ≤ 1", pl[-1]["fraction"], tolerance=1.0,
                        kind="max",
                        curve={"x": p, "computed": [q["fraction"] for q in pl],
                               "reference": [min(1.0, r * sy / H) for r in p],
                               "xlabel": "p̄/σ_y",
                               "ylabel": "A_r/A0 (elastic–plastic; reference: min(1, p̄/H))"}))
    checks.append(Check("contact force / (p̄ L) at the largest load",
                        pl[-1]["force"] / (PRESSURES[-1] * sy * LENGTH), 1.0, 1e-8, "rel"))
    for q in pl:
        checks.append(Check(f"mean contact pressure / H at p̄={q['p/sy']:g}σ_y",
                            q["p/sy"] * sy / q["fraction"] / H, kind="info"))
        checks.append(Check(f"plastic zone depth / L at p̄={q['p/sy']:g}σ_y",
                            q["depth"] / LENGTH, kind="info"))
    checks.append(Check("creep law with dt = 0 ≡ J2: A at the hold pressure",
                        hold[0]["fraction"], pl[k_hold]["fraction"], 1e-12, "abs"))
    rises = np.diff([h["fraction"] for h in hold])
    checks.append(Check("hold: smallest A_r change per step", float(np.min(rises)),
                        tolerance=0.0, kind="min",
                        curve={"x": [h["t"] for h in hold[1:]],
                               "computed": [h["fraction"] for h in hold[1:]],
                               "reference": [hold[0]["fraction"]] * (len(hold) - 1),
                               "xlabel": "hold time (s)",
                               "ylabel": "A_r/A0 (reference: at the start of the hold)",
                               "logx": True}))
    checks.append(Check("hold: total rise of A_r", float(hold[-1]["fraction"]
                                                          - hold[0]["fraction"]),
                        tolerance=1.0 / n, kind="min"))
    checks.append(Check("hold: largest accumulated creep strain", creep, kind="info"))
    checks.append(Check("Newton iterations per step (max, plastic)",
                        float(max(q["iterations"] for q in pl)), kind="info"))
    for name, t in (("elastic curve", t_el), ("plastic curve", t_pl), ("hold", t_hold)):
        checks.append(Check(f"wall time: {name}", t, kind="info", unit="s"))
    return checks


def _max():
    from mpi4py import MPI

    return MPI.MAX


if __name__ == "__main__":
    raise SystemExit(bench_main(run, NAME, CITATION))
