"""PETSc option presets (data, no physics) and the helper that applies one under a prefix.

Every problem has its own options prefix (e.g. ``"lamina_press_"``), so a user can override any
option from the command line (``-lamina_press_snes_max_it 80``) or the case file without touching
the other problems. The presets below are plain dicts: copy, update, pass.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from solver.errors import InputError
from solver.fem.backend import prepare

#: Option families of a linear solver: the KSP, its PC (with multigrid levels) and the matrix
#: solver packages. :func:`linear_part` splits a preset along them (a contact problem's SNES
#: gets the rest, its linear solver these).
LINEAR_FAMILIES = ("ksp_", "pc_", "mat_", "mg_")


def linear_part(options: Mapping[str, object], linear: bool = True) -> dict[str, object]:
    """The options of ``options`` in :data:`LINEAR_FAMILIES` (``linear=False``: the others)."""
    return {k: v for k, v in options.items() if k.startswith(LINEAR_FAMILIES) == linear}


#: Frictionless contact on a rigid obstacle as a variational inequality: semismooth Newton with
#: the reduced-space active set (``vinewtonrsls``) and bounds on the face's normal displacement.
#: Full steps (``basic``): for elasticity the residual is linear on each active set, and a
#: backtracking search only slows the active-set updates. Direct solve of the reduced Jacobian.
#: Tolerances: relative ones here (forces in N vary by orders of magnitude with the cell size);
#: :class:`solver.fem.contact.ContactProblem` adds an absolute one proportional to the load. A step
#: below 1e-12 of the solution is round-off: stop there too.
CONTACT_VI: dict[str, object] = {
    "snes_type": "vinewtonrsls",
    "snes_linesearch_type": "basic",
    "snes_rtol": 1.0e-10,
    "snes_atol": 0.0,
    "snes_stol": 1.0e-12,
    "snes_max_it": 60,
    "snes_max_funcs": 100000,
    "ksp_type": "preonly",
    "pc_type": "lu",
    "pc_factor_mat_solver_type": "mumps",
    # METIS (nested dissection) ordering: the factorisation of a 3D block; a 2D profile adds
    # PROFILE_ORDERING. The active set changes the reduced matrix, so MUMPS's analysis
    # (ordering + symbolic factorisation) runs at every Newton iteration.
    "mat_mumps_icntl_7": 5,
}

#: MUMPS ordering of a 2D (plane-strain or axisymmetric) block: approximate minimum degree.
#: The block is a strip, ≈ 10–20 cell layers under a long face, whose factor AMD keeps as small
#: as nested dissection does, at a fraction of METIS's analysis time; in 3D (a plate) nested
#: dissection wins by far. Measured (``mat_mumps_icntl_7`` 5 = METIS vs 0 = AMD; one rank,
#: the reduced Jacobian of the ``press_performance`` profile; analysis + numeric factorisation,
#: factor size): 1 000 046 dofs, METIS 6.1 + 4.0 s, 1193 MB, AMD 1.0 + 2.7 s, 1088 MB; 152 038
#: dofs, METIS 0.75 + 0.36 s, AMD 0.13 + 0.33 s; 3D block of 95 817 dofs, METIS 1.1 + 10.8 s,
#: 1446 MB, AMD 0.3 + 33.3 s, 2833 MB.
#: Only for ``vinewtonrsls``, which re-analyses at every Newton step: the active-set Newton
#: analyses once per run, and there nested dissection wins on profiles too, by the numeric
#: factorisation and its parallelism (``benchmarks/scaling.py --size full``, 501 638 dofs, elastic,
#: 14 Newton steps, 2026-12-06: AMD 29.6 s on 1 rank, 27.2 s on 2 (speed-up 1.09); METIS 26.5 s
#: and 18.9 s (1.40)).
PROFILE_ORDERING: dict[str, object] = {"mat_mumps_icntl_7": 0}

#: CG + smoothed-aggregation AMG with Chebyshev/Jacobi smoothing: the iterative linear solver of
#: every problem too large for LU (the problems add their own thresholds and smoothing steps).
GAMG_CG: dict[str, object] = {
    "ksp_type": "cg",
    "ksp_rtol": 1.0e-12,
    "ksp_max_it": 2000,
    "pc_type": "gamg",
    "pc_gamg_type": "agg",
    "pc_gamg_agg_nsmooths": 1,
    "mg_levels_ksp_type": "chebyshev",
    "mg_levels_pc_type": "jacobi",
}

#: The same for 3D blocks too large for a direct solve: CG + smoothed-aggregation AMG on the
#: reduced (inactive-set) Jacobian. That submatrix is extracted by SNES each iteration and loses
#: the block size and any near-nullspace of the full matrix, so GAMG sees a scalar problem: it
#: converges (≈ 130 CG iterations per Newton step on a 1152-hexahedron block, against 1 LU solve)
#: but is worth it only where LU runs out of memory (several 1e5 unknowns in 3D).
CONTACT_VI_GAMG: dict[str, object] = {
    **linear_part(CONTACT_VI, linear=False),
    **GAMG_CG,
    "pc_gamg_threshold": 0.01,
    "mg_levels_ksp_max_it": 3,
}

#: The linear solver of the active-set Newton (:mod:`solver.fem.active_set`) on 3D blocks too
#: large for LU: CG + smoothed-aggregation AMG on the *full* Jacobian (active and platen rows
#: replaced by identity rows, the pattern kept), so GAMG keeps the block size and the rigid-body
#: near-nullspace (set by the solver) and reuses its interpolation while the pattern holds.
#: The relative tolerance is that of an inexact Newton far below the Newton tolerance's scale.
CONTACT_AS_GAMG: dict[str, object] = {
    **GAMG_CG,
    "ksp_rtol": 1.0e-9,
    "ksp_max_it": 1000,
    "pc_gamg_threshold": 0.01,
    "pc_gamg_reuse_interpolation": True,
    "mg_levels_ksp_max_it": 3,
}

#: Less memory for :data:`CONTACT_AS_GAMG`, at a cost in time on large blocks: plain
#: (unsmoothed) aggregation with 2 Chebyshev steps per level. **Not a default**; give it as
#: options under the press's prefix, e.g. ``PETSC_OPTIONS="-lamina_press_as_pc_gamg_agg_nsmooths
#: 0 -lamina_press_as_mg_levels_ksp_max_it 2"``. The smoothed prolongator's Galerkin product
#: ``PᵀAP`` is what costs GAMG's memory on several ranks (PETSc's scalable parallel PtAP keeps
#: ``AP`` for the next numeric product). Measured (2026-12-07, the 2-core machine quiet):
#:
#: * Jacobians captured from ``press_performance_3d`` (active and platen rows replaced,
#:   rigid-body modes), one set-up and a CG solve to rtol 1e-4 and to 1e-9: 1 209 675 dofs on
#:   2 ranks: smoothed, 3 steps: set-up 31.7 s, peak memory +1953 B/dof, 29 / 99 CG iterations
#:   in 24.4 / 86.1 s; plain, 2 steps: set-up 10.9 s, +527 B/dof, 56 / 160 iterations in
#:   28.6 / 82.0 s (240 825 dofs, 2 ranks: +1798 vs +578 B/dof);
#: * the then default 3D case's press (148 257 dofs, face 2 µm, hardening lithium, 3 increments
#:   to 1 MPa, one rank): 297 s → 253 s, the same Newton iterations (11, 8, 8), GAMG set-ups (15)
#:   and contact fraction, 15.2 → 23.7 CG iterations per solve;
#: * ``press_performance_3d --size full`` (1.2 M dofs, 2 ranks): peak memory above the imports
#:   5794 → **3637 B/dof** (7.43 → 4.86 GB), but press 1588 → **2222 s**, 23.9 → 39.0 CG
#:   iterations per solve (plain aggregation's iterations grow with the size), Newton 12, 10,
#:   13, the same contact fraction; the default options the same day: press 1517 s, 5789
#:   B/dof, 23.9 CG iterations per solve, Newton 12, 11, 13.
#:
#: (``-matptap_via allatonce`` keeps the smoothed prolongator at +606 B/dof but made the
#: set-up 5× slower.) On a 94 299-dof block (``press_performance_3d``'s surface, face elements
#: 0.6 µm, 2 ranks, 2026-12-07, with each rank's numba pool still one thread per core), peak
#: memory above the imports and press: default 7.0–7.2 kB/dof, 84–90 s; ``allatonce`` 5.7,
#: 119 s (``MatPtAPNumeric`` 33 s instead of 2.5 s); plain aggregation 5.3, 94 s; plain and
#: ``allatonce`` 5.0, 95 s (same Newton iterations ±3, same contact fraction); one rank,
#: default: 4.0 kB/dof.
CONTACT_AS_GAMG_LOW_MEMORY: dict[str, object] = {
    "pc_gamg_agg_nsmooths": 0,
    "mg_levels_ksp_max_it": 2,
}

#: Inexact Newton for the active-set Newton with :data:`CONTACT_AS_GAMG`: Eisenstat–Walker
#: forcing terms (:meth:`solver.fem.active_set.ActiveSetNewton._forcing`; PETSc's own option
#: names, read from the problem's SNES, so ``-lamina_press_snes_ksp_ew_rtolmax 1e-3`` changes
#: them) with the CG tolerance at most 1e-4 instead of 1e-9. Measured (P2 tetrahedra, face
#: elements 2 µm, hardening lithium H = E/10, 3 increments to 1 MPa, one rank, 2026-12-07):
#: 25 µm patch, 32 805 dofs: the same Newton iterations (10, 6, 6) and contact fraction, 15.5
#: instead of 44 CG iterations per solve, press 43 s instead of 85–94 s; a cap of 1e-3: 11 CG
#: iterations, 12/7/6 Newton iterations, 43 s; 1e-2: 7.5 CG and 31/24/28 Newton, 117 s. The
#: then default 3D case (50 µm, 148 257 dofs): 18.6 instead of 56 CG iterations per solve, 27
#: instead of 26 Newton steps, press 239 s instead of 469 s (193 s with the lagged preconditioner of
#: :data:`solver.fem.active_set.PC_LAG_GROWTH`).
CONTACT_AS_EW: dict[str, object] = {
    "snes_ksp_ew": True,
    "snes_ksp_ew_rtol0": 1.0e-4,
    "snes_ksp_ew_rtolmax": 1.0e-4,
}

#: The active-set Newton's options above the iterative threshold: CG + GAMG, inexact Newton.
CONTACT_AS_ITERATIVE: dict[str, object] = {**CONTACT_AS_GAMG, **CONTACT_AS_EW}

#: The direct solve of the active-set Newton: MUMPS's symmetric (LDLᵀ) factorisation instead of
#: LU. The Jacobian is symmetric — every law's consistent tangent is (radial return: ``C =
#: a I_vol + b I_dev + c n⊗n``; checked to 0.0 for J2 with every hardening law, CMSG, Norton and
#: elastoplastic creep, tests/test_laws.py), the forms are ``ε(v)·C ε(du)``, and the active and
#: platen rows are replaced symmetrically (``MatZeroRowsColumns``) — so half the factor's work
#: and memory. Measured (``press_performance`` profile, hardening lithium, 3 increments to 1 MPa,
#: 1 rank, same Newton iterations and contact fraction): 19 038 dofs press 2.51 → 1.92 s,
#: 152 038 dofs 41.6 → 36.0 s. The vinewtonrsls solver keeps LU (its reduced matrix is
#: extracted each step).
CONTACT_AS_DIRECT: dict[str, object] = {"pc_type": "cholesky"}

#: Displacement dofs (global) of a 3D block above which the active-set Newton solves with
#: :data:`CONTACT_AS_GAMG` instead of the LDLᵀ factorisation (``press.linear_solver = "auto"``):
#: where CG + GAMG becomes faster. The factorisation of a 3D block costs ~N^1.8 per Newton step,
#: CG + GAMG ~N^1.15 (40-50 CG iterations per solve). Measured on one rank, P2 tetrahedra, face
#: elements 2 µm, the default surface on square patches of 25, 35 and 50 µm, hardening lithium
#: (H = E/10) pressed to 1 MPa in 3 increments, same Newton iterations and contact fraction
#: either way: 32 805 dofs press 54 s direct vs 70 s iterative, 69 819 dofs 280 s vs 220 s,
#: 148 257 dofs (the 3D default until 2026-12-08) ≈ 40 s vs 15-19 s per Newton step (2026-12-06,
#: another single-rank run on the machine's second core throughout). Memory points the same way:
#: MUMPS's factor grows as N^1.27 (1.2 GB at 148 k dofs, LDLᵀ). Since the inexact, lagged
#: Krylov solves (:data:`CONTACT_AS_EW`, 2026-12-07) the iterative press of the 32 805-dof
#: block takes 32–45 s, and of a 14 079-dof block (16² surface of 12.5 µm, face 1.5 µm,
#: thickness 50 µm) 12.2 s against 23.6 s direct (7 vs 6.3 Newton iterations per increment,
#: the same contact fraction): the threshold should come down; not done yet, because every
#: 3D test and benchmark between the two sizes would change solver.
ITERATIVE_DOFS_3D = 50_000

#: Linear (unconstrained) elasticity with a direct solver, e.g. for a bonded reference solve.
LINEAR_LU: dict[str, object] = {
    "ksp_type": "preonly",
    "pc_type": "lu",
    "pc_factor_mat_solver_type": "mumps",
    "mat_mumps_icntl_7": 5,
}

#: MUMPS's analysis (ordering and symbolic factorisation) in parallel: ``ICNTL(28) = 2`` with
#: ``ICNTL(29) = 1`` (PT-Scotch; the wheel's PETSc has PT-Scotch, not ParMETIS). **Not a default**:
#: the active-set press analyses once per run, and PT-Scotch's ordering makes every numeric
#: factorisation after it slower than METIS's. Measured (``mpiexec -n 2 python
#: benchmarks/press_performance.py --size full``, 1 000 046 dofs, 72 Newton steps, quiet machine,
#: 2026-12-06): sequential METIS analysis press 205 s, one Newton step 2.84 s, one linear solve
#: (analysis included) 8.59 s; parallel PT-Scotch analysis press 244 s, step 3.39 s, linear solve
#: 3.92 s (INFOG(32) = 2, the analysis itself ≈ 0.6 s instead of ≈ 4.7 s). Worth it where one
#: factorisation is used few times, or where rank 0 cannot hold the gathered matrix (the
#: sequential analysis gathers it there): give it as options, e.g.
#: ``PETSC_OPTIONS="-lamina_press_as_mat_mumps_icntl_28 2 -lamina_press_as_mat_mumps_icntl_29 1"``
#: (``benchmarks/press_performance.py`` then factorises its reference linear solve the same way).
MUMPS_PARALLEL_ANALYSIS: dict[str, object] = {"mat_mumps_icntl_28": 2, "mat_mumps_icntl_29": 1}


#: Option families that PETSc reads when the object is set up (a factorisation is created,
#: multigrid levels are built), not in setFromOptions: :func:`apply` leaves them in the
#: database. Without ``mg_`` here the presets' ``mg_levels_*`` options were removed before
#: GAMG built its levels, which then ran PETSc's defaults.
LAZY_OPTIONS = ("mat_mumps_", "mat_superlu_dist_", "mat_strumpack_", "mg_")


def preset(base: Mapping[str, object], **overrides: object) -> dict[str, object]:
    """A copy of ``base`` with ``overrides`` (``preset(CONTACT_VI, snes_max_it=1)``)."""
    out = dict(base)
    out.update(overrides)
    return out


def set_options(prefix: str, options: Mapping[str, object]) -> list[str]:
    """Put ``options`` in the PETSc options database under ``prefix``.

    Options already in the database under that prefix (given on the command line) are kept: they
    override the preset. Booleans become ``"true"``/``"false"``; ``None`` means a flag with no
    value.

    Returns:
        The full names that were added (so that the caller can remove them again).
    """
    prepare()
    from petsc4py import PETSc

    if not prefix or not prefix.endswith("_"):
        raise ValueError(f"PETSc options prefix {prefix!r}: must be non-empty and end with '_'")
    opts = PETSc.Options()
    added = []
    for key, value in options.items():
        name = f"{prefix}{key}"
        if opts.hasName(name):
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        opts[name] = "" if value is None else value
        added.append(name)
    return added


def apply(obj, prefix: str, options: Mapping[str, object], keep: bool = False) -> None:
    """Set ``prefix`` on a PETSc object (SNES, KSP, …), add ``options`` and call setFromOptions.

    The added options are removed from the database afterwards, so that the next object with
    the same prefix gets its own preset (command-line options stay), except the
    :data:`LAZY_OPTIONS` families, which PETSc reads only when a factorisation is created and
    which therefore stay under this prefix (one more reason to keep prefixes unique).
    ``keep=True`` leaves every added option in place.
    """
    from petsc4py import PETSc

    obj.setOptionsPrefix(prefix)
    added = set_options(prefix, options)
    obj.setFromOptions()
    if not keep:
        opts = PETSc.Options()
        lazy = tuple(prefix + family for family in LAZY_OPTIONS)
        for name in added:
            if not name.startswith(lazy):
                opts.delValue(name)


def destroy_problem(problem) -> None:
    """Destroy the PETSc objects of a DOLFINx ``LinearProblem``/``NonlinearProblem`` now.

    Collective. Their ``__del__`` does the same, but a problem whose SNES holds Python
    callbacks sits in a reference cycle and is freed by Python's cyclic garbage collector,
    which runs at different moments on different ranks: MUMPS's destroy is a collective call,
    and a 2-rank ``lamina run`` hung at exit (one rank in ``MatDestroy_MUMPS``, the other in
    PETSc's final garbage clean-up). Calling this on every rank at the same point of the
    programme keeps the collective calls matched; the later ``__del__`` finds null handles.
    """
    for name in ("solver", "A", "b", "x", "P_mat"):
        obj = getattr(problem, name, None)
        if obj is not None and hasattr(obj, "destroy"):
            obj.destroy()


def choice_option(name: str, allowed: tuple[str, ...]) -> str:
    """The PETSc option ``-<name>`` (``name`` with its prefix) from the options database: one of
    ``allowed``, the first when unset; InputError naming the option otherwise."""
    prepare()
    from petsc4py import PETSc

    value = PETSc.Options().getString(name, allowed[0])
    if value not in allowed:
        raise InputError(f"PETSc option -{name}={value!r}: allowed {', '.join(allowed)}")
    return value


def rigid_body_modes(V):
    """The rigid-body modes of a vector space as an orthonormal PETSc near-nullspace (for GAMG):
    translations and rotations about the origin, 3 in 2D and 6 in 3D (collective)."""
    from petsc4py import PETSc

    bs = V.dofmap.index_map_bs
    n = V.dofmap.index_map.size_local
    x = V.tabulate_dof_coordinates()[:n]
    modes = []
    for i in range(bs):
        m = np.zeros((n, bs))
        m[:, i] = 1.0
        modes.append(m)
    for i, j in ((0, 1), (1, 2), (2, 0))[: 1 if bs == 2 else 3]:
        m = np.zeros((n, bs))
        m[:, i], m[:, j] = -x[:, j], x[:, i]
        modes.append(m)
    vecs = [PETSc.Vec().createWithArray(m.ravel(), bsize=bs, comm=V.mesh.comm) for m in modes]
    for k, v in enumerate(vecs):  # Gram–Schmidt (twice is enough)
        for _ in range(2):
            for w in vecs[:k]:
                v.axpy(-w.dot(v), w)
        v.normalize()
    return PETSc.NullSpace().create(vectors=vecs, comm=V.mesh.comm)
