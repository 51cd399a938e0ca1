"""Helpers of the ASR-against-stack-pressure benchmarks (``krauskopf_pressure``,
``doux_sulfide_pressure``); not a benchmark.

Both run one ``lamina`` case (press cycle, then the current stage at every converged step)
through :func:`solver.run.pipeline.run_case` in a temporary folder and compare the
interface's area-specific resistance along the cycle with a measured one.
"""

from __future__ import annotations

import math
from pathlib import Path


def band_rms(long: float, short: float, hurst: float, rms: float, spectrum_short: float,
             spectrum_long: float) -> float:
    """rms height (m) of the band ``[short, long]`` (wavelengths, m) of a self-affine spectrum.

    An isotropic self-affine spectrum ``C(q) ∝ q^(−2(1+H))`` has ``h_rms² ∝ λ_long^(2H) −
    λ_short^(2H)`` over a band; the prefactor is fixed by the rms height ``rms`` (m) over
    ``[spectrum_short, spectrum_long]`` (m).
    """
    two_h = 2 * hurst
    return rms * math.sqrt((long ** two_h - short ** two_h)
                           / (spectrum_long ** two_h - spectrum_short ** two_h))


def exchange_current_density(r_ct_ohm_cm2: float, temperature: float) -> float:
    """i₀ (A/m²) with the linearised charge-transfer resistance ``RT/(F i₀) = r_ct_ohm_cm2``
    (Ω cm²) at ``temperature`` (K)."""
    from solver.physics.electrochemistry import FARADAY, GAS_CONSTANT
    return GAS_CONSTANT * temperature / (FARADAY * r_ct_ohm_cm2 * 1e-4)


def make_case(name: str, seed: int, size: dict, rms_height: float, hurst: float,
              pressures: list[float], release_pressure: float | None, kappa: float,
              i0: float, current_density: float, temperature: float):
    """The benchmarks' case: the model lithium (``lithium_masias2019``, size-dependent) pressed
    onto a rigid self-affine separator profile (plane strain, P2, graded), no holds, then the
    Li|SE current stage (Butler–Volmer, α = 0.5, galvanostatic) at every step.

    Args:
        size: ``length`` (lateral size = long cutoff, m), ``grid`` (surface points per side),
            ``short`` (short cutoff, m), ``ratio`` (largest load ratio), ``thickness``
            (lithium and separator thickness / length).
        pressures: the press targets (Pa); ``release_pressure`` (Pa) ends them with a
            release, None: no release.
        kappa, i0, current_density: electrolyte conductivity (S/m), exchange current density
            (A/m²), applied current density (A/m²); temperature in K.
    """
    from solver.case import config
    L = size["length"]
    release = ({"release": True, "release_pressure": release_pressure}
               if release_pressure is not None else {"release": False})
    return config.from_dict({
        "name": name, "seed": seed,
        "surface": {"kind": "self_affine", "nb_grid_pts": [size["grid"], size["grid"]],
                    "physical_sizes": [L, L], "hurst": hurst, "rms_height": rms_height,
                    "short_cutoff": size["short"], "long_cutoff": L},
        "lithium": {"material": "lithium_masias2019", "temperature": temperature},
        "mesh": {"dimension": 2, "cell": "simplex", "degree": 2,
                 "thickness": size["thickness"] * L, "grading": 1.3},
        "press": {"pressures": list(pressures), "hold_times": [0.0] * len(pressures),
                  **release, "steps_per_ramp": 1, "max_pressure_ratio": size["ratio"]},
        "current": {"interface": "li_se", "drive": "current",
                    "current_density": current_density, "electrolyte_conductivity": kappa,
                    "exchange_current_density": i0, "alpha_a": 0.5, "alpha_c": 0.5},
        "output": {"plots": False, "fields": False, "heights": False},
    })


def run_cycle(case, comm) -> list[dict]:
    """Press + current stages in a temporary run folder; one row per converged step:
    ``phase``, mean pressure ``p`` (Pa), contact fraction ``A`` (the FE face's) and ``A_grid``
    (the surface grid's, which the current stage conducts through), ``spots``, ``asr`` (Ω m²;
    ``inf`` where no current flows)."""
    import shutil
    import tempfile

    from solver.run.pipeline import run_case

    tmp = tempfile.mkdtemp(prefix="lamina-asr-") if comm.rank == 0 else None
    tmp = comm.bcast(tmp, root=0)
    try:
        res = run_case(case, Path(tmp) / "run", comm)
    finally:
        comm.Barrier()
        if comm.rank == 0:
            shutil.rmtree(tmp, ignore_errors=True)
    press = res["output"]["press"]["steps"]
    cur = res["output"]["current"]["steps"]
    rows = []
    for s, c in zip(press, cur, strict=True):
        asr = c.get("asr_ohm_m2")
        rows.append({"phase": s["phase"], "p": s["mean_pressure"], "A": s["contact_fraction"],
                     "A_grid": s["contact_fraction_grid"], "spots": s.get("n_spots"),
                     "asr": math.inf if asr is None else float(asr)})
    return rows


def at(rows: list[dict], p: float, branch: str) -> dict:
    """The step of ``branch`` ("load" or "release") that ended at target pressure p (Pa)."""
    hits = [r for r in rows if r["phase"] == branch and abs(r["p"] - p) <= 1e-9 * p]
    if not hits:
        raise RuntimeError(f"no {branch} step at {p:g} Pa")
    return hits[-1]


def fall_pressure(load: list[dict], fraction: float, start: int = 0,
                  key: str = "asr") -> float:
    """Pressure (Pa) at which ``row[key]`` of the loading branch first falls to ``fraction`` ×
    its value at row ``start``, log–log interpolated between rows (``nan`` if it never does;
    the rows' values must be > 0 down to the crossing)."""
    target = fraction * load[start][key]
    for a, b in zip(load[start:], load[start + 1:]):
        if b[key] <= target < a[key]:
            t = math.log(a[key] / target) / math.log(a[key] / b[key])
            return math.exp(math.log(a["p"]) + t * math.log(b["p"] / a["p"]))
    return math.nan
