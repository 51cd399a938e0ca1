"""Strong and weak scaling of a press + current case at several rank counts, in one run.

The case (:mod:`_performance`) is lamina's default 2D plane-strain case with a long profile: P2
triangles, face elements 2 µm, thickness 50 µm graded by 1.3, the default self-affine collector,
``38 (2 n_face + 1)`` displacement dofs. Each child run (a subprocess ``mpiexec -n K python
benchmarks/scaling.py --child ...``, so that this script itself is serial, ``mpi = false`` in the
registry) builds the case, presses it to 1 MPa through :class:`solver.simulation.press.PressCycle` (3
initial increments, adaptive growth ≤ 2× per step, load only), then solves the Li|Cu current
stage (film 1 Ω cm², 10 A/m², :func:`solver.simulation.current.solve_step`) on the final contact
map.

* **strong3d**: the same for a 3D block, the default 3D case's (:func:`case_3d`: P2 tetrahedra,
  :data:`FACE_3D`, elastic lithium, press to 1 MPa in 3 increments and the Li|Cu current); at
  ``full`` ≥ 0.5 M dofs, solved by CG + GAMG (``press.linear_solver = "auto"``);
* **strong scaling**: the same case (``n_face`` fixed) on K = 1, 2, … ranks; efficiency
  ``E_s(K) = K₀ T(K₀) / (K T(K))`` with K₀ the smallest rank count (1 by default);
* **weak scaling**: ``n_face ∝ K`` (the vertical mesh does not change with the profile length,
  so dofs per rank stay constant to 1/(2 n_face)); ``E_w(K) = T(K₀) / T(K)``. The profile is
  longer, so it is a different surface with different contact spots: Newton iteration counts
  may differ, and the time per Newton step is the fairer comparison (also reported).

``T`` is the wall time of press + current (set-up, mesh and form compilation excluded). Reported
per run, as ``info`` checks and a printed table: global dofs, wall times of press and current,
Newton iterations and time per Newton step, the split of the press's SNES time into assembly
(``SNESFunctionEval`` + ``SNESJacobianEval``), PC set-up (``PCSetUp``: the LU factorisation) and
solve (``KSPSolve``) — in ``vinewtonrsls`` ``PCSetUp`` is logged in ``KSPSetUp`` before and
disjoint from ``KSPSolve`` (:func:`_performance.press_split`; checked on the event counts and
times, also for the linear current solve) —, the current's PC set-up and solve, and the peak RSS
summed over the ranks per displacement dof. All PETSc event times are the largest over the ranks.

Checked: lamina is rank-count independent, so every strong run must give the contact fraction
and the ASR of the K₀ run to a relative 1e-8; the efficiencies must lie in [1e-3, 1.5] (a
sanity bound: not a performance target; the 2-rank numbers on a shared 2-core machine depend on
what else runs).

Lithium: elastic (E, ν of Masias 2019, plasticity and creep off). Why: the elastic-plastic press
of long profiles costs 3–4× more Newton steps (``press_performance``, which measures it) and the
``full`` runs here would take ≈ 1 h on a 2-core machine; parallel efficiency is a property of
assembly and LU, which are the same code for both. The elastic contact uses the product's
``CONTACT_VI`` preset (full Newton steps), the inelastic one adds a line search.

Sizes: ``small`` 19 038 dofs strong, 19 038 per rank weak (92 s for the 3 runs, process
start-up included, at load average 11 on the shared 2-core machine); ``full`` 501 638 dofs
strong, 501 638 per rank weak (the K₀ run is shared by both series when their sizes agree; the
surface grid limit of the case, 65 536 points, caps weak scaling at ≈ 19 ranks of 0.5 M dofs).
Rank counts: ``--ranks-list 1,2`` (default), or the environment variable
``LAMINA_SCALING_RANKS`` (for ``lamina bench`` and ``hpc/bench_full.slurm``). The launcher is
``LAMINA_MPIEXEC`` (e.g. ``srun``) or ``mpiexec`` beside this Python
(:func:`solver.batch.mpi.find_mpiexec`).

Full run with the active-set Newton (the default since 2026-12-06: one analysis per run, METIS
ordering; ``python benchmarks/scaling.py --size full``, 2 cores otherwise idle, 2026-12-06)::

    series  K     dofs  T (s)  press  current  Newton  s/step   asm  PCset  solve  rest  B/dof    eff
    strong  1   501638   26.5   25.6    0.85      14    1.82  0.15   0.69   0.13  0.02   2505  1.000
    strong  2   501638   18.9   18.1    0.74      14    1.29  0.12   0.72   0.14  0.02   3373  0.702
    weak    2  1003238   49.3   47.5    1.80      16    2.96  0.11   0.71   0.16  0.02   2807  0.537

Strong speed-up 1 → 2 ranks **1.40** (checked ≥ 1.3 at full size); contact fraction and ASR equal
to 2.9e-16 and 3.6e-13. With AMD instead (the VI's profile ordering) the same runs took 29.6 s
and 27.2 s (speed-up 1.09): the numeric factorisation of the AMD tree does not parallelise.

Full run with the 3D series (2026-12-07, the 2 cores otherwise idle, ``python
benchmarks/scaling.py --size full``, 1038 s in all)::

    series     K      dofs    T (s)    press  current Newton   s/step   asm PCset solve  rest   B/dof    eff
    strong     1    501638    30.12    29.12    0.995     20    1.450  0.20  0.62  0.16  0.03    2073  1.000
    strong     2    501638    23.37    22.55    0.825     20    1.123  0.17  0.62  0.18  0.03    2829  0.644
    strong3d   1    596781   611.63   609.43    2.203     19   32.060  0.13  0.13  0.73  0.01    3033  1.000
    strong3d   2    596781   301.07   298.64    2.435     19   15.708  0.14  0.07  0.78  0.01    5868  1.016
    weak       2   1003238    55.46    53.65    1.813     22    2.430  0.18  0.60  0.20  0.03    2244  0.543

**3D strong speed-up 1 → 2 ranks 2.03** (checked ≥ 1.6; CG + GAMG with the inexact, lagged
solves of :mod:`solver.fem.active_set`, the same 19 Newton steps, contact fraction equal, ASR to
2e-13). The 2D speed-up was **1.29** in this run (check ≥ 1.3: FAIL), and 1.46 and 1.34 in two
repeats of the 2D pair right after (the children run by hand, ``--child --n-face 6600``): at
the bound, within this machine's noise. The 2D press took 20 Newton steps instead of the 14
below (the direct-solve path is unchanged by the Krylov changes of 2026-12-07; the cause, a
change of the load stepping since 2026-12-06 presumably, was not investigated).

Since 2026-12-07 (later) each rank runs numba's kernels (the return map at the quadrature
points, the surface synthesis) on its share of the node's cores
(:func:`solver.fem.backend.share_cores`); before, each of the 2 ranks started one thread per
core. On the 2D pair that changes nothing measurable (``--child --n-face 6600`` by hand, 2 cores
otherwise idle, alternated in one session: K = 2 with two threads per rank 20.5 and 18.2 s, with
the shared cores 19.3 and 20.7 s, K = 1 28.6 s; an hour earlier K = 1 24.0, 24.7 s and K = 2
16.0–16.5 s): **speed-up 1.39–1.57**, the same 20 Newton steps. The spread is this machine's
from hour to hour (session 16's 1.29, 1.46, 1.34 included); the check's 1.3 is met in all of them
but the first of session 16. The gain of the shared cores is on small cases, whose kernels run
often between short solves (``indentation_size_effect --size small`` on 2 ranks 114 → 45 s).

Full run with ``vinewtonrsls`` (2026-12-03, commit 35af850: rigid platen, AMD ordering of the 2D
LU, :data:`solver.fem.petsc.PROFILE_ORDERING`; the 2 cores otherwise idle; ``python
benchmarks/scaling.py --size full``, 795 s in all)::

    series  K     dofs  T (s)  press  current  Newton  s/step   asm  PCset  solve  rest  B/dof    eff
    strong  1   501638  131.2  130.6    0.60      44    2.95  0.13   0.71   0.06  0.10   3002  1.000
    strong  2   501638  130.9  130.3    0.51      44    2.95  0.08   0.79   0.07  0.05   4323  0.501
    weak    2  1003238  522.8  521.8    1.06      72    7.23  0.07   0.83   0.06  0.05   3503  0.251

(asm/PCset/solve/rest: shares of the press's SNES time, events' max over ranks.) Strong K = 2:
contact fraction equal to 2.9e-16 relative, ASR to 3.6e-13, the same 44 Newton steps.
The 2D press does not speed up from 1 to 2 ranks: the LU set-up, 71–83 % of the press, is
92.8 s on 1 rank and 103.1 s on 2 (assembly scales, 16.6 s → 10.8 s). MUMPS's analysis is
sequential and redone at every Newton step (the inactive-set sub-matrix changes), and on 2
ranks it costs more than on 1: one analysis of the 1 M-dof reduced matrix took 1.0 s serially
and 8.0 s on 2 ranks (AMD; METIS 6.1 s and 8.3 s), measured on its own, outside the press;
where the parallel analysis loses its time was not found. 2D profiles are therefore best run
one case per rank (sweeps), 3D blocks on several ranks. Peak RSS per dof includes ≈ 150 MB
per rank of Python/DOLFINx/PETSc (the 2-rank numbers pay it twice).

Before (traction control, METIS ordering, 2 shared cores at load 5–13, 2104 s in all): strong
K = 1 and 2: 26 Newton steps, 23.19 and 19.70 s per step (efficiency 0.589), weak K = 2
36.10 s per step (0.643); the analysis was 345 s of the 604 s press on 1 rank.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from solver.batch.bench.check import Check, bench_main  # noqa: E402
from solver.errors import InputError  # noqa: E402

NAME = "scaling"
CITATION = ("lamina performance benchmark (no external reference): strong efficiency "
            "K0 T(K0)/(K T(K)), weak efficiency T(K0)/T(K), PETSc log events")

PRESSURE = 1.0e6  # Pa
INCREMENTS = 3
SIZES = {
    # face elements of the strong case and per rank of the weak case
    "small": {"strong": 250, "weak": 250},  # 19 038 dofs
    "full": {"strong": 6600, "weak": 6600},  # 501 638 dofs
}
#: The 3D series (strong only): the default 3D case's block (:mod:`press_performance_3d`'s
#: surfaces, P2 tetrahedra, elastic lithium as above) at these face element sizes (m): ``small``
#: 14 079 dofs (a direct solve), ``full`` the default 128² surface of 50 µm with face elements of
#: 1.1 µm, ≥ 0.5 M dofs (CG + GAMG, :data:`solver.fem.petsc.CONTACT_AS_ITERATIVE`).
FACE_3D = {"small": 1.5e-6, "full": 1.1e-6}
#: Contact fraction and ASR on K ranks against K₀, relative; also for the 3D block solved by CG
#: + GAMG, whose aggregates depend on the partition: its Newton iterates differ, but the
#: converged contact set is the same and the ASR agreed to 2e-13 (full size, 2026-12-07).
RANK_INDEPENDENCE_RTOL = 1e-8
#: Issue 13's bound on the strong speed-up from 1 to 2 ranks of the 3D block (``full``).
SPEEDUP_3D_MIN = 1.6
#: Issue 13's bound on the strong speed-up from 1 to 2 ranks of the 2D profile (``full``).
SPEEDUP_2D_MIN = 1.3
EFFICIENCY_BOUNDS = (1e-3, 1.5)
CHILD_TIMEOUT_S = {"small": 300, "full": 7200}
ENV_RANKS = "LAMINA_SCALING_RANKS"


# ---------------------------------------------------------------------------------------------
# one run (child process, under mpiexec -n K)


def case_3d(size: str):
    """The 3D block of :data:`FACE_3D` ``[size]``: :func:`press_performance_3d.case` with elastic
    lithium and the current stage."""
    import press_performance_3d as p3

    from solver.case import config

    return config.replace(p3.case(size), name=f"scaling3d-{size}",
                          mesh={"face_element_size": FACE_3D[size]},
                          lithium={"plasticity": False, "creep": False},
                          output={"stages": ["surface", "press", "current"]})


def child(n_face: int, out: str, size_3d: str | None = None) -> int:
    """Run the case with ``n_face`` face elements (or the 3D block of ``size_3d``) on this
    communicator; rank 0 writes ``out``."""
    import _performance as perf

    from solver.fem.backend import comm_world

    comm = comm_world()
    from mpi4py import MPI

    the_case = (case_3d(size_3d) if size_3d else
                perf.case(n_face, pressure=PRESSURE, increments=INCREMENTS, plasticity=False,
                          creep=False))
    pr = perf.PressRun(the_case, comm)
    pr.press()
    pr.current()
    peak = comm.allreduce(perf.peak_rss_bytes(), op=MPI.SUM)
    split = perf.press_split(pr.press_events)
    cev = pr.current_events
    result = {
        "ranks": comm.size, "n_face": n_face, "dofs": pr.ndofs, "current_dofs": pr.current_dofs,
        "t_setup": pr.t_setup, "t_press": pr.t_press, "t_current": pr.t_current,
        "steps": len(pr.records), "newton": pr.newton, "newton_all": pr.newton_all,
        "solves": pr.solves, "split": split,
        "current_split": {"pc_setup": cev["PCSetUp"][0], "solve": cev["KSPSolve"][0]},
        "events": {"press": pr.press_events, "current": cev},
        "rss_peak": peak, "rss_base": pr.rss_base,
        "fraction": pr.fraction, "asr": pr.asr,
    }
    if comm.rank == 0:
        Path(out).write_text(json.dumps(result, indent=1))
    return 0


# ---------------------------------------------------------------------------------------------
# the series (parent, serial)


def parse_ranks(text: str) -> tuple[int, ...]:
    """``"1,2,4"`` → (1, 2, 4): distinct positive integers, ascending."""
    try:
        ranks = sorted({int(t) for t in str(text).split(",") if t.strip()})
    except ValueError:
        ranks = []
    if not ranks or ranks[0] < 1:
        raise InputError(f"ranks list {text!r}: must be comma-separated positive integers, "
                         "e.g. 1,2")
    return tuple(ranks)


def _launch(ranks: int, n_face: int, folder: Path, size: str, dim3: bool = False) -> dict:
    from solver.batch import mpi
    out = folder / f"k{ranks}_n{n_face}{'_3d' if dim3 else ''}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--n-face", str(n_face),
           "--child-json", str(out), *(["--size-3d", size] if dim3 else [])]
    if ranks > 1:
        launcher = mpi.find_mpiexec()
        if not launcher:
            raise InputError(f"ranks {ranks}: no mpiexec found (set LAMINA_MPIEXEC)")
        cmd = [*launcher, "-n", str(ranks), *cmd]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=mpi.child_env(ranks), capture_output=True, text=True,
                          timeout=CHILD_TIMEOUT_S[size], errors="replace")
    if proc.returncode != 0 or not out.is_file():
        tail = (proc.stderr or proc.stdout)[-2000:]
        raise RuntimeError(f"scaling child ({ranks} ranks, n_face {n_face}) failed with exit "
                           f"code {proc.returncode}:\n{tail}")
    res = json.loads(out.read_text())
    res["t_process"] = time.perf_counter() - t0
    return res


def _row(kind: str, r: dict, eff: float) -> dict:
    s = r["split"]
    t = r["t_press"] + r["t_current"]
    return {"series": kind, "K": r["ranks"], "dofs": r["dofs"], "T": t, "press": r["t_press"],
            "current": r["t_current"], "newton": r["newton_all"],
            "t_step": s["snes"] / r["newton_all"], "asm": s["assembly"] / s["snes"],
            "pcsetup": s["pc_setup"] / s["snes"], "solve": s["solve"] / s["snes"],
            "rest": s["rest"] / s["snes"], "mem": r["rss_peak"] / r["dofs"],
            "eff": eff}


def format_table(rows: list[dict]) -> str:
    """The scaling table as plain text."""
    head = (f"{'series':8s} {'K':>3s} {'dofs':>9s} {'T (s)':>8s} {'press':>8s} {'current':>8s} "
            f"{'Newton':>6s} {'s/step':>8s} {'asm':>5s} {'PCset':>5s} {'solve':>5s} "
            f"{'rest':>5s} {'B/dof':>7s} {'eff':>6s}")
    lines = [head]
    for r in rows:
        lines.append(
            f"{r['series']:8s} {r['K']:3d} {r['dofs']:9d} {r['T']:8.2f} {r['press']:8.2f} "
            f"{r['current']:8.3f} {r['newton']:6d} {r['t_step']:8.3f} {r['asm']:5.2f} "
            f"{r['pcsetup']:5.2f} {r['solve']:5.2f} {r['rest']:5.2f} {r['mem']:7.0f} "
            f"{r['eff']:6.3f}")
    return "\n".join(lines)


def _checks_of(kind: str, r: dict, eff: float, base: dict) -> list[Check]:
    k = r["ranks"]
    s = r["split"]
    cs = r["current_split"]
    tag = f"{kind} K={k}"
    rows = [
        ("global displacement dofs", r["dofs"], "1"),
        ("press wall time", r["t_press"], "s"),
        ("current wall time", r["t_current"], "s"),
        ("Newton steps (all solves)", r["newton_all"], "1"),
        ("time per Newton step", s["snes"] / r["newton_all"], "s"),
        ("press assembly (SNESFunctionEval+JacobianEval)", s["assembly"], "s"),
        ("press PC set-up (PCSetUp, LU)", s["pc_setup"], "s"),
        ("press solve (KSPSolve)", s["solve"], "s"),
        ("press rest of SNESSolve", s["rest"], "s"),
        ("current PC set-up (PCSetUp, LU)", cs["pc_setup"], "s"),
        ("current solve (KSPSolve)", cs["solve"], "s"),
        ("peak RSS per dof (summed over ranks)", r["rss_peak"] / r["dofs"], "B"),
        ("contact fraction", r["fraction"], "1"),
        ("ASR", r["asr"], "Ohm m^2"),
    ]
    out = [Check(f"{tag}: {name}", float(v), kind="info", unit=u) for name, v, u in rows]
    if r is not base:
        lo, hi = EFFICIENCY_BOUNDS
        name = f"{tag}: {'weak' if kind == 'weak' else 'strong'} efficiency"
        out.append(Check(f"{name} (info)", eff, kind="info"))
        out.append(Check(f"{name} <= {hi:g}", eff, tolerance=hi, kind="max"))
        out.append(Check(f"{name} >= {lo:g}", eff, tolerance=lo, kind="min"))
    return out


def run(size: str = "small", ranks: tuple[int, ...] | None = None) -> list[Check]:
    if ranks is None:
        ranks = parse_ranks(os.environ.get(ENV_RANKS, "1,2"))
    cfg = SIZES[size]
    k0 = ranks[0]
    checks: list[Check] = []
    rows = []
    with tempfile.TemporaryDirectory(prefix="lamina-scaling-") as tmp:
        folder = Path(tmp)
        runs: dict[tuple[int, int], dict] = {}

        def get(k: int, n: int) -> dict:
            if (k, n) not in runs:
                runs[(k, n)] = _launch(k, n, folder, size)
            return runs[(k, n)]

        strong = [get(k, cfg["strong"]) for k in ranks]
        weak = [get(k, cfg["weak"] * k // k0) for k in ranks]
        strong3d = [_launch(k, 0, folder, size, dim3=True) for k in ranks]
    t = {id(r): r["t_press"] + r["t_current"] for r in strong + weak + strong3d}
    for kind, series, bound in (("strong", strong, SPEEDUP_2D_MIN),
                                ("strong3d", strong3d, SPEEDUP_3D_MIN)):
        for r in series:
            eff = k0 * t[id(series[0])] / (r["ranks"] * t[id(r)])
            rows.append(_row(kind, r, eff))
            checks += _checks_of(kind, r, eff, series[0])
            if r is series[0]:
                continue
            for key, what in (("fraction", "contact fraction"), ("asr", "ASR")):
                checks.append(Check(f"{kind} K={r['ranks']}: {what} = K={k0} value",
                                    r[key], series[0][key], RANK_INDEPENDENCE_RTOL, "rel"))
            checks.append(Check(f"{kind} K={r['ranks']}: Newton steps - K={k0} value (info)",
                                float(r["newton_all"] - series[0]["newton_all"]), kind="info"))
            speedup = t[id(series[0])] / t[id(r)]
            # issue 13: ≥ 1.3× (2D profile) and ≥ 1.6× (3D block) from 1 to 2 ranks at
            # ≥ 0.5 M dofs (full size)
            if size == "full" and (k0, r["ranks"]) == (1, 2):
                checks.append(Check(f"{kind} K=2: speed-up over K=1", speedup,
                                    tolerance=bound, kind="min"))
            else:
                checks.append(Check(f"{kind} K={r['ranks']}: speed-up over K={k0} (info)",
                                    speedup, kind="info"))
    for r in weak:
        eff = t[id(weak[0])] / t[id(r)]
        rows.append(_row("weak", r, eff))
        if r is not weak[0] or weak[0] is not strong[0]:
            checks += _checks_of("weak", r, eff, weak[0])
        if r is not weak[0]:
            step = lambda x: x["split"]["snes"] / x["newton_all"]  # noqa: E731
            checks.append(Check(f"weak K={r['ranks']}: efficiency per Newton step (info)",
                                step(weak[0]) / step(r), kind="info"))
    print(f"# scaling ({size}): press to {PRESSURE / 1e6:g} MPa + Li|Cu current, ranks "
          f"{','.join(map(str, ranks))}; T = press + current wall time; asm/PCset/solve/rest: "
          "shares of the press's SNES time; B/dof: peak RSS summed over ranks per dof")
    print(format_table(rows), flush=True)
    return checks


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--n-face", type=int)
    parser.add_argument("--child-json")
    parser.add_argument("--size-3d", choices=tuple(FACE_3D))
    parser.add_argument("--ranks-list")
    args, rest = parser.parse_known_args(argv)
    if args.child:
        return child(args.n_face, args.child_json, args.size_3d)
    if args.ranks_list is not None:
        try:
            ranks = parse_ranks(args.ranks_list)
        except InputError as e:
            print(f"scaling: --ranks-list: {e}", file=sys.stderr)
            return 2
        os.environ[ENV_RANKS] = ",".join(map(str, ranks))
    return bench_main(run, NAME, CITATION, rest)


if __name__ == "__main__":
    # --child and --ranks-list are this script's own; everything else is bench_main's
    own = any(a.startswith(("--child", "--ranks-list", "--n-face", "--size-3d"))
              for a in sys.argv[1:])
    raise SystemExit(main() if own else bench_main(run, NAME, CITATION))
