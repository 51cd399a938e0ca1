"""The current-flow stage on the press cycle's contact maps: one step's map onto the face,
the potential solve, the current map on the surface grid and its metrics.

Face fields from a contact map (:func:`face_field_from_map`, :func:`set_contact_map`): the map's
in_contact (nearest grid point), pressure and gap (periodic bilinear) are sampled at
``samples²`` equal-area points of each face facet, the interface law is evaluated at each point,
and the facet mean is stored in a DG0 function (:func:`solver.fem.face_sampling.face_field`).
Grid convention of :mod:`solver.simulation.contactmap`: ``x_i = i·Lx/nx``.

Metrics (:func:`solver.physics.current_metrics.current_metrics`) work on the local current
density on the surface grid (:meth:`solver.fem.potential.CurrentProblem.current_map`).

Each step also reports the small-signal ASR (``dΔV/dJ − t/c``, :mod:`solver.fem.potential_tangent`)
beside the dc one. The drive's sign comes from the interface (:func:`signed_drive`: Cu|SE plates
lithium onto the collector, a cathodic current), and :func:`stage_notes` states the direction,
the sign convention and the assumptions (rigid counter-body) for results.json.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from solver.case.config import Case
from solver.case.materials import lithium_conductivity
from solver.errors import InputError
from solver.fem import mesh as geometry
from solver.fem.face_sampling import face_field
from solver.fem.potential import CurrentProblem, CurrentSolution
from solver.physics.current_metrics import CurrentMetrics, current_metrics
from solver.physics.electrochemistry import FilmParams, film_conductance
from solver.physics.interface import (CURRENT_DIRECTION, FilmInterface, KineticInterface,
                                      Kinetics, drive_sign)
from solver.simulation import contactmap
from solver.surface.heightmap import HeightMap


class MapStep(NamedTuple):
    """One step of a contact map on its surface grid (arrays ``(nx, ny)``)."""

    in_contact: np.ndarray
    pressure: np.ndarray
    gap: np.ndarray
    physical_sizes: tuple[float, float]

    @property
    def shape(self) -> tuple[int, int]:
        return self.in_contact.shape

    @property
    def cell_area(self) -> float:
        """Area of one grid cell (m²; per unit depth, m, for a profile ``ny = 1``)."""
        nx, ny = self.shape
        Lx, Ly = self.physical_sizes
        return (Lx / nx) * (Ly / ny if ny > 1 else 1.0)

    def grid_points(self) -> tuple[np.ndarray, np.ndarray]:
        """Lateral coordinates ``(X, Y)`` (m, arrays (nx, ny)) of the grid points,
        ``x_i = i·Lx/nx``."""
        nx, ny = self.shape
        Lx, Ly = self.physical_sizes
        x = np.arange(nx) * Lx / nx
        y = np.arange(ny) * Ly / ny if ny > 1 else np.zeros(1)
        return tuple(np.meshgrid(x, y, indexing="ij"))

    def sample(self, quantity: str, x: np.ndarray, y: np.ndarray | None = None,
               film: FilmParams | None = None) -> np.ndarray:
        """Values at lateral points (periodic): ``"in_contact"`` (nearest grid point, 0/1),
        ``"pressure"``/``"gap"`` (bilinear), ``"conductance"`` (film law on those, needs
        ``film``)."""
        nx, ny = self.shape
        Lx, Ly = self.physical_sizes
        x = np.asarray(x, dtype=float)
        y = np.zeros_like(x) if (y is None or ny == 1) else np.asarray(y, dtype=float)
        if quantity == "in_contact":
            i = np.rint(x / Lx * nx).astype(np.int64) % nx
            j = np.rint(y / Ly * ny).astype(np.int64) % ny if ny > 1 else np.zeros_like(i)
            return self.in_contact[i, j].astype(float)
        if quantity in ("pressure", "gap"):
            field = getattr(self, quantity)
            if ny == 1:
                return HeightMap(field[:, 0], (Lx,))(x)
            return HeightMap(field, (Lx, Ly))(x, y)
        if quantity == "conductance":
            if film is None:
                raise InputError("face field 'conductance': needs the film parameters")
            inc = self.sample("in_contact", x, y) > 0.5
            p = self.sample("pressure", x, y)
            g = self.sample("gap", x, y)
            # in contact: g = 0 (closed film); out of contact: open, g > 0 even where the
            # bilinear gap is 0 next to a contact edge
            g_eff = np.where(inc, 0.0, np.maximum(g, np.finfo(float).tiny))
            return film_conductance(p, g_eff, film)
        raise InputError(f"face field quantity={quantity!r}: allowed 'in_contact', 'pressure', "
                         "'gap', 'conductance'")


def map_step(maps, step: int, *, heights=None, physical_sizes=None,
             source: str = "contact map") -> MapStep:
    """Step ``step`` of contact maps: a :class:`solver.simulation.contactmap.ContactMaps` (as the
    press cycle fills it) or its arrays (``contact_maps.npz``,
    :func:`solver.simulation.contactmap.load`).

    With ``heights`` (and ``physical_sizes``) the map must have been made on that surface grid
    (:func:`solver.simulation.contactmap.check_matches`); InputError otherwise, and for a step out
    of range.
    """
    if isinstance(maps, contactmap.ContactMaps):
        maps = {"in_contact": maps.in_contact, "pressure": maps.pressure, "gap": maps.gap,
                "physical_sizes": np.asarray(maps.physical_sizes, dtype=float),
                "heights": maps.heights, "surface_sha256": np.array(maps.surface_sha256)}
    for key in ("in_contact", "pressure", "gap", "physical_sizes"):
        if key not in maps:
            raise InputError(f"{source}: missing array '{key}'")
    if heights is not None:
        sizes = maps["physical_sizes"] if physical_sizes is None else physical_sizes
        contactmap.check_matches(maps, heights, sizes, source)
    n = len(maps["in_contact"])
    if not (isinstance(step, (int, np.integer)) and -n <= step < n):
        raise InputError(f"{source}: step={step!r}; the map has {n} steps (0 … {n - 1})")
    inc = np.asarray(maps["in_contact"][step], dtype=bool)
    p = np.asarray(maps["pressure"][step], dtype=float)
    g = np.asarray(maps["gap"][step], dtype=float)
    if inc.ndim == 1:
        inc, p, g = inc[:, None], p[:, None], g[:, None]
    if not (inc.shape == p.shape == g.shape):
        raise InputError(f"{source}: in_contact {inc.shape}, pressure {p.shape}, gap {g.shape} "
                         "differ in shape")
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(g))):
        raise InputError(f"{source}: step {step} has non-finite pressure or gap")
    Lx, Ly = (float(v) for v in np.asarray(maps["physical_sizes"], dtype=float).ravel()[:2])
    return MapStep(inc, p, g, (Lx, Ly))


def face_field_from_map(target, maps, step: int, *, facets: np.ndarray,
                        quantity: str = "conductance", film: FilmParams | None = None,
                        kind: str = "3d", samples: int = 4, heights=None, physical_sizes=None):
    """A contact-map field on the face as a DG0 function (facet means, see
    :func:`solver.fem.face_sampling.face_field`).

    Args:
        target: DG0 ``Function`` (filled in place) or function space.
        maps: contact-map arrays (``contact_maps.npz``); ``step`` selects the step.
        facets: local face facet indices.
        quantity: ``"conductance"`` (S/m², film law, needs ``film``), ``"in_contact"`` (area
            fraction in contact, from the nearest-grid-point indicator), ``"pressure"`` (Pa),
            ``"gap"`` (m).
        heights, physical_sizes: when given, the map must match this surface grid
            (:func:`solver.simulation.contactmap.check_matches`).
    """
    st = map_step(maps, step, heights=heights, physical_sizes=physical_sizes)
    return face_field(target, facets, lambda x, y: st.sample(quantity, x, y, film), kind=kind,
                      samples=samples)


def set_contact_map(problem: CurrentProblem, maps, step: int, *, heights=None,
                    physical_sizes=None) -> MapStep:
    """Face field of ``problem`` from step ``step`` of a contact map; returns that
    :class:`MapStep`.

    The map's patch must be the block's lateral extent; with ``heights`` it must also have
    been made on that surface grid (:func:`solver.simulation.contactmap.check_matches`).
    """
    st = map_step(maps, step, heights=heights, physical_sizes=physical_sizes)
    return problem.set_map_step(st)


class StepCurrent(NamedTuple):
    """The current-flow result of one press step: solution, map (A/m², (nx, ny)), metrics, and
    the factor that made the map's grid integral the exact interface current
    (:meth:`solver.fem.potential.CurrentProblem.current_map`)."""

    solution: CurrentSolution
    current_map: np.ndarray
    metrics: CurrentMetrics
    map_scale: float = 1.0

    def summary(self) -> dict:
        """The step's scalars for results.json (SI; ``_ohm_cm2`` keys in Ω·cm²).

        ``asr_ohm_m2``: dc ASR ``ΔV/J − t/c``; ``asr_small_signal_ohm_m2``: small-signal ASR
        ``dΔV/dJ − t/c`` at the same operating point (None when not computed), what impedance
        spectroscopy measures at low frequency. ``current_density_A_per_m2``, ``delta_v_V`` and
        ``interface_current_density_A_per_m2`` are signed, anodic-positive at the metal
        (negative for Cu|SE plating, see :data:`~solver.physics.interface.CURRENT_DIRECTION`);
        the ASRs and the current-map metrics are taken in the direction of the drive (> 0).
        """
        s = self.solution
        return {"asr_ohm_m2": s.asr, "asr_ohm_cm2": s.asr_cm2,
                "asr_small_signal_ohm_m2": s.asr_small_signal,
                "asr_small_signal_ohm_cm2": s.asr_small_signal_cm2, "delta_v_V": s.delta_v,
                "current_density_A_per_m2": s.current_density, "bulk_asr_ohm_m2": s.bulk_asr,
                "interface_current_density_A_per_m2": s.interface_current / s.current
                * s.current_density if s.current else None,
                "current_map_sampling_factor": self.map_scale,
                "newton_iterations": s.iterations, **self.metrics.summary()}


def solve_step(problem: CurrentProblem, maps, step: int, *,
               current_density: float | None = None, voltage: float | None = None,
               j_crit: float | None = None, heights=None, physical_sizes=None,
               small_signal: bool = True) -> StepCurrent:
    """One step of the press cycle: map → face field → solve (with ``small_signal``, also the
    small-signal ASR: one more linear solve) → current map → metrics. The drive is signed as
    :func:`signed_drive` gives it."""
    st = set_contact_map(problem, maps, step, heights=heights,
                         physical_sizes=physical_sizes)
    sol = problem.solve(current_density=current_density, voltage=voltage,
                        small_signal=small_signal)
    jmap = problem.current_map(st) * math.copysign(1.0, sol.current)
    return StepCurrent(sol, jmap, current_metrics(jmap, st.cell_area, in_contact=st.in_contact,
                                                  j_crit=j_crit), problem.map_scale)


#: What the current stage assumes, for results.json (``output.current.assumptions``).
ASSUMPTIONS: dict[str, tuple[str, ...]] = {
    "li_cu": ("The copper collector is rigid and an equipotential: only the lithium deforms in "
              "the press stage, and the current flows in the undeformed lithium block.",),
    "li_se": ("The solid electrolyte is rigid: only the lithium deforms in the press stage, the "
              "SE keeps its surface and the current flows in an undeformed flat SE block.",),
    "cu_se": ("The solid electrolyte is rigid: only the copper collector deforms in the press "
              "stage, the SE keeps its surface and the current flows in an undeformed flat SE "
              "block.",
              "Anode-less: no lithium body; the first plating current meets bare copper "
              "(nucleation overpotential as a dead band of the kinetics)."),
}


def signed_drive(case: Case) -> dict:
    """The drive of the case's current stage as :meth:`CurrentProblem.solve` takes it:
    ``{"current_density": ±J}`` or ``{"voltage": ±V}``, negative for Cu|SE (plating onto the
    collector, cathodic: :func:`solver.physics.interface.drive_sign`)."""
    c = case.current
    sign = drive_sign(c.interface)
    return ({"current_density": sign * c.current_density} if c.drive == "current"
            else {"voltage": sign * c.voltage})


def stage_notes(case: Case) -> dict:
    """What results.json's current section states about the stage: the direction of the
    current, the sign convention of the step records, and the assumptions."""
    c = case.current
    return {"current_direction": CURRENT_DIRECTION[c.interface],
            "drive_sign": drive_sign(c.interface),
            "sign_convention": "current_density_A_per_m2, delta_v_V and "
            "interface_current_density_A_per_m2 are signed, positive when the current flows "
            "from the metal across the interface (anodic at the metal; Li to Cu for li_cu); "
            "the applied current.current_density / voltage are magnitudes, given the sign "
            "drive_sign; the ASRs (dc and small-signal, Ohm m^2 and Ohm cm^2) and the "
            "current-map metrics are taken in the direction of the drive (> 0)",
            "assumptions": list(ASSUMPTIONS[c.interface])}


def build_current_problem(case: Case, setup, comm):
    """The current-flow problem of the case (checks its input before anything is written).

    Li|Cu reuses the lithium mesh of the press stage (reference geometry); Li|SE and Cu|SE mesh
    the solid electrolyte as a block of the same lateral size and face resolution. The case has
    been checked on load (:func:`solver.case.config.check_body`) for a pressed body that
    matches the interface: lithium for Li|Cu and Li|SE, the copper collector for Cu|SE.
    """
    c = case.current
    if c.interface == "li_cu":
        sigma = lithium_conductivity(case)
        film = FilmParams(c.film_resistance, p_ref=c.film_reference_pressure or float("inf"),
                          beta=c.film_pressure_exponent, decay_length=c.gap_decay_length)
        return CurrentProblem(setup.block, FilmInterface(sigma, film), prefix="lamina_current_")
    kin = Kinetics(c.exchange_current_density, c.alpha_a, c.alpha_c, case.lithium.temperature,
                   eta_nucleation=c.nucleation_overpotential if c.interface == "cu_se" else 0.0)
    b = setup.block
    t = c.electrolyte_thickness or case.mesh.thickness
    h_max = max(t / 4, b.h_lateral)
    cell = "triangle" if case.mesh.cell == "simplex" else "quadrilateral"
    n_face = tuple(round(L / b.h_lateral) for L in b.lengths)
    if b.kind == "3d":
        se = geometry.lithium_block_3d(comm, b.lengths, t, b.h_face, n_face, case.mesh.grading,
                                       h_max=h_max, cell="tetrahedron" if cell == "triangle"
                                       else "hexahedron")
    else:
        se = geometry.lithium_block_2d(comm, b.lengths[0], t, b.h_face, n_face[0],
                                       case.mesh.grading,
                                       h_max=h_max, cell=cell)
    return CurrentProblem(se, KineticInterface(c.electrolyte_conductivity, kin),
                          prefix="lamina_ionic_")
