"""Interface laws of the current-flow stage: what crosses the contact face per unit area.

Pure physics on arrays (NumPy; no mesh, no DOLFINx). The potential problem
(:class:`solver.fem.potential.CurrentProblem`) takes one of these through the
:class:`InterfaceLaw` protocol.

* **Electronic Li|Cu** (:class:`FilmInterface`): the potential φ lives in the lithium body
  (conductivity σ_Li), the copper below is an equipotential at φ = 0. On the contact face the
  current density leaving the lithium is ``j = G(x)·(φ − 0)`` (Robin condition) with
  ``G = film_conductance(p, g, FilmParams)`` taken from the contact map: ``1/R_film`` in
  contact (optionally pressure dependent), 0 (or decaying with the gap) elsewhere.
* **Ionic Li|SE and anode-less Cu|SE** (:class:`KineticInterface`): the solid electrolyte
  (ionic conductivity κ) is the meshed body, the metal is an equipotential at φ_metal = 0. On the
  contact spots the current density entering the electrolyte is Butler–Volmer,
  ``j = A(x)·i_BV(η)``, ``η = φ_metal − φ_SE`` (anodic = stripping positive), with ``A`` the
  fraction of the face in contact (the nearest-node indicator of the map); no current elsewhere.
  Nonlinear: the potential problem solves it with Newton.
  **Anode-less Cu|SE** adds a nucleation overpotential η_n (:class:`Kinetics`
  ``eta_nucleation``). Model chosen here, a *dead band*: the kinetics see only the excess
  overpotential ``η_ex = sign(η)·max(|η| − η_n, 0)``, ``j = i_BV(η_ex)``: no current (no plating,
  no stripping) while ``|η| ≤ η_n``, Butler–Volmer shifted by η_n beyond. The kink at ±η_n is
  smoothed over ``smoothing`` (default 1 mV):
  ``η_ex = δ [s((η − η_n)/δ) − s((−η − η_n)/δ)]``, ``s(x) = ln(1 + eˣ)``, so that Newton sees a
  C∞ law; the leakage inside the band is ``≤ i_BV(δ e^{−η_n/δ})``.

Sign of the potential drop (:attr:`InterfaceLaw.drop_sign`): ``ΔV`` is taken in the direction of
the current — electronic: ``φ_counter − φ_Cu`` (``+φ_counter``); ionic: ``φ_metal − φ_counter``
(``−φ_counter``).

**Direction of the current** (:data:`CURRENT_DIRECTION`; the sign that
:func:`drive_sign` gives the applied drive). The laws are written anodic-positive at the metal:
a positive drive strips the metal (Li|SE: Li → Li⁺ into the SE, η > 0) or sends the electrons
Li → Cu (Li|Cu). An anode-less Cu|SE cell has no lithium to strip on its first charge: lithium
*plates onto the copper* (Li⁺ + e⁻ → Li, cathodic, η < 0), so its drive is negative; the applied
``current_density``/``voltage`` of a case stay magnitudes (> 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from solver import checks
from solver.errors import InputError
from solver.physics.electrochemistry import (FARADAY, GAS_CONSTANT, FilmParams, butler_volmer,
                                              d_butler_volmer_deta,
                                              linearised_charge_transfer_resistance)

#: What the current does at the interface, by ``current.interface`` (see the module docstring).
CURRENT_DIRECTION: dict[str, str] = {
    "li_cu": "electronic: electrons cross the film from the lithium to the copper collector",
    "li_se": "stripping: lithium leaves the lithium metal as Li+ into the solid electrolyte "
             "(anodic at Li|SE, eta > 0)",
    "cu_se": "plating: Li+ from the solid electrolyte deposits as lithium onto the copper "
             "collector (cathodic at Cu|SE, eta < 0)",
}


def drive_sign(interface: str) -> float:
    """Sign of the drive in the anodic-positive convention of the laws: −1 for ``"cu_se"``
    (plating onto the collector), +1 for ``"li_cu"`` and ``"li_se"``; InputError otherwise."""
    if interface not in CURRENT_DIRECTION:
        raise InputError(f"interface={interface!r}: allowed {', '.join(CURRENT_DIRECTION)}")
    return -1.0 if interface == "cu_se" else 1.0


def require_positive(what: str, value, unit: str) -> float:
    """``value`` as a float, finite and > 0; InputError naming ``what`` and ``unit`` otherwise."""
    return checks.positive_float(value, f"{what}={value!r}: must be a number > 0 ({unit})",
                                 f"{what}={value!r}: must be finite and > 0 ({unit})")


#: ``sample(quantity, x, y, film=None)``: a contact-map quantity at lateral points (see
#: :meth:`solver.simulation.current.MapStep.sample`).
Sampler = Callable[..., np.ndarray]


class InterfaceLaw(Protocol):
    """What the potential problem needs of an interface law.

    Attributes:
        face_name: name of the face field (DG0): ``"conductance"`` (G, S/m²) or
            ``"contact_fraction"`` (A, 1).
        drop_sign: ``ΔV = drop_sign·φ_counter`` with the equipotential metal at 0 (+1
            electronic, −1 ionic); also the sign of the Dirichlet value of an applied voltage.
    """

    face_name: ClassVar[str]
    drop_sign: ClassVar[float]

    @property
    def conductivity(self) -> float:
        """Conductivity of the meshed body, S/m."""

    def face_values(self, sample: Sampler, x: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        """The face field at lateral points (m) from a contact map's ``sample``."""

    def local_current(self, face_values: np.ndarray, phi: np.ndarray) -> np.ndarray:
        """Local interface current density (A/m², in the direction of the drive) from the face
        field and the body's potential φ (V) on the face."""


