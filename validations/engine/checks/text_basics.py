"""Text basics: length percentiles and non-letter share for the text column, and encoding damage
(U+FFFD replacement characters, UTF-8-read-as-Latin-1 mojibake such as "Ã©" or "â€™") in every
text column.

A text is "mostly non-letters" when fewer than half of its non-space characters are letters
(markup, numbers, code, symbol spam); reported as info under 5% of rows, warning above.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.report import capped_rows, fmt_count, issue, pct, verb

MOJIBAKE = r"Ã[\x{80}-\x{BF}]|â€|Â[\x{A0}-\x{BF}]|Ã¢|ï»¿"
REPLACEMENT = "\ufffd"
NON_LETTER_MAX_SHARE = 0.5
NON_LETTER_WARNING_FRACTION = 0.05
PERCENTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)


def damaged(expr: pl.Expr) -> pl.Expr:
    return expr.str.contains(REPLACEMENT, literal=True) | expr.str.contains(MOJIBAKE)


def _rows_where(ctx: Context, condition: pl.Expr) -> Any:
    frame = (
        ctx.lazy().with_row_index("__row").filter(condition).select("__row")
        .collect(engine="streaming")
    )
    return ctx.row_ids(frame["__row"].to_numpy())


def run(ctx: Context) -> CheckResult:
    payload: dict[str, Any] = {"column": ctx.text_column, "encoding_damage": {}}
    issues = []
    if ctx.rows == 0:
        return payload, issues
    for name in ctx.string_columns():
        rows = _rows_where(ctx, damaged(pl.col(name)).fill_null(False))
        if not len(rows):
            continue
        payload["encoding_damage"][name] = {"count": len(rows), **capped_rows(rows)}
        issues.append(issue(
            "text_basics", "warning",
            f"{fmt_count(len(rows), 'value')} in '{name}' {verb(len(rows), 'shows', 'show')} "
            "encoding damage (replacement characters or mojibake like 'Ã©'); re-decode the source "
            "as UTF-8, or repair with a tool such as ftfy.",
            column=name, count=len(rows), fraction=len(rows) / ctx.rows, rows=rows))
    if ctx.text_column is None:
        return payload, issues
    col = pl.col(ctx.text_column)
    length = col.str.len_chars()
    # Count the rare characters (spaces, non-letters), not every letter: ~5x fewer regex matches.
    visible = length - col.str.count_matches(r"\s")
    share = (col.str.count_matches(r"[^\p{L}\s]") / visible).fill_nan(None)
    exprs = [length.quantile(q, "nearest").alias(f"p{q}") for q in PERCENTILES]
    exprs += [length.mean().alias("mean"), col.str.count_matches(r"\S+").mean().alias("words"),
              share.mean().alias("non_letter")]
    stats = ctx.lazy().select(exprs).collect(engine="streaming").row(0, named=True)
    payload["length_chars"] = {f"p{int(q * 100)}": stats[f"p{q}"] for q in PERCENTILES}
    payload["length_chars"]["mean"] = stats["mean"]
    payload["mean_words"] = stats["words"]
    payload["non_letter_share"] = stats["non_letter"]
    noisy = _rows_where(ctx, (share > NON_LETTER_MAX_SHARE).fill_null(False))
    payload["mostly_non_letters"] = {"count": len(noisy), **capped_rows(noisy)}
    if len(noisy):
        fraction = len(noisy) / ctx.rows
        issues.append(issue(
            "text_basics", "warning" if fraction >= NON_LETTER_WARNING_FRACTION else "info",
            f"{fmt_count(len(noisy), 'text')} ({pct(fraction)}) in '{ctx.text_column}' "
            f"{verb(len(noisy), 'is', 'are')} mostly symbols, digits or markup rather than words; "
            "review them and strip boilerplate.",
            column=ctx.text_column, count=len(noisy), fraction=fraction, rows=noisy))
    return payload, issues
