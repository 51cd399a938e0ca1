"""The rigid platen's two loops (solver.simulation.platen), as pure functions on scalar curves: no mesh.

* :func:`platen_continuation` reaches its target when Newton only converges for short moves:
  halvings are counted in a row, so a long walk of short moves (more halvings in total than
  :data:`PLATEN_MAX_HALVINGS`) is not given up, and a move that cannot get short enough fails
  with :class:`SolveError`. (The default case's step to 1 MPa needed 12+ halvings in total and
  failed on one machine and not on another; the load path then differed between 1 and 2 ranks.)
* :func:`platen_root` finds ``F(w) = p̄ A₀`` to ``force_rtol`` on monotone force curves of the
  shapes contact gives: stiffening (Hertz-like, F ∝ w^1.5) and softening (yield plateau).
"""

from __future__ import annotations

import math

import pytest

from solver.errors import SolveError
from solver.simulation import platen
from solver.simulation.platen import Attempt


class ShortMoves:
    """A stand-in for Newton that converges only when the platen moved at most ``max_move`` from
    the current iterate ``u`` (a scalar: the platen displacement it converged at)."""

    def __init__(self, max_move: float):
        self.max_move, self.u, self.kept, self.log = max_move, 0.0, 0.0, []

    def solve_at(self, target: float) -> Attempt:
        ok = abs(target - self.u) <= self.max_move * (1 + 1e-12)
        self.log.append(ok)
        if not ok:
            self.u = math.nan  # where a failed Newton leaves u: garbage
            return Attempt(False, 0, 25, 0, "diverged")
        self.u = target
        return Attempt(True, 2, 3, 7)

    def keep(self):
        self.kept = self.u

    def back(self):
        self.u = self.kept

    def run(self, w: float):
        return platen.platen_continuation(self.solve_at, self.keep, self.back, 0.0, w,
                                          label="fake_", pressure=1e6)


def test_continuation_walks_in_short_moves():
    n = ShortMoves(0.05)
    reason, its, lits = n.run(1.0)
    assert reason == 2 and n.u == 1.0
    fails = n.log.count(False)
    # more halvings in total than the limit: the old count (in total) gave up here
    assert fails > platen.PLATEN_MAX_HALVINGS
    assert its == 3 * n.log.count(True) + 25 * fails and lits == 7 * n.log.count(True)


def test_continuation_fails_when_the_move_cannot_shrink_enough():
    k = platen.PLATEN_MAX_HALVINGS
    # converges only for moves below 1/2^(k+1) of the first: k halvings in a row are not enough
    n = ShortMoves(0.5 ** (k + 1) * 0.99)
    with pytest.raises(SolveError, match="halved"):
        n.run(1.0)
    assert n.log == [False] * (k + 1)


def test_continuation_one_halving_short_of_the_limit_goes_on_until_the_solve_limit():
    k = platen.PLATEN_MAX_HALVINGS
    n = ShortMoves(0.5 ** k)
    # 2^k moves would reach w = 1: more than PLATEN_MAX_SOLVES, so it stops short, and says so
    with pytest.raises(SolveError, match=f"after {platen.PLATEN_MAX_SOLVES} solves"):
        n.run(1.0)
    assert n.log[: k + 1] == [False] * k + [True] and len(n.log) == platen.PLATEN_MAX_SOLVES
    assert 0 < n.u < 1.0 or math.isnan(n.u)


@pytest.mark.parametrize("shape", ["stiffening", "softening"])
def test_platen_root_meets_the_force(shape):
    w_t = 0.1  # first touch
    if shape == "stiffening":  # Hertz-like: F = c (w - w_t)^1.5
        force = lambda w: 50.0 * max(w - w_t, 0.0) ** 1.5  # noqa: E731
    else:  # elastic up to a yield force, then a plateau with a small hardening slope
        force = lambda w: min(400.0 * (w - w_t), 4.0 + 1.0 * (w - w_t))  # noqa: E731
    evaluations = []

    def force_at(w):
        evaluations.append(w)
        return force(w)

    area, rtol, pressure = 2.0, 1e-8, 3.0  # target force 6 on A₀ = 2: on the plateau if softening
    target = pressure * area
    stiffness = 1e3 * area / 1.0  # E A₀ / t, the first step's guess
    w, slope = platen.platen_root(force_at, target, rtol * pressure * area, w_t, 0.0, stiffness)
    assert abs(force(w) - target) <= rtol * pressure * area
    assert slope > 0 and evaluations[-1] == w
    assert len(evaluations) <= 25, evaluations


def test_platen_root_gives_up_with_the_last_points():
    with pytest.raises(SolveError, match="after 40 evaluations"):
        platen.platen_root(lambda w: 0.0, 1.0, 1e-9, 0.0, 0.0, 1.0, label="fake_", pressure=1.0)
