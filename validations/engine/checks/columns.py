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


def _index(ctx: Context, name: str) -> int:
    return ctx.table.columns.index(name)


def _sample_distinct(ctx: Context, name: str) -> tuple[int, int]:
    """(distinct, non-null) values of ``name`` in the sample."""
    if ctx.sample is None or name not in ctx.sample.columns:
        return 0, 0
    col = ctx.sample[name].drop_nulls()
    return col.n_unique(), len(col)


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


def aggregates(ctx: Context) -> list[pl.Expr]:
    """Pass-1 aggregates (fused.py): exact distinct counts where the sample is all distinct, and
    the most common value where the sample has few values; ``run`` reads the rest if needed."""
    exprs: list[pl.Expr] = []
    scan = ctx.table.structure
    records = scan.records if scan is not None else ctx.table.metadata_rows or 0
    for i, name in enumerate(ctx.table.columns):
        if ctx.dtypes[name] == "nested":
            continue
        distinct, non_null = _sample_distinct(ctx, name)
        if (
            records <= EXACT_DISTINCT_MAX_ROWS
            and _wants_exact(ctx, name)
            and non_null
            and distinct >= 0.9 * non_null
            and not likely_text(ctx, name)
        ):
            exprs.append(_exact_expr(name, i))
        if non_null and distinct <= min(TOP_VALUE_MAX_DISTINCT, max(1, non_null // 2)):
            # The sample's most common value, counted over the file with a streaming sum (a
            # mode() aggregate would make Polars hold the column in memory).
            top = ctx.sample[name].drop_nulls().value_counts(sort=True).row(0)[0]
            ctx._cache[f"columns:sample_mode{i}"] = top
            exprs.append((pl.col(name) == pl.lit(top)).sum().alias(f"columns:sample_top{i}"))
    return exprs


def _install_sample_modes(ctx: Context) -> None:
    """A sample value that covers at least half the non-null rows is the mode. One that covers
    more than 1% leaves no room for a value covering 99% (almost constant) or all (constant), the
    only findings that read the mode, so it stands in for it; otherwise the exact mode is read."""
    for i in range(len(ctx.table.columns)):
        if f"columns:sample_top{i}" not in ctx.stats or f"columns:mode{i}" in ctx.stats:
            continue
        count = int(ctx.stats[f"columns:sample_top{i}"] or 0)
        non_null = ctx.rows - int(ctx.stats[f"summary:null{i}"] or 0)
        if count > (1 - ALMOST_CONSTANT_SHARE) * non_null:
            ctx.stats[f"columns:mode{i}"] = ctx._cache[f"columns:sample_mode{i}"]
            ctx.stats[f"columns:top{i}"] = count


def row_exprs(ctx: Context) -> list[pl.Expr]:
    return []


def _column_stats(ctx: Context) -> dict[str, dict[str, Any]]:
    _install_sample_modes(ctx)
    later: list[pl.Expr] = []
    special = {ctx.target, ctx.text_column}  # never ID-like or high-cardinality findings
    for i, name in enumerate(ctx.table.columns):
        if ctx.dtypes[name] == "nested":
            continue
        approx = ctx.distinct(name)
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
