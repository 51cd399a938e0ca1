"""Helpers of the performance benchmarks (``press_performance``, ``scaling``); not a benchmark.

The case measured is lamina's default 2D plane-strain case (``lamina show-default``: P2 triangles,
elastic–perfectly-plastic lithium of Masias et al. (2019) with Norton creep, face elements of
``short_cutoff / 4`` = 2 µm, thickness 50 µm graded by 1.3 from the face, a self-affine
collector with H = 0.8, rms height 0.3 µm, cutoffs 8 µm and 25 µm) with a *longer profile*: the
number of degrees of freedom is set by the profile length ``Lx = n_face × 2 µm``. The vertical
mesh does not change with ``Lx`` (9 layers of cells), so the global number of displacement dofs
is exactly ``38 (2 n_face + 1)`` (P2: ``2 (2 n_face + 1)(2·9 + 1)``), and weak scaling
(dofs ∝ ranks) is ``n_face ∝ ranks`` with the same per-rank work.

The profile is row ``ny // 2`` of a height map of ``(nx, 8)`` points with ``Ly = 8 Lx / nx``:
narrower than the short cutoff, so the map is constant in y and the profile is a 1D cut through
the 2D self-affine spectrum (a performance case; the contact statistics are not compared with
anything). ``nx = 4 n_face`` (0.5 µm spacing, the default's is 0.39 µm) up to the case limit of
65 536 points, coarser beyond.

Everything runs through the product's code: :func:`solver.simulation.surface.build_heights`,
:func:`solver.simulation.press.build_setup`, :class:`solver.simulation.press.PressCycle` (adaptive load stepping, the
contact map after every step), :func:`solver.simulation.current.build_current_problem` and
:func:`solver.simulation.current.solve_step` (Li|Cu film on the final contact map).
"""

from __future__ import annotations

import math
import resource
import time

from solver.errors import InputError
from solver.fem.active_set import LOG_EVENT as AS_EVENT

#: m, face element size of the default case (short cutoff 8 µm / 4)
FACE = 2e-6
#: Cell layers of the default 2D block (thickness 50 µm, first layer 2 µm, grading 1.3, cap
#: thickness/4): see :func:`dofs`.
LAYERS = 9
GRID_MAX = 65536  # solver.case.config: nb_grid_pts entries ≤ 65 536
#: PETSc log events read back (time: largest over the ranks).
EVENTS = ("SNESSolve", AS_EVENT, "SNESFunctionEval", "SNESJacobianEval", "SNESLineSearch",
          "KSPSolve", "KSPSetUp", "PCSetUp", "PCApply", "MatLUFactorSym", "MatLUFactorNum",
          "MatCholFctrSym", "MatCholFctrNum",
          "MatSolve")


def dofs(n_face: int) -> int:
    """Global displacement dofs of the P2 block with ``n_face`` face elements."""
    return 2 * (2 * n_face + 1) * (2 * LAYERS + 1)


def n_face_for(target_dofs: float) -> int:
    """The smallest ``n_face`` whose block has at least ``target_dofs`` displacement dofs."""
    return max(1, math.ceil((target_dofs / (2 * (2 * LAYERS + 1)) - 1) / 2))


def case(n_face: int, *, pressure: float = 1.0e6, increments: int = 3,
         max_pressure_ratio: float = 2.0, rms_height: float = 3e-7,
         plasticity: bool = True, creep: bool = True, hardening_modulus: float = 0.0):
    """The default 2D case with a profile of ``n_face`` face elements, pressed to ``pressure``.

    Load only (no hold, no release): ``increments`` initial increments, grown by the adaptive
    stepping of :class:`solver.simulation.press.PressCycle` while Newton is easy, each at most
    ``max_pressure_ratio`` × the previous pressure, under the default rigid platen.
    ``plasticity``, ``creep`` and
    ``hardening_modulus`` (Pa) go to ``[lithium]``; the surface's ``rms_height`` (m) to
    ``[surface]``. Output to disk off (the benchmarks write nothing).
    """
    from solver.case import config
    if not (isinstance(n_face, int) and n_face >= 4):
        raise InputError(f"n_face={n_face!r}: must be an integer >= 4 (face elements of 2 µm)")
    lx = n_face * FACE
    nx = min(4 * n_face, GRID_MAX)
    if lx / nx > 4e-6:  # short cutoff 8 µm ≥ 2 grid spacings (solver.case.config)
        raise InputError(f"n_face={n_face}: profile {lx:.4g} m needs more than {GRID_MAX} "
                         "surface grid points (at most 131 072 face elements, ≈ 10 M dofs)")
    base = config.default_case()
    return config.replace(
        base, name=f"perf-{n_face}",
        surface={"nb_grid_pts": [nx, 8], "physical_sizes": [lx, 8 * lx / nx],
                 "rms_height": rms_height},
        press={"pressures": [pressure], "hold_times": [0.0], "release": False,
               "steps_per_ramp": increments, "max_pressure_ratio": max_pressure_ratio},
        mesh={"dimension": 2},
        lithium={"plasticity": plasticity, "creep": creep,
                 "hardening_modulus": hardening_modulus},
        output={"heights": False, "plots": False, "fields": False,
                "stages": ["surface", "press", "current"]})


