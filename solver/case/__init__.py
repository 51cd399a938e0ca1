"""The case: what one lamina run computes, as a typed, validated tree loaded from TOML
(:mod:`~solver.case.config`, sections in :mod:`~solver.case.schema`, field helpers in
:mod:`~solver.case.fields`), and the material data files it refers to
(:mod:`solver.case.materials`)."""
