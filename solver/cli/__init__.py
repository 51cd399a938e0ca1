"""The ``lamina`` command line (:func:`solver.cli.main.main`)."""
