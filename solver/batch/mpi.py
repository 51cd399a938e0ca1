"""Starting MPI jobs from a serial lamina process: the launcher, its command line, the environment.

One place for ``lamina bench`` (each benchmark under ``mpiexec -n K``), ``lamina sweep`` (each
case of the local executor) and the test suite's MPI runs:

* :func:`find_mpiexec`: ``$LAMINA_MPIEXEC`` (split like a shell would, e.g. ``srun
  --cpu-bind=cores``), else ``mpiexec`` beside this Python (the MPICH of the ``dolfinx-solver``
  wheel in a virtualenv), else ``mpiexec`` on PATH;
* :func:`mpiexec_command`: ``LAUNCHER -n K ARGV...``;
* :func:`child_env`: this process's environment without the variables of its own MPI start, so
  that the child starts a job of its own instead of joining the parent's.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from solver._paths import REPO_ROOT

#: Environment variable naming the MPI launcher (a command line; ``-n K`` is appended).
LAUNCHER_VAR = "LAMINA_MPIEXEC"

# Set by a launcher for the process it started; a child must not inherit them, or it would try
# to join the parent's MPI job instead of starting its own.
LAUNCHER_ENV = ("PMI_", "PMIX_", "OMPI_COMM_WORLD", "MPI_LOCALNRANKS", "MPI_LOCALRANKID",
                "HYDI_", "MPIR_CVAR_CH4_", "OMPI_UNIVERSE_SIZE")


def find_mpiexec() -> list[str]:
    """The MPI launcher: ``$LAMINA_MPIEXEC``, else ``mpiexec`` beside this Python (the wheel's
    MPICH in a venv), else ``mpiexec`` on PATH; ``[]`` when none is found."""
    spec = os.environ.get(LAUNCHER_VAR)
    if spec:
        return shlex.split(spec)
    here = Path(sys.executable).with_name("mpiexec")
    if here.is_file() and os.access(here, os.X_OK):
        return [str(here)]
    found = shutil.which("mpiexec")
    return [found] if found else []


def mpiexec_command(launcher: list[str], ranks: int, argv: list[str]) -> list[str]:
    """``launcher -n ranks argv...``: ``argv`` (a program and its arguments) on ``ranks`` ranks."""
    return [*launcher, "-n", str(ranks), *argv]


def child_env(ranks: int = 1, *, pythonpath: bool = True,
              extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child process that may start MPI ranks.

    Launcher variables of the parent's own MPI start are dropped. With ``pythonpath`` the
    repository goes first on PYTHONPATH (the child imports this ``solver``); with several
    ranks ``OMP_NUM_THREADS`` defaults to 1 so that ranks do not oversubscribe the cores.
    ``extra`` is applied last.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(LAUNCHER_ENV)}
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO_ROOT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    if ranks > 1:
        env.setdefault("OMP_NUM_THREADS", "1")
    env.update(extra or {})
    return env