def peak_rss_bytes() -> float:
    """Peak resident set size of this process (Linux ``ru_maxrss`` is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0


def events(stage, comm) -> dict[str, tuple[float, int]]:
    """``{event: (time (s), count)}`` in a PETSc log ``stage``; time: largest over the ranks."""
    from mpi4py import MPI
    from petsc4py import PETSc

    out = {}
    for name in EVENTS:
        info = PETSc.Log.Event(name).getPerfInfo(stage.id)
        out[name] = (comm.allreduce(float(info["time"]), op=MPI.MAX), int(info["count"]))
    for kind in ("Sym", "Num"):  # LU or LDLᵀ (solver.fem.petsc.CONTACT_AS_DIRECT): either
        lu, ldl = out[f"MatLUFactor{kind}"], out[f"MatCholFctr{kind}"]
        out[f"Factor{kind}"] = (lu[0] + ldl[0], lu[1] + ldl[1])
    return out


def press_split(ev: dict) -> dict[str, float]:
    """Split of the Newton time of a press stage (s), for either contact solver.

    ``snes``: the time inside the contact solves, ``SNESSolve`` (``vinewtonrsls``) plus
    :data:`AS_EVENT` (the active-set Newton of :mod:`solver.fem.active_set`). SNES
    ``vinewtonrsls`` extracts the inactive-set sub-matrix, then calls ``KSPSetUp`` (where
    ``PCSetUp``, i.e. the LU factorisation, is logged) *before* ``KSPSolve``, so there
    ``PCSetUp`` and ``KSPSolve`` are disjoint (one PCSetUp per Newton step, ``KSPSolve`` ≈
    ``MatSolve``); the active-set Newton calls ``KSPSolve`` on the changed operator, which
    also sets the PC up before the ``KSPSolve`` event begins (measured: ``PCSetUp`` exceeds
    ``KSPSolve``), so the two are disjoint there too. ``SNESFunctionEval``
    includes the quadrature-point return mapping (:func:`solver.fem.quadrature.attach`) and the
    residuals of the line search; "rest": the active-set bookkeeping (sub-matrix extraction
    or ``MatZeroRowsColumns``, the bordering's products).
    """
    snes = ev["SNESSolve"][0] + ev[AS_EVENT][0]
    func, jac = ev["SNESFunctionEval"][0], ev["SNESJacobianEval"][0]
    setup, solve = ev["PCSetUp"][0], ev["KSPSolve"][0]
    return {"snes": snes, "residual": func, "jacobian": jac, "assembly": func + jac,
            "pc_setup": setup, "solve": solve,
            "rest": snes - func - jac - setup - solve}


class PressRun:
    """The press (and optionally current) stage of one :func:`case` on ``comm``, measured.

    Attributes (after :meth:`press` / :meth:`current`):
        ndofs: global displacement dofs.
        t_setup, t_press, t_current: wall times (s) of set-up (surface, mesh, forms), press
            cycle and current stage.
        rss_base: peak RSS summed over the ranks after the imports, before the case (B).
        newton: Newton iterations of the converged steps; newton_all: all Newton steps
            (cut-back solves included); solves: contact solves (converged steps + cut-backs).
        records: the press steps (:class:`solver.simulation.press.StepRecord`).
        press_events, current_events: :func:`events` of the two PETSc log stages.
        fraction, asr: contact fraction A_r/A0 after the last step and the Li|Cu ASR (Ω·m²).
    """

    def __init__(self, the_case, comm):
        from solver.fem.backend import import_dolfinx

        import_dolfinx()
        from petsc4py import PETSc

        from solver.simulation import press

        from solver.simulation.surface import build_heights
        from mpi4py import MPI

        PETSc.Log.begin()
        self.case, self.comm = the_case, comm
        # after the imports: what a rank holds before the case (Python, DOLFINx, PETSc, MPI)
        self.rss_base = comm.allreduce(peak_rss_bytes(), op=MPI.SUM)
        comm.Barrier()
        t0 = time.perf_counter()
        heights, sizes, _ = build_heights(the_case.surface, the_case.seed)
        self.setup = press.build_setup(the_case, heights, sizes, comm)
        self.cycle = press.PressCycle(the_case, self.setup, comm)
        comm.Barrier()
        self.t_setup = time.perf_counter() - t0
        V = self.cycle.cp.V
        self.ndofs = V.dofmap.index_map.size_global * V.dofmap.index_map_bs

    def press(self) -> None:
        from petsc4py import PETSc

        stage = PETSc.Log.Stage("lamina_press")
        stage.push()
        self.comm.Barrier()
        t0 = time.perf_counter()
        self.records = self.cycle.run()
        self.comm.Barrier()
        self.t_press = time.perf_counter() - t0
        stage.pop()
        self.press_events = events(stage, self.comm)
        self.fraction = self.records[-1].contact_fraction
        self.newton = sum(r.newton_iterations for r in self.records)
        # every Newton step assembles one Jacobian, in converged and in cut-back solves alike
        self.newton_all = self.press_events["SNESJacobianEval"][1]
        self.solves = self.press_events["SNESSolve"][1] + self.press_events[AS_EVENT][1]

    def current(self) -> None:
        """Li|Cu current at the default 10 A/m² through the final contact map."""
        from petsc4py import PETSc

        from solver.simulation import current
        stage = PETSc.Log.Stage("lamina_current")
        stage.push()
        self.comm.Barrier()
        t0 = time.perf_counter()
        problem = current.build_current_problem(self.case, self.setup, self.comm)
        res = current.solve_step(problem, self.cycle.maps, len(self.cycle.maps.mean_pressure) - 1,
                                 current_density=self.case.current.current_density,
                                 heights=self.setup.grid_heights,
                                 physical_sizes=self.setup.physical_sizes)
        self.comm.Barrier()
        self.t_current = time.perf_counter() - t0
        stage.pop()
        self.current_events = events(stage, self.comm)
        self.asr = res.solution.asr
        V = problem.V
        self.current_dofs = V.dofmap.index_map.size_global * V.dofmap.index_map_bs
