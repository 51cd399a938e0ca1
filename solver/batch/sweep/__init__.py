"""Parameter sweeps: expansion into case files, executors, status and collection.

A sweep file is a base case plus parameter axes::

    [sweep]
    name = "press-roughness"      # letters, digits, space and _ - . + = , @
    mode = "product"              # product | zip | lhs
    # samples = 20                # lhs only
    # seed = 1                    # lhs only

    [base]                        # the base case: a case table (same schema as a case file)
    surface.nb_grid_pts = [128, 128]

    [[sweep.axis]]
    key = "surface.rms_height"    # dotted case key
    values = [2e-7, 5e-7]         # or linspace / logspace = [a, b, n], range = [i0, i1(, step)]

    [[sweep.axis]]
    key = "seed"                  # surface realisations are an axis like any other
    range = [0, 3]                # Python's range: 0, 1, 2

    [slurm]                       # options of the SLURM job array (see SLURM_OPTIONS)
    account = "proj"
    time = "00:30:00"
    max_parallel = 8

The base case can instead be a case file, relative to the sweep file: a top-level key, so it
stands before the first table (not inside ``[base]``, and with no ``[base]`` table)::

    base = "case.toml"

    [sweep]
    name = "seeds"

    [[sweep.axis]]
    key = "seed"
    range = [0, 3]

Axes:

* ``values`` (a list), ``linspace = [a, b, n]`` (n evenly spaced, both ends included),
  ``logspace = [a, b, n]`` (n log10-spaced values between a and b, given as SI values, both ends
  exact), ``range = [start, stop]`` or ``[start, stop, step]`` (integers, Python semantics: stop
  excluded); for ``mode = "lhs"`` also ``bounds = [lo, hi]`` with ``scale = "linear" | "log"``
  (integer bounds on an integer key sample integers in [lo, hi]).
* ``mode = "product"``: every combination, the last axis varying fastest. Axes sharing a
  ``group = "g"`` are zipped (equal lengths) and the group enters the product as one axis, at the
  place of its first axis.
* ``mode = "zip"``: all axes zipped (equal lengths).
* ``mode = "lhs"``: ``samples`` points of a Latin hypercube (``scipy.stats.qmc.LatinHypercube``,
  seeded by ``seed``) over all axes: continuous over ``bounds``, stratified over the levels of a
  discrete axis (values / linspace / logspace / range).
* The reserved key ``ranks`` is not a case key: it sets the MPI ranks of each case (e.g. zipped with
  ``surface.nb_grid_pts``); it does not enter the case file or its hash.

Expansion validates every case (``config.from_dict``) before anything is written; a bad sweep file
is an :class:`~solver.errors.InputError` naming the axis, key and value, and leaves no case files
and no manifest. Then, written atomically (:func:`solver.output.runfolder.atomic_write_bytes`),
manifest last::

    SWEEP_DIR/
      sweep.toml              the sweep file as given
      cases/<hash>.toml       the resolved case (config.to_toml); hash = sha256 of that text [:12]
      manifest.json           sweep name, options, cases:
                              [{id, hash, params, ranks, case_file, run_folder}]
      runs/<hash>/            the run folder of each case (solver.output.runfolder convention:
                              DONE last / FAILED)
      runs/<hash>/RUNNING     while an executor runs the case: host, pid, job; flock-ed (see below)
      logs/<hash>.log         output of every attempt at the case (appended)
      slurm/, pbs/            job-array scripts; logs/slurm-<job>_<task>.out
      table.csv, table.parquet, failures.csv     written by ``lamina collect``

Identity is content: a case is its resolved TOML, so re-running a sweep (or an edited sweep that
shares cases) reuses every run folder that is complete.

Running vs interrupted. An executor holds an exclusive ``flock`` on ``runs/<hash>/RUNNING`` for as
long as the case runs; the descriptor is inherited by the ``lamina run`` process (and by ``srun`` /
``mpiexec``), so the lock outlives a killed executor exactly as long as the case process lives, and
the kernel drops it when the last holder dies (SIGKILL included). The file's content (host, pid,
job id) is for people. A case is

* ``done``     ``runfolder.folder_status == "done"`` (DONE and results.json);
* ``running``  someone holds the lock (probed with a non-blocking shared flock);
* ``failed``   FAILED present and nobody holds the lock;
* ``interrupted``  started (files in the run folder) but neither marker and no lock holder: the
  process died; ``lamina status`` counts it under pending, and the next ``lamina sweep`` reruns it;
* ``pending``  never started.

A claimer re-checks DONE after taking the lock and takes the lock only on the file the path still
names, so two executors on one sweep folder never run the same case at once. On file systems
without flock (Lustre mounted without ``-o flock``) the lock is skipped with a warning and the
state falls back to the recorded host and pid.

Executors (``lamina sweep SWEEP.toml|SWEEP_DIR --executor ...``), each running only what is not
done:

* ``local``: ``--jobs N`` cases at once, each ``lamina run cases/<hash>.toml --out runs/<hash>``
  in SWEEP_DIR (under ``mpiexec -n K`` for K > 1 ranks), with OMP/numba threads set to
  cores / (N K) unless set already. A case that ends without DONE and without its own FAILED gets
  FAILED with the exit code or signal and its last error line. Cases held by another executor are
  waited for and taken up if it dies. Exit code 0 when every case is done, 1 otherwise.
* ``slurm``: one job array per rank count from ``hpc/slurm_array.sh.in`` (``[slurm]`` options),
  submitted with sbatch. With ``warm_cache`` (default) a one-task warm-up job runs the first case
  first and fills the JIT/numba cache that every array task copies into its job-local cache.
  Each task is ``python -m solver.batch.sweep task SWEEP_DIR HASH -- srun ... lamina run`` (:func:
  `task_main`): skip if done or held, hold the lock, forward USR1/TERM, FAILED on failure.
* ``pbs``: the same from ``hpc/pbs_array.sh.in`` (``#PBS -J``), written, not submitted.
* ``none`` (or ``--dry-run``): expansion and scripts only.

``lamina collect`` writes one row per case in manifest order: ``id, hash, status``, the swept
values as ``param.<key>``, every scalar of the resolved case as ``input.<key>`` (short lists as
``key[i]``), every scalar of ``output`` as ``output.<key>`` (arrays skipped) and of
``provenance`` as ``provenance.<key>``; CSV always, Parquet with pyarrow; ``failures.csv`` lists
the failed cases with the stage and reason from FAILED.
"""

