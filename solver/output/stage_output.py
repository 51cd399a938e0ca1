"""What each stage leaves in the run folder: its files and figures, and its part of results.json.

The stages compute (:mod:`solver.simulation`); this module writes what they computed into a
:class:`solver.output.runfolder.RunFolder` and returns the dicts that become ``output.surface``,
``output.press`` and the figure entries of ``output.current`` in ``results.json``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from pathlib import Path

import numpy as np

from solver.case.config import Case
from solver.fem.contact_results import plastic_strain_section
from solver.output import plots, summary_plot
from solver.simulation.press import lithium_law
from solver.simulation.surface import SurfaceResult
from solver.surface.statistics import target_psd


def write_surface(rf, case: Case, surf: SurfaceResult) -> dict:
    """Save the height map and its figures; return the files written. Logs a warning for each
    statistic the statistics' notes flag (an unreliable Hurst fit)."""
    for note in surf.statistics.get("notes", []):
        if note.startswith("hurst:"):
            logging.getLogger("lamina").warning("surface statistics: %s", note)
    files = {}
    if case.output.heights:
        rf.save_array("surface.npy", surf.heights)
        files["heights"] = "surface.npy"
    if case.output.plots:
        rf.save_figure("surface.png", plots.height_map_figure(surf.heights, surf.physical_sizes))
        files["height_map_png"] = "surface.png"
        if surf.psd is not None:
            q, C, fit = surf.psd
            target, label = psd_target(case, surf)
            title = ("Power spectral density" if fit is not None else
                     "Power spectral density (Hurst not fitted: too few modes in the band)")
            rf.save_figure("psd.png", plots.psd_figure(q, C, fit=fit, target=target,
                                                       target_label=label, title=title))
            files["psd_png"] = "psd.png"
    return files


def psd_target(case: Case, surf: SurfaceResult):
    """The spectrum a generated self-affine surface was asked for, binned like its PSD, and its
    legend entry; ``(None, "")`` for other surfaces."""
    s = case.surface
    if s.kind != "self_affine":
        return None, ""
    target = target_psd(s.nb_grid_pts, surf.physical_sizes, s.hurst, rms_height=s.rms_height,
                        rms_slope=s.rms_slope, short_cutoff=s.short_cutoff,
                        long_cutoff=s.long_cutoff, rolloff=s.rolloff,
                        correlation_ratio=s.correlation_ratio,
                        lay_angle=math.radians(s.lay_angle_deg))
    rms = (f"Sq = {s.rms_height * 1e6:.3g} µm" if s.rms_height is not None
           else f"Sdq = {s.rms_slope:.3g}")
    return target, f"target: H = {s.hurst:.2f}, {rms}"


def surface_output(rf, case: Case, surf: SurfaceResult) -> dict:
    """Write the surface stage's files; return its part of the results."""
    return {"statistics": surf.statistics, "files": write_surface(rf, case, surf),
            "nb_grid_pts": list(surf.heights.shape),
            "physical_sizes": list(surf.physical_sizes)}


def press_output(case: Case, setup, rf, cycle, records, wall: float, part: str) -> dict:
    """The press stage's part of results.json (and its figures)."""
    steps = [r.summary() for r in records]
    loaded = [r for r in records if r.phase != "release"]
    peak = max(loaded, key=lambda r: (r.mean_pressure, r.time)) if loaded else records[-1]
    out = {
        "n_steps": len(records),
        "wall_time_s": wall,
        "mesh": {"kind": setup.block.kind, "cells": n_cells(setup.block.mesh),
                 "face_element_size": setup.block.h_lateral,
                 "elements_per_short_cutoff": setup.elements_per_short_cutoff,
                 "thickness": setup.block.thickness},
        "lithium_law": law_parameters(lithium_law(case.lithium)),
        "steps": steps,
        "curve": {"mean_pressure": [r.mean_pressure for r in records],
                  "contact_fraction": [r.contact_fraction for r in records],
                  "void_volume_per_area": [r.void_volume_per_area for r in records],
                  "phase": [r.phase for r in records]},
        "peak": peak.summary(),
        "peak_spot_areas": peak.spots.get("spot_areas", []),
        "files": {"contact_maps": "contact_maps.npz"},
    }
    if records[-1].phase == "release":
        last = records[-1]
        out["after_release"] = {"contact_fraction": last.contact_fraction,
                                "residual_void_volume_per_area": last.void_volume_per_area,
                                "residual_mean_pressure": last.mean_pressure}
    if case.output.fields:
        out["files"].update({"displacement": "displacement.bp", "plastic_strain": "plastic_strain.bp"})
        if part:
            out["files"]["fields_after_restarts"] = sorted(
                p.name for p in Path(rf.path).glob("*_restart*.bp")) if rf.rank == 0 else []
    if case.output.plots:
        out["files"].update(press_figures(rf, cycle, records, peak,
                                         summary="current" not in case.output.stages))
    return out


