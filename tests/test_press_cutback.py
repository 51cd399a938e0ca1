"""A failed load step is retried with half the increment; the secant fallback of a failed
bordered Newton step (``solve_load_step(..., fallback=True)``) is kept for the last cut-back and
for the first try from the untouched state."""

from __future__ import annotations

import tomllib

import pytest

from cases import fast_2d
from solver.case import config
from solver.errors import SolveError
from solver.fem.backend import comm_world, import_dolfinx
from solver.simulation import loadstep, press
from solver.simulation.surface import build_heights

import_dolfinx()
COMM = comm_world()


def _cycle(max_cutbacks, pressures=(0.4e6,)):
    case = config.from_dict(tomllib.loads(fast_2d("cutback", plots=False)))
    case = config.replace(case, press={"pressures": list(pressures),
                                       "hold_times": [0.0] * len(pressures),
                                       "release": False, "steps_per_ramp": 1,
                                       "max_pressure_ratio": 2.0,
                                       "max_cutbacks": max_cutbacks})
    heights, sizes, _ = build_heights(case.surface, case.seed)
    return press.PressCycle(case, press.build_setup(case, heights, sizes, COMM), COMM)


def _failing(monkeypatch, n_fail, n_ok=0):
    """solve_load_step failing ``n_fail`` calls after ``n_ok`` good ones; the calls'
    (pressure, fallback)."""
    real = loadstep.solve_load_step
    calls = []

    def solve(cp, pressure, dt=0.0, fallback=True):
        calls.append((pressure, fallback))
        if n_ok < len(calls) <= n_ok + n_fail:
            raise SolveError("forced")
        return real(cp, pressure, dt=dt, fallback=fallback)

    monkeypatch.setattr(loadstep, "solve_load_step", solve)
    return calls


def test_cut_backs_halve_the_increment_and_fall_back_only_on_the_last(monkeypatch):
    calls = _failing(monkeypatch, 3, n_ok=1)
    cycle = _cycle(max_cutbacks=3, pressures=(0.2e6, 0.4e6))
    records = cycle.run()
    cycle.cp.close()
    assert calls[0] == (pytest.approx(0.2e6), True)  # the first touch keeps the fallback
    tried = [p for p, _ in calls[1:5]]
    assert tried == pytest.approx([0.4e6, 0.3e6, 0.25e6, 0.225e6], rel=1e-12)
    assert [f for _, f in calls[1:5]] == [False, False, False, True]
    # after a converged step the count starts again: no fallback on the next first try
    assert calls[5][1] is False
    assert records[-1].mean_pressure == pytest.approx(0.4e6, rel=1e-12)


def test_a_step_that_fails_every_cut_back_fails_the_case(monkeypatch):
    calls = _failing(monkeypatch, 10 ** 6, n_ok=1)
    cycle = _cycle(max_cutbacks=2, pressures=(0.2e6, 0.4e6))
    with pytest.raises(SolveError, match="after 2 cut-backs"):
        cycle.run()
    cycle.cp.close()
    assert [f for _, f in calls] == [True, False, False, True]
    # from the untouched state the first try keeps the fallback too
    calls = _failing(monkeypatch, 10 ** 6)
    cycle = _cycle(max_cutbacks=2)
    with pytest.raises(SolveError, match="after 2 cut-backs"):
        cycle.run()
    cycle.cp.close()
    assert [f for _, f in calls] == [True, False, True]
