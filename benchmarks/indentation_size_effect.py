"""Conical (Berkovich-equivalent) indentation of lithium: H vs depth, bulk J2 and size-dependent.

A rigid cone of semi-angle 70.3° (the Berkovich-equivalent cone: same projected area at the same
depth; its face makes ``β = 19.7°`` with the surface) is pressed frictionlessly into a lithium
block to the depth ``h``; the hardness is ``H = P/(π a²)`` with ``P`` the indentation force and
``a`` the contact radius, i.e. the force over the *projected* contact area (pile-up included: ``a``
is where the deformed face leaves the cone, not the geometric ``h cot β``).
:func:`indent` returns ``H`` at one depth for any :class:`solver.physics.laws.J2Params` (with or
without an intrinsic length): an indentation size effect is ``H`` rising at small ``h``.

Checks, default material lithium E = 7.82 GPa, ν = 0.38, σ_y = 0.8 MPa, perfectly plastic
(Masias et al., J. Mater. Sci. 54, 2585 (2019)), ``E tanβ/σ_y ≈ 3500``:

* **self-similarity**: J2 plasticity has no length scale and the cone none either, so ``H`` does
  not depend on ``h``: ``H(100 nm)`` and ``H(1 µm)`` agree within 3 %. The meshes and depth steps
  are scaled with ``h``, so the two discrete problems are the same up to units and agree to the
  solver tolerance (measured 2e−9); a material with an intrinsic length breaks this.
* **H/σ_y against the fully plastic constraint factor**: for ``E tanβ/σ_y`` above a few tens
  the indentation is fully plastic and the mean pressure reaches the rigid–plastic value, a
  constraint factor ``H/Y ≈ 3`` (Tabor, The Hardness of Metals (1951); Johnson, Contact
  Mechanics (1985) ch. 6, where the cavity model levels off at the rigid–plastic limit); checked
  ``3.0 ± 10 %``. The finite-element value of Mata, Anglada & Alcalá, J. Mater. Res. 17, 964
  (2002) for the fully plastic regime, ``H = 2.7 σ_r`` (``σ_r = σ_y`` without hardening; finite
  strains), is reported as info. An elastic model misses the band by orders of magnitude
  (``H = E* tanβ/2 ≈ 2000 σ_y``); a Tresca material (shear yield ``σ_y/2`` instead of
  ``σ_y/√3``, ≈ 13 % lower) would fall at its lower edge.
* **elastic cone** (Sneddon, Int. J. Eng. Sci. 3, 47 (1965); Johnson (1985) §5.3): the same
  block with the plasticity left out gives ``P = 2E* h²/(π tanβ)`` and ``a = 2h/(π tanβ)``
  (checked within 5 % and 3 %; measured +2.2 % and −1.0 % at n_face = 16, +2.1 % and +1.1 % at
  64: the 2 % in P is the finite block, whose top cuts off the settlement beyond ``L ≈ 50 a``, an
  ``O(a/L)`` change of the depth). This checks what the plastic hardness cannot: the cone's
  geometry and the depth (``H`` does not involve ``h``).

**Size effect** (issue #16; CMSG lithium, :class:`solver.physics.law_params.J2Params` with
``intrinsic_length`` ℓ, the plastic-strain gradient from :mod:`solver.fem.plastic_gradient`):
with ℓ the only length besides ``h``, ``H/σ_y`` is a function of ``x = ℓ/h`` alone, so one sweep
of ℓ at ``h = 1 µm`` (:func:`master_curve`) gives ``H(h)`` for every ℓ and depth.

* **Nix–Gao form** (Nix & Gao, J. Mech. Phys. Solids 46, 411 (1998); Huang et al. 2004 show
  CMSG reproduces it): ``H² − H₀² ∝ 1/h``; checked as the exponent of ``F² − F₀²`` against
  ``x``, 1 ± 0.15 (measured 0.951 small, 0.986 full; 0.993 and 0.975 with the gradient lagged
  one step, before 2026-12-07).
* **Calibration (one data set):** ℓ by least squares in ``ln H`` on the pop-in locus of Herbert
  et al. 2018 (P3; the transition from diffusion- to dislocation-mediated flow, which is what a
  dislocation model describes): 44 MPa at 425 nm, 104 MPa at 204 nm. Full: **ℓ = 3.16 mm**
  (small 3.70 mm), rms misfit 0.24 in ``ln H`` (CMSG's slope is ``h^-1/2``, the locus's
  ``h^-1.17``). Checked against the Taylor estimate ``M² r̄ α² (μ/σ_y)² b`` for α = 0.2–0.5
  (2.7–16.8 mm): inside (α = 0.23). This ℓ is ``intrinsic_length_m`` of
  ``solver/case/materials/lithium_masias2019.toml``. The plastic-strain gradient is iterated
  within each depth step (:mod:`solver.fem.active_set`, ``as_gradient implicit``, 2026-12-07);
  lagged one step, as before, the same calibration gave 3.44 mm (small 4.11): the lag let the
  newly yielding material flow at bulk strength for a step, so a longer ℓ was needed.
* **Prediction 1 (a decade smaller):** H at 40 nm against Herbert et al. 2018 (P2), 23 MPa at
  0.195 1/s and 175 MPa at 1.364 1/s: predicted 188 MPa (full; small 174), checked inside the
  measured range widened by 1.5× (15.3–262 MPa). Against the faster rate it is +8 %; against the
  slower one ×8: the 40 nm flow is diffusional (rate sensitivity ≈ 1, P2), which the model
  lacks.
* **Prediction 2 (µm indents, another lab):** Wang & Cheng 2017 loaded Berkovich indents in
  foil to 5.88 mN, "most ≳ 5 µm" and "≲ 12 µm" deep: predicted depth at 5.88 mN 4.14 µm (full;
  small 3.89), checked inside 5–12 µm widened by 1.5× (3.3–18 µm). Bulk J2 gives 7.9 µm —
  inside the range unwidened: at this scale the data do not discriminate, and the model's
  lithium is, if anything, too strong there.
* **What is not shown:** the issue asks for a prediction within a factor 1.5 over a decade of
  size; no lithium hardness-vs-depth curve or per-pillar data could be read here
  (``benchmarks/data/lithium_hardness_depth.md``), so the predictions are checked against the
  ranges above, not point by point. Micropillars (Xu et al. 2017, 15–105 MPa at 9.45–1.39 µm)
  are uniform compression: no plastic-strain gradient, so CMSG gives them bulk strength — a
  size effect of source starvation that this model does not contain.

Model: axisymmetric (``r, z``), block radius and thickness ``BLOCK · a₀`` with
``a₀ = A_OVER_GEOMETRIC · h cotβ = 1.25 h cotβ`` the expected contact radius (measured
``a = 1.26–1.29 h cotβ``: pile-up), so ``≈ 24 a``; ``u_r = 0`` on the axis and the outer radius;
P2 triangles (P1/Q1 lock in fully plastic flow), uniform on the face for ``r ≤ 2a₀``
(``n_face`` elements), then graded by 1.2 radially and from the face down (grading 1.1 instead:
H/σ_y 2.976 for 2.981, n = 32); small strains, the cone ``z = −r tanβ`` with its apex at the
undeformed face. Depth (displacement) control: the top face is a rigid platen moved down by
``w``, and ``w`` is the depth (the block's own compression under ``P`` is
``≈ 3(σ_y/E) a²/L ≈ 1e−5 h``). Load control (a force on the platen,
:func:`solver.simulation.loadstep.solve_load_step`) did not converge here: the bordered Newton
crept (residual 1e−5 after 60 iterations of the first step) where a held platen converges in
7–26 iterations. The depth grows geometrically by ``ratio`` per step from ``w0 · h``; a step whose
Newton fails (after MAX_IT iterations) is halved (0–1 times per run).

Newton's residual tolerance is set for a stress ``RESIDUAL_STRESS · σ_y``, the stresses of the
plastic zone: the default scale, the mean pressure on the top, is ``(a/L)² ≈ 1/600`` of it and
puts the tolerance below the residual's round-off floor (Newton never stops).

Contact radius: the midpoint between the last face node in contact (``gap ≤ 1e−9`` of the cone's
height range) and the first free one (:func:`solver.fem.contact_results.contact_edges_1d`,
method ``"node"``), read from :func:`~solver.fem.contact_results.contact_state` after the last
step; exact to half a node spacing (P2: a quarter of a face element), i.e. ``± 1/(2 n_face)``
relative in ``a`` and ``± 1/n_face`` in ``H``: the main mesh error. The ``"gap"`` extrapolation
(``g^(2/3)``, reported as info) assumes an elastic edge; the plastic edge is sharp (the pressure
at the last node in contact is still ≈ 2σ_y).

Load-step convergence: the force converges only at first order in the step ``Δln h``: at
n_face = 32, ``P/(σ_y h²)`` = 113.6 and 117.7 for ratios 1.05 and 1.025 (extrapolated 121.8),
the contact radius is the same node, ``H/σ_y`` = 2.877 and 2.981 (extrapolated ≈ 3.08). With a₀
= 1.1 h cotβ and n = 16: ``P/(σ_y h²)`` = 98.7, 108.4, 116.5, 120.3 for ratios 1.25, 1.1, 1.05,
1.025. The elastic curve is path independent (the same P to all digits for ratios 1.25 and
1.05), so this is the backward-Euler plastic flow under steps whose strain increments are
hundreds of yield strains (``σ_y/E = 1e−4``). ``small`` uses ratio 1.05, ``full`` 1.025.

Mesh convergence, h = 1 µm (serial, 2-core machine; wall time per depth):

========  =====  =======  ==============  ==========  ======
n_face    ratio  H/σ_y    a/(h cotβ)      P/(σ_y h²)  time
========  =====  =======  ==============  ==========  ======
16        1.05   2.809    1.289           114.4       9 s
16        1.025  2.878    1.289           117.2       15 s
32        1.05   2.877    1.270           113.6       20 s
32        1.025  2.981    1.270           117.7       30 s
64        1.025  2.998    1.260           116.6       72 s
========  =====  =======  ==============  ==========  ======

``--size small`` (n_face = 16, ratio 1.05, both depths, the elastic cone): ≈ 20 s serial, 30 s
on 2 ranks (the same numbers); ``--size full`` (n_face 16, 32, 64, ratio 1.025): 3 min serial.
"""

