"""What each stage leaves in the run folder: its files and figures, and its part of results.json.

The stages compute (:mod:`solver.simulation`); this module writes what they computed into a
:class:`solver.output.runfolder.RunFolder` and returns the dicts that become ``output.surface``,
``output.press`` and the figure entries of ``output.current`` in ``results.json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from solver.case.config import Case
from solver.fem.contact_results import plastic_strain_section
from solver.output import plots
from solver.simulation.surface import SurfaceResult


def write_surface(rf, case: Case, surf: SurfaceResult) -> dict:
    """Save the height map and its figures; return the files written."""
    files = {}
    if case.output.heights:
        rf.save_array("surface.npy", surf.heights)
        files["heights"] = "surface.npy"
    if case.output.plots:
        rf.save_figure("surface.png", plots.height_map_figure(surf.heights, surf.physical_sizes))
        files["height_map_png"] = "surface.png"
        if surf.psd is not None:
            q, C, fit = surf.psd
            rf.save_figure("psd.png", plots.psd_figure(q, C, fit=fit))
            files["psd_png"] = "psd.png"
    return files


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
        out["files"].update(press_figures(rf, cycle, records, peak))
    return out


def n_cells(mesh) -> int:
    """Cells of a distributed mesh, all ranks."""
    imap = mesh.topology.index_map(mesh.topology.dim)
    return int(imap.size_global)


def press_figures(rf, cycle, records, peak) -> dict:
    """The press stage's figures (peak step maps, A_r(p̄), plastic strain section); their files."""
    maps = cycle.maps
    k = peak.index
    files = {}
    sizes = maps.physical_sizes
    if maps.heights.shape[1] > 1:
        rf.save_figure("contact_map.png", plots.contact_map_figure(
            maps.in_contact[k], sizes, title=f"Contact at p = {peak.mean_pressure / 1e6:.3g} MPa"))
        rf.save_figure("gap_map.png", plots.field_map_figure(
            maps.gap[k] * 1e6, sizes, "gap", "µm", title="Gap at peak pressure"))
        rf.save_figure("pressure_map.png", plots.field_map_figure(
            maps.pressure[k] / 1e6, sizes, "contact pressure", "MPa",
            title="Contact pressure at peak load"))
    else:
        x = maps.x * 1e6
        rf.save_figure("contact_map.png", plots.curve_figure(
            x, {"contact pressure (MPa)": maps.pressure[k][:, 0] / 1e6}, "x (µm)", "MPa",
            "Contact pressure along the profile"))
        rf.save_figure("gap_map.png", plots.curve_figure(
            x, {"gap (µm)": maps.gap[k][:, 0] * 1e6}, "x (µm)", "µm", "Gap along the profile"))
    files.update(contact_map_png="contact_map.png", gap_map_png="gap_map.png")
    load = [r for r in records if r.phase != "release"]
    rel = [r for r in records if r.phase == "release"]
    ys = {"loading / hold": ([r.mean_pressure / 1e6 for r in load], [r.contact_fraction for r in load])}
    fig = plots.curve_figure(ys["loading / hold"][0], {"A_r/A0 (loading, hold)": ys["loading / hold"][1]},
                             "mean pressure (MPa)", "A_r / A0", "Real contact area",
                             reference={"A_r/A0 (release)": ([r.mean_pressure / 1e6 for r in rel],
                                                             [r.contact_fraction for r in rel])}
                             if rel else None)
    rf.save_figure("area_pressure.png", fig)
    files["area_pressure_png"] = "area_pressure.png"
    sec = plastic_strain_section(cycle.cp, cycle.setup.physical_sizes, cycle.setup.block.h_lateral)
    if sec is not None:
        pts, vals, title = sec
        rf.save_figure("plastic_strain_section.png", plots.section_figure(pts * 1e6, vals, title))
        files["plastic_strain_section_png"] = "plastic_strain_section.png"
    return files


def current_figures(rf, setup, steps, jm, peak) -> dict:
    """The current stage's figures (current map at the peak step, ASR and hotspots against p̄)."""
    k = peak["step"]
    sizes = setup.physical_sizes
    if jm.shape[2] > 1:
        fig = plots.field_map_figure(jm[k] / 10.0, sizes, "current density", "mA/cm²",
                                     title=f"Current density at p = {peak['mean_pressure'] / 1e6:.3g} MPa")
    else:
        fig = plots.curve_figure(np.arange(jm.shape[1]) * sizes[0] / jm.shape[1] * 1e6,
                                 {"j (mA/cm²)": jm[k][:, 0] / 10.0}, "x (µm)", "mA/cm²",
                                 "Current density along the profile")
    rf.save_figure("current_map.png", fig)
    files = {"current_map_png": "current_map.png"}
    ok = [r for r in steps if r.get("asr_ohm_m2") is not None]
    for key, name, label in (("asr_ohm_cm2", "asr_pressure.png", "ASR (Ω·cm²)"),
                             ("j_max_over_mean", "hotspot_pressure.png", "j_max / j_mean")):
        load = [r for r in ok if r["phase"] != "release"]
        rel = [r for r in ok if r["phase"] == "release"]
        fig = plots.curve_figure([r["mean_pressure"] / 1e6 for r in load],
                                 {f"{label}, loading/hold": [r[key] for r in load]},
                                 "mean pressure (MPa)", label, f"{label} along the press cycle",
                                 logy=True,
                                 reference={f"{label}, release": ([r["mean_pressure"] / 1e6 for r in rel],
                                                                  [r[key] for r in rel])} if rel else None)
        rf.save_figure(name, fig)
        files[name.removesuffix(".png") + "_png"] = name
    return files