def _check_body(law, conductivity: str, label: str, part: str, part_type: type,
                type_path: str) -> None:
    """Store the body's conductivity field as a float > 0 (S/m) and check the law's parameter
    object ``part``; InputError naming the field otherwise."""
    object.__setattr__(law, conductivity, require_positive(f"{conductivity} ({label})",
                                                           getattr(law, conductivity), "S/m"))
    value = getattr(law, part)
    if not isinstance(value, part_type):
        raise InputError(f"{part}={value!r}: must be a {type_path}")


class _BodyLaw:
    """What both interface laws share: the meshed body's conductivity field (S/m) and the law's
    parameter object, checked on construction; ``_body`` names them (conductivity field, its
    label, parameter field, its type, the type's path for messages)."""

    __slots__ = ()
    _body: ClassVar[tuple]

    def __post_init__(self):
        _check_body(self, *self._body)

    @property
    def conductivity(self) -> float:
        """Conductivity of the meshed body (σ of the lithium, κ of the electrolyte), S/m."""
        return getattr(self, self._body[0])


@dataclass(frozen=True, slots=True)
class FilmInterface(_BodyLaw):
    """Electronic Li|Cu contact: lithium body of conductivity ``sigma`` (S/m), copper at φ = 0,
    interface conductance ``G = film_conductance(p, g, film)`` (S/m², see
    :func:`solver.physics.electrochemistry.film_conductance`)."""

    sigma: float
    film: FilmParams

    face_name: ClassVar[str] = "conductance"
    drop_sign: ClassVar[float] = 1.0
    _body: ClassVar[tuple] = ("sigma", "lithium conductivity", "film", FilmParams,
                              "solver.physics.electrochemistry.FilmParams")

    def face_values(self, sample: Sampler, x, y) -> np.ndarray:
        """Film conductance G (S/m²) from the map's pressure and gap."""
        return sample("conductance", x, y, self.film)

    def local_current(self, face_values, phi) -> np.ndarray:
        """``j = G·φ`` (Li → Cu)."""
        return face_values * phi