from __future__ import annotations

import math
import time

import numpy as np

from solver.batch.bench.check import Check, bench_main
from solver.fem import contact
from solver.fem import contact_results

NAME = "indentation_size_effect"
CITATION = ("Herbert, Hackney, Thole, Dudney, Phani, J. Mater. Res. 33, 1347 and 1361 (2018): Li "
            "nanoindentation (calibration: P3 pop-in locus; prediction: P2 40 nm); Wang & Cheng, "
            "Scripta Mater. 130, 191 (2017): Li micro-indentation; Nix & Gao, J. Mech. Phys. Solids "
            "46, 411 (1998); Huang et al., Int. J. Plasticity 20, 753 (2004): CMSG; "
            "Tabor, The Hardness of Metals (1951) and Johnson, Contact Mechanics (1985) ch. 6: "
            "fully plastic cone indentation H ≈ 3Y; Mata, Anglada & Alcalá, J. Mater. Res. 17, "
            "964 (2002): H = 2.7σ_r (FE); Sneddon, Int. J. Eng. Sci. 3, 47 (1965): elastic cone; "
            "lithium: Masias et al., J. Mater. Sci. 54, 2585 (2019)")

# Lithium (Masias et al. 2019), perfectly plastic
E = 7.82e9  # Pa
NU = 0.381
SIGMA_Y = 0.81e6  # Pa
BETA = math.radians(19.7)  # angle between the cone's face and the surface (semi-angle 70.3°)
A_OVER_GEOMETRIC = 1.25  # expected a/(h cotβ) (pile-up; measured 1.26–1.29)
BLOCK = 25.0  # block radius and thickness in units of a₀
FINE = 2.0  # uniform face elements for r ≤ FINE·a₀
DEPTHS = (100e-9, 1e-6)  # m, a factor 10 apart
#: Newton's absolute residual tolerance is set for this stress times σ_y (see the module doc).
RESIDUAL_STRESS = 0.1
#: Newton iterations before a depth step is cut (converged steps take 7–26).
MAX_IT = 40
MAX_CUTS = 20
SIZES = {
    # face elements over r ≤ 2a₀, vertical/radial grading, first depth/h, depth ratio per step
    "small": {"n_face": (16,), "grading": 1.2, "w0": 0.05, "ratio": 1.05},
    "full": {"n_face": (16, 32, 64), "grading": 1.2, "w0": 0.05, "ratio": 1.025},
}
H_REF = 3.0  # H/σ_y, fully plastic constraint factor (Tabor 1951; Johnson 1985 ch. 6)
TOL_H = 0.10
H_MATA = 2.7  # H/σ_y, Mata, Anglada & Alcalá (2002), fully plastic regime (info)
TOL_SELF_SIMILAR = 0.03
TOL_SNEDDON_P = 0.05
TOL_SNEDDON_A = 0.03


