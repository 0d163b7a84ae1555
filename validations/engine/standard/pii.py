"""PII patterns in text columns: e-mail, phone, payment card (Luhn-checked), IBAN (mod-97-checked)
and IP addresses (v4 with valid octets, v6).

Patterns are matched with Polars on every string column; card and IBAN candidates are then
validated in Python so that order numbers and other digit runs are not reported. Phone numbers need
phone-like formatting (a leading + and country code, or grouped digits like 555-123-4567), because
bare digit runs are usually something else.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import polars as pl

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
VALIDATORS = {"card": "luhn", "iban": "iban"}
# Candidate rows of a validated pattern checked in Python at a time (``_rows_with``).
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
    if kind not in VALIDATORS:
        found = ctx.lazy().with_row_index("__row").filter(col.str.contains(pattern).fill_null(False))
        return found.select("__row").collect(engine="streaming")["__row"].to_numpy()
    candidates = (
        ctx.lazy()
        .with_row_index("__row")
        .select("__row", col.str.extract_all(pattern).alias("m"))
        .filter(pl.col("m").list.len() > 0)
    )
    check = luhn_ok if kind == "card" else iban_ok
    # A batch of candidates at a time: a column of digit runs (order numbers) makes every row one,
    # and collecting them all held their matches and a Python list (~500 MB over 10M rows).
    kept = [np.array([], dtype=np.int64)]
    for batch in candidates.collect_batches(chunk_size=BATCH_ROWS, engine="streaming"):
        keep = [row for row, matches in batch.iter_rows() if any(check(m) for m in matches)]
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
