"""lamina: the pressed lithium | current-collector interface of solid-state batteries.

The core (configuration, rough surfaces, statistics, I/O) imports without DOLFINx; the finite-element
modules import it through :func:`solver.fem.backend.import_dolfinx`.
"""

__version__ = "0.1.0"
