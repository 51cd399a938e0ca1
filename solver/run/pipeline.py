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

from solver.case import config as cfgmod
from solver.case.config import Case, SurfaceConfig
from solver.errors import Checkpointed, InputError
from solver.fem import contact_results
from solver.simulation.surface import SurfaceResult, build_heights, surface_stage

log = logging.getLogger("lamina")


def write_surface(rf, case: Case, surf: SurfaceResult) -> dict:
    """Save the height map and its figures; return the files written."""
    files = {}
    if case.output.heights:
        rf.save_array("surface.npy", surf.heights)
        files["heights"] = "surface.npy"
    if case.output.plots:
        from solver.output import plots
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


def case_results(case: Case, output: dict, comm, t0: float, started: float, argv) -> dict:
    """``{"input", "output", "provenance"}`` of a run (``t0``: its ``perf_counter`` start)."""
    from solver.output.provenance import provenance
    return {"input": cfgmod.to_dict(case), "output": output,
            "provenance": provenance(seed=case.seed, mpi_size=1 if comm is None else comm.size,
                                     wall_time_s=time.perf_counter() - t0, started=started,
                                     argv=argv)}


def run_case(case: Case, out: str | Path, comm=None, argv: list[str] | None = None,
             stages: tuple[str, ...] | None = None, progress: bool = False,
             stop=None) -> dict:
    """Run a case into the run folder ``out`` and return its results dict.

    A checkpoint left in ``out`` by an earlier, stopped run of the same case is continued (the
    press cycle and the current stage resume after their last completed step; the surface and
    the meshes are rebuilt, deterministically).

    Args:
        stages: stages to run (default: ``case.output.stages``).
        stop: a :class:`solver.run.stop.StopRequest`; when it fires between two steps, a
            checkpoint is written and :class:`solver.errors.Checkpointed` raised.

    Raises:
        InputError: bad input (also: a checkpoint of this case written on another number of
            ranks); raised before anything is written.
        SolveError: a solve failed; the folder is marked FAILED.
        Checkpointed: stopped on request with a checkpoint; the folder is neither DONE nor
            FAILED.
    """
    from solver.output.checkpoint import remove_checkpoint
    from solver.output.runfolder import RunFolder
    stages = tuple(case.output.stages if stages is None else stages)
    started = time.time()
    t0 = time.perf_counter()
    # Every input check runs before the folder is touched.
    surf = surface_stage(case)
    press_setup = None
    if "press" in stages:
        from solver.simulation import press
        from solver.fem.backend import comm_world

        comm = comm_world() if comm is None else comm
        press.lithium_law(case.lithium)
        press_setup = press.build_setup(case, surf.heights, surf.physical_sizes, comm)
    current_problem = None
    if "current" in stages:
        current_problem = build_current_problem(case, press_setup, comm)
    resume, stale = _find_checkpoint(case, out, comm) if press_setup is not None else (None, False)
    rf = RunFolder(out, comm)
    rf.begin(cfgmod.to_toml(case))
    if stale:
        remove_checkpoint(rf)
    stage = "surface"
    try:
        output = {"stages_completed": ["surface"], "surface": surface_output(rf, case, surf)}
        if press_setup is not None:
            stage = "press"
            ck = _Checkpointer(case, rf, comm, stop, resume)
            output["press"], cycle = press_stage(case, press_setup, rf, comm, progress, ck)
            output["stages_completed"].append("press")
        if current_problem is not None:
            stage = "current"
            try:
                output["current"] = current_stage(case, press_setup, cycle, current_problem,
                                                  rf, ck)
            finally:
                current_problem.close()
            output["stages_completed"].append("current")
        if press_setup is not None and ck.restarts:
            output["restarts"] = ck.restarts
        results = case_results(case, output, comm, t0, started, argv)
        rf.finish(results)
        if press_setup is not None:
            remove_checkpoint(rf)
    except Checkpointed:
        raise
    except Exception as e:
        _mark_failed(rf, e, stage)
        raise
    return results


