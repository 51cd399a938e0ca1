"""Many runs from one command: ``lamina bench`` (:mod:`solver.batch.bench`), parameter sweeps on
this machine or a cluster (:mod:`solver.batch.sweep`), and the MPI launcher both use
(:mod:`solver.batch.mpi`).
"""
