"""One case from its config to a run folder (:mod:`~solver.run.pipeline`; ``lamina current`` on
saved maps: :mod:`~solver.run.rerun`), stopped and continued through checkpoints
(:mod:`~solver.run.checkpointing`, requests by signal or wall-clock budget in
:mod:`~solver.run.stop`).
"""