def _mark_failed(rf, e: Exception, stage: str) -> None:
    """Mark the run folder FAILED in ``stage``: "input error" for bad input (the message goes
    to stderr as the one-line error), the exception otherwise."""
    rf.fail("input error" if isinstance(e, InputError) else f"{type(e).__name__}: {e}", stage)


def _find_checkpoint(case: Case, out, comm):
    """(checkpoint folder to continue or None, whether a stale one must be removed)."""
    from solver.run import stop as checkpoint
    from solver.output.checkpoint import checkpoint_folder, read_checkpoint_state
    folder = checkpoint_folder(out)
    if folder is None:
        return None, False
    state = read_checkpoint_state(folder)
    if state.get("case_sha256") != checkpoint.case_digest(cfgmod.to_toml(case)):
        log.warning("run folder %s: its checkpoint belongs to another case (changed case file); "
                    "starting afresh", out)
        return None, True
    size = 1 if comm is None else comm.size
    if int(state.get("mpi_size", -1)) != size:
        raise InputError(f"--out '{out}': holds a checkpoint written on {state.get('mpi_size')} "
                         f"rank(s), this run has {size}; continue it with mpiexec -n "
                         f"{state.get('mpi_size')} (or delete {folder} to start afresh)")
    return folder, False


class _Checkpointer:
    """Between two steps: ask the StopRequest, and if it fires write a checkpoint and stop.

    The checkpoint holds the press cycle's state (see :meth:`solver.simulation.press.PressCycle.state`)
    and, once the current stage has begun, its completed rows and current maps.
    """

    def __init__(self, case: Case, rf, comm, stop, resume):
        from solver.run import stop as checkpoint
        from solver.output.checkpoint import read_checkpoint_state
        self.case, self.rf, self.comm, self.stop = case, rf, comm, stop
        self.digest = checkpoint.case_digest(cfgmod.to_toml(case))
        self.folder = resume
        self.state = read_checkpoint_state(resume) if resume is not None else None
        self.restarts = list(self.state.get("restarts", [])) if self.state else []
        if self.state:
            self.restarts.append({"stage": self.state["stage"], "step": self.state["step"],
                                  "reason": self.state["reason"],
                                  "written": self.state.get("written")})
            log.info("continuing from the checkpoint in %s (%s stage, after step %d, stopped by "
                     "%s)", resume, self.state["stage"], self.state["step"], self.state["reason"])

    def restore_press(self, cycle) -> dict | None:
        """Put the cycle back to the checkpoint (if any); return its position."""
        if self.state is None:
            return None
        from solver.output.checkpoint import read_checkpoint_arrays
        dist, self.replicated = read_checkpoint_arrays(self.folder, self.comm,
                                                      cycle.local_sizes())
        cycle.restore(self.state, dist, self.replicated)
        return self.state["position"]

    def current_resume(self) -> tuple[list, list]:
        """Completed rows and current maps of the current stage at the checkpoint."""
        if self.state is None or self.state["stage"] != "current":
            return [], []
        jm = self.replicated["current_density"]
        return list(self.state["current_rows"]), [jm[k] for k in range(jm.shape[0])]

    def __call__(self, cycle, stage: str = "press", rows=None, jmaps=None) -> None:
        if self.stop is None:
            return
        self.stop.step_done()
        reason = self.stop.should_stop()
        if reason is None:
            return
        from solver.output.checkpoint import write_checkpoint
        scalars, dist, rep = cycle.state()
        step = len(cycle.records) - 1 if stage == "press" else len(rows) - 1
        scalars.update(case_sha256=self.digest, stage=stage, step=step, reason=reason,
                       restarts=self.restarts)
        if stage == "current":
            scalars["current_rows"] = rows
            rep = dict(rep, current_density=np.array(jmaps))
        path = write_checkpoint(self.rf, self.comm, scalars, dist, rep)
        raise Checkpointed(f"{reason}: checkpoint after step {step} of the {stage} stage in "
                           f"{path}; run the same command again to continue")