def law_parameters(params) -> dict:
    """The resolved constitutive parameters (case values over the material file), SI units, as
    ``{"law": class name, field: value, ...}`` with nested parameter objects flattened by prefix
    (``plastic_sigma_y``, ``creep_A``, …), so that a result says which lithium it was computed with
    (e.g. ``plastic_intrinsic_length``, m)."""
    out = {"law": type(params).__name__}

    def walk(obj, prefix):
        for f in dataclasses.fields(obj):
            v = getattr(obj, f.name)
            if dataclasses.is_dataclass(v):
                walk(v, f"{prefix}{f.name}_")
            else:
                out[f"{prefix}{f.name}"] = v

    walk(params, "")
    return out


def n_cells(mesh) -> int:
    """Cells of a distributed mesh, all ranks."""
    imap = mesh.topology.index_map(mesh.topology.dim)
    return int(imap.size_global)


def press_figures(rf, cycle, records, peak, summary: bool = False) -> dict:
    """The press stage's figures (peak step maps, A_r(p̄), plastic strain section, and with
    ``summary`` the summary figure without current); their files."""
    maps = cycle.maps
    files = step_map_figures(rf, maps, peak.index, peak.contact_fraction)
    files.update(area_figure(rf, records))
    sec = plastic_strain_section(cycle.cp, cycle.setup.physical_sizes, cycle.setup.block.h_lateral)
    if sec is not None:
        pts, vals, title = sec
        last = records[-1]
        title = f"{title}\nafter {plots.step_label(last.index, last.phase, last.mean_pressure)}"
        rf.save_figure("plastic_strain_section.png", plots.section_figure(pts * 1e6, vals, title))
        files["plastic_strain_section_png"] = "plastic_strain_section.png"
    if summary:
        curve = {"p": [r.mean_pressure for r in records], "y": [r.contact_fraction for r in records],
                 "phase": [r.phase for r in records], "ylabel": "A_r / A0"}
        files.update(summary_figure(rf, maps, curve))
    return files


def step_map_figures(rf, maps, k: int, contact_fraction: float | None = None) -> dict:
    """Contact, gap (and in 3D pressure) of step ``k`` on the surface grid, each titled with its
    step: images in 3D, profiles in 2D; their files. ``contact_fraction``: the step's A_r/A0 as
    results.json reports it (default: the in-contact share of the grid)."""
    step = plots.step_label(k, maps.phase[k], maps.mean_pressure[k])
    sizes = maps.physical_sizes
    c, p, g = (np.asarray(a[k]) for a in (maps.in_contact, maps.pressure, maps.gap))
    area = f"A_r/A0 = {c.mean() if contact_fraction is None else contact_fraction:.1%}"
    files = {"contact_map_png": "contact_map.png", "gap_map_png": "gap_map.png"}
    if maps.heights.shape[1] > 1:
        rf.save_figure("contact_map.png", plots.contact_map_figure(
            c, sizes, title=f"Contact, {step}\n{area}", pressure=p))
        rf.save_figure("gap_map.png", plots.field_map_figure(
            g * 1e6, sizes, "gap", "µm", title=f"Gap, {step}"))
        rf.save_figure("pressure_map.png", plots.field_map_figure(
            p / 1e6, sizes, "contact pressure", "MPa", title=f"Contact pressure, {step}"))
        files["pressure_map_png"] = "pressure_map.png"
    else:
        rf.save_figure("contact_map.png", plots.profile_figure(
            maps.x, p[:, 0] / 1e6, "contact pressure (MPa)", f"Contact, {step}\n{area}",
            in_contact=c[:, 0], reference={"applied p̄": maps.mean_pressure[k] / 1e6}))
        rf.save_figure("gap_map.png", plots.profile_figure(
            maps.x, g[:, 0] * 1e6, "gap (µm)", f"Gap, {step}", in_contact=c[:, 0]))
    return files


