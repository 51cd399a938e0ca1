"""The case tree: one frozen dataclass per case-file section (:class:`Case` at the root).

Every field carries its unit, meaning and range check in its metadata (:func:`param`); loading,
validation and writing are in :mod:`solver.case.config`. Units are SI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from solver.case.fields import FieldError, grid_pts, in_range, non_negative, param, positive

#: Minimum number of face elements per shortest surface wavelength accepted by
#: :func:`solver.fem.mesh.check_resolution` (and by :meth:`Case.validate` for an explicit
#: ``mesh.face_element_size``). The piecewise-linear interpolant of a sinusoid sampled with N
#: elements per wavelength has rms slope sinc(π/N) = sin(π/N)/(π/N) times the exact one: 0.90 at
#: N = 4 (the 10 % that lamina accepts for surface statistics), 0.97 at N = 8.
MIN_ELEMENTS_PER_WAVELENGTH = 4.0
#: Face elements per short cutoff without an explicit ``mesh.face_element_size``, by dimension.
#: 3D: 6, where the default 3D case's contact fraction is within 1.4 % of a boundary-element
#: solution of the same problem at 2–20 % contact (at 4: up to 6.7 % off;
#: ``benchmarks/contact_area_3d.py``, issue 13 asks 3 %).
DEFAULT_ELEMENTS_PER_WAVELENGTH = {2: MIN_ELEMENTS_PER_WAVELENGTH, 3: 6.0}

#: What a case name may hold: it becomes the run folder ``runs/<name>`` without ``--out``.
CASE_NAME_CHARS = "letters, digits, space and _ - . + = , @"
_CASE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.+=,@-]{0,199}")


def case_name(v) -> str | None:
    """A case name: one folder name of :data:`CASE_NAME_CHARS`, starting with a letter or digit,
    at most 200 characters (no path separators, ``..``, control characters or an empty name)."""
    if _CASE_NAME_RE.fullmatch(v) and v == v.rstrip():
        return None
    return (f"must be 1-200 characters of {CASE_NAME_CHARS}, starting with a letter or digit "
            "and not ending in a space (it names the run folder runs/<name>)")


#: Smallest patch length (m): below a nanometre a continuum surface means nothing, and the
#: spectra and meshes of 1e-300 m patches overflow.
MIN_PHYSICAL_SIZE = 1e-9

SurfaceKind = Literal["self_affine", "flat", "sinusoid_1d", "sinusoid_2d", "paraboloid", "measured"]
DetrendMode = Literal["none", "mean", "plane", "poly2", "poly3"]
_ANALYTIC_KINDS = ("sinusoid_1d", "sinusoid_2d")
MEASURED_FIELDS = ("kind", "file", "unit", "format", "physical_sizes", "detrend", "crop",
                   "resample_to")
"""The [surface] fields that apply to kind = "measured" (the others are generator parameters)."""


@dataclass(frozen=True, slots=True)
class SurfaceConfig:
    """The rigid counter-surface (collector or separator) as a height map.

    Parameter names follow SurfaceTopography's ``fourier_synthesis``.
    """

    kind: SurfaceKind = param(
        "self_affine", unit="-",
        doc="self_affine | flat | sinusoid_1d | sinusoid_2d | paraboloid | measured")
    nb_grid_pts: tuple[int, int] = param(
        (128, 128), unit="1", doc="grid points (nx, ny) of the height map", check=grid_pts)
    physical_sizes: tuple[float, float] | None = param(
        (5e-5, 5e-5), unit="m", doc="patch size (Lx, Ly); measured maps: required for plain "
        "matrices, else the instrument file's win (a different value here: a warning)",
        check=lambda v: positive(v) or (None if min(v) >= MIN_PHYSICAL_SIZE else
                                        f"each length must be >= {MIN_PHYSICAL_SIZE:g} m"),
        unset_if=lambda t: t.get("kind") == "measured")
    hurst: float = param(
        0.8, unit="1", doc="Hurst exponent H of the self-affine PSD C(q) ~ q^(-2(1+H))",
        check=in_range(0.0, 1.0, lo_open=True))
    rms_height: float | None = param(
        3e-7, unit="m", doc="target rms height Sq (exactly one of rms_height, rms_slope)",
        check=positive, unset_if=lambda t: "rms_slope" in t)
    rms_slope: float | None = param(
        None, unit="1", doc="target rms slope Sdq (exactly one of rms_height, rms_slope)",
        check=positive)
    short_cutoff: float | None = param(
        8e-6, unit="m", doc="shortest wavelength in the spectrum (none: grid Nyquist)",
        check=positive)
    long_cutoff: float | None = param(
        2.5e-5, unit="m", doc="roll-off wavelength (none: the patch size)", check=positive)
    rolloff: float = param(
        1.0, unit="1", doc="PSD below the roll-off wavevector relative to C(q_r) (1: plateau)",
        check=in_range(0.0, 1.0))
    correlation_ratio: float = param(
        1.0, unit="1", doc="anisotropy: correlation length along / across the lay (>= 1)",
        check=in_range(1.0, 100.0))
    lay_angle_deg: float = param(
        0.0, unit="deg", doc="direction of the lay (long correlation) from the x axis",
        check=in_range(-180.0, 180.0))
    skewness: float = param(
        0.0, unit="1", doc="target height skewness Ssk (0 with kurtosis 3: Gaussian)",
        check=in_range(-5.0, 5.0))
    kurtosis: float = param(
        3.0, unit="1", doc="target height kurtosis Sku (3: Gaussian)", check=in_range(1.0, 50.0))
    amplitude: float | None = param(
        None, unit="m", doc="sinusoid amplitude g0 (h = g0 cos(2 pi x / wavelength))",
        check=positive)
    wavelength: float | None = param(None, unit="m", doc="sinusoid wavelength", check=positive)
    radius: float | None = param(None, unit="m", doc="paraboloid radius of curvature R",
                                 check=positive)
    file: str | None = param(
        None, unit="-", doc="measured height map: .npy, .csv, .txt/.asc/.dat or an instrument "
        "file (SurfaceTopography); relative to the case file")
    unit: str | None = param(None, unit="-", doc="unit of the stored heights: m, mm, um, nm; "
                             "required for plain matrices (npy, csv, txt), else the file's wins")
    format: str | None = param(
        None, unit="-", doc="file format: npy | csv | txt | surfacetopography (none: by "
        "extension; .txt/.asc/.dat by content, binary: surfacetopography)")
    detrend: DetrendMode = param("plane", unit="-", doc="levelling: none | mean | plane | poly2 | poly3")
    crop: tuple[float, float, float, float] | None = param(
        None, unit="m", doc="crop box (x0, x1, y0, y1) of the measured map", check=non_negative)
    resample_to: tuple[int, int] | None = param(
        None, unit="1", doc="resample the measured map onto (nx, ny) grid points", check=grid_pts)

    def validate(self):
        """Cross-field checks of the surface (kind-specific required keys, cutoffs, kurtosis).

        Raises:
            FieldError: the offending field, its value and what is allowed.
        """
        kind = self.kind
        if kind == "self_affine":
            if (self.rms_height is None) == (self.rms_slope is None):
                raise FieldError("rms_height", self.rms_height,
                                 "exactly one of rms_height and rms_slope must be set")
            if (self.short_cutoff is not None and self.long_cutoff is not None
                    and self.short_cutoff >= self.long_cutoff):
                raise FieldError("short_cutoff", self.short_cutoff,
                                 f"must be < long_cutoff = {self.long_cutoff:g} m")
            if self.kurtosis < self.skewness**2 + 1:
                raise FieldError("kurtosis", self.kurtosis,
                                 f"must be >= skewness^2 + 1 = {self.skewness**2 + 1:g} "
                                 "(no distribution has a lower kurtosis)")
            dx = max(s / n for s, n in zip(self.physical_sizes, self.nb_grid_pts))
            if self.short_cutoff is not None and self.short_cutoff < 2 * dx:
                raise FieldError("short_cutoff", self.short_cutoff,
                                 f"must be >= 2 grid spacings = {2 * dx:g} m")
        elif kind in _ANALYTIC_KINDS:
            for name in ("amplitude", "wavelength"):
                if getattr(self, name) is None:
                    raise FieldError(name, None, f"required for kind = '{kind}'")
            if self.physical_sizes[0] / self.wavelength % 1 > 1e-9 and \
                    1 - self.physical_sizes[0] / self.wavelength % 1 > 1e-9:
                raise FieldError("wavelength", self.wavelength,
                                 "physical_sizes[0] must be a whole number of wavelengths")
        elif kind == "paraboloid":
            if self.radius is None:
                raise FieldError("radius", None, "required for kind = 'paraboloid'")
        elif kind == "measured":
            if self.file is None:
                raise FieldError("file", None, "required for kind = 'measured'")
            if self.crop is not None and not (self.crop[0] < self.crop[1] and self.crop[2] < self.crop[3]):
                raise FieldError("crop", self.crop, "must be (x0, x1, y0, y1) with x0 < x1, y0 < y1")


@dataclass(frozen=True, slots=True)
class LithiumConfig:
    """The pressed lithium: elasticity, J2 plasticity, Norton creep (unset: from `material`).

    Unset values come from the material data file named by ``material`` (solver/case/materials/).
    """

    material: str = param("lithium_masias2019", unit="-",
                          doc="material data file (solver/case/materials/<name>.toml) of the "
                          "pressed body: lithium, or for current.interface = 'cu_se' the copper "
                          "collector ('copper', with creep = false and yield_stress set)")
    youngs_modulus: float | None = param(None, unit="Pa", doc="Young's modulus E", check=positive)
    poisson_ratio: float | None = param(None, unit="1", doc="Poisson ratio",
                                        check=in_range(-1.0, 0.5, lo_open=True, hi_open=True))
    plasticity: bool = param(True, unit="-", doc="J2 (von Mises) plasticity on")
    yield_stress: float | None = param(None, unit="Pa", doc="initial yield stress", check=positive)
    hardening: Literal["linear", "power"] = param(
        "linear", unit="-", doc="linear: sy + H p; power (Swift): K (e0 + p)^n")
    hardening_modulus: float = param(0.0, unit="Pa", doc="linear hardening modulus H (0: perfectly "
                                     "plastic)", check=non_negative)
    hardening_coefficient: float | None = param(None, unit="Pa", doc="Swift coefficient K",
                                                check=positive)
    hardening_exponent: float | None = param(None, unit="1", doc="Swift exponent n",
                                             check=in_range(0.0, 1.0, lo_open=True))
    intrinsic_length: float | None = param(
        None, unit="m", doc="size-dependent strength (CMSG strain-gradient plasticity): intrinsic "
        "length l in sigma_f = sqrt(sigma_y(p)^2 + sigma_y^2 l eta), eta the plastic-strain "
        "gradient (1/m); the creep drag stress scales with sigma_f/sigma_y (0: bulk J2, no size "
        "effect; none: the material file's intrinsic_length_m, else 0)", check=non_negative)
    creep: bool = param(True, unit="-", doc="Norton power-law creep on (needed for holds)")
    creep_exponent: float | None = param(None, unit="1", doc="Norton stress exponent n",
                                         check=in_range(1.0, 20.0))
    creep_reference_rate: float | None = param(
        None, unit="1/s", doc="creep strain rate at creep_reference_stress and the reference "
        "temperature of the data", check=positive)
    creep_reference_stress: float = param(1e6, unit="Pa", doc="stress of creep_reference_rate",
                                          check=positive)
    activation_energy: float | None = param(None, unit="J/mol", doc="creep activation energy Q",
                                            check=non_negative)
    temperature: float = param(298.15, unit="K", doc="temperature", check=in_range(150.0, 453.0))


@dataclass(frozen=True, slots=True)
class MeshConfig:
    """The lithium body over the surface patch, refined toward the contact face."""

    dimension: int = param(2, unit="1", doc="2: a plane-strain profile (one row of the map, fast); "
                           "3: the full map", check=lambda v: None if v in (2, 3) else "must be 2 or 3")
    cell: Literal["simplex", "box"] = param(
        "simplex", unit="-", doc="simplex: triangles/tetrahedra; box: quadrilaterals/hexahedra")
    degree: int = param(2, unit="1", doc="Lagrange degree of the displacement (1 locks in plastic "
                        "flow; 2 recommended)", check=lambda v: None if v in (1, 2) else "must be 1 or 2")
    thickness: float = param(5e-5, unit="m", doc="lithium thickness above the contact face",
                             check=positive)
    face_element_size: float | None = param(
        None, unit="m", doc="element size along the contact face (none: short_cutoff / 4 in "
        "2D, / 6 in 3D; without a cutoff patch / 32)", check=positive)
    grading: float = param(1.3, unit="1", doc="growth ratio of element heights away from the face",
                           check=in_range(1.0, 2.0))
    profile_row: int | None = param(None, unit="1", doc="2D: row j of the height map used as "
                                    "profile (none: ny // 2)", check=non_negative)


@dataclass(frozen=True, slots=True)
class PressConfig:
    """The press cycle: ramp to each target pressure, hold, then release."""

    pressures: tuple[float, ...] = param(
        (0.5e6, 2e6, 10e6), unit="Pa", doc="target mean pressures, in order", check=positive)
    hold_times: tuple[float, ...] = param(
        (0.0, 0.0, 60.0), unit="s", doc="hold time at each target pressure (creep)",
        check=non_negative)
    control: Literal["platen", "traction"] = param(
        "platen", unit="-", doc="platen: a rigid platen on the top face, its displacement found "
        "for each target pressure (robust with perfectly plastic lithium); traction: a uniform "
        "pressure on the top face")
    contact_solver: Literal["vi", "active_set"] = param(
        "active_set", unit="-", doc="active_set: semismooth active-set Newton on a fixed sparsity "
        "pattern (one MUMPS analysis per run; under platen control the platen is one more "
        "unknown); vi: PETSc's reduced-space VI Newton (vinewtonrsls), kept for comparison")
    linear_solver: Literal["auto", "direct", "iterative"] = param(
        "auto", unit="-", doc="linear solver of each Newton step: direct (LU, MUMPS), iterative "
        "(CG + algebraic multigrid, faster than LU for large 3D blocks) or auto (iterative for "
        "3D blocks above 50 000 displacement dofs)")
    ramp_rate: float | None = param(
        None, unit="Pa/s", doc="rate of the load and release ramps: each ramp step of Δp̄ then "
        "lasts |Δp̄|/ramp_rate, so creep acts while the pressure changes (none: ramps take no "
        "time and creep acts only in holds)", check=positive)
    release: bool = param(True, unit="-", doc="unload after the last hold")
    release_pressure: float = param(
        1e3, unit="Pa", doc="residual mean pressure at the end of the release (> 0 keeps the "
        "body in contact; it is otherwise free to float)", check=positive)
    steps_per_ramp: int = param(4, unit="1", doc="initial number of load increments per ramp",
                                check=lambda v: None if 1 <= v <= 1000 else "must be in [1, 1000]")
    steps_per_hold: int = param(5, unit="1", doc="initial number of time increments per hold",
                                check=lambda v: None if 1 <= v <= 1000 else "must be in [1, 1000]")
    max_cutbacks: int = param(8, unit="1", doc="halvings of an increment before the case fails",
                              check=lambda v: None if 0 <= v <= 30 else "must be in [0, 30]")
    max_pressure_ratio: float = param(
        1.3, unit="1", doc="largest ratio of mean pressures between successive load steps "
        "(plastic contact depends on the load path)", check=in_range(1.01, 10.0))

    def validate(self):
        """One hold time per pressure; the release pressure below the last pressure.

        Raises:
            FieldError: the offending field, its value and what is allowed.
        """
        if len(self.hold_times) != len(self.pressures):
            raise FieldError("hold_times", self.hold_times,
                             f"must have one entry per pressure ({len(self.pressures)})")
        if self.release and self.release_pressure >= self.pressures[-1]:
            raise FieldError("release_pressure", self.release_pressure,
                             f"must be < the last pressure {self.pressures[-1]:g} Pa")


@dataclass(frozen=True, slots=True)
class CurrentConfig:
    """Current through the pressed interface, solved at every press step."""

    interface: Literal["li_cu", "li_se", "cu_se"] = param(
        "li_cu", unit="-", doc="li_cu: electronic, film on the contact spots; li_se: ionic, "
        "Butler-Volmer on the spots, stripping the lithium; cu_se: anode-less, the copper "
        "collector (lithium.material = 'copper') pressed on the rigid SE, lithium plating onto "
        "it (cathodic) with a nucleation overpotential")
    drive: Literal["current", "voltage"] = param("current", unit="-",
                                                 doc="galvanostatic or potentiostatic")
    current_density: float = param(10.0, unit="A/m^2", doc="applied mean current density, a "
                                   "magnitude: its direction is the interface's (10 A/m^2 = "
                                   "1 mA/cm^2)", check=positive)
    voltage: float = param(0.01, unit="V", doc="applied voltage magnitude (drive = 'voltage')",
                           check=positive)
    critical_current_density: float = param(
        20.0, unit="A/m^2", doc="local current density above which an area counts as "
        "dendrite risk", check=positive)
    film_resistance: float = param(1e-4, unit="Ohm m^2", doc="li_cu: specific film resistance of "
                                   "the contact spots (1e-4 Ohm m^2 = 1 Ohm cm^2)", check=positive)
    film_reference_pressure: float | None = param(
        None, unit="Pa", doc="li_cu: G = (1 + p/p_ref)^beta / R_film (none: no pressure "
        "dependence)", check=positive)
    film_pressure_exponent: float = param(0.0, unit="1", doc="li_cu: beta of the pressure "
                                          "dependence", check=non_negative)
    gap_decay_length: float = param(0.0, unit="m", doc="li_cu: conductance across a gap decays "
                                    "as exp(-gap/length) (0: gaps insulate)", check=non_negative)
    lithium_conductivity: float | None = param(
        None, unit="S/m", doc="li_cu: electronic conductivity (none: from the material file)",
        check=positive)
    electrolyte_conductivity: float = param(0.1, unit="S/m", doc="li_se, cu_se: ionic "
                                            "conductivity of the SE (0.1 S/m = 1 mS/cm)",
                                            check=positive)
    electrolyte_thickness: float | None = param(
        None, unit="m", doc="li_se, cu_se: SE thickness (none: mesh.thickness)", check=positive)
    exchange_current_density: float = param(10.0, unit="A/m^2", doc="li_se, cu_se: i0",
                                            check=positive)
    alpha_a: float = param(0.5, unit="1", doc="anodic transfer coefficient", check=positive)
    alpha_c: float = param(0.5, unit="1", doc="cathodic transfer coefficient", check=positive)
    nucleation_overpotential: float = param(0.01, unit="V", doc="cu_se: dead band of the "
                                            "plating overpotential", check=non_negative)


@dataclass(frozen=True, slots=True)
class StatisticsConfig:
    """What the surface statistics report."""

    flatness_cutoff: float | None = param(
        None, unit="m", doc="cutoff wavelength of the Gaussian low-pass that defines the "
        "waviness for the flatness figure (none: long_cutoff, else a quarter of the patch)",
        check=positive)


@dataclass(frozen=True, slots=True)
class OutputConfig:
    """What a run writes besides results.json."""

    heights: bool = param(True, unit="-", doc="save the height map as surface.npy")
    plots: bool = param(True, unit="-", doc="save PNG figures")
    fields: bool = param(True, unit="-", doc="save displacement and plastic strain for ParaView (VTX)")
    stages: tuple[str, ...] = param(
        ("surface", "press", "current"), unit="-", doc="stages to run, in order: surface, "
        "press, current", check=lambda v: None if v in (("surface",), ("surface", "press"),
                                                        ("surface", "press", "current"))
        else "must be one of [surface], [surface, press], [surface, press, current]")


@dataclass(frozen=True, slots=True)
class Case:
    """One lamina case: the counter-surface, and what to compute and write."""

    name: str = param("default", unit="-", doc="label of the case (names the run folder "
                      "runs/<name> without --out)", check=case_name)
    seed: int = param(0, unit="1", doc="random seed of the surface realisation",
                      check=lambda v: None if 0 <= v < 2**63 else "must be in [0, 2^63)")
    surface: SurfaceConfig = field(default_factory=SurfaceConfig)
    statistics: StatisticsConfig = field(default_factory=StatisticsConfig)
    lithium: LithiumConfig = field(default_factory=LithiumConfig)
    mesh: MeshConfig = field(default_factory=MeshConfig)
    press: PressConfig = field(default_factory=PressConfig)
    current: CurrentConfig = field(default_factory=CurrentConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    def validate(self):
        """Checks across sections: face resolution against the surface, holds need creep.

        Raises:
            FieldError: the offending field, its value and what is allowed.
        """
        n_min = MIN_ELEMENTS_PER_WAVELENGTH
        s, size = self.surface, self.mesh.face_element_size
        if size is not None and s.kind == "self_affine" and s.short_cutoff is not None \
                and s.short_cutoff / size < n_min:
            raise FieldError("mesh.face_element_size", size,
                             f"gives {s.short_cutoff / size:.3g} elements per short_cutoff "
                             f"{s.short_cutoff:g} m; must be <= short_cutoff / {n_min:g} = "
                             f"{s.short_cutoff / n_min:g} m")
        if any(t > 0 for t in self.press.hold_times) and not self.lithium.creep:
            raise FieldError("press.hold_times", self.press.hold_times,
                             "a hold needs creep: set lithium.creep = true (with creep parameters)")
