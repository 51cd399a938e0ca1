"""Executor options of a sweep file: the ``[slurm]`` and ``[pbs]`` tables, checked and defaulted."""

from __future__ import annotations

import copy
import re
from pathlib import Path

from solver.checks import fmt_value
from solver.errors import InputError
from solver.batch.sweep._common import _is_int, _unknown_keys


# Executor option tables: name -> (default, check(value) -> normalised value, or ValueError(msg))
def _opt_str(v):
    if not isinstance(v, str) or not v.strip() or "\n" in v:
        raise ValueError("must be a non-empty one-line string")
    return v


def _opt_pos_int(v):
    if not _is_int(v) or v < 1:
        raise ValueError("must be an integer >= 1")
    return v


def _opt_nonneg_int(v):
    if not _is_int(v) or v < 0 or v > 65535:
        raise ValueError("must be an integer in [0, 65535]")
    return v


def _opt_bool(v):
    if not isinstance(v, bool):
        raise ValueError("must be true or false")
    return v


def _opt_str_list(v):
    if not isinstance(v, list) or not all(isinstance(x, str) and "\n" not in x for x in v):
        raise ValueError("must be a list of one-line strings")
    return list(v)


_SLURM_TIME = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$")


def slurm_seconds(t: str) -> int:
    """Seconds of a SLURM time: ``M``, ``M:S``, ``H:M:S``, ``D-H``, ``D-H:M``, ``D-H:M:S``."""
    m = _SLURM_TIME.match(t.strip()) if isinstance(t, str) else None
    if not m:
        raise ValueError("must be a SLURM time: minutes, MM:SS, HH:MM:SS or D-HH[:MM[:SS]]")
    d, a, b, c = m.groups()
    if d is not None:  # D-H[:M[:S]]
        return int(d) * 86400 + int(a) * 3600 + int(b or 0) * 60 + int(c or 0)
    if c is not None:
        return int(a) * 3600 + int(b) * 60 + int(c)
    if b is not None:
        return int(a) * 60 + int(b)
    return int(a) * 60


def _opt_time(v):
    if not isinstance(v, str) or slurm_seconds(v) <= 0:
        raise ValueError('must be a positive SLURM time string such as "00:30:00"')
    return v


def _opt_path(v):
    if not isinstance(v, str) or not v:
        raise ValueError("must be a path")
    return v


SLURM_OPTIONS = {
    "account": (None, _opt_str),
    "partition": (None, _opt_str),
    "qos": (None, _opt_str),
    "time": ("01:00:00", _opt_time),
    "ranks": (1, _opt_pos_int),  # default MPI ranks per case (a `ranks` axis overrides)
    "cpus_per_task": (1, _opt_pos_int),
    "max_parallel": (8, _opt_pos_int),  # --array=...%K
    "max_array_size": (1001, _opt_pos_int),  # the site's MaxArraySize; larger sweeps are chunked
    "modules": ([], _opt_str_list),  # `module load` each
    "setup": ([], _opt_str_list),  # shell lines run before the case (e.g. source an env)
    "signal_before_s": (120, _opt_nonneg_int),  # --signal=B:USR1@T, forwarded to the task; 0: off
    "extra": ([], _opt_str_list),  # more #SBATCH options, e.g. "--mem=4G"
    # A warm JIT/numba cache copied into each task's job-local cache (default SWEEP_DIR/cache);
    # with warm_cache, one one-rank task runs first and fills it, the arrays wait for it.
    "cache_seed": (None, _opt_path),
    "warm_cache": (True, _opt_bool),
    "template": (None, _opt_path),  # a site template instead of hpc/slurm_array.sh.in
}
PBS_OPTIONS = {
    "account": (None, _opt_str),
    "queue": (None, _opt_str),
    "walltime": ("01:00:00", _opt_time),
    "ranks": (1, _opt_pos_int),
    "max_parallel": (8, _opt_pos_int),
    "modules": ([], _opt_str_list),
    "setup": ([], _opt_str_list),
    "extra": ([], _opt_str_list),  # more #PBS options, e.g. "-l mem=4gb"
    "mpiexec": ("mpiexec -n {ranks}", _opt_str),
    "cache_seed": (None, _opt_path),
    "template": (None, _opt_path),
}


def _options(table, spec: dict, where: str) -> dict:
    if table is None:
        table = {}
    if not isinstance(table, dict):
        raise InputError(f"{where} = {fmt_value(table)}: must be a table ([{where}])")
    _unknown_keys(table, spec, where)
    out = {}
    for k, (default, check) in spec.items():
        if k not in table:
            out[k] = copy.deepcopy(default)
            continue
        try:
            out[k] = check(table[k])
        except ValueError as e:
            raise InputError(f"{where}.{k} = {fmt_value(table[k])}: {e}") from None
    if where == "slurm" and out["signal_before_s"] >= slurm_seconds(out["time"]):
        raise InputError(
            f"slurm.signal_before_s = {out['signal_before_s']}: must be shorter than "
            f"slurm.time = {out['time']!r}"
        )
    return out


def executor_options(data: dict, base_dir: Path) -> tuple[dict | None, dict | None]:
    """The ``[slurm]`` and ``[pbs]`` options (None where the table is absent); their paths
    relative to the sweep file made absolute."""
    slurm = _options(data["slurm"], SLURM_OPTIONS, "slurm") if "slurm" in data else None
    pbs = _options(data["pbs"], PBS_OPTIONS, "pbs") if "pbs" in data else None
    for where, opts in (("slurm", slurm), ("pbs", pbs)):
        for k in ("template", "cache_seed"):  # paths relative to the sweep file
            if opts is not None and opts.get(k) and not Path(opts[k]).is_absolute():
                opts[k] = str((base_dir / opts[k]).resolve())
        if opts is not None and opts.get("template") and not Path(opts["template"]).is_file():
            raise InputError(f"{where}.template = {opts['template']!r}: not found")
    return slurm, pbs
