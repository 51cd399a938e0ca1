"""Pure physics on arrays: constitutive laws, interface (current-flow) laws, closed-form
references. NumPy and numba only: no mesh, no DOLFINx.

Constitutive laws: :mod:`~solver.physics.laws` (the API in one namespace) over
:mod:`~solver.physics.tensors` (Mandel notation, strain measure, elasticity),
:mod:`~solver.physics.law_params` (law parameters and state) and
:mod:`~solver.physics.return_map` (the numba return map and the laws).
Current flow: :mod:`~solver.physics.electrochemistry` (Butler–Volmer, film conductance),
:mod:`~solver.physics.interface` (interface laws of the current stage),
:mod:`~solver.physics.spots` and :mod:`~solver.physics.current_metrics` (contact spots and
current-density metrics on the surface grid).
Shared: :mod:`~solver.physics.constants` (F, R); :mod:`~solver.physics.references` (analytic
solutions the benchmarks compare against).
"""