def lithium():
    """The default material: lithium, perfectly plastic J2 (Masias et al. 2019)."""
    from solver.physics import laws

    return laws.J2Params(E, NU, SIGMA_Y)


def cone(r):
    """The rigid cone, apex at the undeformed face (z = 0): ``z = −r tanβ``."""
    return -r * math.tan(BETA)


def _depth_step(cp, w: float, stress_scale: float) -> int:
    """Hold the platen at depth ``w`` (m) and solve; commit, or roll back and raise SolveError.
    Returns the Newton iterations. The first step starts from the block moved down rigidly by
    ``w`` with the face nodes that then penetrate put on the cone; later ones from the last
    converged displacement with only the platen moved."""
    from solver.errors import SolveError
    from solver.fem.newton import newton

    from solver.simulation.loadstep import place_rigidly

    cp.set_residual_scale(stress_scale)
    saved = cp.u.x.array.copy()
    if not cp.load.loaded:
        place_rigidly(cp, w)
    cp.platen.value = -w
    try:
        _, its, _ = newton(cp, stress_scale, 0.0)  # (the pressure only labels errors)
    except SolveError:
        cp.rollback(saved)
        raise
    force = contact_results.contact_force(cp)
    cp.commit(force / cp.face_area, 0.0)
    return its


def _press(cp, depth: float, w0: float, ratio: float, stress_scale: float) -> dict:
    """Depths ``w0·h … h`` growing by ``ratio``; a failed step is halved (at most MAX_CUTS)."""
    from solver.errors import SolveError

    targets = [depth]
    if w0 < 1.0:
        n = max(1, math.ceil(math.log(1.0 / w0) / math.log(ratio) - 1e-9))
        targets = [depth * w0 ** (1.0 - k / n) for k in range(n + 1)]
    last, steps, cuts, its = 0.0, 0, 0, 0
    while targets:
        w = targets.pop(0)
        try:
            its += _depth_step(cp, w, stress_scale)
            steps += 1
            last = w
        except SolveError:
            cuts += 1
            if cuts > MAX_CUTS:
                raise
            targets[:0] = [0.5 * (last + w), w]
    return {"steps": steps, "cuts": cuts, "iterations": its}


