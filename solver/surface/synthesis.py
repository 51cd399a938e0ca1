"""Rough and analytic counter-surfaces as height maps (the generators' public API).

Conventions (shared by :mod:`solver.surface.statistics` and the mesh code):

* A height map ``h`` is a float64 array of shape ``nb_grid_pts = (nx, ny)`` in metres. ``h[i, j]``
  is the height at ``x = i Lx/nx``, ``y = j Ly/ny`` on a periodic grid (no end point), with
  ``physical_sizes = (Lx, Ly)`` in metres. Heights point up: the rigid collector is below, the
  lithium above, pressed down onto it.
* Parameter names follow SurfaceTopography's ``fourier_synthesis`` (Jacobs, Junge, Pastewka,
  Surf. Topogr.: Metrol. Prop. 5, 013001 (2017)).

Self-affine surfaces (:func:`self_affine`, in :mod:`solver.surface.selfaffine`) are synthesised by
Fourier filtering: complex Gaussian amplitudes with variance ``C(q)`` on the half-plane of the real
FFT, then one inverse real FFT. The random numbers come from a counter-based generator (splitmix64
hash of the seed and the index of the Fourier mode, then Box-Muller), evaluated in a numba kernel
(:mod:`solver.surface.synthesis_kernels`) whose special functions (log, exp, sincos) are written
out so that the loops vectorise. The map is therefore a pure function of the parameters and the
seed: bit-identical for any number of numba threads and FFT workers, and on every MPI rank.
(Across machines it is identical when the CPUs have the same fused multiply-add support: the fill
kernel lets LLVM contract ``a*b + c``; every x86-64 CPU since 2013 and every aarch64 CPU has FMA.)

Non-Gaussian heights: :mod:`solver.surface.nongaussian`; analytic shapes:
:mod:`solver.surface.shapes`.
"""

from __future__ import annotations

from solver.surface.nongaussian import non_gaussian
from solver.surface.selfaffine import fft_workers, release_workspace, self_affine
from solver.surface.shapes import flat, paraboloid, sinusoid_1d, sinusoid_2d

__all__ = [
    "self_affine",
    "non_gaussian",
    "flat",
    "sinusoid_1d",
    "sinusoid_2d",
    "paraboloid",
    "fft_workers",
    "release_workspace",
]
