"""Ramps at a rate (``press.ramp_rate``): a ramp step of Δp̄ lasts |Δp̄|/rate, so creep acts
while the load rises, and the limits of the rate reproduce the rate-free ramp."""

from __future__ import annotations

import tomllib

import pytest

from cases import fast_2d
from solver.case import config
from solver.fem.backend import comm_world, import_dolfinx
from solver.simulation import press
from solver.simulation.surface import build_heights

import_dolfinx()
COMM = comm_world()


def _cycle(ramp_rate):
    case = config.from_dict(tomllib.loads(fast_2d("ramp", plots=False)))
    rate = {} if ramp_rate is None else {"ramp_rate": ramp_rate}
    case = config.replace(case, press={"pressures": [0.5e6], "hold_times": [0.0],
                                       "release": False, **rate},
                          lithium={"creep_reference_stress": 2e5})
    heights, sizes, _ = build_heights(case.surface, case.seed)
    cycle = press.PressCycle(case, press.build_setup(case, heights, sizes, COMM), COMM)
    records = cycle.run()
    cycle.cp.close()
    return records


def test_a_ramp_at_a_rate_takes_its_time_and_lets_creep_act():
    fast = _cycle(None)
    slow = _cycle(5e3)  # 0.5 MPa at 5 kPa/s: 100 s of creep during the ramp
    instant = _cycle(1e12)  # 0.5 µs: creep has no time to act
    assert fast[-1].time == 0.0
    assert slow[-1].time == pytest.approx(0.5e6 / 5e3, rel=1e-12)
    assert [r.mean_pressure for r in slow] == [r.mean_pressure for r in fast]
    # creep during the ramp flattens more asperities: more contact at the same load
    assert slow[-1].contact_fraction > 1.05 * fast[-1].contact_fraction
    assert instant[-1].contact_fraction == pytest.approx(fast[-1].contact_fraction, rel=1e-6)


def test_ramp_rate_is_validated():
    from solver.errors import InputError

    with pytest.raises(InputError, match="ramp_rate"):
        config.from_dict({"press": {"ramp_rate": -1.0}})
