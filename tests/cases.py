"""Case files shared by the tests (TOML text)."""

from __future__ import annotations


def fast_2d(name: str, *, plots: bool = True) -> str:
    """A 2D press cycle that runs in seconds: 64-point profile, load to 0.5 and 1.5 MPa, a 5 s
    creep hold, release. Linear hardening (H = E/10) keeps Newton at ≈15 iterations a step; the
    perfectly plastic default case is compared on 1 and 2 ranks in test_current_rerun.py."""
    return f"""
name = "{name}"
[surface]
nb_grid_pts = [64, 64]
physical_sizes = [4e-5, 4e-5]
short_cutoff = 5e-6
long_cutoff = 2e-5
rms_height = 2e-7
[lithium]
hardening_modulus = 7.8e8
[mesh]
dimension = 2
thickness = 4e-5
[press]
pressures = [0.5e6, 1.5e6]
hold_times = [0.0, 5.0]
steps_per_ramp = 3
steps_per_hold = 3
[output]
plots = {str(plots).lower()}
"""