def press_stage(case: Case, setup, rf, comm, progress: bool = False, ck=None) -> dict:
    """Run the press cycle, write its maps, fields and figures; return its results."""
    from solver.output.fields import FieldWriter
    from solver.output.runfolder import save_npz
    from solver.simulation import press
    fields = None
    eps = None
    # After a restart the fields of the earlier steps are in the files of the earlier run.
    part = f"_restart{len(ck.restarts)}" if ck is not None and ck.restarts else ""

    def on_step(rec, cycle):
        nonlocal fields, eps
        if not case.output.fields:
            return
        current = contact_results.equivalent_plastic_strain(cycle.cp)
        if fields is None:
            eps = current.copy()
            eps.name = "equivalent_inelastic_strain"
            fields = [FieldWriter(rf, f"displacement{part}.bp", [cycle.cp.u]),
                      FieldWriter(rf, f"plastic_strain{part}.bp", [eps])]
        eps.x.array[:] = current.x.array
        for w in fields:
            w.write(rec.index)

    cycle = press.PressCycle(case, setup, comm, on_step=on_step,
                             progress=press.text_progress(comm) if progress else None)
    position = ck.restore_press(cycle) if ck is not None else None
    cycle.between_steps = ck
    t0 = time.perf_counter()
    try:
        try:
            records = cycle.run(position)
        finally:
            for w in fields or []:
                w.close()
        wall = time.perf_counter() - t0
        save_npz(rf, "contact_maps.npz", cycle.maps.arrays())
        out = _press_output(case, setup, rf, cycle, records, wall, part)
    finally:
        cycle.cp.close()  # at the same point on every rank (see solver.fem.petsc.destroy_problem)
    return out, cycle