# Split by concern (spec, options, expansion, claims, runner, local, scheduler, collect, cli,
# task); the public names are importable from here as before.
from solver.batch.sweep._common import (
    MANIFEST,
    RUNNING,
    MODES,
    EXECUTORS,
    RANKS_KEY,
    HPC_DIR,
    FORMAT_VERSION,
)
from solver.batch.sweep.options import (
    slurm_seconds,
    SLURM_OPTIONS,
    PBS_OPTIONS,
)
from solver.batch.sweep.spec import (
    Axis,
    Sweep,
    CaseSpec,
    AXIS_KEYS,
    SWEEP_KEYS,
    TOP_KEYS,
    parse_sweep,
    load_sweep,
)
from solver.batch.sweep.expansion import (
    expand,
    default_out,
    write_expansion,
    load_manifest,
)
from solver.batch.sweep.claims import (
    Claim,
    claim,
    lock_state,
    case_state,
)
from solver.batch.sweep.runner import (
    lamina_command,
    mpiexec_launcher,
    THREAD_VARS,
    thread_env,
    child_env,
    SignalRelay,
    Attempt,
    run_one,
)
from solver.batch.sweep.local import (
    run_local,
)
from solver.batch.sweep.scheduler import (
    fill_template,
    cache_seed,
    write_slurm_scripts,
    submit_slurm,
    write_pbs_scripts,
)
from solver.batch.sweep.collect import (
    states,
    count_states,
    collect_rows,
    Collected,
    collect,
)
from solver.batch.sweep.cli import (
    cmd_sweep,
    cmd_status,
    cmd_collect,
    register_cli,
)
from solver.batch.sweep.task import (
    task_main,
)

__all__ = [
    "MANIFEST",
    "RUNNING",
    "MODES",
    "EXECUTORS",
    "RANKS_KEY",
    "HPC_DIR",
    "FORMAT_VERSION",
    "Axis",
    "Sweep",
    "CaseSpec",
    "slurm_seconds",
    "SLURM_OPTIONS",
    "PBS_OPTIONS",
    "AXIS_KEYS",
    "SWEEP_KEYS",
    "TOP_KEYS",
    "parse_sweep",
    "load_sweep",
    "expand",
    "default_out",
    "write_expansion",
    "load_manifest",
    "Claim",
    "claim",
    "lock_state",
    "case_state",
    "lamina_command",
    "mpiexec_launcher",
    "THREAD_VARS",
    "thread_env",
    "child_env",
    "SignalRelay",
    "Attempt",
    "run_one",
    "run_local",
    "fill_template",
    "cache_seed",
    "write_slurm_scripts",
    "submit_slurm",
    "write_pbs_scripts",
    "states",
    "count_states",
    "collect_rows",
    "Collected",
    "collect",
    "cmd_sweep",
    "cmd_status",
    "cmd_collect",
    "register_cli",
    "task_main",
]