@dataclass(frozen=True, slots=True)
class Kinetics:
    """Butler–Volmer kinetics with an optional nucleation dead band (see the module docstring).

    Attributes:
        i0: exchange current density, A/m² (> 0); 1 mA/cm² = 10 A/m².
        alpha_a, alpha_c: anodic and cathodic transfer coefficients (> 0).
        T: temperature, K (> 0).
        eta_nucleation: nucleation overpotential η_n, V (≥ 0; 0: plain Butler–Volmer, Li|SE).
        smoothing: width δ of the smoothed dead band, V (> 0; used only when η_n > 0).
    """

    i0: float
    alpha_a: float = 0.5
    alpha_c: float = 0.5
    T: float = 298.15
    eta_nucleation: float = 0.0
    smoothing: float = 1.0e-3

    def __post_init__(self):
        object.__setattr__(self, "i0", require_positive("i0 (exchange current density)", self.i0,
                                                        "A/m^2"))
        for name in ("alpha_a", "alpha_c", "T", "smoothing"):
            object.__setattr__(self, name, require_positive(name, getattr(self, name),
                                                            "K" if name == "T" else
                                                            ("V" if name == "smoothing" else "1")))
        eta_n = float(self.eta_nucleation)
        if not (checks.is_finite_real(eta_n) and eta_n >= 0):
            raise InputError(f"eta_nucleation={self.eta_nucleation!r}: must be finite and >= 0 (V)")
        object.__setattr__(self, "eta_nucleation", eta_n)

    @property
    def f(self) -> float:
        """F/(RT), 1/V."""
        return FARADAY / (GAS_CONSTANT * self.T)

    @property
    def R_ct(self) -> float:
        """Linearised charge-transfer resistance RT/(F i0 (αa+αc)), Ω·m² (no dead band)."""
        return float(linearised_charge_transfer_resistance(self.i0, self.alpha_a, self.alpha_c,
                                                           self.T))

    def excess_overpotential(self, eta):
        """η_ex(η) of the (smoothed) dead band; η itself when η_n = 0 (numpy)."""
        eta = np.asarray(eta, dtype=float)
        if self.eta_nucleation == 0:
            return eta
        d, en = self.smoothing, self.eta_nucleation
        return d * (np.logaddexp(0.0, (eta - en) / d) - np.logaddexp(0.0, (-eta - en) / d))

    def current(self, eta):
        """Current density (A/m², anodic positive) at overpotential η (V), numpy."""
        return butler_volmer(self.excess_overpotential(eta), self.i0, self.alpha_a, self.alpha_c,
                             self.T)

    def slope(self, eta):
        """``di/dη`` of :meth:`current` at η (V), S/m² (numpy): Butler–Volmer's slope at η_ex
        times ``dη_ex/dη`` of the smoothed dead band (``σ(x) = 1/(1 + e⁻ˣ)``:
        ``dη_ex/dη = σ((η − η_n)/δ) + σ((−η − η_n)/δ)``)."""
        eta = np.asarray(eta, dtype=float)
        d = d_butler_volmer_deta(self.excess_overpotential(eta), self.i0, self.alpha_a,
                                 self.alpha_c, self.T)
        if self.eta_nucleation == 0:
            return d
        w, en = self.smoothing, self.eta_nucleation

        def sigmoid(x):
            return 0.5 * (1.0 + np.tanh(0.5 * x))

        return d * (sigmoid((eta - en) / w) + sigmoid((-eta - en) / w))

    def differential_resistance(self, j: float) -> float:
        """``dη/dj`` at the current density ``j`` (A/m²), Ω·m²: the small-signal (impedance,
        low-frequency) resistance of a uniform interface, ``1/slope(overpotential(j))``.

        Equal to :attr:`R_ct` at ``j = 0`` without a dead band. With ``α_a = α_c`` (a sinh) it is
        below the dc ``η/j`` at any ``j ≠ 0``; with ``α_a ≠ α_c`` it can exceed ``η/j`` at
        moderate currents on the side of the smaller α (there the other exponential still bends
        the curve the other way), and falls below it at large ``|j|`` (Tafel:
        ``dη/dj = 1/(α f |j|)`` against ``η/j ≈ ln(|j|/i₀)/(α f |j|)``).
        """
        return float(1.0 / self.slope(self.overpotential(j)))

    def overpotential(self, j: float) -> float:
        """The η at which :meth:`current` equals ``j`` (A/m²); scalar inverse (monotone law)."""
        from scipy.optimize import brentq

        if j == 0:
            return 0.0
        s = math.copysign(1.0, j)
        hi = self.eta_nucleation + 1e-3
        while abs(float(self.current(s * hi))) < abs(j):
            hi *= 2.0
            if hi > 50.0:
                raise InputError(f"current density {j:.4g} A/m^2: needs an overpotential > 50 V "
                                 f"with i0 = {self.i0:.4g} A/m^2")
        return float(brentq(lambda e: float(self.current(e)) - j, *sorted((0.0, s * hi)),
                            xtol=1e-15, rtol=1e-14, maxiter=500))


@dataclass(frozen=True, slots=True)
class KineticInterface(_BodyLaw):
    """Ionic Li|SE (or anode-less Cu|SE) contact: electrolyte body of ionic conductivity
    ``kappa`` (S/m), metal at φ = 0, Butler–Volmer ``kinetics`` on the contact spots."""

    kappa: float
    kinetics: Kinetics

    face_name: ClassVar[str] = "contact_fraction"
    drop_sign: ClassVar[float] = -1.0
    _body: ClassVar[tuple] = ("kappa", "ionic conductivity", "kinetics", Kinetics,
                              "solver.physics.interface.Kinetics")

    def face_values(self, sample: Sampler, x, y) -> np.ndarray:
        """Contact indicator (0/1) of the nearest map grid point; its facet mean is the contact
        fraction A."""
        return sample("in_contact", x, y)

    def local_current(self, face_values, phi) -> np.ndarray:
        """``j = A·i_BV(η)``, ``η = 0 − φ`` (into the electrolyte)."""
        return face_values * self.kinetics.current(-phi)