def _press_output(case: Case, setup, rf, cycle, records, wall: float, part: str) -> dict:
    """The press stage's part of results.json (and its figures)."""
    steps = [r.summary() for r in records]
    loaded = [r for r in records if r.phase != "release"]
    peak = max(loaded, key=lambda r: (r.mean_pressure, r.time)) if loaded else records[-1]
    out = {
        "n_steps": len(records),
        "wall_time_s": wall,
        "mesh": {"kind": setup.block.kind, "cells": _n_cells(setup.block.mesh),
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
        out["files"].update(_press_figures(rf, cycle, records, peak))
    return out


def build_current_problem(case: Case, setup, comm):
    """The current-flow problem of the case (checks its input before anything is written).

    Li|Cu reuses the lithium mesh of the press stage (reference geometry); Li|SE and Cu|SE mesh
    the solid electrolyte as a block of the same lateral size and face resolution.
    """
    from solver.fem.potential import CurrentProblem
    from solver.physics.interface import FilmInterface, KineticInterface, Kinetics
    from solver.fem import mesh as geometry
    from solver.physics.electrochemistry import FilmParams
    from solver.case.materials import lithium_conductivity

    c = case.current
    if c.interface == "li_cu":
        sigma = lithium_conductivity(case)
        film = FilmParams(c.film_resistance, p_ref=c.film_reference_pressure or float("inf"),
                          beta=c.film_pressure_exponent, decay_length=c.gap_decay_length)
        return CurrentProblem(setup.block, FilmInterface(sigma, film), prefix="lamina_current_")
    kin = Kinetics(c.exchange_current_density, c.alpha_a, c.alpha_c, case.lithium.temperature,
                   eta_nucleation=c.nucleation_overpotential if c.interface == "cu_se" else 0.0)
    b = setup.block
    t = c.electrolyte_thickness or case.mesh.thickness
    h_max = max(t / 4, b.h_lateral)
    cell = "triangle" if case.mesh.cell == "simplex" else "quadrilateral"
    n_face = tuple(round(L / b.h_lateral) for L in b.lengths)
    if b.kind == "3d":
        se = geometry.lithium_block_3d(comm, b.lengths, t, b.h_face, n_face, case.mesh.grading,
                                       h_max=h_max, cell="tetrahedron" if cell == "triangle"
                                       else "hexahedron")
    else:
        se = geometry.lithium_block_2d(comm, b.lengths[0], t, b.h_face, n_face[0],
                                       case.mesh.grading,
                                       h_max=h_max, cell=cell)
    return CurrentProblem(se, KineticInterface(c.electrolyte_conductivity, kin),
                          prefix="lamina_ionic_")


def current_stage(case: Case, setup, cycle, problem, rf, ck=None) -> dict:
    """ASR, current map and hotspot metrics at every step of the press cycle."""
    from solver.simulation import current
    from solver.output.runfolder import save_npz
    c = case.current
    drive = ({"current_density": c.current_density} if c.drive == "current"
             else {"voltage": c.voltage})
    maps = cycle.maps
    steps, jmaps = ck.current_resume() if ck is not None else ([], [])
    for k in range(len(steps), len(maps.mean_pressure)):
        row = {"step": k, "phase": maps.phase[k], "mean_pressure": maps.mean_pressure[k],
               "time": maps.time[k]}
        if not maps.in_contact[k].any():
            # No conducting contact: the interface is open; recorded, not failed.
            row.update(asr_ohm_m2=None, asr_ohm_cm2=None, no_contact=True)
            jmaps.append(np.zeros_like(maps.pressure[k]))
        else:
            res = current.solve_step(problem, maps, k, j_crit=c.critical_current_density,
                                     heights=setup.grid_heights,
                                     physical_sizes=setup.physical_sizes, **drive)
            row.update(res.summary())
            jmaps.append(res.current_map)
        steps.append(row)
        if ck is not None:
            ck(cycle, "current", steps, jmaps)
    jm = np.array(jmaps)
    save_npz(rf, "current_maps.npz", {"current_density": jm,
                                       "mean_pressure": np.array(maps.mean_pressure),
                                       "phase": np.array(maps.phase, dtype=str)})
    ok = [r for r in steps if r.get("asr_ohm_m2") is not None]
    peak = max(ok, key=lambda r: (r["mean_pressure"], r["time"])) if ok else None
    out = {"interface": c.interface, "drive": c.drive, "steps": steps,
           "curve": {"mean_pressure": [r["mean_pressure"] for r in steps],
                     "phase": [r["phase"] for r in steps],
                     "asr_ohm_cm2": [r.get("asr_ohm_cm2") for r in steps],
                     "j_max_over_mean": [r.get("j_max_over_mean") for r in steps]},
           "peak": peak, "files": {"current_maps": "current_maps.npz"}}
    if case.output.plots and peak is not None:
        out["files"].update(_current_figures(rf, setup, steps, jm, peak))
    return out


def _current_figures(rf, setup, steps, jm, peak) -> dict:
    from solver.output import plots
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


def _n_cells(mesh) -> int:
    imap = mesh.topology.index_map(mesh.topology.dim)
    return int(imap.size_global)


def _press_figures(rf, cycle, records, peak) -> dict:
    from solver.output import plots
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
    sec = _plastic_section(cycle)
    if sec is not None:
        pts, vals, title = sec
        rf.save_figure("plastic_strain_section.png", plots.section_figure(pts * 1e6, vals, title))
        files["plastic_strain_section_png"] = "plastic_strain_section.png"
    return files


def _plastic_section(cycle):
    """Cell centres (lateral, vertical) and equivalent plastic strain in a vertical section."""
    eps = contact_results.equivalent_plastic_strain(cycle.cp)
    mesh = eps.function_space.mesh
    tdim = mesh.topology.dim
    n = mesh.topology.index_map(tdim).size_local
    from solver.fem.backend import import_dolfinx

    dolfinx = import_dolfinx()
    mids = dolfinx.mesh.compute_midpoints(mesh, tdim, np.arange(n, dtype=np.int32))
    vals = eps.x.array[:n] if eps.x.array.size >= n else np.zeros(n)
    if tdim == 3:
        Ly = cycle.setup.physical_sizes[1]
        h = cycle.setup.block.h_lateral
        sel = np.abs(mids[:, 1] - Ly / 2) <= h / 2
        pts, vals = mids[sel][:, [0, 2]], vals[sel]
        title = "Equivalent plastic strain, section y = Ly/2"
    else:
        pts, title = mids[:, :2], "Equivalent plastic strain"
    parts = cycle.comm.gather((pts, vals), root=0)
    if cycle.comm.rank != 0:
        return (np.zeros((0, 2)), np.zeros(0), title)
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), title)