def contact_radius(face) -> tuple[float, bool]:
    """``(a, contiguous)``: the outermost contact edge of a gathered face (``node`` midpoint),
    and whether the contact is one disc from the axis."""
    r = face.points[:, 0]
    c = np.asarray(face.in_contact, dtype=bool)
    edges = [e for e in contact_results.contact_edges_1d(r, face.gap, face.pressure, c, "node")
             if e[1] > 0]
    if not edges:
        return math.nan, False
    a = max(e[0] for e in edges)
    return a, bool(np.all(c[r < a]))


def indent(comm, depth: float, material, size: str = "small", *, n_face: int | None = None,
           elastic: bool = False) -> dict:
    """Press the cone to ``depth`` (m) into the block of ``material``; the hardness there.

    The mesh is scaled with the depth (block and fine zone in units of ``a₀ = 1.25 h cotβ``,
    ``SIZES[size]["n_face"][-1]`` face elements over ``r ≤ 2a₀`` unless ``n_face`` is given), and
    so are the depth steps (``w0·h`` to ``h``, ratio ``SIZES[size]["ratio"]``). ``elastic``:
    the elastic part of ``material`` only, pressed in one step (path independent).

    The contact radius ``a`` is the midpoint between the last face node in contact and the first
    free one (see :func:`contact_radius`), from the contact state after the last step; the
    hardness uses the projected area, ``H = P/(π a²)``.

    Returns:
        ``{"depth", "force", "contact_radius", "hardness"}`` (m, N, m, Pa) and ``steps``,
        ``cuts``, ``iterations``, ``contiguous``, ``a_gap`` (the ``"gap"`` edge), ``n_face``,
        ``cells``, ``wall_s``.
    """
    from solver.fem import mesh as geometry
    from solver.physics import laws

    cfg = SIZES[size]
    n = int(n_face if n_face is not None else cfg["n_face"][-1])
    t0 = time.perf_counter()
    a0 = A_OVER_GEOMETRIC * depth / math.tan(BETA)
    L = BLOCK * a0
    fine = FINE * a0
    block = geometry.lithium_block_axisymmetric(comm, L, L, fine / n, n, cfg["grading"],
                                                fine_radius=fine, z0=0.0, cell="triangle")
    law = laws.ElasticParams(material.E, material.nu) if elastic else material
    tag = "el" if elastic else "pl"
    cp = contact.ContactProblem(block, cone, law, degree=2, control="platen",
                                prefix=f"indent_{tag}_n{n}_{depth:.3g}_".replace(".", "p")
                                .replace("-", "m").replace("+", ""))
    cp.snes.setTolerances(max_it=MAX_IT)
    stress_scale = RESIDUAL_STRESS * float(getattr(material, "sigma_y", material.E * 1e-4))
    try:
        if elastic:
            info = _press(cp, depth, 1.0, 2.0, stress_scale)
        else:
            info = _press(cp, depth, cfg["w0"], cfg["ratio"], stress_scale)
        state = contact_results.contact_state(cp)
        face = contact_results.gather_face(state, comm)
        a, contiguous = contact_radius(face)
        gap_edges = [e for e in contact_results.contact_edges_1d(
            face.points[:, 0], face.gap, face.pressure, face.in_contact, "gap") if e[1] > 0]
        a_gap = max((e[0] for e in gap_edges), default=math.nan)
        force = state.force
        cells = block.mesh.topology.index_map(2).size_global
    finally:
        cp.close()
    return {"depth": float(depth), "force": float(force), "contact_radius": float(a),
            "hardness": float(force / (math.pi * a**2)), "contiguous": contiguous,
            "a_gap": float(a_gap), "n_face": n, "cells": int(cells),
            "wall_s": time.perf_counter() - t0, **info}


