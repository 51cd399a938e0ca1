"""The one mapping from the case's ``[lithium]`` (and its material file) to law parameters.

Each value of ``[lithium]`` that the case leaves unset is taken from the material file named by
``lithium.material`` (:func:`~solver.case.materials.loader.material`); the result is a parameter
object of :mod:`solver.physics.laws`. The press stage, the current stage (conductivity) and the
benchmarks all go through here, so the default case and the benchmarks use the same numbers.
"""

from __future__ import annotations

from solver.case.materials.loader import material
from solver.case.materials.records import Material
from solver.case.schema import Case, LithiumConfig
from solver.errors import InputError
from solver.physics.law_params import (
    ElasticCreepParams,
    ElasticParams,
    ElastoplasticCreepParams,
    J2Params,
    NortonParams,
)

#: What :func:`lithium_law_params` returns, by which mechanisms are on.
LawParams = ElasticParams | J2Params | ElasticCreepParams | ElastoplasticCreepParams


def _picker(cfg: LithiumConfig, mat: Material):
    """``pick(value, key, what)``: the case's ``value``, else the material's ``key`` (Pa, …)."""

    def pick(value, key, what):
        if value is not None:
            return value
        from_file = getattr(mat, key, None)
        if from_file is None:
            raise InputError(f"lithium.{what}: not set and material '{cfg.material}' has no {key}")
        return float(from_file)

    return pick


def _plastic(cfg: LithiumConfig, mat: Material, E: float, nu: float, pick) -> J2Params:
    """J2 plasticity with linear or Swift (``power``) hardening, and the CMSG length (the case's,
    else the material file's, else 0)."""
    sy = pick(cfg.yield_stress, "yield_stress_Pa", "yield_stress")
    ell = cfg.intrinsic_length
    if ell is None:
        ell = float(getattr(mat, "intrinsic_length_m", None) or 0.0)
    if cfg.hardening == "power":
        K = cfg.hardening_coefficient
        n = cfg.hardening_exponent
        if K is None or n is None:
            raise InputError("lithium.hardening = 'power': needs hardening_coefficient (Pa) "
                             "and hardening_exponent")
        return J2Params(E, nu, sy, "power", K=K, n=n, intrinsic_length=ell)
    return J2Params(E, nu, sy, "linear", H=cfg.hardening_modulus, intrinsic_length=ell)


def _creep(cfg: LithiumConfig, mat: Material, pick) -> NortonParams:
    """Norton creep at ``lithium.temperature`` from a rate at the data's reference temperature."""
    n = pick(cfg.creep_exponent, "creep_stress_exponent", "creep_exponent")
    Q = pick(cfg.activation_energy, "creep_activation_energy_J_per_mol", "activation_energy")
    T_data = getattr(mat, "creep_reference_temperature_K", None)
    T_ref = float(cfg.temperature if T_data is None else T_data)
    if cfg.creep_reference_rate is not None:
        rate_ref = cfg.creep_reference_rate
    else:
        a_mpa = pick(None, "creep_prefactor_per_s_per_MPa_n", "creep_reference_rate")
        rate_ref = a_mpa * (cfg.creep_reference_stress / 1e6) ** n
    # ε̇ = rate_ref (σ/σ_ref)^n at T_ref  ->  A in 1/(s MPa^n) at T_ref
    a_mpa = rate_ref / (cfg.creep_reference_stress / 1e6) ** n
    return NortonParams.from_mpa(a_mpa, n, Q=Q, T=cfg.temperature, T_ref=T_ref)


def lithium_law_params(cfg: LithiumConfig) -> LawParams:
    """The lithium's law parameters from the case's ``[lithium]`` and its material file.

    Args:
        cfg: the ``[lithium]`` section; unset values come from ``cfg.material``.

    Returns:
        :class:`ElastoplasticCreepParams` (plasticity and creep on), :class:`J2Params`
        (plasticity only), :class:`ElasticCreepParams` (creep only) or :class:`ElasticParams`.

    Raises:
        InputError: a value the case leaves unset and the material file lacks, or an incomplete
            Swift hardening.
    """
    mat = material(cfg.material)
    pick = _picker(cfg, mat)
    E = pick(cfg.youngs_modulus, "youngs_modulus_Pa", "youngs_modulus")
    nu = pick(cfg.poisson_ratio, "poisson_ratio", "poisson_ratio")
    elastic = ElasticParams(E, nu)  # checks E and ν first, whatever else is on
    plastic = _plastic(cfg, mat, E, nu, pick) if cfg.plasticity else None
    creep = _creep(cfg, mat, pick) if cfg.creep else None
    if plastic is not None and creep is not None:
        return ElastoplasticCreepParams(plastic, creep)
    if plastic is not None:
        return plastic
    if creep is not None:
        return ElasticCreepParams(elastic, creep)
    return elastic


def lithium_conductivity(case: Case) -> float:
    """Electronic conductivity of the lithium, S/m: ``current.lithium_conductivity``, else the
    material file's ``electronic_conductivity_S_per_m``.

    Raises:
        InputError: neither is set.
    """
    sigma = case.current.lithium_conductivity
    if sigma is not None:
        return sigma
    from_file = getattr(material(case.lithium.material), "electronic_conductivity_S_per_m", None)
    if from_file is None:
        raise InputError(f"current.lithium_conductivity: not set and material "
                         f"'{case.lithium.material}' has none")
    return float(from_file)
