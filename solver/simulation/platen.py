"""The rigid platen's two scalar loops, as pure functions of callables (no mesh, no solver).

Under platen control a load step to the mean pressure ``p̄`` is a root ``F(w) = p̄ A₀`` of the
contact force over the platen displacement ``w`` (:func:`platen_root`), and every evaluation of
``F`` is a displacement-controlled Newton solve that may have to be reached in shorter platen
moves (:func:`platen_continuation`). Both take the expensive parts as callables, so that they are
tested on scalar curves (``tests/test_platen.py``) and driven by the finite-element problem in
:mod:`solver.simulation.loadstep`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from solver.errors import SolveError

#: Halvings in a row of the platen's move towards one trial displacement before the step fails
#: (the move is then 1/4096 of the last one that converged).
PLATEN_MAX_HALVINGS = 12
#: Most Newton solves of one continuation (converged and failed) before the step fails.
PLATEN_MAX_SOLVES = 200
#: Most force evaluations (Newton solves) of one platen step before it counts as failed.
PLATEN_MAX_EVALUATIONS = 40


class Attempt(NamedTuple):
    """One Newton solve at a trial platen displacement.

    Attributes:
        converged: whether it converged.
        reason: the SNES converged reason (meaningful when converged).
        iterations: Newton iterations spent (also when it failed).
        linear_iterations: Krylov iterations (counted when converged).
        message: why it failed (empty when converged).
    """

    converged: bool
    reason: int
    iterations: int
    linear_iterations: int = 0
    message: str = ""


def platen_continuation(solve_at: Callable[[float], Attempt], keep: Callable[[], None],
                        back: Callable[[], None], w_good: float, w: float, *,
                        label: str = "", pressure: float = math.nan) -> tuple[int, int, int]:
    """Reach the platen displacement ``w`` (m) from the converged ``w_good``, in smaller moves
    when a direct solve fails.

    Every solve starts from the committed inelastic state (the return mapping takes the total
    increment of the step), so the solution at ``w`` does not depend on the moves that reach
    it: the moves only bring Newton's initial guess close enough. This is what makes the load
    path (and with it the results) independent of where Newton happens to fail, e.g. on 1 or N
    ranks. The move doubles after every converged solve and halves after every failed one; the
    halvings are counted in a row, not in total, so a long continuation that keeps converging
    in small moves is not given up half-way: what decides failure is a move that cannot get any
    smaller, not the sum of Newton's near misses (whose number depends on round-off).

    Args:
        solve_at: Newton solve with the platen at a trial displacement (m), from the current
            iterate.
        keep: remember the current (converged) iterate as the start of later solves.
        back: put the iterate back to the last one kept (or the one of ``w_good``).
        w_good: the displacement of the converged iterate the continuation starts from (m).
        w: the displacement to reach (m).
        label, pressure: the problem's name and the step's mean pressure (Pa), for messages.

    Returns:
        (last SNES reason, Newton iterations, linear iterations).

    Raises:
        SolveError: after :data:`PLATEN_MAX_HALVINGS` halvings in a row or
            :data:`PLATEN_MAX_SOLVES` solves.
    """
    its = lits = 0
    move = w - w_good
    halvings = 0
    for _ in range(PLATEN_MAX_SOLVES):
        target = w if abs(w - w_good) <= abs(move) * (1 + 1e-12) else w_good + move
        attempt = solve_at(target)
        if not attempt.converged:
            its += attempt.iterations
            halvings += 1
            if halvings > PLATEN_MAX_HALVINGS:
                raise SolveError(f"{attempt.message}; platen move from w = {w_good:.6g} m halved "
                                 f"{PLATEN_MAX_HALVINGS} times in a row") from None
            back()
            move /= 2
            continue
        its += attempt.iterations
        lits += attempt.linear_iterations
        if target == w:
            return attempt.reason, its, lits
        w_good = target
        keep()
        halvings = 0
        move *= 2  # it was easy: try a longer move
    raise SolveError(f"contact Newton ({label}) at p = {pressure:.6g} Pa: platen "
                     f"continuation to w = {w:.6g} m stopped at w = {w_good:.6g} m after "
                     f"{PLATEN_MAX_SOLVES} solves")


def _next_guess(w: float, g: float, slope: float, last: float, lo, hi) -> float:
    """The next platen displacement: a secant step, kept inside a bracket ``lo < w < hi`` once
    there is one (else its midpoint), before that limited to 4× the last step."""
    nxt = w - g / slope if slope > 0 else math.nan
    if lo is not None and hi is not None:
        if not (lo[0] < nxt < hi[0]):
            nxt = 0.5 * (lo[0] + hi[0])
    else:
        direction = 1.0 if g < 0 else -1.0
        if not math.isfinite(nxt) or (nxt - w) * direction <= 0:
            nxt = w + direction * 2 * last
        elif abs(nxt - w) > 4 * last:
            nxt = w + direction * 4 * last
    return nxt


def platen_root(force_at: Callable[[float], float], target: float, tol: float, w0: float,
                f0: float, stiffness: float, *, on_curve: bool = True, label: str = "",
                pressure: float = math.nan) -> tuple[float, float]:
    """The platen displacement ``w`` with ``F(w) = target`` (N, 2D: N/m), to ``|F − target| ≤ tol``.

    ``F`` is non-decreasing in ``w`` (from a fixed committed state the incremental problem is
    monotone). The first guess steps from ``(w0, f0)`` with ``stiffness`` (N/m). Then secant
    steps through the last two evaluations; once the root is bracketed a secant point outside
    the bracket is replaced by the bracket's midpoint, and before that the step is limited to 4×
    the last one.

    Args:
        force_at: the contact force at a platen displacement (one Newton solve, or more).
        target, tol: the force to reach and its tolerance (N).
        w0, f0: the start, e.g. the committed step's platen displacement and force.
        stiffness: dF/dw for the first guess (> 0).
        on_curve: whether ``(w0, f0)`` lies on this step's curve ``F(w)``; with creep
            (``dt > 0``) the stresses relax over the step and it does not: then it only gives
            the first guess.
        label, pressure: the problem's name and the step's mean pressure (Pa), for messages.

    Returns:
        ``(w, slope)``: the root and dF/dw from the last two evaluations (``stiffness`` when
        that is not positive).

    Raises:
        SolveError: not met after :data:`PLATEN_MAX_EVALUATIONS` evaluations.
    """
    k = stiffness
    pts = [(w0, f0 - target)] if on_curve else []
    lo = (w0, f0 - target) if f0 < target and on_curve else None
    hi = (w0, f0 - target) if f0 > target and on_curve else None
    w = w0 + (target - f0) / k
    for _ in range(PLATEN_MAX_EVALUATIONS):
        g = force_at(w) - target
        pts.append((w, g))
        if len(pts) > 1 and pts[-2][0] != w:
            wa, ga = pts[-2]
            slope, last = (g - ga) / (w - wa), abs(w - wa)
        else:  # one evaluation so far (a creep step): the last step's stiffness
            slope, last = k, abs(g) / k
        if abs(g) <= tol:
            return w, slope if slope > 0 else k
        if g < 0 and (lo is None or w > lo[0]):
            lo = (w, g)
        if g > 0 and (hi is None or w < hi[0]):
            hi = (w, g)
        w = _next_guess(w, g, slope, last, lo, hi)
    raise SolveError(f"platen ({label}): contact force {target + pts[-1][1]:.6g} after "
                     f"{PLATEN_MAX_EVALUATIONS} evaluations, target {target:.6g} "
                     f"(p = {pressure:.6g} Pa); last (w, F − target): "
                     + ", ".join(f"({a:.9g}, {b:.3g})" for a, b in pts[-4:]))