# ---------------------------------------------------------------------------------------------
# Size effect: CMSG lithium, calibrated on one data set, predicting others
# ---------------------------------------------------------------------------------------------

#: Herbert et al., J. Mater. Res. 33, 1361 (2018) (P3), abstract: the pop-in transition from
#: diffusion- to dislocation-mediated flow follows H·h^1.17 = 1.545 N m^-0.83; its stated
#: transition stresses 88 and 208 × the bulk yield (0.5 MPa, P2) are 44 and 104 MPa, at
#: h = (1.545/H)^(1/1.17) = 425 and 204 nm (benchmarks/data/herbert2018_li_nanoindentation.csv).
CALIBRATION = ((425e-9, 44e6), (204e-9, 104e6))  # (depth m, H Pa)
#: Herbert et al., J. Mater. Res. 33, 1347 (2018) (P2), abstract: at 40 nm the mean pressure is
#: 23 MPa at 0.195 1/s and 175 MPa at 1.364 1/s (diffusion-mediated, rate sensitivity ≈ 1).
P2_DEPTH, P2_RANGE = 40e-9, (23e6, 175e6)
#: Wang & Cheng, Scripta Mater. 130, 191 (2017), as described by Narayan & Anand, Extreme
#: Mech. Lett. (2018): Berkovich indents in 750 µm Li foil to 5.88 mN, most ≳ 5 µm deep and
#: ≲ 12 µm (benchmarks/data/lithium_hardness_depth.md).
WC_FORCE, WC_DEPTHS = 5.88e-3, (5e-6, 12e-6)
#: The prediction checks allow a factor 1.5 beyond the measured range.
PREDICT_FACTOR = 1.5
#: Taylor estimate ℓ = M² r̄ α² (μ/σ_y)² b (solver.physics.references.cmsg_intrinsic_length)
#: for α = 0.2 … 0.5 with μ = 2.83 GPa (Masias 2019), b = 0.302 nm (bcc, a = 3.49 Å).
SHEAR_MODULUS, BURGERS, ALPHAS = 2.83e9, 3.02e-10, (0.2, 0.5)
#: Nix & Gao (1998): H² − H₀² ∝ 1/h, i.e. (F² − F₀²) ∝ x = ℓ/h; exponent 1 ± this.
TOL_NIX_GAO = 0.15
#: x = ℓ/h of the master curve (H/σ_y depends on ℓ and h only through x), at h = 1 µm.
MASTER_X = {"small": (1e2, 1e3, 1e4, 1e5), "full": (1e2, 3e2, 1e3, 3e3, 1e4, 3e4, 1e5, 3e5)}
MASTER_N_FACE = {"small": 16, "full": 32}


