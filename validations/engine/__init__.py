"""Synthos analysis engine: a plain Python library (no Django) that validates one dataset file.

Public entry points (import them from their modules; this package imports nothing, so the
datasets worker can use the reader without loading the checks):
- ``validations.engine.io``: ``inspect_file``, ``sniff_format``, ``sniff_compression``,
  ``open_table``, ``iter_batches``, ``EngineInputError``.
- ``validations.engine.runner``: ``run_validation(path, *, tier, ...) -> report`` (schema_version 1).
- ``validations.engine.cli``: ``run_cli(argv) -> exit code`` behind ``manage.py validate_file``.
"""
