"""SLURM and PBS job-array scripts, and their submission."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from solver.output.runfolder import atomic_write_bytes, dumps_json
from solver.errors import InputError, SolveError
from solver.batch.sweep._common import HPC_DIR, _now
from solver.batch.sweep.runner import lamina_command


def _bash_array(items) -> str:
    return " ".join(shlex.quote(x) for x in items)


def _template(path_opt: str | None, default_name: str, sweep_dir: Path) -> tuple[Path, str]:
    p = Path(path_opt) if path_opt else HPC_DIR / default_name
    try:
        return p, p.read_text()
    except OSError as e:
        raise InputError(f"job template '{p}': cannot be read ({e.strerror})") from None


def fill_template(text: str, values: dict[str, str | None], name: str) -> str:
    """Replace ``{{NAME}}``; a line whose placeholder is None is dropped; none may remain."""
    out = []
    for line in text.splitlines():
        keys = re.findall(r"\{\{([A-Z_]+)\}\}", line)
        if any(values.get(k, "") is None for k in keys):
            continue
        for k in keys:
            if k not in values:
                raise InputError(f"job template {name}: unknown placeholder {{{{{k}}}}}")
            line = line.replace("{{" + k + "}}", values[k])
        out.append(line)
    return "\n".join(out) + "\n"


def cache_seed(sweep_dir: Path, opts: dict) -> Path:
    """The warm cache that array tasks copy into their job-local cache."""
    return (
        Path(opts["cache_seed"]).resolve()
        if opts.get("cache_seed")
        else (Path(sweep_dir) / "cache").resolve()
    )


def _bash_words(text: str) -> str:
    """``text`` split into words, each quoted for bash (``x;`` -> ``'x;'``)."""
    return " ".join(shlex.quote(w) for w in text.split())


def _job_name(name: str) -> str:
    return "lamina-" + re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:56]


def _groups(todo: list[dict], default_ranks: int) -> dict[int, list[dict]]:
    groups: dict[int, list[dict]] = {}
    for e in todo:
        groups.setdefault(e.get("ranks") or default_ranks, []).append(e)
    return dict(sorted(groups.items()))


def _common_values(
    sweep_dir: Path, manifest: dict, opts: dict, ranks: int, chunk: list[dict], launcher: str
) -> dict:
    lam = lamina_command()
    if any(c in str(sweep_dir.resolve()) for c in "\n\r"):
        raise InputError(f"sweep folder {str(sweep_dir)!r}: a line break in the path would "
                         "break the job script; use a path without one")
    return {
        "SWEEP_NAME": manifest.get("sweep", ""),
        "JOB_NAME": _job_name(manifest.get("sweep", "sweep")),
        "NCASES": str(len(chunk)),
        "RANKS": str(ranks),
        "SWEEP_DIR": shlex.quote(str(sweep_dir.resolve())),
        "LOG_DIR": str((sweep_dir / "logs").resolve()),
        "PYTHON": shlex.quote(sys.executable),
        "LAMINA": _bash_array(lam),
        "CASES": _bash_array(e["hash"] for e in chunk),
        "CASE_IDS": " ".join(str(e["id"]) for e in chunk),
        # each word quoted: a module name never runs as shell text
        "MODULES": "\n".join("module load " + _bash_words(m) for m in opts["modules"]) or None,
        "SETUP": "\n".join(opts["setup"]) or None,
        "CACHE_SEED": shlex.quote(str(cache_seed(sweep_dir, opts))),
        "LAUNCH": launcher,
        "GENERATED": _now(),
    }


def _script_jobs(sweep_dir: Path, opts: dict, scheduler: str, todo: list[dict],
                 ranks: int | None) -> tuple[Path, str, Path, dict[int, list[dict]]]:
    """The template (path, text) of ``scheduler`` ("slurm" or "pbs"), its script folder (created
    with the sweep's ``logs/``) and the cases to run grouped by rank count."""
    tpath, text = _template(opts.get("template"), f"{scheduler}_array.sh.in", sweep_dir)
    out_dir = sweep_dir / scheduler
    out_dir.mkdir(exist_ok=True)
    (sweep_dir / "logs").mkdir(exist_ok=True)
    return tpath, text, out_dir, _groups(todo, ranks or opts["ranks"])


def _write_script(path: Path, text: str, vals: dict, tpath: Path) -> Path:
    """The filled template, written atomically and made executable."""
    atomic_write_bytes(path, fill_template(text, vals, str(tpath)).encode())
    path.chmod(0o755)
    return path


def _write_arrays(scheduler: str, jobs, sweep_dir: Path, manifest: dict, opts: dict,
                  todo: list[dict], ranks: int | None) -> list[dict]:
    """Fill the template of ``scheduler`` for every job ``jobs(sweep_dir, manifest, opts, r,
    entries)`` yields per rank count ``r`` (as (file name, placeholder values, record)); write
    the scripts and return their records, each with its ``script`` path first."""
    sweep_dir = Path(sweep_dir)
    tpath, text, out_dir, groups = _script_jobs(sweep_dir, opts, scheduler, todo, ranks)
    scripts = []
    for r, entries in groups.items():
        for name, vals, record in jobs(sweep_dir, manifest, opts, r, entries):
            path = _write_script(out_dir / name, text, vals, tpath)
            scripts.append({"script": str(path), **record})
    return scripts


def _slurm_jobs(sweep_dir: Path, manifest: dict, opts: dict, r: int, entries: list[dict]):
    """The SLURM arrays of the cases on ``r`` ranks: one per ``max_array_size`` chunk."""
    size = opts["max_array_size"]
    chunks = [entries[i : i + size] for i in range(0, len(entries), size)]
    for j, chunk in enumerate(chunks):
        vals = _common_values(
            sweep_dir,
            manifest,
            opts,
            r,
            chunk,
            f"srun --mpi=pmi2 -n {r} -c {opts['cpus_per_task']}",
        )
        par = min(opts["max_parallel"], len(chunk))
        vals.update(
            {
                "SBATCH_ACCOUNT": f"#SBATCH --account={opts['account']}"
                if opts["account"]
                else None,
                "SBATCH_PARTITION": (
                    f"#SBATCH --partition={opts['partition']}" if opts["partition"] else None
                ),
                "SBATCH_QOS": f"#SBATCH --qos={opts['qos']}" if opts["qos"] else None,
                "TIME": opts["time"],
                "CPUS_PER_TASK": str(opts["cpus_per_task"]),
                "ARRAY": f"0-{len(chunk) - 1}%{par}",
                "SIGNAL_BEFORE_S": str(opts["signal_before_s"])
                if opts["signal_before_s"]
                else None,
                "SBATCH_EXTRA": "\n".join(f"#SBATCH {x}" for x in opts["extra"]) or None,
            }
        )
        name = f"array-r{r}" + (f"-{j}" if len(chunks) > 1 else "") + ".sh"
        yield name, vals, {
            "ranks": r,
            "n": len(chunk),
            "chunk": j,
            "ids": [e["id"] for e in chunk],
            "name": manifest.get("sweep", "sweep"),
        }


def write_slurm_scripts(
    sweep_dir: Path, manifest: dict, opts: dict, todo: list[dict], ranks: int | None = None
) -> list[dict]:
    """One array script per rank count (and per ``max_array_size`` chunk); return their records."""
    return _write_arrays("slurm", _slurm_jobs, sweep_dir, manifest, opts, todo, ranks)


def _sbatch_commands(sweep_dir: Path, scripts: list[dict], opts: dict) -> list[dict]:
    """The sbatch calls: an optional cache warm-up task, then the arrays."""
    calls = []
    seed = cache_seed(sweep_dir, opts)
    warm = opts.get("warm_cache") and scripts and not (seed.is_dir() and any(seed.iterdir()))
    if warm:
        # The first case of a one-rank array (else of the first array) compiles into the seed
        # cache; its array task later finds the case done and skips it.
        first = next((s for s in scripts if s["ranks"] == 1), scripts[0])
        calls.append(
            {
                "role": "warm-up",
                "script": first["script"],
                "ranks": first["ranks"],
                "args": [
                    "--array=0",
                    "--export=ALL,LAMINA_WARM_CACHE=1",
                    f"--job-name={_job_name(first.get('name', 'sweep'))}-warm",
                ],
            }
        )
    for s in scripts:
        calls.append(
            {
                "role": "array",
                "script": s["script"],
                "ranks": s["ranks"],
                "chunk": s["chunk"],
                "n": s["n"],
                "ids": s["ids"],
                "args": [],
            }
        )
    return calls


def submit_slurm(
    sweep_dir: Path, scripts: list[dict], opts: dict, *, dry_run: bool = False
) -> list[dict]:
    """sbatch the optional cache warm-up task, then every array after it (afterany), chunks of
    one rank count chained (afterany); return the calls with their job ids (none if dry_run)."""
    calls = _sbatch_commands(sweep_dir, scripts, opts)
    if dry_run:
        return calls
    sbatch = shutil.which("sbatch")
    if sbatch is None:
        raise InputError(
            "--executor slurm: sbatch not found on PATH (use --dry-run or "
            "--executor none to write the script only)"
        )
    warm_job = None
    prev: dict[int, str] = {}
    for c in calls:
        deps = []
        if c["role"] == "array":
            if warm_job:
                deps.append(warm_job)
            if c["chunk"] > 0 and c["ranks"] in prev:
                deps.append(prev[c["ranks"]])
        cmd = [sbatch, "--parsable", *c["args"]]
        if deps:
            cmd.append("--dependency=afterany:" + ":".join(deps))
        cmd.append(c["script"])
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=sweep_dir)
        if p.returncode != 0:
            err = (p.stderr.strip().splitlines() or [f"exit code {p.returncode}"])[-1]
            raise SolveError(f"sbatch {c['script']}: {err}")
        job = p.stdout.strip().split(";")[0]
        c["job_id"], c["submitted"], c["command"] = job, _now(), cmd
        if c["role"] == "warm-up":
            warm_job = job
        else:
            prev[c["ranks"]] = job
    record = sweep_dir / "slurm" / "submitted.json"
    try:
        old = json.loads(record.read_text())
    except (OSError, ValueError):
        old = []
    atomic_write_bytes(record, dumps_json(old + calls).encode())
    return calls