def master_curve(comm, size: str) -> dict:
    """``F(x) = H/σ_y`` at ``x = ℓ/h`` (CMSG lithium, h = 1 µm), and ``κ(x) = a/(h cotβ)``;
    ``x = 0`` is J2. Exact in ``x``: the block, the cone and the steps scale with ``h``, so
    ``H/σ_y`` depends on ``ℓ`` and ``h`` only through their ratio."""
    import dataclasses

    h = 1e-6
    n = MASTER_N_FACE[size]
    xs = (0.0, *MASTER_X[size])
    F, kappa, wall = [], [], 0.0
    for x in xs:
        mat = dataclasses.replace(lithium(), intrinsic_length=x * h)
        r = indent(comm, h, mat, size, n_face=n)
        F.append(r["hardness"] / SIGMA_Y)
        kappa.append(r["contact_radius"] * math.tan(BETA) / h)
        wall += r["wall_s"]
    return {"x": np.array(xs), "F": np.array(F), "kappa": np.array(kappa), "wall_s": wall}


def _interp_log(xs, ys, x):
    """Log–log interpolation (linear extrapolation in logs beyond the ends)."""
    lx, ly = np.log(xs), np.log(ys)
    x = np.log(np.asarray(x, dtype=float))
    k = np.clip(np.searchsorted(lx, x) - 1, 0, len(lx) - 2)
    t = (x - lx[k]) / (lx[k + 1] - lx[k])
    return np.exp(ly[k] + t * (ly[k + 1] - ly[k]))


def hardness_at(mc: dict, ell: float, depth):
    """H (Pa) of CMSG lithium with length ``ell`` (m) at ``depth`` (m), from the master curve."""
    return SIGMA_Y * _interp_log(mc["x"][1:], mc["F"][1:], ell / np.asarray(depth, dtype=float))


def calibrate(mc: dict) -> tuple[float, float]:
    """``(ℓ, rms misfit in ln H)``: least squares in ``ln H`` over :data:`CALIBRATION`."""
    from scipy.optimize import minimize_scalar

    depths = np.array([d for d, _ in CALIBRATION])
    data = np.log([H for _, H in CALIBRATION])

    def misfit(log_ell):
        return float(np.sum((np.log(hardness_at(mc, math.exp(log_ell), depths)) - data) ** 2))

    lo = math.log(mc["x"][1] * depths.max())
    hi = math.log(mc["x"][-1] * depths.min())
    res = minimize_scalar(misfit, bounds=(lo, hi), method="bounded",
                          options={"xatol": 1e-6})
    return math.exp(res.x), math.sqrt(res.fun / len(depths))


def depth_at_force(mc: dict, ell: float, force: float) -> float:
    """Depth (m) at which the cone's force ``π a² H`` reaches ``force`` (N), from the curve."""
    from scipy.optimize import brentq

    x, kap = mc["x"][1:], mc["kappa"][1:]

    def f(log_h):
        h = math.exp(log_h)
        a = float(_interp_log(x, kap, ell / h)) * h / math.tan(BETA)
        return math.log(math.pi * a**2 * float(hardness_at(mc, ell, h)) / force)

    return math.exp(brentq(f, math.log(1e-9), math.log(1e-3)))