def area_figure(rf, records) -> dict:
    """A_r/A0 against p̄, the release branch starting from the last loaded point; its file."""
    rf.save_figure("area_pressure.png", plots.press_cycle_figure(
        [r.mean_pressure for r in records], [r.contact_fraction for r in records],
        [r.phase for r in records], "A_r / A0", "Real contact area along the press cycle"))
    return {"area_pressure_png": "area_pressure.png"}


def last_loaded_step(phases, usable=None) -> int | None:
    """Index of the last step not in the release (and ``usable``, when given), or None."""
    ks = [k for k, ph in enumerate(phases) if ph != "release" and (usable is None or usable[k])]
    return ks[-1] if ks else None


def summary_figure(rf, maps, curve: dict, current=None, k: int | None = None) -> dict:
    """``summary.png``: surface | contact pressure | current density (when given) at step ``k``
    (default: the last loaded step) and ``curve`` along the press cycle; its file."""
    k = last_loaded_step(maps.phase) if k is None else k
    if k is None:
        return {}
    step = plots.step_label(k, maps.phase[k], maps.mean_pressure[k])
    fig = summary_plot.summary_figure(maps.heights, maps.physical_sizes, maps.pressure[k],
                                      maps.in_contact[k], step, curve,
                                      current=None if current is None else current[k])
    rf.save_figure("summary.png", fig)
    return {"summary_png": "summary.png"}


def current_figures(rf, setup, steps, jm, peak, maps=None) -> dict:
    """The current stage's figures (current map at the peak step, ASR and hotspots against p̄,
    and with the contact ``maps`` the summary figure); their files."""
    k = peak["step"]
    step = plots.step_label(k, peak["phase"], peak["mean_pressure"])
    sizes = setup.physical_sizes
    if jm.shape[2] > 1:
        fig = plots.field_map_figure(jm[k] / 10.0, sizes, "current density", "mA/cm²",
                                     title=f"Current density, {step}")
    else:
        applied = peak.get("current_density_A_per_m2")  # signed (Cu|SE: < 0); jm: drive direction
        fig = plots.profile_figure(
            np.arange(jm.shape[1]) * sizes[0] / jm.shape[1], jm[k][:, 0] / 10.0,
            "current density (mA/cm²)", f"Current density, {step}",
            in_contact=None if maps is None else np.asarray(maps.in_contact[k])[:, 0],
            reference=None if applied is None else {"applied mean": abs(applied) / 10.0})
    rf.save_figure("current_map.png", fig)
    files = {"current_map_png": "current_map.png"}
    ok = [r for r in steps if r.get("asr_ohm_m2") is not None]
    for key, name, label, title in (
            ("asr_ohm_cm2", "asr_pressure.png", "ASR (Ω·cm²)", "Area-specific resistance"),
            ("j_max_over_mean", "hotspot_pressure.png", "j_max / j_mean", "Current hotspots")):
        rf.save_figure(name, plots.press_cycle_figure(
            [r["mean_pressure"] for r in ok], [r[key] for r in ok], [r["phase"] for r in ok],
            label, f"{title} along the press cycle", logy=True))
        files[name.removesuffix(".png") + "_png"] = name
    if maps is not None:
        usable = [r.get("asr_ohm_m2") is not None for r in steps]
        curve = {"p": [r["mean_pressure"] for r in ok], "y": [r["asr_ohm_cm2"] for r in ok],
                 "phase": [r["phase"] for r in ok], "ylabel": "ASR (Ω·cm²)", "logy": True}
        files.update(summary_figure(rf, maps, curve, current=jm,
                                    k=last_loaded_step(maps.phase, usable)))
    return files
