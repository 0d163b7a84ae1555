"""Exact duplicates: a 64-bit hash per normalised row, and per normalised text.

Rows are hashed after typing (so "1" and "1.0" in a float column agree) with text stripped of
surrounding whitespace. The text column is also hashed after NFKC, lower-casing, removing
punctuation/symbols and collapsing whitespace, which catches copies that differ only in
formatting. With 64-bit hashes a false match needs ~4 billion rows to become likely; we accept
that rather than keep whole rows in memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.report import capped_rows, fmt_count, issue, pct, verb

HASH_SEED = 0x5EED
WARNING_FRACTION = 0.01


def normalised_text(expr: pl.Expr) -> pl.Expr:
    # NFKC leaves ASCII as it is and costs ~10x the rest: apply it to the other texts only.
    # Collapsing only runs and non-space whitespace gives the same text as replacing every \s+
    # run, with far fewer replacements.
    non_ascii = expr.str.len_bytes() != expr.str.len_chars()
    return (
        pl.coalesce(pl.when(non_ascii).then(expr).str.normalize("NFKC"), expr)
        .str.to_lowercase()
        .str.replace_all(r"[\p{P}\p{S}]+", "")
        .str.replace_all(r"\s\s+|[^\S ]", " ")
        .str.strip_chars()
    )


def repeats_of(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows that repeat an earlier row, the first row each repeats), both in file order."""
    if len(hashes) == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty
    # An unstable sort is ~2x faster; the earliest row of each group is then its minimum.
    order = np.argsort(hashes)
    ordered = hashes[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    first_of_group = np.minimum.reduceat(order, np.flatnonzero(starts))
    group_first = first_of_group[np.cumsum(starts) - 1]
    is_repeat = order != group_first
    duplicates, originals = order[is_repeat], group_first[is_repeat]
    by_row = np.argsort(duplicates)
    return duplicates[by_row].astype(np.int64), originals[by_row].astype(np.int64)


def aggregates(ctx: Context) -> list[pl.Expr]:
    return []


def row_exprs(ctx: Context) -> list[pl.Expr]:
    """Pass-2 values (fused.py): a hash per row and per normalised text; null texts flagged."""
    if not ctx.table.columns:
        return []
    parts = []
    for name in ctx.table.columns:
        col = pl.col(name)
        parts.append(col.str.strip_chars() if ctx.dtypes[name] in ("string", "mixed") else col)
    exprs = [pl.struct(parts).hash(seed=HASH_SEED).alias("hash:row")]
    if ctx.text_column:
        col = pl.col(ctx.text_column)
        exprs += [normalised_text(col).hash(seed=HASH_SEED).alias("hash:text"), col.is_null().alias("flag:text_null")]
    return exprs


def _summary(ctx: Context, dups: np.ndarray, originals: np.ndarray) -> dict[str, Any]:
    return {
        "count": len(dups),
        "fraction": round(len(dups) / max(1, ctx.rows), 6),
        **capped_rows(ctx.row_ids(dups)),
        **capped_rows(ctx.row_ids(originals), key="repeats"),
    }


def run(ctx: Context) -> CheckResult:
    if not ctx.table.columns or ctx.rows == 0:
        return {
            "count": 0,
            "fraction": 0.0,
            "rows": [],
            "rows_truncated": False,
            "repeats": [],
            "repeats_truncated": False,
        }, []
    dups, originals = repeats_of(ctx.row_values["hash:row"])
    payload = _summary(ctx, dups, originals)
    issues = []
    if len(dups):
        fraction = len(dups) / ctx.rows
        pairs = ", ".join(
            f"row {d} repeats row {o}" for d, o in zip(payload["rows"][:3], payload["repeats"][:3], strict=True)
        )
        issues.append(
            issue(
                "exact_duplicates",
                "warning" if fraction >= WARNING_FRACTION else "info",
                f"{fmt_count(len(dups), 'row')} ({pct(fraction)}) "
                f"{verb(len(dups), 'repeats', 'repeat')} an earlier row ({pairs}); "
                "drop the repeats so they do not weigh double in training or leak across splits.",
                count=len(dups),
                fraction=fraction,
                rows=payload["rows"],
            )
        )
    if ctx.text_column:
        payload["text"] = _text_duplicates(ctx, issues, dups)
    return payload, issues


def _text_duplicates(ctx: Context, issues: list, row_dups: np.ndarray) -> dict[str, Any]:
    name = ctx.text_column
    assert name is not None
    dups, originals = repeats_of(ctx.row_values["hash:text"])
    keep = ~np.isin(dups, ctx.row_flags.get("flag:text_null", []))
    dups, originals = dups[keep], originals[keep]
    payload = {"column": name, **_summary(ctx, dups, originals)}
    # Rows already reported as whole-row duplicates would only repeat the finding above.
    extra = dups[~np.isin(dups, row_dups)]
    if len(extra):
        fraction = len(extra) / ctx.rows
        issues.append(
            issue(
                "exact_duplicates",
                "warning" if fraction >= WARNING_FRACTION else "info",
                f"{fmt_count(len(extra), 'row')} in '{name}' "
                f"{verb(len(extra), 'repeats', 'repeat')} an earlier text once case, "
                "punctuation and spacing are ignored (the other columns differ); keep one copy of "
                "each text.",
                column=name,
                count=len(extra),
                fraction=fraction,
                rows=ctx.row_ids(extra),
            )
        )
    return payload
