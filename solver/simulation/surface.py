"""The counter-surface of one case in memory: generated or imported heights and their statistics.

Builds what the case's ``[surface]`` asks for (:mod:`solver.surface`) on every rank identically;
writes nothing (the run folder's files are :mod:`solver.output`'s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from solver.case.config import Case, SurfaceConfig
from solver.checks import check_memory
from solver.errors import InputError
from solver.surface import measured as topography
from solver.surface import statistics
from solver.surface import synthesis as surface


@dataclass(frozen=True)
class SurfaceResult:
    """The counter-surface of a case: heights (m) on the periodic grid and their statistics."""

    heights: np.ndarray
    physical_sizes: tuple[float, float]
    periodic: bool
    statistics: dict
    psd: tuple  # (q, C, fit dict) for the PSD figure


#: Bytes per grid point the surface stage needs at its peak (heights, spectrum, statistics).
BYTES_PER_GRID_POINT = 96


def build_heights(s: SurfaceConfig, seed: int) -> tuple[np.ndarray, tuple[float, float], bool]:
    """Heights (m), physical sizes (m) and periodicity of the surface a case asks for."""
    nb, sizes = s.nb_grid_pts, s.physical_sizes
    if s.kind != "measured":
        check_memory(nb[0] * nb[1] * BYTES_PER_GRID_POINT,
                     f"surface.nb_grid_pts = [{nb[0]}, {nb[1]}] ({nb[0] * nb[1]} points)")
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
        # unit and physical_sizes: required for plain matrices, else the file's win (readers)
        hm = topography.load_measured(
            s.file, unit=s.unit, physical_sizes=s.physical_sizes, fmt=s.format,
            detrend_mode=s.detrend, crop_box=s.crop, nb_grid_pts=s.resample_to)
        return hm.heights, tuple(hm.physical_sizes), False
    raise InputError(f"surface.kind = {s.kind!r}: not supported")


def surface_stage(case: Case) -> SurfaceResult:
    """Generate or import the surface and compute its statistics (identical on every rank)."""
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
    try:
        q, C, fit = statistics.psd_and_fit(h, sizes, short_cutoff=short, long_cutoff=long_,
                                           periodic=periodic)
    except InputError:  # no fit band (said in the statistics' notes): the spectrum alone
        q, C = statistics.radial_psd(h, sizes, periodic=periodic)
        fit = None
    return SurfaceResult(h, sizes, periodic, stats, (q, C, fit))
