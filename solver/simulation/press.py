"""The press cycle of one case: lithium pressed onto the rigid surface, held, released.

Builds the block and the contact problem from the case, steps the load with adaptive increments
(cut back on a failed Newton solve, grown when it is easy), and after every converged step
reports the contact state on the surface grid (:mod:`solver.simulation.contactmap`) and the step metrics.
Physics and stepping only: the caller (:mod:`solver.run.pipeline`) writes files through ``on_step``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from solver.simulation import contactmap

from solver.fem import mesh as geometry
from solver.surface.heightmap import HeightMap

from solver.physics.spots import spot_statistics

from solver.fem import active_set, contact

from solver.fem import contact_results

from solver.simulation import loadstep
from solver.simulation.surface import build_heights
from solver.case.config import Case, LithiumConfig
from solver.case.schema import DEFAULT_ELEMENTS_PER_WAVELENGTH
from solver.case.materials import lithium_law_params
from solver.errors import InputError, SolveError

log = logging.getLogger("lamina")

#: Growth of the increment after every converged step. Not tied to the Newton iteration count:
#: that count differs between rank counts (round-off moves the semismooth Newton's active-set
#: path: 13 vs 24 iterations seen on one step), and a schedule that depends on it gives different
#: load paths, hence different plastic states, on 1 and N ranks. Growth is bounded by
#: ``press.max_pressure_ratio`` on loading; failed steps are cut back.
GROWTH = 1.5


# ---------------------------------------------------------------------------------------------
# material and mesh from the case


#: PETSc options prefix of the press's contact problem (``PETSC_OPTIONS="-lamina_press_…"``).
PREFIX = "lamina_press_"


def check_solver_options() -> None:
    """Refuse bad PETSc options of the press that lamina reads itself (the active-set Newton's
    line search and plastic-strain gradient, :func:`solver.fem.active_set.line_search_option`,
    :func:`solver.fem.active_set.gradient_option`), before a run writes anything. Raises
    InputError."""
    active_set.line_search_option(PREFIX)
    active_set.gradient_option(PREFIX)


def lithium_law(cfg: LithiumConfig):
    """The lithium's law parameters (:mod:`solver.physics.laws`) from the case and its material file
    (:func:`solver.case.materials.lithium_law_params`)."""
    return lithium_law_params(cfg)


#: Mean pressures beyond which the model's results are not trusted (a warning, not a refusal:
#: the solve is valid mechanics, but lithium, creep data and contact law were never meant for it).
ABSURD_PRESSURE = 1e9  # Pa
ABSURD_YIELD_RATIO = 100.0


def warn_absurd_load(case: Case) -> bool:
    """Log one warning when the largest press pressure is above 1 GPa or 100x the lithium's
    yield stress; True when it did."""
    try:
        law = lithium_law(case.lithium)
    except InputError:  # reported where the law is built
        law = None
    sy = getattr(getattr(law, "plastic", law), "sigma_y", None)
    p = max(case.press.pressures)
    limit = ABSURD_PRESSURE if sy is None else min(ABSURD_PRESSURE, ABSURD_YIELD_RATIO * sy)
    if p <= limit:
        return False
    what = "" if sy is None else f", {p / sy:.3g} x the lithium's yield stress {sy:.3g} Pa"
    log.warning("press.pressures: %.3g Pa%s is far beyond the range the model was built for "
                "(<= %.3g Pa); results are not physically meaningful", p, what, limit)
    return True


@dataclass
class PressSetup:
    """What the press stage works on."""

    block: geometry.Block
    heights: np.ndarray          # the surface under the FE face: (nx, ny) map or (nx,) profile
    grid_heights: np.ndarray     # the same on the contact-map grid, (nx, ny) or (nx, 1)
    physical_sizes: tuple[float, float]
    grid_lines: list             # surface grid coordinates along x (and y)
    node_lines: list             # FE face node coordinates along x (and y)
    elements_per_short_cutoff: float | None


def build_setup(case: Case, heights: np.ndarray, physical_sizes, comm) -> PressSetup:
    """Mesh the lithium over the surface; refuse a face too coarse for the surface."""
    m = case.mesh
    s = case.surface
    warn_absurd_load(case)
    Lx, Ly = physical_sizes
    nx, ny = heights.shape
    short = s.short_cutoff if s.kind == "self_affine" else None
    if s.kind == "self_affine" and short is None:
        short = 2 * max(Lx / nx, Ly / ny)
    if m.face_element_size is not None:
        size = m.face_element_size
    elif short is not None:
        size = short / DEFAULT_ELEMENTS_PER_WAVELENGTH[m.dimension]
    else:
        size = min(Lx, Ly) / 32
    per = None
    if short is not None:
        try:
            per = geometry.check_resolution(short, size)
        except InputError as e:
            raise InputError(f"mesh.face_element_size: {e}") from None
    elif s.kind == "measured" and size > 2 * max(Lx / nx, Ly / ny):
        log.warning("mesh: face elements of %.3g m are %.1f grid spacings of the measured map; "
                    "features below %.3g m are not resolved", size, size / (Lx / nx), 4 * size)
    z0 = float(np.max(heights))
    h_max = max(m.thickness / 4, size)
    geometry.check_mesh_size((Lx,) if m.dimension == 2 else (Lx, Ly), m.thickness, size,
                             m.grading, h_max, m.degree, m.cell == "simplex")
    if m.dimension == 2:
        row = ny // 2 if m.profile_row is None else m.profile_row
        if row >= ny:
            raise InputError(f"mesh.profile_row = {row}: must be < ny = {ny}")
        profile = np.ascontiguousarray(heights[:, row])
        n_face = max(1, math.ceil(Lx / size - 1e-9))
        block = geometry.lithium_block_2d(comm, Lx, m.thickness, size, n_face, m.grading, z0=z0,
                                          h_max=h_max, cell="triangle" if m.cell == "simplex"
                                          else "quadrilateral")
        # Lagrange dofs of degree k sit at k + 1 equispaced points per face element.
        k = m.degree
        node_lines = [np.linspace(0.0, Lx, k * n_face + 1)]
        grid_lines = [np.arange(nx) * Lx / nx]
        return PressSetup(block, profile, profile[:, None], (Lx, Ly), grid_lines, node_lines, per)
    n_face = (max(1, math.ceil(Lx / size - 1e-9)), max(1, math.ceil(Ly / size - 1e-9)))
    block = geometry.lithium_block_3d(comm, (Lx, Ly), m.thickness, size, n_face, m.grading, z0=z0,
                                      h_max=h_max, cell="tetrahedron" if m.cell == "simplex"
                                      else "hexahedron")
    k = m.degree
    node_lines = [np.linspace(0.0, Lx, k * n_face[0] + 1), np.linspace(0.0, Ly, k * n_face[1] + 1)]
    grid_lines = [np.arange(nx) * Lx / nx, np.arange(ny) * Ly / ny]
    return PressSetup(block, heights, heights, (Lx, Ly), grid_lines, node_lines, per)


def case_mesh(case, comm):
    """The press setup of ``case`` exactly as ``lamina run`` builds it (collective).

    Returns:
        ``(setup, short_cutoff)``: the :class:`solver.simulation.press.PressSetup` and the surface's
        shortest wavelength (m) that :func:`solver.simulation.press.build_setup` checked the face against
        (None for surfaces without one).
    """
    heights, sizes, _ = build_heights(case.surface, case.seed)
    setup = build_setup(case, heights, sizes, comm)
    # The same rule as build_setup (it does not keep the value): the case's short cutoff of a
    # self-affine surface, else two grid spacings.
    s = case.surface
    short = None
    if s.kind == "self_affine":
        short = s.short_cutoff or 2 * max(sizes[0] / heights.shape[0], sizes[1] / heights.shape[1])
    return setup, short


# ---------------------------------------------------------------------------------------------
# stepping


@dataclass
class StepRecord:
    """Metrics after one converged step (SI units)."""

    index: int
    phase: str
    mean_pressure: float
    time: float
    newton_iterations: int
    contact_fraction: float          # A_r/A0 from the FE face (lumped nodal areas)
    contact_fraction_grid: float     # A_r/A0 on the surface grid (nearest-node indicator)
    void_volume_per_area: float      # mean gap over the patch (m^3/m^2 = m)
    max_contact_pressure: float
    mean_contact_pressure: float     # p̄/(A_r/A0), A_r of contact_fraction (force balance)
    plastic_zone_depth: float
    spots: dict = field(default_factory=dict)
    platen_displacement: float | None = None  # m, downward from first touch; platen control
    pressure_map_sampling_factor: float = 1.0  # map scaled to the face's force (contactmap)

    def summary(self) -> dict:
        d = dict(self.__dict__)
        spots = dict(d.pop("spots"))
        spots.pop("spot_areas", None)
        d.update(spots)
        return d


def schedule(cfg) -> list[tuple[str, float, float]]:
    """The press cycle as segments (phase, target pressure (Pa), duration (s))."""
    segs = []
    for p, t in zip(cfg.pressures, cfg.hold_times):
        segs.append(("load" if not segs or p >= segs[-1][1] else "release", p, 0.0))
        if t > 0:
            segs.append(("hold", p, t))
    if cfg.release:
        segs.append(("release", cfg.release_pressure, 0.0))
    return segs


class PressCycle:
    """Runs the press cycle of a case on a contact problem; ``on_step(record, maps, cp)``
    is called after every converged step (on every rank)."""

    def __init__(self, case: Case, setup: PressSetup, comm, *, on_step=None, progress=None):
        self.case = case
        self.setup = setup
        self.comm = comm
        self.on_step = on_step
        self.progress = progress
        self.law = lithium_law(case.lithium)
        surface = HeightMap(setup.heights, tuple(setup.physical_sizes[: setup.block.mesh.geometry.dim - 1]))
        self.cp = contact.ContactProblem(setup.block, surface, self.law,
                                           prefix=PREFIX, degree=case.mesh.degree,
                                           control=case.press.control,
                                           contact_solver=case.press.contact_solver,
                                           linear_solver=case.press.linear_solver)
        self.maps = contactmap.ContactMaps.empty(setup.grid_heights, setup.physical_sizes)
        self.records: list[StepRecord] = []
        self.pressure = 0.0
        #: where the cycle stands after the last converged step (see :meth:`_segment`)
        self.position: dict = {"segment": 0}
        #: called as ``between_steps(cycle)`` after every converged step and its ``on_step``:
        #: the place where a caller may checkpoint and stop
        self.between_steps = None

    # -- one step -----------------------------------------------------------------------------
    def _step(self, pressure: float, dt: float, fallback: bool | str) -> int:
        res = loadstep.solve_load_step(self.cp, pressure, dt=dt, fallback=fallback)
        self.pressure = pressure
        return res.iterations

    def _segment(self, index: int, phase: str, target: float, duration: float, n0: int,
                 position: dict | None = None) -> None:
        """Step through one segment of the schedule, from its start or from ``position``.

        A load or release ramp advances the mean pressure x = p̄ towards ``target``; a hold
        advances the time x = t at p̄ = ``target`` for ``duration``. The increment starts at
        1/``n0`` of the segment, is halved when Newton fails (at most ``press.max_cutbacks``
        times in a row) and grows by :data:`GROWTH` after every converged step (so the
        schedule does not depend on the rank count). With ``press.ramp_rate`` a ramp step of
        Δp̄ lasts ``|Δp̄| / ramp_rate`` (creep acts during the ramp). After every converged step
        :attr:`position` holds everything needed to continue the segment from there.
        """
        cfg = self.case.press
        hold = phase == "hold"
        if position is not None:
            x, end, inc, cut = (position[k] for k in ("x", "end", "increment", "cutbacks"))
        else:
            x = self.cp.load.time if hold else self.pressure
            end = x + duration if hold else target
            inc = (end - x) / n0
            cut = 0
        while (end * (1 - 1e-12) - x > 0) if hold else \
                ((end - x) * math.copysign(1, inc) > 1e-12 * abs(end)):
            if hold:
                inc = min(inc, end - x)
                nxt = x + inc
            else:
                nxt = x + inc
                if x > 0 and inc > 0 and nxt > x * cfg.max_pressure_ratio:
                    # the cap is the increment: a cut-back must halve what was tried
                    nxt = x * cfg.max_pressure_ratio
                    inc = nxt - x
                if (end - nxt) * math.copysign(1, inc) < 0:
                    nxt = end
            ramp_dt = abs(nxt - x) / cfg.ramp_rate if cfg.ramp_rate and not hold else 0.0
            # A failed bordered Newton step is retried with half the increment, not by the
            # secant over displacement-controlled solves, which stalls as the Newton does on
            # perfectly plastic lithium (80 iterations per solve): the secant is the last
            # resort. Measured on benchmarks/doux_sulfide_pressure.py's small case before this
            # change: > 15 min, 2226 of 2432 Newton iterations in the secant's solves; after: 43 s.
            # The first touch may need the secant's gradual platen moves (doux_sulfide_pressure
            # --size full: the bordered Newton diverged at 0.1 MPa and at every halving down to
            # 390 Pa), so the first try of the first step keeps it, within its iteration budget
            # (loadstep.FALLBACK_MAX_ITERATIONS) — where that Newton diverged: one that ran out
            # of iterations is cut back as any other step (perfectly plastic press_performance
            # small, 1 MPa from 3 increments: 1832 Newton steps, 98 s with the fallback, of which
            # 1000 in the secant that failed; 745 steps, 42 s without; the same increments and
            # A_r/A0; doux_sulfide_pressure full unchanged to the printed digit).
            fallback = (True if cut >= cfg.max_cutbacks else
                        loadstep.ON_DIVERGENCE if cut == 0 and not self.cp.load.loaded else False)
            try:
                its = (self._step(target, inc, fallback) if hold
                       else self._step(nxt, ramp_dt, fallback))
            except SolveError as e:
                log.debug("press: step %s -> %.6g cut back: %s", phase, nxt if not hold else
                          x + inc, e)
                cut += 1
                if cut > cfg.max_cutbacks:
                    what = f"hold at {target:.4g} Pa" if hold else f"{phase} to {target:.4g} Pa"
                    raise SolveError(f"{what}: {e} (after {cut - 1} cut-backs)") from None
                inc /= 2
                continue
            x = self.cp.load.time if hold else nxt
            cut = 0
            inc *= GROWTH
            self.position = {"segment": index, "x": x, "end": end, "increment": inc,
                             "cutbacks": cut}
            self._record(phase, its)
            if self.between_steps is not None:
                self.between_steps(self)

    def run(self, position: dict | None = None) -> list[StepRecord]:
        """Run the schedule (or its rest, from a :attr:`position` restored by the caller)."""
        segs = schedule(self.case.press)
        self._n_segments = len(segs)
        start = 0 if position is None else int(position["segment"])
        for i, (phase, target, duration) in enumerate(segs):
            if i < start:
                continue
            self._segment_index = i
            n0 = self.case.press.steps_per_hold if phase == "hold" else self.case.press.steps_per_ramp
            resume = position if i == start and position is not None and "x" in position else None
            self._segment(i, phase, target, duration, n0, resume)
            # the segment is complete: the next one starts afresh
            self.position = {"segment": i + 1}
            if self.progress:
                self.progress(i + 1, len(segs), self.records[-1] if self.records else None, True)
        return self.records

    # -- checkpoint state --------------------------------------------------------------------
    def state(self) -> tuple[dict, dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Everything a restart needs after a converged step, as three parts: JSON-able
        scalars (the cycle's position and records, the problem's
        :class:`~solver.fem.contact.LoadState`), per-rank arrays (owned displacement dofs, the
        committed law state at this rank's quadrature points) and replicated arrays (the contact
        maps so far)."""
        scalars = {"position": dict(self.position), "pressure": self.pressure,
                   **dataclasses.asdict(self.cp.load),
                   "records": [dict(r.__dict__) for r in self.records]}
        distributed = {k: v.copy() for k, v in self.cp.owned_state().items()}
        return scalars, distributed, self.maps.arrays()

    def local_sizes(self) -> dict[str, int]:
        """Sizes of this rank's parts of the arrays of :meth:`state` (nothing copied)."""
        return {k: v.size for k, v in self.cp.owned_state().items()}

    def restore(self, scalars: dict, distributed: dict[str, np.ndarray],
                replicated: dict[str, np.ndarray]) -> None:
        """Put the cycle back where :meth:`state` was taken (same case, same rank count)."""
        fields = {f.name for f in dataclasses.fields(contact.LoadState)}
        self.cp.restore(contact.LoadState(**{k: v for k, v in scalars.items() if k in fields}),
                        distributed)
        self.pressure = float(scalars["pressure"])
        self.position = dict(scalars["position"])
        self.records = [StepRecord(**r) for r in scalars["records"]]
        r = replicated
        for k in range(len(r["mean_pressure"])):
            self.maps.append(r["pressure"][k], r["gap"][k], r["in_contact"][k],
                             r["mean_pressure"][k], r["time"][k], str(r["phase"][k]))

    # -- after a converged step ---------------------------------------------------------------
    def _record(self, phase: str, iterations: int) -> None:
        cp = self.cp
        st = contact_results.contact_state(cp)
        parts = self.comm.allgather((st.points, st.gap, st.pressure, st.in_contact))
        points = np.concatenate([q[0] for q in parts])
        gap = np.concatenate([q[1] for q in parts])
        pres = np.concatenate([q[2] for q in parts])
        inc = np.concatenate([q[3] for q in parts])
        dim = len(self.setup.node_lines)
        grid = contactmap.face_to_grid(points[:, :dim], {
            "gap": np.maximum(gap, 0.0), "pressure": np.maximum(pres, 0.0),
            "in_contact_nearest": inc.astype(float)}, self.setup.node_lines, self.setup.grid_lines)
        in_contact = grid["in_contact"] > 0.5
        pmap, factor = grid["pressure"], 1.0
        if cp.kind != "axisymmetric":  # an axisymmetric face's grid mean is not its area mean
            pmap, factor = contactmap.force_consistent(pmap, st.force / cp.face_area)
        Lx, Ly = self.setup.physical_sizes
        nx, ny = in_contact.shape
        cell = (Lx / nx) * (Ly / ny if ny > 1 else 1.0)
        spots = spot_statistics(in_contact, cell)
        self.maps.append(pmap, grid["gap"], in_contact, self.pressure, cp.load.time, phase)
        depth = contact_results.plastic_zone_depth(cp)
        # the applied load over the real contact area (A_r: the FE face's nodal areas in
        # contact, as contact_fraction): p̄/(A_r/A0) by the force balance. The grid-interpolated
        # pressure averaged over in-contact cells reads 10-40 % lower (smoothed at spot edges).
        rec = StepRecord(
            index=len(self.records), phase=phase, mean_pressure=self.pressure, time=cp.load.time,
            newton_iterations=iterations, contact_fraction=st.fraction,
            contact_fraction_grid=float(in_contact.mean()),
            void_volume_per_area=float(grid["gap"].mean()),
            max_contact_pressure=float(pmap.max()),
            mean_contact_pressure=self.pressure / st.fraction if st.fraction > 0 else 0.0,
            plastic_zone_depth=float(depth), spots=spots,
            platen_displacement=(-float(cp.platen.value) - cp.first_touch
                                 if cp.control == "platen" else None),
            pressure_map_sampling_factor=factor)
        self.records.append(rec)
        if self.progress:
            self.progress(self._segment_index, self._n_segments, rec, False)
        if self.on_step is not None:
            self.on_step(rec, self)


def text_progress(comm, width: int = 30):
    """A one-line progress bar on rank 0 (stderr)."""
    t0 = time.perf_counter()

    tty = sys.stderr.isatty()

    def show(done, total, rec, segment_end):
        # On a terminal one line is redrawn per step; in batch logs one line per segment.
        if comm.rank != 0 or not (tty or segment_end):
            return
        bar = "#" * round(width * done / total)
        extra = (f" p={rec.mean_pressure / 1e6:.3g} MPa A_r/A0={rec.contact_fraction:.4f}"
                 if rec is not None else "")
        sys.stderr.write(f"{chr(13) if tty else ''}press [{bar:<{width}s}] {done}/{total}{extra} "
                         f"{time.perf_counter() - t0:.0f} s")
        if done == total or not tty:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show
