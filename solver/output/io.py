"""The only module that writes: run folders, results.json, arrays, figures.

Run-folder convention (every command that produces results uses it)::

    DIR/
      case.toml       the resolved case (every default filled in)
      results.json    {"input": resolved case, "output": results, "provenance": versions, seed, ...}
      surface.npy     fields and maps (.npy, ParaView files)
      *.png           figures
      DONE            written last: the folder is complete
      FAILED          instead of DONE and results.json when the case failed: {"reason": ...}

Each file is written under a temporary name and renamed into place, so a reader sees either the
old file or the whole new one. ``DONE`` is removed first when a folder is reused and written last,
so a folder without ``DONE`` is never a result. Only rank 0 writes; every rank calls the methods
(they end in a barrier), which keeps collectives aligned.
"""

from __future__ import annotations

import io as _io
import json
import math
import os
import platform
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from solver.errors import InputError
from solver._paths import REPO_ROOT

DONE = "DONE"
FAILED = "FAILED"
RESULTS = "results.json"
CASE = "case.toml"


def _jsonable(obj):
    """Convert numpy scalars/arrays and non-finite floats into strict JSON values."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def dumps_json(obj) -> str:
    return json.dumps(_jsonable(obj), indent=1, allow_nan=False) + "\n"


class RunFolder:
    """A run folder written by rank 0 of ``comm`` (or by this process when ``comm`` is None)."""

    def __init__(self, path: str | Path, comm=None):
        self.path = Path(path)
        self.comm = comm
        self.rank = 0 if comm is None else comm.rank

    # -- life cycle ---------------------------------------------------------------------------
    def begin(self, case_toml: str | None = None) -> None:
        """Create the folder, drop stale markers and results, write the resolved case (if given).

        Without ``case_toml`` the folder is not a case's (e.g. a ``lamina bench`` report): only
        the markers and results are dropped.
        """
        if self.rank == 0:
            if self.path.exists() and not self.path.is_dir():
                raise InputError(f"--out '{self.path}': exists and is not a folder")
            self.path.mkdir(parents=True, exist_ok=True)
            for stale in (DONE, FAILED, RESULTS):
                (self.path / stale).unlink(missing_ok=True)
            if case_toml is not None:
                atomic_write_bytes(self.path / CASE, case_toml.encode())
        self._barrier()

    def finish(self, results: dict) -> None:
        """Write results.json, then DONE (last)."""
        if self.rank == 0:
            atomic_write_bytes(self.path / RESULTS, dumps_json(results).encode())
        self.mark_done()

    def mark_done(self) -> None:
        """Write DONE (a UTC time stamp): call it last, after every other file is in place."""
        if self.rank == 0:
            atomic_write_bytes(self.path / DONE, (datetime.now(timezone.utc).isoformat() + "\n").encode())
        self._barrier()

    def fail(self, reason: str, stage: str = "") -> None:
        """Mark the case failed; results.json and DONE are absent, so nothing looks valid."""
        if self.rank == 0:
            self.path.mkdir(parents=True, exist_ok=True)
            for stale in (DONE, RESULTS):
                (self.path / stale).unlink(missing_ok=True)
            atomic_write_bytes(self.path / FAILED, dumps_json({"reason": reason, "stage": stage}).encode())
        self._barrier()

    # -- content ------------------------------------------------------------------------------
    def write_json(self, name: str, obj) -> None:
        if self.rank == 0:
            atomic_write_bytes(self.path / name, dumps_json(obj).encode())

    def write_text(self, name: str, text: str) -> None:
        """A UTF-8 text file (rank 0), e.g. a report or a log."""
        if self.rank == 0:
            atomic_write_bytes(self.path / name, text.encode("utf-8"))

    def remove(self, name: str) -> None:
        """Remove a file of the folder if present (rank 0), e.g. a stale output before a rerun."""
        if self.rank == 0:
            (self.path / name).unlink(missing_ok=True)

    def save_array(self, name: str, array: np.ndarray) -> None:
        if self.rank == 0:
            buf = _io.BytesIO()
            np.save(buf, np.asarray(array))
            atomic_write_bytes(self.path / name, buf.getvalue())

    def save_figure(self, name: str, fig) -> None:
        """Save a matplotlib figure as PNG (rank 0) and close it."""
        if self.rank == 0:
            buf = _io.BytesIO()
            fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
            atomic_write_bytes(self.path / name, buf.getvalue())
        import matplotlib.pyplot as plt

        plt.close(fig)

    def _barrier(self):
        if self.comm is not None and self.comm.size > 1:
            self.comm.barrier()


def folder_status(path: str | Path) -> str:
    """``"done"``, ``"failed"``, ``"incomplete"`` (started, neither marker) or ``"pending"``."""
    path = Path(path)
    if (path / DONE).exists() and (path / RESULTS).exists():
        return "done"
    if (path / FAILED).exists():
        return "failed"
    if path.exists() and any(path.iterdir()):
        return "incomplete"
    return "pending"


def read_results(path: str | Path) -> dict:
    """results.json of a complete run folder."""
    path = Path(path)
    if folder_status(path) != "done":
        raise InputError(f"run folder '{path}': not complete (no {DONE})")
    return json.loads((path / RESULTS).read_text())


# ---------------------------------------------------------------------------------------------
# provenance


def versions() -> dict[str, str]:
    """Versions of lamina and the stack (DOLFINx and PETSc only if importable)."""
    import numba
    import scipy

    import solver

    out = {
        "lamina": solver.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
    }
    try:
        from solver.fem.backend import import_dolfinx

        dolfinx = import_dolfinx()
        from mpi4py import MPI
        from petsc4py import PETSc

        out["dolfinx"] = dolfinx.__version__
        out["petsc"] = ".".join(str(v) for v in PETSc.Sys.getVersion())
        out["mpi4py"] = sys.modules["mpi4py"].__version__
        out["mpi"] = " ".join(MPI.Get_library_version().splitlines()[0].split())
    except Exception as e:  # the core works without DOLFINx; say so instead of failing
        out["dolfinx"] = f"not available ({type(e).__name__}: {e})"
    return out


def git_commit() -> str | None:
    """The git commit of the lamina source tree (with ``-dirty``), or None outside a checkout."""
    src = REPO_ROOT
    try:
        head = subprocess.run(["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(src), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return None


def provenance(*, seed: int, mpi_size: int, wall_time_s: float, started: float,
               argv: list[str] | None = None) -> dict:
    return {
        "versions": versions(),
        "git_commit": git_commit(),
        "seed": seed,
        "mpi_size": mpi_size,
        "wall_time_s": wall_time_s,
        "started": datetime.fromtimestamp(started, timezone.utc).isoformat(),
        "finished": datetime.now(timezone.utc).isoformat(),
        "host": socket.gethostname(),
        "command": argv,
    }


def now() -> float:
    return time.time()


def save_npz(rf: RunFolder, name: str, arrays: dict) -> None:
    """Save arrays as a compressed .npz in the run folder (rank 0, atomic)."""
    if rf.rank == 0:
        buf = _io.BytesIO()
        np.savez_compressed(buf, **arrays)
        atomic_write_bytes(rf.path / name, buf.getvalue())


class FieldWriter:
    """Time series of DOLFINx functions for ParaView (VTX/ADIOS2 ``.bp`` folders), collective.

    One ``.bp`` per function space. The folder is written under a temporary name and renamed
    into place by :meth:`close`, so an interrupted run leaves no half-written field file under
    the final name.
    """

    def __init__(self, rf: RunFolder, name: str, functions: list):
        from solver.fem.backend import import_dolfinx

        dolfinx = import_dolfinx()
        self.rf = rf
        self.final = rf.path / name
        self.tmp = rf.path / f".{name}.tmp"
        comm = functions[0].function_space.mesh.comm
        if comm.rank == 0:
            import shutil

            shutil.rmtree(self.tmp, ignore_errors=True)
        comm.barrier()
        self.comm = comm
        self.writer = dolfinx.io.VTXWriter(comm, str(self.tmp), functions, engine="BP4")

    def write(self, t: float) -> None:
        self.writer.write(float(t))

    def close(self) -> None:
        import shutil

        self.writer.close()
        self.comm.barrier()
        if self.comm.rank == 0:
            shutil.rmtree(self.final, ignore_errors=True)
            os.replace(self.tmp, self.final)
        self.comm.barrier()


# ---------------------------------------------------------------------------------------------
# checkpoints: DIR/checkpoint/ with state.json, replicated.npz and one PETSc binary file per
# distributed array

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
    from petsc4py import PETSc

    final = rf.path / CHECKPOINT
    tmp = rf.path / f"{CHECKPOINT}.tmp"
    old = rf.path / f"{CHECKPOINT}.old"
    if rf.rank == 0:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    if comm is not None:
        comm.barrier()
    pcomm = comm if comm is not None else PETSc.COMM_SELF
    sizes = {}
    for name, arr in distributed.items():
        arr = np.ascontiguousarray(arr, dtype=PETSc.ScalarType).reshape(-1)
        v = PETSc.Vec().createWithArray(arr, comm=pcomm)
        viewer = PETSc.Viewer().createBinary(str(_vec_path(tmp, name)), mode="w", comm=pcomm)
        v.view(viewer)
        viewer.destroy()
        sizes[name] = int(v.getSize())
        v.destroy()
    if rf.rank == 0:
        import shutil

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
    from petsc4py import PETSc

    folder = Path(folder)
    pcomm = comm if comm is not None else PETSc.COMM_SELF
    out = {}
    for name, n in local_sizes.items():
        v = PETSc.Vec().createMPI((int(n), PETSc.DECIDE), comm=pcomm)
        viewer = PETSc.Viewer().createBinary(str(_vec_path(folder, name)), mode="r", comm=pcomm)
        v.load(viewer)
        viewer.destroy()
        if v.getLocalSize() != n:
            raise InputError(f"checkpoint '{folder}': {name} has {v.getLocalSize()} local "
                             f"entries on rank {pcomm.rank}, expected {n}")
        out[name] = v.getArray().copy()
        v.destroy()
    with np.load(folder / "replicated.npz", allow_pickle=False) as f:
        rep = {k: f[k] for k in f.files}
    return out, rep


def remove_checkpoint(rf: RunFolder) -> None:
    """Drop the checkpoint of a finished case (rank 0; collective barrier)."""
    if rf.rank == 0:
        import shutil

        for name in (CHECKPOINT, f"{CHECKPOINT}.old", f"{CHECKPOINT}.tmp"):
            shutil.rmtree(rf.path / name, ignore_errors=True)
    rf._barrier()


def write_mesh(path: str | Path, meshio_mesh, fmt: str | None = None) -> None:
    """Write a ``meshio.Mesh`` to ``path`` atomically (temporary file in the same folder, rename).

    Call on one rank only (the caller gathers the mesh). The files are deterministic, so the
    same mesh gives the same bytes: ``msh`` is Gmsh 2.2 ASCII (full ``.16e`` precision, physical
    names from ``field_data``; read by Gmsh and meshio), ``vtu`` binary with zlib compression,
    ``xdmf`` with the arrays inline (``data_format="XML"``: one file, no ``.h5`` beside it).

    Args:
        path: the file; its parent folders are created.
        meshio_mesh: the mesh.
        fmt: ``"msh"``, ``"vtu"`` or ``"xdmf"`` (default: from the suffix of ``path``).
    """
    import meshio

    path = Path(path)
    fmt = fmt or path.suffix.lower().lstrip(".")
    writers = {"msh": ("gmsh22", {"binary": False}), "vtu": ("vtu", {"binary": True}),
               "xdmf": ("xdmf", {"data_format": "XML"})}
    if fmt not in writers:
        raise InputError(f"mesh file '{path}': format {fmt!r}; allowed {', '.join(writers)}")
    if path.is_dir():
        raise InputError(f"mesh file '{path}': is a folder")
    file_format, options = writers[fmt]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        meshio.write(tmp, meshio_mesh, file_format=file_format, **options)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
