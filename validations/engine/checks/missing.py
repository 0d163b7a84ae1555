"""Missing values: real nulls, whitespace-only cells, disguised tokens and numeric sentinels.

Disguised missing values are counted as missing and reported as such:
- tokens such as NA, N/A, ?, -, null, none (``schema.MISSING_TOKENS``). In numeric columns they are
  a warning (they broke the column's type); in text columns only an info, since "none" can be a real
  answer there.
- numeric sentinels (-999, 9999, 99999, ...) only when they sit far outside the column's other
  values: a negative sentinel in a column whose other values are all >= 0, or a positive one more
  than 5x the largest other value. A real 9999 among values of that size is not flagged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.report import capped_rows, fmt_count, issue, pct, verb
from validations.engine.schema import MISSING_TOKENS

SENTINELS = (-99999, -9999, -999, -99, 999, 9999, 99999, 999999)
POSITIVE_SENTINEL_RATIO = 5.0
NULL_WARNING_FRACTION = 0.3


def _column_exprs(ctx: Context, name: str, i: int) -> list[pl.Expr]:
    col = pl.col(name)
    dtype = ctx.dtypes[name]
    exprs = [col.null_count().alias(f"null{i}")]
    if dtype == "float":
        exprs.append(col.is_nan().sum().alias(f"nan{i}"))
    if dtype in ("integer", "float"):
        for j, value in enumerate(SENTINELS):
            exprs.append((col == value).sum().alias(f"s{i}_{j}"))
        # One lookup instead of a chain of ==: it runs twice per row (a mask is not shared).
        listed = pl.Series(SENTINELS, dtype=pl.Int64 if dtype == "integer" else pl.Float64)
        is_sentinel = col.is_in(listed.implode())
        others = pl.when(~is_sentinel).then(col)  # elementwise: a filter would leave streaming
        exprs += [others.min().alias(f"min{i}"), others.max().alias(f"max{i}")]
    if dtype in ("string", "mixed") and name not in ctx.table.text_profiles:
        stripped = col.str.strip_chars()
        exprs.append((stripped == "").sum().alias(f"blank{i}"))
        exprs.append(stripped.str.to_lowercase().is_in(MISSING_TOKENS).sum().alias(f"tok{i}"))
    return exprs


def _flagged_sentinels(stats: dict[str, Any], i: int) -> dict[int, int]:
    low, high = stats.get(f"min{i}"), stats.get(f"max{i}")
    flagged = {}
    for j, value in enumerate(SENTINELS):
        count = int(stats.get(f"s{i}_{j}") or 0)
        if not count or low is None:
            continue
        if (value < 0 and low >= 0) or (value > 0 and high is not None and value > 5 * high):
            flagged[value] = count
    return flagged


def aggregates(ctx: Context) -> list[pl.Expr]:
    """Aggregates of the fused read (fused.py): nulls, NaNs, sentinel counts and extremes, tokens."""
    return [e.name.prefix("missing:") for i, n in enumerate(ctx.table.columns) for e in _column_exprs(ctx, n, i)]


def row_exprs(ctx: Context) -> list[pl.Expr]:
    """Per-row flag of the fused read: rows whose every cell is null."""
    if not ctx.table.columns:
        return []
    return [pl.all_horizontal([pl.col(n).is_null() for n in ctx.table.columns]).alias("flag:all_null")]


def run(ctx: Context) -> CheckResult:
    names = ctx.table.columns
    stats = {k.removeprefix("missing:"): v for k, v in ctx.stats.items() if k.startswith("missing:")}
    rows = max(1, ctx.rows)
    columns: dict[str, Any] = {}
    issues = []
    for i, name in enumerate(names):
        profile = ctx.table.text_profiles.get(name)
        dtype = ctx.dtypes[name]
        tokens = profile.tokens if profile else int(stats.get(f"tok{i}") or 0)
        blank = profile.blank if profile else int(stats.get(f"blank{i}") or 0)
        typed_nulls = int(stats[f"null{i}"])
        # A numeric column typed from text turned its tokens and blanks into nulls already.
        real_nulls = ctx.rows - profile.non_null if profile else typed_nulls
        nan = int(stats.get(f"nan{i}") or 0)
        sentinels = _flagged_sentinels(stats, i)
        missing = real_nulls + nan + tokens + blank + sum(sentinels.values())
        columns[name] = {
            "null_count": real_nulls + nan,
            "disguised_tokens": tokens,
            "blank_cells": blank,
            "sentinels": {str(k): v for k, v in sentinels.items()},
            "missing_count": missing,
            "missing_fraction": round(missing / rows, 6),
        }
        issues += _column_issues(ctx, name, dtype, columns[name], tokens, blank, sentinels)
    all_null = _all_null_rows(ctx)
    total_cells = max(1, ctx.rows * len(names))
    payload = {
        "columns": columns,
        "missing_cell_fraction": round(sum(c["missing_count"] for c in columns.values()) / total_cells, 6),
        "all_null_rows": {"count": len(all_null), **capped_rows(all_null)},
    }
    if len(all_null):
        issues.append(
            issue(
                "missing",
                "warning",
                f"{fmt_count(len(all_null), 'row')} {verb(len(all_null), 'is', 'are')} entirely "
                f"empty; remove {verb(len(all_null), 'it', 'them')}.",
                count=len(all_null),
                fraction=len(all_null) / rows,
                rows=all_null,
            )
        )
    return payload, issues


def _column_issues(
    ctx: Context,
    name: str,
    dtype: str,
    info: dict[str, Any],
    tokens: int,
    blank: int,
    sentinels: dict[int, int],
) -> list[dict[str, Any]]:
    rows = max(1, ctx.rows)
    issues = []
    fraction = info["missing_fraction"]
    if info["missing_count"] and info["missing_count"] < ctx.rows:
        severity = "warning" if fraction >= NULL_WARNING_FRACTION else "info"
        issues.append(
            issue(
                "missing",
                severity,
                f"Column '{name}' is missing {pct(fraction)} of its values; impute them, drop the "
                "affected rows, or drop the column if it is mostly empty.",
                column=name,
                count=info["missing_count"],
                fraction=fraction,
            )
        )
    if tokens:
        numeric = dtype in ("integer", "float", "boolean", "mixed")
        issues.append(
            issue(
                "missing",
                "warning" if numeric else "info",
                f"Column '{name}' has {fmt_count(tokens, 'missing value')} in disguise (text such "
                "as NA, ?, -, null); they are counted as missing — write them as empty cells.",
                column=name,
                count=tokens,
                fraction=tokens / rows,
            )
        )
    if blank:
        issues.append(
            issue(
                "missing",
                "warning" if name == ctx.text_column else "info",
                f"Column '{name}' has {fmt_count(blank, 'cell')} holding only whitespace; they are "
                "counted as missing — empty them or fill them in.",
                column=name,
                count=blank,
                fraction=blank / rows,
            )
        )
    if sentinels:
        count = sum(sentinels.values())
        values = ", ".join(str(v) for v in sentinels)
        issues.append(
            issue(
                "missing",
                "warning",
                f"Column '{name}' uses {values} as a placeholder ({fmt_count(count, 'cell')}), far "
                "outside its other values; they are counted as missing — replace them with empty "
                "cells before computing statistics or training.",
                column=name,
                count=count,
                fraction=count / rows,
            )
        )
    return issues


def _all_null_rows(ctx: Context) -> np.ndarray:
    if not ctx.table.columns or ctx.rows == 0:
        return np.array([], dtype=np.int64)
    return ctx.row_ids(ctx.row_flags.get("flag:all_null", np.array([], dtype=np.int64)))