# ---------------------------------------------------------------------------------------------
# The current stage on saved contact maps (``lamina current``)

#: File name of the press stage's contact maps in a run folder.
CONTACT_MAPS_FILE = "contact_maps.npz"

#: Input sections whose change alters the press result but not the surface (the maps' hash
#: cannot see them): a difference is reported, not refused, because reusing maps is the point.
_PRESS_SECTIONS = ("lithium", "mesh", "press")


def run_current_from_maps(case: Case, maps_path: str | Path, out: str | Path, comm=None,
                          argv: list[str] | None = None) -> dict:
    """Re-run the current stage of ``case`` on saved contact maps, without pressing again.

    The case's surface is regenerated (:func:`surface_stage`) and its lithium mesh rebuilt
    (``press.build_setup``: same case, same mesh); the maps must have been made on that surface
    grid (:func:`solver.simulation.contactmap.check_matches`: grid shape, physical sizes (m), SHA-256 of
    the heights). The current problem is built as :func:`run_case` builds it and solved at every
    saved step (:func:`current_stage`), so ``ASR(p̄)`` (Ω·m²) of a film or kinetics variant costs
    the potential solves only. The run folder has the layout of ``lamina run`` without the press
    outputs: ``case.toml``, surface files, ``current_maps.npz``, figures, ``results.json`` with
    ``output.press`` a note of the maps' source, and ``DONE`` last.

    Args:
        case: the case (its ``[current]`` section may differ from the pressed case's).
        maps_path: a run folder holding ``contact_maps.npz``, or such a file.
        out: the run folder to write; must not be the folder of the maps.
        comm: MPI communicator (default: COMM_WORLD).
        argv: the command line, recorded in the provenance.

    Returns:
        The results dict written to ``results.json``.

    Raises:
        InputError: unreadable maps, maps of another surface grid or surface, an inconsistent
            map stack, or a bad case; raised before anything is written.
        SolveError: a current solve failed; the folder is marked FAILED.
    """
    from solver.simulation import contactmap
    from solver.output.runfolder import RunFolder
    from solver.simulation import press
    from solver.fem.backend import comm_world

    started = time.time()
    t0 = time.perf_counter()
    src = Path(maps_path)
    if not src.exists():
        raise InputError(f"--maps '{src}': no such folder or file (allowed: a run folder holding "
                         f"{CONTACT_MAPS_FILE}, or such a file)")
    npz = src / CONTACT_MAPS_FILE if src.is_dir() else src
    label = f"--maps '{npz}'"
    if Path(out).resolve() == npz.resolve().parent:
        # RunFolder.begin would drop the press run's results.json and DONE.
        raise InputError(f"--out '{out}': is the folder of {label}; write the current run to "
                         "another folder")
    data = _load_maps(npz, label)
    surf = surface_stage(case)
    comm = comm_world() if comm is None else comm
    setup = press.build_setup(case, surf.heights, surf.physical_sizes, comm)
    contactmap.check_matches(data, setup.grid_heights, setup.physical_sizes, source=label)
    maps = _maps_from_arrays(data, label)
    problem = build_current_problem(case, setup, comm)
    note = _maps_note(npz, data, case)
    rf = RunFolder(out, comm)
    rf.begin(cfgmod.to_toml(case))
    stage = "surface"
    try:
        output = {"stages_completed": ["surface"], "surface": surface_output(rf, case, surf)}
        output["press"] = note
        stage = "current"
        cycle = _SavedCycle(maps)
        try:
            output["current"] = current_stage(case, setup, cycle, problem, rf)
        finally:
            problem.close()
        output["stages_completed"].append("current")
        results = case_results(case, output, comm, t0, started, argv)
        rf.finish(results)
    except Exception as e:
        _mark_failed(rf, e, stage)
        raise
    return results


