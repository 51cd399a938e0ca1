"""The rigid platen's two loops (solver.fem.mechanics), on stand-ins for the contact problem: no mesh.

* :func:`_platen_continuation` reaches its target when Newton only converges for short moves:
  halvings are counted in a row, so a long walk of short moves (more halvings in total than
  :data:`PLATEN_MAX_HALVINGS`) is not given up, and a move that cannot get short enough fails
  with :class:`SolveError`. (The default case's step to 1 MPa needed 12+ halvings in total and
  failed on one machine and not on another; the load path then differed between 1 and 2 ranks.)
* :func:`_platen_root` finds ``F(w) = p̄ A₀`` to ``force_rtol`` on monotone force curves of the
  shapes contact gives: stiffening (Hertz-like, F ∝ w^1.5) and softening (yield plateau).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from solver.fem import mechanics
from solver.errors import SolveError


class FakeProblem(SimpleNamespace):
    """The attributes of a ContactProblem that the platen loops use; ``u`` holds w itself."""

    def __init__(self, **kw):
        x = SimpleNamespace(array=np.zeros(1), scatter_forward=lambda: None)
        super().__init__(platen=SimpleNamespace(value=0.0), u=SimpleNamespace(x=x), law=None,
                         prefix="fake_",
                         snes=SimpleNamespace(getIterationNumber=lambda: 25), **kw)


def short_move_newton(max_move: float, log: list):
    """Newton that converges only when the platen moved at most ``max_move`` from ``u``."""

    def newton(cp, pressure, dt):
        target, start = -cp.platen.value, float(cp.u.x.array[0])
        ok = abs(target - start) <= max_move * (1 + 1e-12)
        log.append(ok)
        if not ok:
            cp.u.x.array[0] = math.nan  # where a failed Newton leaves u: garbage
            raise SolveError("diverged")
        cp.u.x.array[0] = target
        return 2, 3, 7

    return newton


def test_continuation_walks_in_short_moves(monkeypatch):
    log = []
    monkeypatch.setattr(mechanics, "_newton", short_move_newton(0.05, log))
    cp = FakeProblem()
    reason, its, lits = mechanics._platen_continuation(cp, 1e6, (0.0, np.zeros(1)), 1.0)
    assert reason == 2 and cp.u.x.array[0] == 1.0 and -cp.platen.value == 1.0
    fails = log.count(False)
    # more halvings in total than the limit: the old count (in total) gave up here
    assert fails > mechanics.PLATEN_MAX_HALVINGS
    assert its == 3 * log.count(True) + 25 * fails and lits == 7 * log.count(True)


def test_continuation_fails_when_the_move_cannot_shrink_enough(monkeypatch):
    log = []
    n = mechanics.PLATEN_MAX_HALVINGS
    # converges only for moves below 1/2^(n+1) of the first: n halvings in a row are not enough
    monkeypatch.setattr(mechanics, "_newton", short_move_newton(0.5 ** (n + 1) * 0.99, log))
    cp = FakeProblem()
    with pytest.raises(SolveError, match="halved"):
        mechanics._platen_continuation(cp, 1e6, (0.0, np.zeros(1)), 1.0)
    assert log == [False] * (n + 1)


def test_continuation_one_halving_short_of_the_limit_goes_on_until_the_solve_limit(monkeypatch):
    log = []
    n = mechanics.PLATEN_MAX_HALVINGS
    monkeypatch.setattr(mechanics, "_newton", short_move_newton(0.5 ** n, log))
    cp = FakeProblem()
    # 2^n moves would reach w = 1: more than PLATEN_MAX_SOLVES, so it stops short, and says so
    with pytest.raises(SolveError, match=f"after {mechanics.PLATEN_MAX_SOLVES} solves"):
        mechanics._platen_continuation(cp, 1e6, (0.0, np.zeros(1)), 1.0)
    assert log[: n + 1] == [False] * n + [True] and len(log) == mechanics.PLATEN_MAX_SOLVES
    assert 0 < cp.u.x.array[0] < 1.0 or math.isnan(cp.u.x.array[0])


def _root_problem(force, *, area=2.0, stiffness=0.0):
    cp = FakeProblem(face_area=area, force_rtol=1e-8, peak_pressure=0.0, loaded=False,
                     pressure=SimpleNamespace(value=0.0), first_touch=0.1, vertical=0,
                     V=SimpleNamespace(dofmap=SimpleNamespace(index_map_bs=1)),
                     stiffness=stiffness, material=SimpleNamespace(E=1e3),
                     block=SimpleNamespace(thickness=1.0), height_scale=1.0)
    cp.force = force
    return cp


@pytest.mark.parametrize("shape", ["stiffening", "softening"])
def test_platen_root_meets_the_force(monkeypatch, shape):
    w_t = 0.1  # first touch
    if shape == "stiffening":  # Hertz-like: F = c (w - w_t)^1.5
        force = lambda w: 50.0 * max(w - w_t, 0.0) ** 1.5  # noqa: E731
    else:  # elastic up to a yield force, then a plateau with a small hardening slope
        force = lambda w: min(400.0 * (w - w_t), 4.0 + 1.0 * (w - w_t))  # noqa: E731
    evaluations = []

    def continuation(cp, pressure, good, w):
        evaluations.append(w)
        cp.platen.value = -w
        cp.u.x.array[0] = w
        return 2, 4, 8

    monkeypatch.setattr(mechanics, "_platen_continuation", continuation)
    monkeypatch.setattr(mechanics, "contact_force", lambda cp: cp.force(-cp.platen.value))
    cp = _root_problem(force)
    pressure = 3.0  # target force 6 on A₀ = 2: on the plateau for "softening"
    its, lits, reason, slope = mechanics._platen_root(cp, pressure)
    target = pressure * cp.face_area
    assert abs(force(-cp.platen.value) - target) <= cp.force_rtol * pressure * cp.face_area
    assert its == 4 * len(evaluations) and reason == 2 and slope > 0
    assert len(evaluations) <= 25, evaluations
