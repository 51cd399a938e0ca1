"""Analytic height maps: flat, sinusoidal grooves, egg-box and a paraboloidal cap."""

from __future__ import annotations

import numpy as np

from solver.errors import InputError
from solver.surface.validation import domain_sizes, grid_pts, positive_param, real_param


def _coords(nb_grid_pts, physical_sizes):
    """Grid coordinates ``x`` (shape (nx, 1)) and ``y`` (shape (1, ny)) in m, then ``(Lx, Ly)``
    and ``(nx, ny)``."""
    nx, ny = grid_pts(nb_grid_pts)
    lx, ly = domain_sizes(physical_sizes)
    x = np.arange(nx) * (lx / nx)
    y = np.arange(ny) * (ly / ny)
    return x[:, None], y[None, :], (lx, ly), (nx, ny)


def _amplitude_wavelength(amplitude, wavelength) -> tuple[float, float]:
    """Amplitude a (m, >= 0) and wavelength λ (m, > 0) of a sinusoid, checked."""
    a = real_param("amplitude", amplitude)
    if a < 0:
        raise InputError(f"amplitude = {amplitude!r}: must be >= 0")
    return a, positive_param("wavelength", wavelength)


def flat(nb_grid_pts, physical_sizes) -> np.ndarray:
    """A flat surface, ``h = 0``.

    Args:
        nb_grid_pts: ``(nx, ny)``.
        physical_sizes: ``(Lx, Ly)`` in m.

    Returns:
        Zeros of shape ``(nx, ny)`` (m).
    """
    _, _, _, (nx, ny) = _coords(nb_grid_pts, physical_sizes)
    return np.zeros((nx, ny))


def sinusoid_1d(nb_grid_pts, physical_sizes, amplitude, wavelength) -> np.ndarray:
    r"""Grooves along y: :math:`h = a \cos(2\pi x/\lambda)`.

    Periodic on the domain when ``Lx`` is a whole number of wavelengths. Analytic statistics:
    Sq = a/√2, Sdq = 2πa/(λ√2), Ssk = 0, Sku = 1.5.

    Args:
        nb_grid_pts: ``(nx, ny)``.
        physical_sizes: ``(Lx, Ly)`` in m.
        amplitude: a (m), >= 0.
        wavelength: λ (m), > 0.

    Returns:
        Heights (m), shape ``(nx, ny)``.
    """
    x, y, _, (nx, ny) = _coords(nb_grid_pts, physical_sizes)
    a, lam = _amplitude_wavelength(amplitude, wavelength)
    return np.broadcast_to(a * np.cos(2 * np.pi * x / lam), (nx, ny)).copy()


def sinusoid_2d(nb_grid_pts, physical_sizes, amplitude, wavelength) -> np.ndarray:
    r"""An egg-box: :math:`h = a \cos(2\pi x/\lambda)\cos(2\pi y/\lambda)`.

    Analytic statistics: Sq = a/2, Sdq = 2πa/(λ√2), Ssk = 0, Sku = 2.25.

    Args:
        nb_grid_pts: ``(nx, ny)``.
        physical_sizes: ``(Lx, Ly)`` in m.
        amplitude: a (m), >= 0.
        wavelength: λ (m), > 0 (the same along x and y).

    Returns:
        Heights (m), shape ``(nx, ny)``.
    """
    x, y, _, _ = _coords(nb_grid_pts, physical_sizes)
    a, lam = _amplitude_wavelength(amplitude, wavelength)
    return a * np.cos(2 * np.pi * x / lam) * np.cos(2 * np.pi * y / lam)


def paraboloid(nb_grid_pts, physical_sizes, radius) -> np.ndarray:
    r"""A paraboloidal cap with its peak at the domain centre: :math:`h = -r^2/(2R)`.

    ``r`` is the distance from ``(Lx/2, Ly/2)``; the peak height is 0 and the map is not periodic
    (Hertz contact of a sphere of radius R at small indentation).

    Args:
        nb_grid_pts: ``(nx, ny)``.
        physical_sizes: ``(Lx, Ly)`` in m.
        radius: radius of curvature R (m), > 0.

    Returns:
        Heights (m), shape ``(nx, ny)``, <= 0.
    """
    x, y, (lx, ly), _ = _coords(nb_grid_pts, physical_sizes)
    radius = positive_param("radius", radius)
    r2 = (x - 0.5 * lx) ** 2 + (y - 0.5 * ly) ** 2
    return -r2 / (2.0 * radius)

