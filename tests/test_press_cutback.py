"""A failed load step is retried with half the increment; the secant fallback of a failed
bordered Newton step (``solve_load_step(..., fallback=True)``) is kept for the last cut-back and
for the first try from the untouched state."""

from __future__ import annotations

import tomllib

import pytest

from cases import fast_2d
from solver.case import config
from solver.errors import DivergedError, SolveError
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
    # the first touch keeps the fallback where its Newton diverges
    assert calls[0] == (pytest.approx(0.2e6), loadstep.ON_DIVERGENCE)
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
    assert [f for _, f in calls] == [loadstep.ON_DIVERGENCE, False, False, True]
    # from the untouched state the first try keeps the fallback too
    calls = _failing(monkeypatch, 10 ** 6)
    cycle = _cycle(max_cutbacks=2)
    with pytest.raises(SolveError, match="after 2 cut-backs"):
        cycle.run()
    cycle.cp.close()
    assert [f for _, f in calls] == [loadstep.ON_DIVERGENCE, False, True]


@pytest.mark.parametrize("error, secant", [(SolveError, False), (DivergedError, True)])
def test_first_touch_falls_back_to_the_secant_only_where_the_newton_diverged(monkeypatch, error,
                                                                            secant):
    """``fallback = ON_DIVERGENCE`` (the first try from the untouched state): a bordered Newton
    that diverged is handed to the secant over the platen; one that ran out of iterations is
    raised, for the press to cut the increment."""
    cycle = _cycle(max_cutbacks=2)
    cp = cycle.cp

    def fail(*args, **kwargs):
        raise error("forced")

    used = []
    monkeypatch.setattr(cp.active_set, "solve_force", fail)
    monkeypatch.setattr(loadstep, "_platen_step",
                        lambda *args, **kwargs: used.append(args) or (3, 3, 2, 1.0))
    try:
        if secant:
            loadstep._bordered_step(cp, 0.2e6, cp.u.x.array.copy(), loadstep.ON_DIVERGENCE)
        else:
            with pytest.raises(SolveError, match="forced"):
                loadstep._bordered_step(cp, 0.2e6, cp.u.x.array.copy(), loadstep.ON_DIVERGENCE)
        assert len(used) == int(secant)
        # the last cut-back's fallback takes either failure
        used.clear()
        loadstep._bordered_step(cp, 0.2e6, cp.u.x.array.copy(), True)
        assert len(used) == 1
    finally:
        cp.close()


def test_a_plastic_press_can_start_at_1_kpa():
    """The first step of a press to 1 kPa (``krauskopf_pressure``'s small case: CMSG lithium on
    a sub-µm LLZO profile). The residual's round-off is that of the yielding spots' stresses,
    not of the mean pressure: with the tolerance scaled to the pressure alone, the step was
    cut back to 3.9 Pa, where Newton stalled at ‖Φ‖ = 1.15e-11 for a tolerance of 1.8e-14 and
    the press failed after 8 cut-backs (63 s)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "krauskopf_pressure.py"
    spec = importlib.util.spec_from_file_location("krauskopf_low_start", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    case = config.replace(module.make_case("small"),
                          press={"pressures": [1e3], "hold_times": [0.0], "release": False,
                                 "steps_per_ramp": 1},
                          output={"stages": ["surface", "press"]})
    heights, sizes, _ = build_heights(case.surface, case.seed)
    cycle = press.PressCycle(case, press.build_setup(case, heights, sizes, COMM), COMM)
    try:
        records = cycle.run()
    finally:
        cycle.cp.close()
    assert records[-1].mean_pressure == pytest.approx(1e3, rel=1e-12)
    assert 0 < records[-1].contact_fraction < 0.1
