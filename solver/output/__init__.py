"""Everything lamina writes: run folders (:mod:`~solver.output.runfolder`), provenance,
ParaView field files (:mod:`~solver.output.fields`), checkpoints, mesh files
(:mod:`~solver.output.meshfile`) and figures (:mod:`~solver.output.plots`).

This package alone decides file names and the run-folder layout; the DOLFINx/PETSc side of
the files is in :mod:`solver.fem.fieldio`.
"""
