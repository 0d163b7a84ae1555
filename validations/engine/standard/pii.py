"""PII patterns in text columns: e-mail, phone, payment card (Luhn-checked), IBAN (mod-97-checked)
and IP addresses (v4 with valid octets, v6).

Patterns are matched with Polars on every string column; card candidates are then Luhn-checked
(in Polars) and IBAN candidates mod-97-checked (in Python, a batch at a time; they are rare), so that
order numbers and other digit runs are not reported. Phone numbers need
phone-like formatting (a leading + and country code, or grouped digits like 555-123-4567), because
bare digit runs are usually something else.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import polars as pl

from validations.engine.batches import iter_batches
from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.report import capped_rows, fmt_count, issue, pct

PATTERNS = {
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "phone": r"(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}[ .-]?\d{2,4}[ .-]?\d{2,4}"
    r"|\(\d{3}\)\s?\d{3}-\d{4}|\b\d{3}-\d{3}-\d{4}\b)",
    "card": r"\b(?:\d[ -]?){12,18}\d\b",
    "iban": r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
    "ip": r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"
    r"|\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b",
}
# Kinds whose matches are checked before they count: card numbers by Luhn, IBANs by their mod-97 digits.
CHECKED = ("card", "iban")
# IBAN candidate rows checked in Python at a time (``_rows_with``).
BATCH_ROWS = 100_000


def luhn_ok(candidate: str) -> bool:
    digits = [int(c) for c in re.sub(r"\D", "", candidate)]
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def luhn_valid(match: pl.Expr) -> pl.Expr:
    """``luhn_ok`` of each card candidate, in Polars: checked in Python, a column of digit runs
    (order numbers) took ~95 s over 10M rows. The digits are padded with leading zeros to 19 and
    read from the right, where zeros add nothing to the sum."""
    digits = match.str.replace_all(r"\D", "")
    padded = digits.str.pad_start(19, "0")
    total = pl.lit(0, dtype=pl.Int32)
    for position in range(19):  # from the right: every second digit is doubled
        digit = padded.str.slice(18 - position, 1).cast(pl.Int32)
        total = total + (pl.when(digit > 4).then(digit * 2 - 9).otherwise(digit * 2) if position % 2 else digit)
    one_digit = digits.str.strip_chars(digits.str.slice(0, 1)).str.len_bytes() == 0
    return digits.str.len_bytes().is_between(13, 19) & ~one_digit & (total % 10 == 0)


def iban_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _rows_with(ctx: Context, name: str, kind: str) -> np.ndarray:
    col = pl.col(name)
    pattern = PATTERNS[kind]
    if kind not in CHECKED:
        found = ctx.lazy().with_row_index("__row").filter(col.str.contains(pattern).fill_null(False))
        return found.select("__row").collect(engine="streaming")["__row"].to_numpy()

    def candidates(frame: pl.LazyFrame) -> pl.LazyFrame:
        return frame.select("__row", col.str.extract_all(pattern).alias("m")).filter(pl.col("m").list.len() > 0)

    if kind == "card":
        valid = candidates(ctx.lazy().with_row_index("__row")).explode("m").filter(luhn_valid(pl.col("m")))
        return np.sort(valid.select("__row").unique().collect(engine="streaming")["__row"].to_numpy().astype(np.int64))
    # A batch of candidates at a time: collecting them all held their matches and a Python list.
    kept = [np.array([], dtype=np.int64)]
    for batch in iter_batches(ctx.table, batch_size=BATCH_ROWS, row_index="__row", select=candidates):
        keep = [row for row, matches in batch.iter_rows() if any(iban_ok(m) for m in matches)]
        kept.append(np.array(keep, dtype=np.int64))
    return np.concatenate(kept)


def run(ctx: Context) -> CheckResult:
    payload: dict[str, Any] = {"columns": {}}
    issues = []
    for name in ctx.string_columns():
        found: dict[str, Any] = {}
        for kind in PATTERNS:
            rows = ctx.row_ids(_rows_with(ctx, name, kind))
            if len(rows):
                found[kind] = {"count": len(rows), **capped_rows(rows)}
        if not found:
            continue
        payload["columns"][name] = found
        all_rows = np.unique(np.concatenate([np.array(v["rows"]) for v in found.values()]))
        kinds = ", ".join(f"{k} ({v['count']:,})" for k, v in found.items())
        fraction = len(all_rows) / max(1, ctx.rows)
        issues.append(
            issue(
                "pii",
                "warning",
                f"Column '{name}' contains personal data in {fmt_count(len(all_rows), 'row')} "
                f"({pct(fraction)}): {kinds}; remove or mask it unless you have consent to train on it.",
                column=name,
                count=len(all_rows),
                fraction=fraction,
                rows=all_rows,
            )
        )
    return payload, issues
