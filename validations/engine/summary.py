"""Per-column summary of an opened table: row count, null fraction, approximate distinct count."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from validations.engine.errors import EngineInputError

if TYPE_CHECKING:
    from validations.engine.io import Table


def json_safe(value: Any) -> Any:
    """Turn a Polars cell into something ``json.dumps`` writes faithfully (NaN → None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return value


def column_summary(table: Table) -> tuple[int, list[dict[str, Any]]]:
    """Row count and per-column {name, dtype, null_fraction, distinct} in one streaming pass."""
    lf = table.lazy()
    names = table.columns
    exprs: list[pl.Expr] = [pl.len().alias("__rows")]
    for i, name in enumerate(names):
        exprs.append(pl.col(name).null_count().alias(f"n{i}"))
        if table.dtypes[name] == "nested":
            exprs.append(pl.lit(None, dtype=pl.UInt32).alias(f"d{i}"))
        else:
            exprs.append(pl.col(name).drop_nulls().approx_n_unique().alias(f"d{i}"))
    row = lf.select(exprs).collect(engine="streaming").row(0, named=True) if names else {}
    rows = int(row.get("__rows", 0) or 0)
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


def read_summary(table: Table) -> tuple[int, list[dict[str, Any]]]:
    """``column_summary`` with Polars' own read errors turned into an EngineInputError."""
    try:
        return column_summary(table)
    except pl.exceptions.PolarsError as exc:
        detail = str(exc).strip().split("\n")[0]
        raise EngineInputError(f"The file could not be read as {table.format}: {detail}.") from exc
