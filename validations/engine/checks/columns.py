"""Column sanity: empty, constant, almost-constant, ID-like and high-cardinality columns.

Thresholds (chosen so clean public tables raise nothing wrong):
- almost-constant: one value covers >= 99% of at least 100 non-null rows (info: such columns
  carry little signal, but rare flags are sometimes exactly what matters). Not for the target,
  whose skew is the label-balance check's finding.
- ID-like: an integer or string column whose every value is distinct, on 20+ rows, that is not
  the target or the text column (info: exclude it from the features).
- high cardinality: a string column with > 50 distinct values covering > 50% of rows (info: encode
  it with care or drop it).
Exact distinct counts are computed only where the approximate count is close to the row count and
the file has at most EXACT_DISTINCT_MAX_ROWS rows, to keep memory bounded.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.report import issue, pct

ALMOST_CONSTANT_SHARE = 0.99
ALMOST_CONSTANT_MIN_ROWS = 100
ID_MIN_ROWS = 20
HIGH_CARDINALITY_SHARE = 0.5
HIGH_CARDINALITY_MIN = 50
EXACT_DISTINCT_MAX_ROWS = 20_000_000
TOP_VALUE_MAX_DISTINCT = 10_000


def _column_stats(ctx: Context) -> dict[str, dict[str, Any]]:
    exprs: list[pl.Expr] = []
    for i, name in enumerate(ctx.table.columns):
        col = pl.col(name)
        if ctx.dtypes[name] == "nested":
            continue
        exprs.append(col.count().alias(f"nn{i}"))
        approx = ctx.distinct(name)
        if approx >= 0.9 * ctx.rows and ctx.rows <= EXACT_DISTINCT_MAX_ROWS:
            exprs.append(col.drop_nulls().n_unique().alias(f"nu{i}"))
        if approx <= TOP_VALUE_MAX_DISTINCT:
            exprs.append(col.drop_nulls().mode().first().alias(f"mode{i}"))
            exprs.append((col == col.drop_nulls().mode().first()).sum().alias(f"top{i}"))
    if not exprs:
        return {}
    row = ctx.lazy().select(exprs).collect(engine="streaming").row(0, named=True)
    stats = {}
    for i, name in enumerate(ctx.table.columns):
        if f"nn{i}" not in row:
            continue
        stats[name] = {
            "non_null": int(row[f"nn{i}"]),
            "distinct": int(row[f"nu{i}"]) if f"nu{i}" in row else ctx.distinct(name),
            "top_value": row.get(f"mode{i}"),
            "top_count": int(row.get(f"top{i}") or 0),
        }
    return stats


def run(ctx: Context) -> CheckResult:
    payload: dict[str, Any] = {
        "empty": [], "constant": [], "almost_constant": [], "id_like": [], "high_cardinality": [],
    }
    issues: list[dict[str, Any]] = []
    if ctx.rows == 0:
        return payload, issues
    special = {ctx.target, ctx.text_column}
    for name, stat in _column_stats(ctx).items():
        dtype = ctx.dtypes[name]
        non_null, distinct = stat["non_null"], stat["distinct"]
        if non_null == 0:
            payload["empty"].append(name)
            issues.append(issue("columns", "warning",
                                f"Column '{name}' has no values at all; drop it.", column=name))
        elif distinct == 1:
            payload["constant"].append(name)
            issues.append(issue(
                "columns", "warning",
                f"Column '{name}' holds the same value ({stat['top_value']!r}) in every non-empty "
                "row; it carries no information — drop it.", column=name))
        elif (name != ctx.target and non_null >= ALMOST_CONSTANT_MIN_ROWS
              and stat["top_count"] >= ALMOST_CONSTANT_SHARE * non_null):
            share = stat["top_count"] / non_null
            payload["almost_constant"].append(name)
            issues.append(issue(
                "columns", "info",
                f"Column '{name}' is {pct(share)} {stat['top_value']!r}; it carries little "
                "information — keep it only if the rare values matter.", column=name))
        if name in special or non_null == 0:
            continue
        if (dtype in ("integer", "string") and ctx.rows >= ID_MIN_ROWS
                and distinct == ctx.rows and non_null == ctx.rows):
            payload["id_like"].append(name)
            issues.append(issue(
                "columns", "info",
                f"Column '{name}' has a different value in every row (an identifier); exclude it "
                "from the model's features.", column=name))
        elif (dtype in ("string", "mixed") and distinct > HIGH_CARDINALITY_MIN
              and distinct > HIGH_CARDINALITY_SHARE * non_null):
            payload["high_cardinality"].append(name)
            issues.append(issue(
                "columns", "info",
                f"Column '{name}' has {distinct:,} distinct values in {non_null:,} rows; one-hot "
                "encoding it will overfit — group rare values, hash it, or drop it.", column=name))
    ctx._cache["id_like"] = list(payload["id_like"])  # outliers skip identifier columns
    return payload, issues
