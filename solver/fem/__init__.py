"""The finite-element layer: the only part of lamina that imports DOLFINx, PETSc, UFL, basix and
mpi4py (lazily, through :mod:`~solver.fem.backend`).

* :mod:`~solver.fem.backend`: imports in the order the PyPI wheel needs; ``mpi()``, ``comm_world()``;
* :mod:`~solver.fem.petsc`: PETSc option presets (data) and their application;
* :mod:`~solver.fem.mesh`: the structured, graded lithium (and electrolyte) blocks, facet markers;
  :mod:`~solver.fem.mesh_export`: a block gathered to rank 0 in canonical order;
* :mod:`~solver.fem.kinematics`: strain and linear elasticity on Mandel vectors;
  :mod:`~solver.fem.quadrature`: inelastic laws at quadrature points;
* :mod:`~solver.fem.contact`: the contact problem and its committed load state;
  :mod:`~solver.fem.contact_results`: reactions, contact state, plastic zone read back;
  :mod:`~solver.fem.face_pressure`: contact pressure from the reactions, finite on every element;
* :mod:`~solver.fem.potential`, :mod:`~solver.fem.potential_forms`,
  :mod:`~solver.fem.face_sampling`: the current-flow (potential) problem;
* :mod:`~solver.fem.fieldio`: the DOLFINx/PETSc side of field files and checkpoints.
"""
