"""One case from config to run folder: ``run_case(case, out, comm)``.

Stages, in order: surface (generate or import the counter-surface, statistics), press (the press
cycle, contact maps), current (ASR and current maps on every press step). Every input check that
can fail (the case, the surface file, the meshes) runs before the run folder is touched; a stage
that fails afterwards marks the folder FAILED and leaves no results.json. The stages compute in
:mod:`solver.simulation`; their files are written by :mod:`solver.output.stage_output`;
checkpoints by :mod:`solver.run.checkpointing`.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from solver.case import config as cfgmod
from solver.case.config import Case
from solver.errors import Checkpointed, InputError, WriteError, os_reason
from solver.fem import contact_results
from solver.fem.backend import comm_world
from solver.output import stage_output
from solver.output.checkpoint import remove_checkpoint
from solver.output.fields import FieldWriter, close_all
from solver.output.provenance import provenance
from solver.output.runfolder import RunFolder, save_npz
from solver.output.runlock import check_reuse
from solver.run.checkpointing import Checkpointer, find_checkpoint
from solver.simulation import current, press
from solver.simulation.surface import surface_stage

log = logging.getLogger("lamina")


def case_results(case: Case, output: dict, comm, t0: float, started: float, argv) -> dict:
    """``{"input", "output", "provenance"}`` of a run (``t0``: its ``perf_counter`` start)."""
    return {"input": cfgmod.input_echo(case), "output": output,
            "provenance": provenance(seed=case.seed, mpi_size=1 if comm is None else comm.size,
                                     wall_time_s=time.perf_counter() - t0, started=started,
                                     argv=argv)}


def run_case(case: Case, out: str | Path, comm=None, argv: list[str] | None = None,
             stages: tuple[str, ...] | None = None, progress: bool = False,
             stop=None, overwrite: bool = False) -> dict:
    """Run a case into the run folder ``out`` and return its results dict.

    A checkpoint left in ``out`` by an earlier, stopped run of the same case is continued (the
    press cycle and the current stage resume after their last completed step; the surface and
    the meshes are rebuilt, deterministically).

    Args:
        stages: stages to run (default: ``case.output.stages``).
        stop: a :class:`solver.run.stop.StopRequest`; when it fires between two steps, a
            checkpoint is written and :class:`solver.errors.Checkpointed` raised.
        overwrite: clear ``out`` first; without it a complete run folder (``DONE``) is
            refused (:mod:`solver.output.runlock`). The folder is locked while the case runs.

    Raises:
        InputError: bad input (also: a checkpoint of this case written on another number of
            ranks); raised before anything is written.
        SolveError: a solve failed; the folder is marked FAILED.
        Checkpointed: stopped on request with a checkpoint; the folder is neither DONE nor
            FAILED.
    """
    stages = tuple(case.output.stages if stages is None else stages)
    started = time.time()
    t0 = time.perf_counter()
    # Every input check runs before the folder is touched.
    check_reuse(out, overwrite)
    surf = surface_stage(case)
    press_setup = None
    if "press" in stages:
        comm = comm_world() if comm is None else comm
        press.lithium_law(case.lithium)
        press.check_solver_options()
        press_setup = press.build_setup(case, surf.heights, surf.physical_sizes, comm)
    current_problem = None
    if "current" in stages:
        current_problem = current.build_current_problem(case, press_setup, comm)
    resume, stale = (find_checkpoint(case, out, comm) if press_setup is not None and not overwrite
                     else (None, False))
    rf = RunFolder(out, comm)
    rf.begin(cfgmod.to_toml(case), lock=True, overwrite=overwrite)
    if stale:
        remove_checkpoint(rf)
    stage = "surface"
    try:
        output = {"stages_completed": ["surface"], "surface": stage_output.surface_output(rf, case, surf)}
        if press_setup is not None:
            stage = "press"
            if stop is not None:
                stop.arm()  # Ctrl-C now checkpoints after the current step
            ck = Checkpointer(case, rf, comm, stop, resume)
            output["press"], cycle = press_stage(case, press_setup, rf, comm, progress, ck)
            output["stages_completed"].append("press")
        if current_problem is not None:
            stage = "current"
            try:
                output["current"] = current_stage(case, press_setup, cycle, current_problem,
                                                  rf, ck, progress)
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
    except OSError as e:  # a full disk, a quota, a folder removed under the run
        mark_failed(rf, e, stage)
        raise WriteError(f"{stage} stage: cannot write {os_reason(e)}; the run folder "
                         f"'{out}' is marked FAILED") from e
    except Exception as e:
        mark_failed(rf, e, stage)
        raise
    finally:
        rf.release()
    return results


def mark_failed(rf, e: Exception, stage: str) -> None:
    """Mark the run folder FAILED in ``stage``: "input error" for bad input (the message goes
    to stderr as the one-line error), the exception otherwise."""
    rf.fail("input error" if isinstance(e, InputError) else f"{type(e).__name__}: {e}", stage)


def press_stage(case: Case, setup, rf, comm, progress: bool = False, ck=None) -> dict:
    """Run the press cycle, write its maps, fields and figures; return its results."""
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
        except BaseException:
            close_all(fields or [], failing=True)
            raise
        close_all(fields or [], failing=False)
        wall = time.perf_counter() - t0
        save_npz(rf, "contact_maps.npz", cycle.maps.arrays())
        out = stage_output.press_output(case, setup, rf, cycle, records, wall, part)
    finally:
        cycle.cp.close()  # at the same point on every rank (see solver.fem.petsc.destroy_problem)
    return out, cycle


def asr_text(row: dict) -> str:
    """The ASRs of one current step for a log line: dc and small-signal (Ω·cm²)."""
    asr = row.get("asr_ohm_cm2")
    if asr is None:
        return "no contact"
    ss = row.get("asr_small_signal_ohm_cm2")
    return f"ASR = {asr:.6g} Ohm cm^2" + ("" if ss is None else
                                           f"  small-signal ASR = {ss:.6g} Ohm cm^2")


def current_stage(case: Case, setup, cycle, problem, rf, ck=None, progress: bool = False) -> dict:
    """ASR, current map and hotspot metrics at every step of the press cycle (with
    ``progress``, one log line per step)."""
    c = case.current
    drive = current.signed_drive(case)  # Cu|SE: negative, plating onto the collector
    maps = cycle.maps
    steps, jmaps = ck.current_resume() if ck is not None else ([], [])
    for k in range(len(steps), len(maps.mean_pressure)):
        row = {"step": k, "phase": maps.phase[k], "mean_pressure": maps.mean_pressure[k],
               "time": maps.time[k]}
        if not maps.in_contact[k].any():
            # No conducting contact: the interface is open; recorded, not failed.
            row.update(asr_ohm_m2=None, asr_ohm_cm2=None, asr_small_signal_ohm_m2=None,
                       asr_small_signal_ohm_cm2=None, no_contact=True)
            jmaps.append(np.zeros_like(maps.pressure[k]))
        else:
            res = current.solve_step(problem, maps, k, j_crit=c.critical_current_density,
                                     heights=setup.grid_heights,
                                     physical_sizes=setup.physical_sizes, **drive)
            row.update(res.summary())
            jmaps.append(res.current_map)
        steps.append(row)
        if progress:
            log.info("current [%d/%d] p = %.4g MPa %s", k + 1, len(maps.mean_pressure),
                     row["mean_pressure"] / 1e6, asr_text(row))
        if ck is not None:
            ck(cycle, "current", steps, jmaps)
    jm = np.array(jmaps)
    save_npz(rf, "current_maps.npz", {"current_density": jm,
                                       "mean_pressure": np.array(maps.mean_pressure),
                                       "phase": np.array(maps.phase, dtype=str)})
    ok = [r for r in steps if r.get("asr_ohm_m2") is not None]
    peak = max(ok, key=lambda r: (r["mean_pressure"], r["time"])) if ok else None
    out = {"interface": c.interface, "drive": c.drive, **current.stage_notes(case),
           "steps": steps,
           "curve": {"mean_pressure": [r["mean_pressure"] for r in steps],
                     "phase": [r["phase"] for r in steps],
                     "asr_ohm_cm2": [r.get("asr_ohm_cm2") for r in steps],
                     "asr_small_signal_ohm_cm2": [r.get("asr_small_signal_ohm_cm2")
                                                  for r in steps],
                     "j_max_over_mean": [r.get("j_max_over_mean") for r in steps]},
           "peak": peak, "files": {"current_maps": "current_maps.npz"}}
    if case.output.plots and peak is not None:
        out["files"].update(stage_output.current_figures(rf, setup, steps, jm, peak,
                                                            maps))
    return out


