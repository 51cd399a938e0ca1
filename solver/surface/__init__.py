"""Counter-surfaces as height maps (independent of DOLFINx and of the physics layer).

* :mod:`~solver.surface.synthesis`: the generators' API (self-affine, non-Gaussian, analytic
  shapes), implemented in :mod:`~solver.surface.selfaffine` (with the numba kernels of
  :mod:`~solver.surface.synthesis_kernels`), :mod:`~solver.surface.nongaussian` and
  :mod:`~solver.surface.shapes`;
* :mod:`~solver.surface.statistics`: ISO 25178 parameters, PSD, Hurst exponent, correlation
  lengths, flatness (:mod:`~solver.surface.moments`, :mod:`~solver.surface.spectral`);
* :mod:`~solver.surface.measured`: import of measured maps (readers in
  :mod:`~solver.surface.readers`);
* :mod:`~solver.surface.heightmap`: :class:`~solver.surface.heightmap.HeightMap`, heights with
  their physical sizes and periodic interpolation;
* :mod:`~solver.surface.validation`: the argument checks they share.
"""
