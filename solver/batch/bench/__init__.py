"""``lamina bench``: the benchmark registry, running each benchmark script, and the report.

:mod:`~solver.batch.bench.check` is the convention the scripts of ``benchmarks/`` follow;
:mod:`~solver.batch.bench.registry` reads ``benchmarks/registry.toml``,
:mod:`~solver.batch.bench.runner` runs one script, :mod:`~solver.batch.bench.figures` and
:mod:`~solver.batch.bench.render` write the report, :mod:`~solver.batch.bench.cli` is the command.
"""