def size_effect_checks(comm, size: str) -> list[Check]:
    """Calibrate ℓ on Herbert P3, predict Herbert P2 (a decade smaller) and Wang & Cheng (µm)."""
    from solver.physics import references

    mc = master_curve(comm, size)
    x, F = mc["x"], mc["F"]
    checks = []
    # the model's own law: Nix–Gao's H² − H₀² ∝ 1/h over the master curve
    slope = np.polyfit(np.log(x[1:]), np.log(F[1:] ** 2 - F[0] ** 2), 1)[0]
    checks.append(Check("CMSG cone: exponent of (H² − H₀²) vs ℓ/h (Nix–Gao: 1)", slope, 1.0,
                        TOL_NIX_GAO, "abs", curve={
                            "x": list(x[1:]), "computed": list(F[1:]),
                            "reference": list(F[0] * np.sqrt(1 + (F[1] ** 2 / F[0] ** 2 - 1)
                                                             * x[1:] / x[1])),
                            "xlabel": "ℓ/h", "ylabel": "H/σ_y (reference: Nix–Gao through "
                            "the first point)", "logx": True, "logy": True}))
    ell, rms = calibrate(mc)
    taylor = [references.cmsg_intrinsic_length(SHEAR_MODULUS, SIGMA_Y, BURGERS, a)
              for a in ALPHAS]
    checks.append(Check("calibrated intrinsic length ℓ (Herbert 2018 P3 pop-in locus)", ell,
                        kind="info", unit="m"))
    checks.append(Check("calibration misfit (rms of ln H at 204 and 425 nm)", rms, kind="info"))
    checks.append(Check(f"ℓ within the Taylor estimate for α = {ALPHAS[0]}–{ALPHAS[1]} "
                        f"({taylor[0] * 1e3:.1f}–{taylor[1] * 1e3:.1f} mm)",
                        float(taylor[0] <= ell <= taylor[1]), 1.0, 0.0, "abs"))
    # prediction 1: Herbert P2 at 40 nm, a decade below the calibration depths
    h40 = float(hardness_at(mc, ell, P2_DEPTH))
    lo, hi = P2_RANGE
    checks.append(Check(f"predicted H at {P2_DEPTH * 1e9:.0f} nm (Herbert 2018 P2: "
                        f"{lo / 1e6:.0f}–{hi / 1e6:.0f} MPa) ≥ {lo / 1e6:.0f}/{PREDICT_FACTOR}",
                        h40, lo / PREDICT_FACTOR, kind="min", tolerance=lo / PREDICT_FACTOR,
                        unit="Pa"))
    checks.append(Check(f"predicted H at {P2_DEPTH * 1e9:.0f} nm ≤ {hi / 1e6:.0f}·"
                        f"{PREDICT_FACTOR}", h40, hi * PREDICT_FACTOR, kind="max",
                        tolerance=hi * PREDICT_FACTOR, unit="Pa"))
    # prediction 2: Wang & Cheng's micro-indents
    hw = depth_at_force(mc, ell, WC_FORCE)
    dlo, dhi = WC_DEPTHS
    checks.append(Check(f"predicted depth at {WC_FORCE * 1e3:.2f} mN (Wang & Cheng 2017: "
                        f"{dlo * 1e6:.0f}–{dhi * 1e6:.0f} µm) ≥ {dlo * 1e6:.0f} µm/"
                        f"{PREDICT_FACTOR}", hw, dlo / PREDICT_FACTOR, kind="min",
                        tolerance=dlo / PREDICT_FACTOR, unit="m"))
    checks.append(Check(f"predicted depth at {WC_FORCE * 1e3:.2f} mN ≤ {dhi * 1e6:.0f} µm·"
                        f"{PREDICT_FACTOR}", hw, dhi * PREDICT_FACTOR, kind="max",
                        tolerance=dhi * PREDICT_FACTOR, unit="m"))
    h_j2 = depth_at_force({**mc, "x": mc["x"], "F": np.full_like(F, F[0]),
                           "kappa": np.full_like(F, mc["kappa"][0])}, ell, WC_FORCE)
    checks.append(Check(f"J2 (no size effect) depth at {WC_FORCE * 1e3:.2f} mN", h_j2,
                        kind="info", unit="m"))
    depths = np.geomspace(20e-9, 20e-6, 13)
    cal_d = sorted(d for d, _ in CALIBRATION)
    cal_h = [dict(CALIBRATION)[d] / 1e6 for d in cal_d]
    checks.append(Check("calibrated model vs Herbert 2018 P3 pop-in points (H, MPa)",
                        float(hardness_at(mc, ell, cal_d[0])) / 1e6, kind="info", curve={
                            "x": cal_d, "computed": list(hardness_at(mc, ell, cal_d) / 1e6),
                            "reference": cal_h, "xlabel": "indentation depth h (m)",
                            "ylabel": "hardness H (MPa); reference: Herbert P3",
                            "logx": True, "logy": True}))
    checks.append(Check("H(h) of the calibrated model, 20 nm – 20 µm (MPa)",
                        float(hardness_at(mc, ell, 1e-6)) / 1e6, kind="info", curve={
                            "x": list(depths), "computed": list(hardness_at(mc, ell, depths) / 1e6),
                            "reference": [F[0] * SIGMA_Y / 1e6] * len(depths),
                            "xlabel": "indentation depth h (m)",
                            "ylabel": "hardness H (MPa); reference: bulk J2",
                            "logx": True, "logy": True}))
    checks.append(Check("master curve wall time", mc["wall_s"], kind="info", unit="s"))
    return checks


