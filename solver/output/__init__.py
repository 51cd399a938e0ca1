"""Everything lamina writes: run folders (:mod:`~solver.output.runfolder`), provenance,
ParaView field files (:mod:`~solver.output.fields`), checkpoints, mesh files
(:mod:`~solver.output.meshfile`), figures (:mod:`~solver.output.plots`) and each stage's files
and results (:mod:`~solver.output.stage_output`).

This package alone decides file names and the run-folder layout; the DOLFINx/PETSc side of
the files is in :mod:`solver.fem.fieldio`.
"""
