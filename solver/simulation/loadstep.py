"""One load step of a contact problem: traction-controlled, or a platen displacement found for the
target mean pressure.

:func:`solve_load_step` drives a :class:`solver.fem.contact.ContactProblem` from its last committed
state to a new mean pressure (and over a time increment, for creep), commits the converged step
(:meth:`~solver.fem.contact.ContactProblem.commit`) or rolls the problem back on failure
(:meth:`~solver.fem.contact.ContactProblem.rollback`) so that the caller can cut the increment.
The platen's scalar loops are the pure functions of :mod:`solver.simulation.platen`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


from solver.errors import DivergedError, InputError, SolveError
from solver.fem.contact import ContactProblem
from solver.fem.newton import newton
from solver.fem.contact_results import contact_force
from solver.simulation import platen
from solver.simulation.platen import Attempt

#: Newton iterations the secant may spend as the fallback of a failed bordered step before it
#: gives up (the caller then cuts the increment). Measured: the first touch of
#: ``doux_sulfide_pressure --size full`` needs 669 there; perfectly plastic
#: ``press_performance --size small`` spent 6289 (445 s) on its first increment, which a halved
#: increment solves in 78 bordered iterations.
FALLBACK_MAX_ITERATIONS = 1000
#: ``fallback`` value of :func:`solve_load_step`: the secant only after a bordered Newton that
#: diverged (:class:`solver.errors.DivergedError`), not after one that ran out of iterations.
ON_DIVERGENCE = "diverged"


class StepResult(NamedTuple):
    """Outcome of one converged load step.

    Attributes:
        pressure: the applied mean pressure (Pa).
        reason: SNES converged reason (> 0).
        iterations: Newton (active-set) iterations.
        linear_iterations: total Krylov iterations (0 or 1 per Newton step with LU).
        dt: the time increment of the step (s).
        time: the accumulated time at the end of the step (s).
    """

    pressure: float
    reason: int
    iterations: int
    linear_iterations: int
    dt: float = 0.0
    time: float = 0.0


def place_rigidly(cp, w: float) -> None:
    """First iterate of a first step: the block moved down rigidly by ``w`` (m), the face nodes
    that then penetrate put on the surface, the platen at ``−w``."""
    bs = cp.V.dofmap.index_map_bs
    cp.u.x.array[cp.vertical::bs] = -w
    cp.u.x.array[cp.face_dofs] = np.maximum(cp.u.x.array[cp.face_dofs], cp.lower)
    cp.u.x.scatter_forward()
    cp.platen.value = -w


def solve_load_step(cp: ContactProblem, pressure: float, dt: float = 0.0,
                    fallback: bool | str = True) -> StepResult:
    """Solve from the last committed state to the mean pressure ``pressure`` (Pa) over ``dt`` (s).

    Traction control: on a block not yet in contact, :meth:`ContactProblem.touch` first sets the
    initial guess. Platen control: the platen displacement ``w`` is found by a safeguarded secant
    iteration on the contact force ``F(w) = p̄ A₀``, each evaluation a displacement-controlled
    Newton solve from the previous one (see :func:`_platen_step`); with the active-set solver
    the platen is one more Newton unknown instead (:func:`_bordered_step`), and the secant
    iteration is its fallback when ``fallback`` is true (:data:`ON_DIVERGENCE`: only where that
    Newton diverged). The pressure may go down as
    well as up (unloading), but stays > 0. ``dt`` is the time increment of creep laws (ignored
    by elastic and rate-independent ones) and is added to ``cp.load.time`` on success. On success the
    inelastic state of the converged step is committed (it becomes the history of the next step).

    Returns:
        The step's outcome; ``iterations`` counts the Newton iterations of all the platen's
        evaluations.

    Raises:
        SolveError: Newton did not converge (the SNES reason is in the message), or the platen
            iteration did not reach the force; the displacement, the applied pressure, the
            platen and the inelastic state are restored to their values before the call so that
            the caller can cut the load (or time) increment and retry.
    """
    if not (math.isfinite(pressure) and pressure > 0):
        raise InputError(f"pressure={pressure}: must be a finite mean pressure > 0 (Pa)")
    if not (math.isfinite(dt) and dt >= 0):
        raise InputError(f"dt={dt}: must be a finite time increment >= 0 (s)")
    saved = cp.u.x.array.copy()
    cp.set_residual_scale(pressure)
    if cp.law is not None:
        cp.law.dt = float(dt)
    stiffness = None
    try:
        if cp.control == "platen" and cp.active_set is not None:
            its, lits, reason, stiffness = _bordered_step(cp, pressure, saved, fallback)
        elif cp.control == "platen":
            its, lits, reason, stiffness = _platen_step(cp, pressure)
        else:
            if not cp.load.loaded or not cp.in_contact_anywhere():
                cp.touch()
            cp.pressure.value = pressure
            reason, its, lits = newton(cp, pressure, dt)
    except SolveError:
        cp.rollback(saved)
        raise
    cp.commit(pressure, dt, stiffness)
    return StepResult(float(pressure), reason, its, lits, float(dt), cp.load.time)


def _youngs_modulus(material) -> float:
    """E of the material (Pa); NaN for a bare UFL stress map."""
    for m in (material, getattr(material, "elastic", None), getattr(material, "plastic", None)):
        if getattr(m, "E", None) is not None:
            return float(m.E)
    return math.nan


def _platen_start(cp: ContactProblem, target: float) -> tuple[float, float, float]:
    """``(w0, F0, k)``: where the platen step starts and the stiffness of its first guess.

    After a converged step, the committed platen displacement and force (it met its pressure to
    the tolerance); before the first, the rigid approach at which the highest point of the
    surface first touches (the block is moved there). ``k``: the last step's stiffness, before
    the first ``E A₀ / t`` (the stiffest the block can be, so the guess stays short of the
    root), for an unknown modulus the force reached over the surface's height range.
    """
    if cp.load.loaded:
        w0, f0 = -float(cp.platen.value), float(cp.pressure.value) * cp.face_area
    else:
        w0 = cp.first_touch
        f0 = 0.0
        bs = cp.V.dofmap.index_map_bs
        cp.u.x.array[cp.vertical::bs] = -w0
        cp.u.x.scatter_forward()
    k = cp.load.platen_stiffness
    if not k > 0:
        k = _youngs_modulus(cp.material) * cp.face_area / cp.block.thickness
        if not k > 0:
            k = target / cp.height_scale
    return w0, f0, k


class _PlatenSolves:
    """The finite-element side of the platen loops: Newton at a trial displacement, the last
    converged iterate, and the iteration counts of one step."""

    def __init__(self, cp: ContactProblem, pressure: float, w0: float,
                 budget: int | None = None):
        self.cp, self.pressure = cp, pressure
        self.dt = cp.law.dt if cp.law is not None else 0.0
        self.w_good, self.u_good = w0, cp.u.x.array.copy()
        self.u_kept = self.u_good
        self.its = self.lits = self.reason = 0
        #: Newton iterations allowed over all solves (None: no limit), and spent
        self.budget, self.spent = budget, 0

    def solve_at(self, w: float) -> Attempt:
        cp = self.cp
        if self.budget is not None and self.spent >= self.budget:
            raise SolveError(f"contact Newton ({cp.prefix}) at p = {self.pressure:.6g} Pa: "
                             f"secant over the platen gave up after {self.spent} Newton "
                             f"iterations (limit {self.budget})")
        cp.platen.value = -w
        try:
            reason, its, lits = newton(cp, self.pressure, self.dt)
        except SolveError as e:
            self.spent += cp.last_iterations()
            return Attempt(False, 0, cp.last_iterations(), 0, str(e))
        self.spent += its
        return Attempt(True, reason, its, lits)

    def keep(self) -> None:
        self.u_kept = self.cp.u.x.array.copy()

    def back(self) -> None:
        self.cp.u.x.array[:] = self.u_kept
        self.cp.u.x.scatter_forward()

    def force_at(self, w: float) -> float:
        """Contact force with the platen at ``w``, continued from the last evaluation."""
        self.u_kept = self.u_good
        reason, its, lits = platen.platen_continuation(
            self.solve_at, self.keep, self.back, self.w_good, w, label=self.cp.prefix,
            pressure=self.pressure)
        self.w_good, self.u_good = w, self.cp.u.x.array.copy()
        self.reason = reason
        self.its += its
        self.lits += lits
        return contact_force(self.cp)


def _bordered_step(cp: ContactProblem, pressure: float, saved,
                   fallback: bool | str = True) -> tuple[int, int, int, float]:
    """The platen step as one Newton solve with the platen as an unknown (bordering, see
    :mod:`solver.fem.active_set`); if it fails and ``fallback`` (:data:`ON_DIVERGENCE`: if it
    diverged), the secant iteration of :func:`_platen_step` from the committed state, its Newton
    iterations added to the failed ones (otherwise the failure is raised, for the caller to cut
    the increment).

    Before the first step the block is moved rigidly to the approach where the surface's
    highest point touches plus the force over the stiffest the block can be (``E A₀ / t``),
    so that the first iterate is short of the root, and the face nodes that then penetrate
    are put on the surface (as :meth:`ContactProblem.touch` does).
    """
    target = pressure * cp.face_area
    tol = cp.force_rtol * max(pressure, cp.load.peak_pressure) * cp.face_area
    dt = cp.law.dt if cp.law is not None else 0.0
    if not cp.load.loaded:
        w0, f0, k = _platen_start(cp, target)
        place_rigidly(cp, w0 + (target - f0) / k)
    try:
        reason, its, lits = cp.active_set.solve_force(pressure, dt, target, tol)
        return its, lits, reason, cp.active_set.stiffness
    except SolveError as e:
        if not fallback or (fallback == ON_DIVERGENCE and not isinstance(e, DivergedError)):
            raise
        failed = cp.last_iterations()
        cp.rollback(saved)
        if cp.law is not None:
            cp.law.dt = dt
    its, lits, reason, stiffness = _platen_step(cp, pressure, FALLBACK_MAX_ITERATIONS)
    return its + failed, lits, reason, stiffness


def _platen_step(cp: ContactProblem, pressure: float,
                 budget: int | None = None) -> tuple[int, int, int, float]:
    """Find the platen displacement with ``F(w) = p̄ A₀`` and leave ``cp.u`` there.

    The force is only as exact as Newton's residual, whose tolerance scales with the largest
    load so far (see :meth:`ContactProblem.set_residual_scale`): the tolerance is
    ``force_rtol max(p̄, p̄_peak) A₀``, not relative to a small release target. Returns (Newton
    iterations, linear iterations, last SNES reason, dF/dw of the last two evaluations).
    ``budget``: Newton iterations the search may spend over all its solves (None: no limit);
    past it, :class:`SolveError`.
    """
    target = pressure * cp.face_area
    tol = cp.force_rtol * max(pressure, cp.load.peak_pressure) * cp.face_area
    w0, f0, k = _platen_start(cp, target)
    # With creep (dt > 0) the force at w₀ is no longer F₀ (the stresses relax over dt): the
    # committed point is then not on this step's curve F(w) and only gives the first guess.
    creep = cp.law is not None and cp.law.dt > 0
    solves = _PlatenSolves(cp, pressure, w0, budget)
    _, slope = platen.platen_root(solves.force_at, target, tol, w0, f0, k, on_curve=not creep,
                                  label=cp.prefix, pressure=pressure)
    return solves.its, solves.lits, solves.reason, slope