@dataclass(frozen=True)
class _SavedCycle:
    """What :func:`current_stage` reads of a press cycle: its contact maps."""

    maps: object


def _load_maps(npz: Path, label: str) -> dict:
    """The arrays of a ``contact_maps.npz``; any unreadable file is one InputError naming it."""
    from solver.simulation import contactmap
    if not npz.is_file():
        raise InputError(f"{label}: no such file (the folder is not a press run's: allowed is a "
                         f"run folder holding {CONTACT_MAPS_FILE}, or such a file)")
    with open(npz, "rb") as f:
        if f.read(4) != b"PK\x03\x04":
            # np.load would try it as a pickle and say so; the user needs to hear what it is not.
            raise InputError(f"{label}: not an .npz (zip) archive (allowed: the "
                             f"{CONTACT_MAPS_FILE} of a press run)")
    try:
        return contactmap.load(npz)
    except InputError as e:
        raise InputError(f"{label}: {str(e).removeprefix(f'contact map {str(npz)!r}: ')}") from None


def _maps_from_arrays(data: dict, label: str):
    """A :class:`solver.simulation.contactmap.ContactMaps` from checked ``contact_maps.npz`` arrays."""
    from solver.simulation import contactmap
    grid = tuple(data["heights"].shape)
    n = len(data["mean_pressure"])
    if n == 0:
        raise InputError(f"{label}: holds no press steps")
    for key in ("pressure", "gap", "in_contact"):
        if data[key].shape != (n, *grid):
            raise InputError(f"{label}: array '{key}' has shape {data[key].shape}, expected "
                             f"{(n, *grid)} ({n} steps on the {grid} grid)")
    for key in ("time", "phase"):
        if data[key].shape != (n,):
            raise InputError(f"{label}: array '{key}' has shape {data[key].shape}, expected ({n},)")
    if data["in_contact"].dtype != np.bool_:
        raise InputError(f"{label}: array 'in_contact' is {data['in_contact'].dtype}, expected bool")
    for key in ("pressure", "gap", "mean_pressure", "time"):
        if not np.all(np.isfinite(data[key])):
            raise InputError(f"{label}: array '{key}' has non-finite values")
    phases = {str(p) for p in data["phase"]}
    if bad := phases - {"load", "hold", "release"}:
        raise InputError(f"{label}: phases {sorted(bad)} (allowed: load, hold, release)")
    Lx, Ly = (float(v) for v in data["physical_sizes"])
    return contactmap.ContactMaps(
        np.asarray(data["x"], dtype=float), np.asarray(data["y"], dtype=float),
        np.asarray(data["heights"], dtype=float), (Lx, Ly), str(data["surface_sha256"]),
        list(data["pressure"]), list(data["gap"]), list(data["in_contact"]),
        [float(v) for v in data["mean_pressure"]], [float(v) for v in data["time"]],
        [str(v) for v in data["phase"]])


def _maps_note(npz: Path, data: dict, case: Case) -> dict:
    """``output.press`` of a current-only run: where the maps came from, and whether the press
    input of their run (``results.json`` beside them, when present) differs from ``case``."""
    import hashlib
    import json

    note = {"from_contact_maps": str(npz.resolve()),
            "file_sha256": hashlib.sha256(npz.read_bytes()).hexdigest(),
            "surface_sha256": str(data["surface_sha256"]),
            "n_steps": int(len(data["mean_pressure"])),
            "note": "press stage not run: contact maps read from the file above"}
    res = npz.parent / "results.json"
    try:
        src_input = json.loads(res.read_text())["input"]
    except (OSError, ValueError, KeyError, TypeError):
        note["source_results"] = None
        return note
    mine = cfgmod.to_dict(case)
    differs = [s for s in _PRESS_SECTIONS if src_input.get(s) != mine.get(s)]
    note["source_results"] = str(res.resolve())
    note["press_input_differs"] = differs
    if differs:
        log.warning("--maps: the run in %s pressed with other [%s] than this case; the maps "
                    "are used as they are", npz.parent, "], [".join(differs))
    return note