def run(size: str = "small") -> list[Check]:
    from solver.fem.backend import comm_world, import_dolfinx

    import_dolfinx()
    comm = comm_world()
    cfg = SIZES[size]
    mat = lithium()
    sy = mat.sigma_y
    ns = cfg["n_face"]
    best = ns[-1]
    rows = {h: indent(comm, h, mat, size, n_face=best) for h in DEPTHS}
    conv = {n: indent(comm, DEPTHS[-1], mat, size, n_face=n) for n in ns[:-1]}
    conv[best] = rows[DEPTHS[-1]]
    el = indent(comm, DEPTHS[-1], mat, size, n_face=best, elastic=True)

    checks = []
    h_lo, h_hi = (rows[h]["hardness"] for h in DEPTHS)
    checks.append(Check(f"H({DEPTHS[0] * 1e9:.0f} nm) / H({DEPTHS[-1] * 1e6:.0f} µm), J2 "
                        "(self-similar)", h_lo / h_hi, 1.0, TOL_SELF_SIMILAR, "rel"))
    for h in DEPTHS:
        row = rows[h]
        checks.append(Check(f"H/σ_y at h = {h:.3g} m (n={best})", row["hardness"] / sy, H_REF,
                            TOL_H, "rel"))
    row = rows[DEPTHS[-1]]
    checks.append(Check("H/σ_y vs Mata et al. (2002) 2.7σ_y", row["hardness"] / sy, H_MATA,
                        kind="info"))
    checks.append(Check("contact is one disc from the axis (1 = yes)",
                        float(all(r["contiguous"] for r in rows.values())), 1.0, 0.0, "abs"))
    checks.append(Check("a / (h cotβ) (pile-up)", row["contact_radius"] * math.tan(BETA)
                        / row["depth"], kind="info"))
    checks.append(Check("P/(σ_y h²)", row["force"] / (sy * row["depth"] ** 2), kind="info"))
    checks.append(Check("H/σ_y with a from the g^(2/3) edge", row["force"]
                        / (math.pi * row["a_gap"] ** 2) / sy, kind="info"))
    for n in ns:
        r = conv[n]
        checks.append(Check(f"H/σ_y, n_face={n} (mesh convergence)", r["hardness"] / sy,
                            kind="info"))
    if len(ns) > 1:
        x = [2 * A_OVER_GEOMETRIC * DEPTHS[-1] / math.tan(BETA) / n for n in ns]
        checks.append(Check("H/σ_y spread over the meshes",
                            (max(conv[n]["hardness"] for n in ns)
                             - min(conv[n]["hardness"] for n in ns)) / sy, kind="info",
                            curve={"x": x, "computed": [conv[n]["hardness"] / sy for n in ns],
                                   "reference": [H_REF] * len(ns),
                                   "xlabel": "face element size at h = 1 µm (m)",
                                   "ylabel": "H/σ_y (reference: 3.0)", "logx": True}))
    # Sneddon's elastic cone
    e_star = E / (1 - NU**2)
    h = el["depth"]
    checks.append(Check("elastic cone: P / Sneddon", el["force"]
                        / (2 * e_star * h**2 / (math.pi * math.tan(BETA))), 1.0,
                        TOL_SNEDDON_P, "rel"))
    checks.append(Check("elastic cone: a (g^(2/3) edge) / Sneddon", el["a_gap"]
                        / (2 * h / (math.pi * math.tan(BETA))), 1.0, TOL_SNEDDON_A, "rel"))
    for h in DEPTHS:
        r = rows[h]
        checks.append(Check(f"depth steps at h = {h:.3g} m", float(r["steps"]),
                            kind="info"))
        checks.append(Check(f"cut-backs at h = {h:.3g} m", float(r["cuts"]), kind="info"))
        checks.append(Check(f"Newton iterations at h = {h:.3g} m", float(r["iterations"]),
                            kind="info"))
        checks.append(Check(f"wall time at h = {h:.3g} m", r["wall_s"], kind="info", unit="s"))
    checks += size_effect_checks(comm, size)
    return checks


if __name__ == "__main__":
    raise SystemExit(bench_main(run, NAME, CITATION))
