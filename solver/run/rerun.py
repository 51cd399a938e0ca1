"""``lamina current``: the current stage of a case re-run on saved contact maps, without pressing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from solver.case import config as cfgmod
from solver.case.config import Case
from solver.errors import InputError
from solver.fem.backend import comm_world
from solver.output.runfolder import RunFolder
from solver.output.runlock import check_reuse
from solver.output.stage_output import surface_output
from solver.run.pipeline import case_results, current_stage, mark_failed
from solver.simulation import contactmap, current, press
from solver.simulation.contactmap import CONTACT_MAPS_FILE
from solver.simulation.surface import surface_stage

log = logging.getLogger("lamina")

#: Input sections whose change alters the press result but not the surface (the maps' hash
#: cannot see them): a difference is reported, not refused, because reusing maps is the point.
_PRESS_SECTIONS = ("lithium", "mesh", "press")


def run_current_from_maps(case: Case, maps_path: str | Path, out: str | Path, comm=None,
                          argv: list[str] | None = None, overwrite: bool = False) -> dict:
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
        overwrite: clear ``out`` first; without it a complete run folder is refused.

    Returns:
        The results dict written to ``results.json``.

    Raises:
        InputError: unreadable maps, maps of another surface grid or surface, an inconsistent
            map stack, or a bad case; raised before anything is written.
        SolveError: a current solve failed; the folder is marked FAILED.
    """
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
    check_reuse(out, overwrite)
    data = contactmap.read_arrays(npz, label)
    surf = surface_stage(case)
    comm = comm_world() if comm is None else comm
    setup = press.build_setup(case, surf.heights, surf.physical_sizes, comm)
    contactmap.check_matches(data, setup.grid_heights, setup.physical_sizes, source=label)
    maps = contactmap.ContactMaps.from_arrays(data, label)
    problem = current.build_current_problem(case, setup, comm)
    note = _maps_note(npz, data, case)
    rf = RunFolder(out, comm)
    rf.begin(cfgmod.to_toml(case), lock=True, overwrite=overwrite)
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
        mark_failed(rf, e, stage)
        raise
    finally:
        rf.release()
    return results


@dataclass(frozen=True)
class _SavedCycle:
    """What :func:`current_stage` reads of a press cycle: its contact maps."""

    maps: object


def _maps_note(npz: Path, data: dict, case: Case) -> dict:
    """``output.press`` of a current-only run: where the maps came from, and whether the press
    input of their run (``results.json`` beside them, when present) differs from ``case``."""
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
