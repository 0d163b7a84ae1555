"""Inspection for the datasets worker (issue 3): one streaming pass in the common case.

The exact reader (``open_table`` + ``column_summary``) scans the lines, profiles every cell of every
text column to choose its dtype, then reads the file again to count nulls and distinct values: ~10x
a bare Polars pass on a 1 GB CSV (bench/upload_inspect.py). Inspection instead
0. checks the structure by totals only (``linescan.py``, strict mode): the read below fails on a
   long row, and any read failure re-runs the precise scan, so errors still name the line;
1. infers candidate dtypes from the first ``SAMPLE_ROWS`` rows (the full profile, on a sample);
2. confirms them while counting, in one streaming pass: columns that look cleanly numeric are
   parsed as Int64/Float64 by Polars' CSV reader itself (a cell that is not a number makes it
   fail), and columns whose typed values depend on the whole file (numbers with missing-value
   tokens, booleans, all-empty so far) get the full profile in that same pass;
3. falls back to the exact reader when any candidate is not confirmed.
Rows, null fractions, distinct counts and the dtypes integer/float/boolean/empty are therefore
exactly what the exact reader gives. Only "string" versus "mixed" (a label: both keep the text as
is) is decided on the sample.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from validations.engine.errors import EngineInputError
from validations.engine.io import (
    DEFAULT_MAX_DECOMPRESSED,
    Table,
    open_table,
    profile_columns,
    rescan_lines,
    separator_of,
)
from validations.engine.schema import TextProfile, decide_dtype, text_exprs, typed_expr
from validations.engine.summary import json_safe, read_summary

# Enough rows to see the usual shape of a column; small enough to profile in well under a second.
SAMPLE_ROWS = 10_000
NATIVE = {"integer": pl.Int64, "float": pl.Float64}
# Candidates whose typed values (and so null fraction and distinct count) need the whole file.
CONFIRM = ("integer", "float", "boolean", "empty")


def inspect_file(
    path: str | Path,
    *,
    declared_format: str,
    compression: str | None = None,
    preview_rows: int = 100,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED,
) -> dict[str, Any]:
    """Inspect an uploaded dataset for the datasets worker.

    Returns {format, compression, rows, columns: [{name, dtype, null_fraction, distinct}],
    preview: [row dicts, JSON-safe], sha256 (of the stored bytes), warnings}. ``distinct`` is an
    approximate count (HyperLogLog), exact on small columns. Strict: raises EngineInputError at the
    first problem (bad line, invalid UTF-8, truncated file, format mismatch, size limit).
    """
    with open_table(
        path,
        declared_format=declared_format,
        compression=compression,
        strict=True,
        max_decompressed_bytes=max_decompressed_bytes,
        profile_rows=SAMPLE_ROWS,
    ) as table:
        summary = confirmed_summary(table)
        if summary is None:
            exact_profiles(table)
            summary = read_summary(table)
        rows, columns = summary
        warnings = list(table.warnings)
        if rows == 0:
            warnings.append("The file has a header but no data rows.")
        if table.structure and table.structure.blank_lines:
            warnings.append(f"{len(table.structure.blank_lines):,} blank lines were skipped.")
        preview = table.lazy().head(preview_rows).collect().to_dicts() if table.columns else []
        return {
            "format": table.format,
            "compression": table.compression,
            "rows": rows,
            "columns": columns,
            "preview": [{k: json_safe(v) for k, v in row.items()} for row in preview],
            "sha256": table.sha256,
            "warnings": warnings,
        }


def exact_profiles(table: Table) -> None:
    """Replace the sampled dtypes by ones inferred from every row (the exact reader's)."""
    table.text_profiles = profile_columns(table.raw_lazy(), table.format)
    for name, profile in table.text_profiles.items():
        table.dtypes[name] = profile.dtype


def native_columns(table: Table) -> dict[str, pl.DataType]:
    """Columns Polars' CSV reader can parse as numbers itself, failing on any non-number.

    Only when the sample held no blank cells or missing-value tokens (those must become null, which
    the reader would reject), and only on the file as uploaded (not a cleaned copy).
    """
    scan = table.structure
    if table.format not in ("csv", "tsv") or scan is None:
        return {}
    if scan.needs_clean_copy or scan.encoding_error_count:
        return {}
    return {
        name: NATIVE[p.dtype]
        for name, p in table.text_profiles.items()
        if p.dtype in NATIVE and not p.blank and not p.tokens
    }


def native_scan(table: Table, native: dict[str, pl.DataType]) -> pl.LazyFrame:
    """The file as uploaded, ``native`` columns parsed as numbers by the reader, the rest as text."""
    scan = table.structure
    assert scan is not None
    return pl.scan_csv(
        table.read_path,
        separator=separator_of(table.format),
        infer_schema=False,
        new_columns=table.columns,
        schema_overrides=native,
        encoding="utf8-lossy" if scan.lines_checked else "utf8",
        truncate_ragged_lines=scan.lines_checked,
    )


def confirmed_summary(table: Table) -> tuple[int, list[dict[str, Any]]] | None:
    """``column_summary`` in one pass with the sampled dtypes, or None when one is not confirmed."""
    names = table.columns
    if not names:
        return read_summary(table)
    native = native_columns(table)
    raw = native_scan(table, native) if native else table.raw_lazy()
    confirm = [n for n, p in table.text_profiles.items() if n not in native and p.dtype in CONFIRM]
    exprs: list[pl.Expr] = [pl.len().alias("__rows")]
    for i, name in enumerate(names):
        dtype = table.dtypes[name]
        value = pl.col(name) if name in native or name not in table.text_profiles else typed_expr(name, dtype)
        exprs.append(value.null_count().alias(f"n{i}"))
        if dtype == "nested":
            exprs.append(pl.lit(None, dtype=pl.UInt32).alias(f"d{i}"))
        else:
            exprs.append(value.drop_nulls().approx_n_unique().alias(f"d{i}"))
        if native.get(name) == pl.Float64:
            # "nan" parses as NaN but is a missing-value token for the exact reader.
            exprs.append(pl.col(name).is_nan().sum().alias(f"nan{i}"))
    for j, name in enumerate(confirm):
        exprs.extend(text_exprs(name, j))
    try:
        row = raw.select(exprs).collect(engine="streaming").row(0, named=True)
    except pl.exceptions.PolarsError:
        rescan_lines(table.structure, table.read_path, table.format)  # a long row, bad UTF-8: raises
        return None  # e.g. a word in a column sampled as numbers: the exact reader decides
    if any(row.get(f"nan{i}") for i in range(len(names))):
        return None
    for j, name in enumerate(confirm):
        counts = (int(row[f"{key}{j}"] or 0) for key in ("nn", "bl", "tk", "fl", "in", "bo"))
        profile = TextProfile(*counts, dtype="string")
        profile.dtype = decide_dtype(profile)
        if profile.dtype != table.dtypes[name]:
            return None
        table.text_profiles[name] = profile
    rows = int(row["__rows"] or 0)
    columns = [
        {
            "name": name,
            "dtype": table.dtypes[name],
            "null_fraction": round(row[f"n{i}"] / rows, 6) if rows else 0.0,
            "distinct": None if row[f"d{i}"] is None else min(int(row[f"d{i}"]), rows),
        }
        for i, name in enumerate(names)
    ]
    return rows, columns


__all__ = ["EngineInputError", "SAMPLE_ROWS", "confirmed_summary", "exact_profiles", "inspect_file"]
