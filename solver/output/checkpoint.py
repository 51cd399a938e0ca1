"""Checkpoint files: ``DIR/checkpoint/`` with state.json, replicated.npz and one PETSc binary file
per distributed array, replaced atomically (see :mod:`solver.run.stop` for when they are written).
"""

from __future__ import annotations

import io as _io
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from solver.errors import InputError
from solver.fem.fieldio import read_vec, write_vec
from solver.output.runfolder import RunFolder, atomic_write_bytes, dumps_json

CHECKPOINT = "checkpoint"
CHECKPOINT_STATE = "state.json"


def _vec_path(folder: Path, name: str) -> Path:
    return folder / f"{name}.petsc"


def write_checkpoint(rf: RunFolder, comm, state: dict, distributed: dict[str, np.ndarray],
                     replicated: dict[str, np.ndarray]) -> Path:
    """Write a checkpoint of the run folder, replacing the previous one atomically (collective).

    Args:
        state: JSON-able scalars (step, position, records, ...); ``mpi_size`` is added.
        distributed: per-rank arrays (each rank its own part, e.g. the owned displacement
            dofs), written with PETSc binary viewers into one file each: a restart must use
            the same rank count (recorded) so that each rank reads back its own part.
        replicated: arrays equal on every rank (written once by rank 0, ``.npz``).

    The checkpoint is assembled in ``checkpoint.tmp/`` and renamed into place; ``state.json``
    is written last inside it, so a folder without it is never read.
    """
    final = rf.path / CHECKPOINT
    tmp = rf.path / f"{CHECKPOINT}.tmp"
    old = rf.path / f"{CHECKPOINT}.old"
    if rf.rank == 0:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    if comm is not None:
        comm.barrier()
    sizes = {name: write_vec(_vec_path(tmp, name), arr, comm) for name, arr in distributed.items()}
    if rf.rank == 0:
        buf = _io.BytesIO()
        np.savez(buf, **replicated)
        atomic_write_bytes(tmp / "replicated.npz", buf.getvalue())
        meta = dict(state, mpi_size=1 if comm is None else comm.size, global_sizes=sizes,
                    written=datetime.now(timezone.utc).isoformat())
        atomic_write_bytes(tmp / CHECKPOINT_STATE, dumps_json(meta).encode())
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    if comm is not None:
        comm.barrier()
    return final


def checkpoint_folder(path: str | Path) -> Path | None:
    """The complete checkpoint of a run folder (``checkpoint/``, or ``checkpoint.old/`` left by
    a crash between the two renames of :func:`write_checkpoint`), or None."""
    path = Path(path)
    for name in (CHECKPOINT, f"{CHECKPOINT}.old"):
        if (path / name / CHECKPOINT_STATE).is_file():
            return path / name
    return None


def read_checkpoint_state(folder: Path) -> dict:
    """state.json of a checkpoint; unreadable is an InputError naming the file."""
    p = Path(folder) / CHECKPOINT_STATE
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError) as e:
        raise InputError(f"checkpoint '{p}': cannot be read ({e}); delete the checkpoint folder "
                         "to start the case afresh") from None


def read_checkpoint_arrays(folder: Path, comm, local_sizes: dict[str, int]
                           ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The distributed arrays (this rank's parts, of ``local_sizes``) and the replicated ones."""
    folder = Path(folder)
    out = {}
    for name, n in local_sizes.items():
        if not _vec_path(folder, name).is_file():
            raise InputError(f"checkpoint '{folder}': no array {name!r} (written by an earlier "
                             "lamina; remove the checkpoint folder to run the case from the start)")
        arr, rank = read_vec(_vec_path(folder, name), n, comm)
        if arr.size != n:
            raise InputError(f"checkpoint '{folder}': {name} has {arr.size} local "
                             f"entries on rank {rank}, expected {n}")
        out[name] = arr
    with np.load(folder / "replicated.npz", allow_pickle=False) as f:
        rep = {k: f[k] for k in f.files}
    return out, rep


def remove_checkpoint(rf: RunFolder) -> None:
    """Drop the checkpoint of a finished case (rank 0; collective barrier)."""
    if rf.rank == 0:
        for name in (CHECKPOINT, f"{CHECKPOINT}.old", f"{CHECKPOINT}.tmp"):
            shutil.rmtree(rf.path / name, ignore_errors=True)
    rf._barrier()
