"""One case in memory: the surface it presses on (:mod:`~solver.simulation.surface`), the press
cycle (:mod:`~solver.simulation.press`) with its load steps (:mod:`~solver.simulation.loadstep`,
the platen's scalar loops in :mod:`~solver.simulation.platen`), the contact maps it records
(:mod:`~solver.simulation.contactmap`) and the current flow on them
(:mod:`~solver.simulation.current`). Writes nothing.
"""
