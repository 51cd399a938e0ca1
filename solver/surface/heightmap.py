"""The one height-map type: heights in m, the physical sizes they span, where they came from, and
their periodic linear / bilinear sampling at arbitrary lateral points.

A :class:`HeightMap` is what :func:`solver.surface.measured.read_height_map` and
:func:`~solver.surface.measured.load_measured` return, and it is the rigid collector surface that
the mesh and contact code sample under the lithium face (``g = z_face + u_z − h(x)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from solver.errors import InputError


@dataclass(frozen=True)
class HeightMap:
    """A height map (or profile) in SI units, callable as the surface ``h(x)`` / ``h(x, y)``.

    Attributes:
        heights: a profile (1-D array, ``h[i]`` at ``x = i·Lx/n``), a height map (2-D array,
            ``h[i, j]`` at ``x = i·Lx/nx``, ``y = j·Ly/ny``), both periodic when sampled, in m;
            or a callable ``h(x)`` (profiles, axisymmetric: ``h(r)``) / ``h(x, y)`` (maps) on
            numpy arrays.
        physical_sizes: the period(s) ``(Lx,)`` or ``(Lx, Ly)`` of a sampled surface (m); unused
            for callables.
        source: the file the map came from, as given (None for a map made in memory).
    """

    heights: np.ndarray | Callable
    physical_sizes: tuple[float, ...] = ()
    source: str | None = None

    def __post_init__(self):
        if callable(self.heights):
            return
        h = np.asarray(self.heights, dtype=float)
        if h.ndim not in (1, 2) or min(h.shape) < 2:
            raise InputError(f"surface heights: shape {h.shape}; need a 1-D profile or a 2-D map "
                             "with >= 2 samples per direction")
        if not np.all(np.isfinite(h)):
            raise InputError("surface heights: contain NaN or Inf")
        sizes = self.physical_sizes
        if len(sizes) != h.ndim or not all(L > 0 for L in sizes):
            raise InputError(f"surface lengths={sizes}: need {h.ndim} period(s) > 0 for "
                             f"heights of shape {h.shape}")
        object.__setattr__(self, "heights", h)

    @property
    def max(self) -> float:
        """Highest point of a sampled surface (the reference face height ``z0``, m)."""
        if callable(self.heights):
            raise InputError("surface heights: max of a callable is unknown; give z0 explicitly")
        return float(np.max(self.heights))

    def __call__(self, x: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
        """Heights (m) at the lateral points ``x`` (and ``y``) in m: periodic linear / bilinear
        interpolation of a sampled surface, or the callable's values."""
        x = np.asarray(x, dtype=float)
        if callable(self.heights):
            out = self.heights(x) if y is None else self.heights(x, np.asarray(y, dtype=float))
            return np.broadcast_to(np.asarray(out, dtype=float), x.shape).copy()
        h = self.heights
        if h.ndim == 1:
            return _periodic_linear(h, self.physical_sizes[0], x)
        if y is None:
            raise InputError("surface heights: a 2-D height map needs both x and y")
        return _periodic_bilinear(h, self.physical_sizes, x, np.asarray(y, dtype=float))


def _cell_and_fraction(x: np.ndarray, length: float, n: int):
    """Grid cell ``[i0, i1]`` (indices wrapped to ``[0, n)``) holding each ``x`` on a periodic
    grid of ``n`` points over ``length``, and the fraction ``t`` in [0, 1) across it."""
    s = np.asarray(x) / length * n
    i0 = np.floor(s)
    t = s - i0
    i0 = i0.astype(np.int64) % n
    return i0, (i0 + 1) % n, t


def _periodic_linear(h: np.ndarray, length: float, x: np.ndarray) -> np.ndarray:
    """Periodic linear interpolation of the profile ``h`` of period ``length`` at ``x``."""
    i0, i1, t = _cell_and_fraction(x, length, len(h))
    return (1 - t) * h[i0] + t * h[i1]


def _periodic_bilinear(h: np.ndarray, lengths, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Periodic bilinear interpolation of the map ``h`` of periods ``lengths`` at ``(x, y)``."""
    i0, i1, s = _cell_and_fraction(x, lengths[0], h.shape[0])
    j0, j1, t = _cell_and_fraction(y, lengths[1], h.shape[1])
    return ((1 - s) * (1 - t) * h[i0, j0] + s * (1 - t) * h[i1, j0]
            + (1 - s) * t * h[i0, j1] + s * t * h[i1, j1])
