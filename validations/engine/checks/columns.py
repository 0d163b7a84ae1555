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
the file has at most EXACT_DISTINCT_MAX_ROWS rows: from 64-bit hashes per row when the sample
predicts the need (on disk, counted a partition at a time), else with a second read of the column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from validations.engine.checks import CheckResult
from validations.engine.checks.duplicates import HASH_SEED, hash_parts
from validations.engine.context import Context, likely_text
from validations.engine.fused import follow_up
from validations.engine.report import issue, pct

ALMOST_CONSTANT_SHARE = 0.99
ALMOST_CONSTANT_MIN_ROWS = 100
ID_MIN_ROWS = 20
HIGH_CARDINALITY_SHARE = 0.5
HIGH_CARDINALITY_MIN = 50
EXACT_DISTINCT_MAX_ROWS = 20_000_000
TOP_VALUE_MAX_DISTINCT = 10_000
BUCKETS = 251  # a prime below 256: one byte a row


def _sample_distinct(ctx: Context, name: str) -> tuple[int, int]:
    """(distinct, non-null) values of ``name`` in the sample (asked for about three times per
    column and read, so kept with the sample they were counted on)."""
    if ctx.sample is None or name not in ctx.sample.columns:
        return 0, 0
    sample, found = ctx._cache.get(f"columns:sample_distinct:{name}", (None, None))
    if sample is not ctx.sample:
        col = ctx.sample[name].drop_nulls()
        found = (col.n_unique(), len(col))
        ctx._cache[f"columns:sample_distinct:{name}"] = (ctx.sample, found)
    return found


def _wants_exact(ctx: Context, name: str) -> bool:
    # Only integer and string columns can be ID-like or high-cardinality findings: a float's exact
    # count would change no result.
    return ctx.dtypes[name] in ("integer", "string", "mixed")


def _exact_expr(name: str, i: int) -> pl.Expr:
    return pl.col(name).drop_nulls().n_unique().alias(f"columns:nu{i}")


def _mode_exprs(name: str, i: int) -> list[pl.Expr]:
    col = pl.col(name)
    mode = col.drop_nulls().mode().first()
    return [mode.alias(f"columns:mode{i}"), (col == mode).sum().alias(f"columns:top{i}")]


def _predicts_exact(ctx: Context, name: str, distinct: int, non_null: int) -> bool:
    scan = ctx.table.structure
    records = scan.records if scan is not None else ctx.table.metadata_rows or 0
    return (
        records <= EXACT_DISTINCT_MAX_ROWS
        and _wants_exact(ctx, name)
        and non_null > 0
        and distinct >= 0.9 * non_null
        and not likely_text(ctx, name)
    )


