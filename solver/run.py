"""One case from config to run folder: ``run_case(case, out, comm)``.

Stages, in order: surface (generate or import the counter-surface, statistics). The press cycle
and the current-flow stages join here as they are built. Every input check that can fail (the case,
the surface file) runs before the run folder is touched; a stage that fails afterwards marks the
folder FAILED and leaves no results.json.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from solver import config as cfgmod
from solver.config import Case, SurfaceConfig
from solver.errors import InputError

log = logging.getLogger("lamina")


@dataclass(frozen=True)
class SurfaceResult:
    """The counter-surface of a case: heights (m) on the periodic grid and their statistics."""

    heights: np.ndarray
    physical_sizes: tuple[float, float]
    periodic: bool
    statistics: dict
    psd: tuple  # (q, C, fit dict) for the PSD figure


def build_heights(s: SurfaceConfig, seed: int) -> tuple[np.ndarray, tuple[float, float], bool]:
    """Heights (m), physical sizes (m) and periodicity of the surface a case asks for."""
    from solver import surface

    nb, sizes = s.nb_grid_pts, s.physical_sizes
    if s.kind == "self_affine":
        h = surface.self_affine(
            nb, sizes, s.hurst, rms_height=s.rms_height, rms_slope=s.rms_slope,
            short_cutoff=s.short_cutoff, long_cutoff=s.long_cutoff, rolloff=s.rolloff,
            correlation_ratio=s.correlation_ratio, lay_angle=math.radians(s.lay_angle_deg),
            seed=seed)
        if (s.skewness, s.kurtosis) != (0.0, 3.0):
            h = surface.non_gaussian(h, s.skewness, s.kurtosis)
        return h, sizes, True
    if s.kind == "flat":
        return surface.flat(nb, sizes), sizes, True
    if s.kind == "sinusoid_1d":
        return surface.sinusoid_1d(nb, sizes, s.amplitude, s.wavelength), sizes, True
    if s.kind == "sinusoid_2d":
        return surface.sinusoid_2d(nb, sizes, s.amplitude, s.wavelength), sizes, True
    if s.kind == "paraboloid":
        return surface.paraboloid(nb, sizes, s.radius), sizes, False
    if s.kind == "measured":
        from solver import topography

        if s.unit is None:
            raise InputError(f"surface.unit: required for kind = 'measured' (allowed: "
                             f"{', '.join(topography.UNITS)})")
        hm = topography.load_measured(
            s.file, unit=s.unit, physical_sizes=s.physical_sizes, fmt=s.format,
            detrend_mode=s.detrend, crop_box=s.crop, nb_grid_pts=s.resample_to)
        return hm.heights, tuple(hm.physical_sizes), False
    raise InputError(f"surface.kind = {s.kind!r}: not supported")


def surface_stage(case: Case) -> SurfaceResult:
    """Generate or import the surface and compute its statistics (identical on every rank)."""
    from solver import statistics

    s = case.surface
    h, sizes, periodic = build_heights(s, case.seed)
    if s.kind == "flat" or float(np.ptp(h)) == 0.0:
        stats = statistics.height_moments(h) if float(np.ptp(h)) > 0 else {"Sq": 0.0, "Sa": 0.0, "Sz": 0.0}
        return SurfaceResult(h, sizes, periodic, stats, None)
    short = s.short_cutoff if s.kind == "self_affine" else None
    long_ = s.long_cutoff if s.kind == "self_affine" else None
    flat_cut = case.statistics.flatness_cutoff or long_ or 0.25 * min(sizes)
    stats = statistics.surface_statistics(h, sizes, short_cutoff=short, long_cutoff=long_,
                                          flatness_cutoff=flat_cut, periodic=periodic)
    q, C, fit = statistics.psd_and_fit(h, sizes, short_cutoff=short, long_cutoff=long_,
                                       periodic=periodic)
    return SurfaceResult(h, sizes, periodic, stats, (q, C, fit))


def write_surface(rf, case: Case, surf: SurfaceResult) -> dict:
    """Save the height map and its figures; return the files written."""
    files = {}
    if case.output.heights:
        rf.save_array("surface.npy", surf.heights)
        files["heights"] = "surface.npy"
    if case.output.plots:
        from solver import plots

        rf.save_figure("surface.png", plots.height_map_figure(surf.heights, surf.physical_sizes))
        files["height_map_png"] = "surface.png"
        if surf.psd is not None:
            q, C, fit = surf.psd
            rf.save_figure("psd.png", plots.psd_figure(q, C, fit=fit))
            files["psd_png"] = "psd.png"
    return files


def run_case(case: Case, out: str | Path, comm=None, argv: list[str] | None = None,
             stages: tuple[str, ...] = ("surface",)) -> dict:
    """Run a case into the run folder ``out`` and return its results dict.

    Raises:
        InputError: bad input; raised before anything is written.
    """
    from solver import io

    started = time.time()
    t0 = time.perf_counter()
    surf = surface_stage(case)  # input errors surface here, before the folder is touched
    rf = io.RunFolder(out, comm)
    rf.begin(cfgmod.to_toml(case))
    stage = "surface"
    try:
        output = {"stages_completed": [], "surface": {"statistics": surf.statistics}}
        output["surface"]["files"] = write_surface(rf, case, surf)
        output["surface"]["nb_grid_pts"] = list(surf.heights.shape)
        output["surface"]["physical_sizes"] = list(surf.physical_sizes)
        output["stages_completed"].append("surface")
        # The press cycle and current-flow stages are appended here as they are implemented.
        results = {
            "input": cfgmod.to_dict(case),
            "output": output,
            "provenance": io.provenance(
                seed=case.seed, mpi_size=1 if comm is None else comm.size,
                wall_time_s=time.perf_counter() - t0, started=started, argv=argv),
        }
        rf.finish(results)
    except InputError:
        rf.fail("input error", stage)
        raise
    except Exception as e:
        rf.fail(f"{type(e).__name__}: {e}", stage)
        raise
    return results