def _pbs_jobs(sweep_dir: Path, manifest: dict, opts: dict, r: int, chunk: list[dict]):
    """The one PBS array of the cases on ``r`` ranks."""
    vals = _common_values(sweep_dir, manifest, opts, r, chunk, opts["mpiexec"].format(ranks=r))
    par = min(opts["max_parallel"], len(chunk))
    vals.update(
        {
            "PBS_ACCOUNT": f"#PBS -A {opts['account']}" if opts["account"] else None,
            "PBS_QUEUE": f"#PBS -q {opts['queue']}" if opts["queue"] else None,
            "WALLTIME": opts["walltime"],
            # PBS arrays need at least two subjobs; a single case runs as a plain job (index 0)
            "ARRAY": f"0-{len(chunk) - 1}%{par}" if len(chunk) > 1 else None,
            "PBS_EXTRA": "\n".join(f"#PBS {x}" for x in opts["extra"]) or None,
        }
    )
    yield f"array-r{r}.sh", vals, {"ranks": r, "n": len(chunk), "ids": [e["id"] for e in chunk]}


def write_pbs_scripts(
    sweep_dir: Path, manifest: dict, opts: dict, todo: list[dict], ranks: int | None = None
) -> list[dict]:
    """PBS Pro / OpenPBS array scripts (``#PBS -J``), one per rank count; written, not submitted."""
    return _write_arrays("pbs", _pbs_jobs, sweep_dir, manifest, opts, todo, ranks)