def _has_few_values(distinct: int, non_null: int) -> bool:
    return non_null > 0 and distinct <= min(TOP_VALUE_MAX_DISTINCT, max(1, non_null // 2))


def aggregates(ctx: Context) -> list[pl.Expr]:
    """Aggregates of the fused read (fused.py): where the sample has few values, how often its most common
    value occurs in the file (a streaming sum: a mode() aggregate would make Polars hold the column)."""
    exprs: list[pl.Expr] = []
    for i, name in enumerate(ctx.table.columns):
        if ctx.dtypes[name] == "nested":
            continue
        distinct, non_null = _sample_distinct(ctx, name)
        if _has_few_values(distinct, non_null):
            top = ctx.sample[name].drop_nulls().value_counts(sort=True).row(0)[0]
            ctx._cache[f"columns:sample_mode{i}"] = top
            exprs.append((pl.col(name) == pl.lit(top)).sum().alias(f"columns:sample_top{i}"))
    return exprs


def row_exprs(ctx: Context) -> list[pl.Expr]:
    """Per-row hashes where the sample is all distinct (an exact distinct count without holding
    the column), and a one-byte hash bucket where its most common value is too rare to stand in for
    the mode (see ``_install_modes``)."""
    exprs: list[pl.Expr] = []
    for i, name in enumerate(ctx.table.columns):
        if ctx.dtypes[name] == "nested":
            continue
        distinct, non_null = _sample_distinct(ctx, name)
        if _predicts_exact(ctx, name, distinct, non_null):
            exprs.append(pl.col(name).hash(seed=HASH_SEED).alias(f"value:distinct{i}"))
        if _has_few_values(distinct, non_null):
            top = ctx.sample[name].drop_nulls().value_counts(sort=True).row(0)[1]
            if top <= 2 * (1 - ALMOST_CONSTANT_SHARE) * non_null:
                exprs.append(_bucket(pl.col(name)).alias(f"value:bucket{i}"))
    return exprs


def _bucket(expr: pl.Expr) -> pl.Expr:
    return (expr.hash(seed=HASH_SEED) % BUCKETS).cast(pl.UInt8)


def _no_dominant_value(ctx: Context, i: int, buckets: np.ndarray) -> bool:
    """True when no value covers ALMOST_CONSTANT_SHARE of the non-null rows: every value falls in one
    of BUCKETS hash buckets, so no bucket holding that many proves it (a bucket that does only
    sends ``_column_stats`` to read the exact mode)."""
    counts = np.bincount(buckets, minlength=BUCKETS)
    dtype = ctx.sample[ctx.table.columns[i]].dtype
    null_bucket = pl.select(_bucket(pl.lit(None, dtype=dtype))).item()
    nulls = int(ctx.stats[f"summary:null{i}"] or 0)
    counts[null_bucket] -= nulls
    return int(counts.max()) < ALMOST_CONSTANT_SHARE * (ctx.rows - nulls)


def _exact_distinct(ctx: Context, i: int) -> int:
    """Distinct non-null values from the per-row hashes, a hash partition at a time (a 64-bit
    collision, ~1e-6 at 10M rows, is the only way to undercount)."""
    name = f"value:distinct{i}"
    distinct = sum(part[name].n_unique() for part in hash_parts(ctx.row_values, name, ctx.rows))
    # Every null hashes to one value, counted above as a value.
    return distinct - (1 if ctx.stats[f"summary:null{i}"] else 0)


def _install_modes(ctx: Context) -> None:
    """A sample value that covers at least half the non-null rows is the mode. One that covers more
    than 1% leaves no room for a value covering 99% (almost constant) or all (constant), the only
    findings that read the mode, so it stands in for it, as it does when the hash buckets show that
    no value covers 99%; otherwise ``_column_stats`` reads the exact mode."""
    for i in range(len(ctx.table.columns)):
        if f"columns:sample_top{i}" not in ctx.stats or f"columns:mode{i}" in ctx.stats:
            continue
        count = int(ctx.stats[f"columns:sample_top{i}"] or 0)
        non_null = ctx.rows - int(ctx.stats[f"summary:null{i}"] or 0)
        if count > (1 - ALMOST_CONSTANT_SHARE) * non_null or (
            f"value:bucket{i}" in ctx.row_values and _no_dominant_value(ctx, i, ctx.row_values.load(f"value:bucket{i}"))
        ):
            ctx.stats[f"columns:mode{i}"] = ctx._cache[f"columns:sample_mode{i}"]
            ctx.stats[f"columns:top{i}"] = count


def _column_stats(ctx: Context) -> dict[str, dict[str, Any]]:
    _install_modes(ctx)
    later: list[pl.Expr] = []
    special = {ctx.target, ctx.text_column}  # never ID-like or high-cardinality findings
    for i, name in enumerate(ctx.table.columns):
        if ctx.dtypes[name] == "nested":
            continue
        approx = ctx.distinct(name)
        if f"value:distinct{i}" in ctx.row_values and approx >= 0.9 * ctx.rows:
            ctx.stats[f"columns:nu{i}"] = _exact_distinct(ctx, i)
        if (
            approx >= 0.9 * ctx.rows
            and ctx.rows <= EXACT_DISTINCT_MAX_ROWS
            and _wants_exact(ctx, name)
            and name not in special
            and f"columns:nu{i}" not in ctx.stats
        ):
            later.append(_exact_expr(name, i))
        if approx <= TOP_VALUE_MAX_DISTINCT and f"columns:mode{i}" not in ctx.stats:
            later += _mode_exprs(name, i)
    follow_up(ctx, later)
    stats = {}
    for i, name in enumerate(ctx.table.columns):
        if ctx.dtypes[name] == "nested":
            continue
        approx = ctx.distinct(name)
        exact = (
            ctx.stats.get(f"columns:nu{i}")
            if approx >= 0.9 * ctx.rows and ctx.rows <= EXACT_DISTINCT_MAX_ROWS
            else None
        )
        with_mode = approx <= TOP_VALUE_MAX_DISTINCT
        stats[name] = {
            "non_null": ctx.rows - int(ctx.stats[f"summary:null{i}"] or 0),
            "distinct": int(exact) if exact is not None else approx,
            "top_value": ctx.stats.get(f"columns:mode{i}") if with_mode else None,
            "top_count": int(ctx.stats.get(f"columns:top{i}") or 0) if with_mode else 0,
        }
    return stats


def run(ctx: Context) -> CheckResult:
    payload: dict[str, Any] = {
        "empty": [],
        "constant": [],
        "almost_constant": [],
        "id_like": [],
        "high_cardinality": [],
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
            issues.append(issue("columns", "warning", f"Column '{name}' has no values at all; drop it.", column=name))
        elif distinct == 1:
            payload["constant"].append(name)
            issues.append(
                issue(
                    "columns",
                    "warning",
                    f"Column '{name}' holds the same value ({stat['top_value']!r}) in every non-empty "
                    "row; it carries no information — drop it.",
                    column=name,
                )
            )
        elif (
            name != ctx.target
            and non_null >= ALMOST_CONSTANT_MIN_ROWS
            and stat["top_count"] >= ALMOST_CONSTANT_SHARE * non_null
        ):
            share = stat["top_count"] / non_null
            payload["almost_constant"].append(name)
            issues.append(
                issue(
                    "columns",
                    "info",
                    f"Column '{name}' is {pct(share)} {stat['top_value']!r}; it carries little "
                    "information — keep it only if the rare values matter.",
                    column=name,
                )
            )
        if name in special or non_null == 0:
            continue
        if dtype in ("integer", "string") and ctx.rows >= ID_MIN_ROWS and distinct == ctx.rows and non_null == ctx.rows:
            payload["id_like"].append(name)
            issues.append(
                issue(
                    "columns",
                    "info",
                    f"Column '{name}' has a different value in every row (an identifier); exclude it "
                    "from the model's features.",
                    column=name,
                )
            )
        elif (
            dtype in ("string", "mixed")
            and distinct > HIGH_CARDINALITY_MIN
            and distinct > HIGH_CARDINALITY_SHARE * non_null
        ):
            payload["high_cardinality"].append(name)
            issues.append(
                issue(
                    "columns",
                    "info",
                    f"Column '{name}' has {distinct:,} distinct values in {non_null:,} rows; one-hot "
                    "encoding it will overfit — group rare values, hash it, or drop it.",
                    column=name,
                )
            )
    ctx._cache["id_like"] = list(payload["id_like"])  # outliers skip identifier columns
    return payload, issues
