"""Report building blocks: issues, capped row lists, and the quality score.

Quality score (0–100). It starts at 100 and each issue lowers it; info issues cost nothing:
- error: 20 points (the data is broken where it matters: rows lost, counts wrong, labels unusable).
- warning: 3 points plus up to 12 more in proportion to the share of rows affected — a warning that
  touches 20% or more of the rows costs the full 15 (``3 + 12 * min(1, 5 * fraction)``); a warning
  with no row share (a column-level finding) costs 6.
- One check costs at most 30 points in total, so a single broad problem (say, many mixed-type
  columns) cannot hide every other finding's weight. The score is rounded and floored at 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

SCHEMA_VERSION = 1
ROWS_CAP = 100_000
ISSUE_ROWS_SAMPLE = 20
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}

ERROR_COST = 20.0
WARNING_BASE_COST = 3.0
WARNING_SHARE_COST = 12.0
WARNING_COLUMN_COST = 6.0
CHECK_COST_CAP = 30.0


def issue(
    check: str,
    severity: str,
    message: str,
    *,
    column: str | None = None,
    count: int | None = None,
    fraction: float | None = None,
    rows: Iterable[int] | None = None,
) -> dict[str, Any]:
    """One finding; ``rows`` is trimmed to a reading sample (the full list lives in ``checks``)."""
    assert severity in SEVERITY_ORDER
    sample = [] if rows is None else [int(r) for r in list(rows)[:ISSUE_ROWS_SAMPLE]]
    return {
        "check": check,
        "severity": severity,
        "message": message,
        "column": column,
        "count": None if count is None else int(count),
        "fraction": None if fraction is None else round(float(fraction), 6),
        "rows": sample,
    }


def capped_rows(rows: Iterable[int] | np.ndarray, key: str = "rows") -> dict[str, Any]:
    """``{rows: [...], rows_truncated: bool}`` holding at most ROWS_CAP row indices."""
    array = np.asarray(list(rows) if not isinstance(rows, np.ndarray) else rows, dtype=np.int64)
    return {
        key: array[:ROWS_CAP].tolist(),
        f"{key}_truncated": bool(len(array) > ROWS_CAP),
    }


def issue_cost(item: dict[str, Any]) -> float:
    if item["severity"] == "error":
        return ERROR_COST
    if item["severity"] != "warning":
        return 0.0
    if item["fraction"] is None:
        return WARNING_COLUMN_COST
    return WARNING_BASE_COST + WARNING_SHARE_COST * min(1.0, 5.0 * item["fraction"])


def quality_score(issues: list[dict[str, Any]]) -> int:
    per_check: dict[str, float] = {}
    for item in issues:
        per_check[item["check"]] = per_check.get(item["check"], 0.0) + issue_cost(item)
    total = sum(min(CHECK_COST_CAP, cost) for cost in per_check.values())
    return round(max(0.0, 100.0 - total))


def sort_issues(issues: list[dict[str, Any]], check_order: list[str]) -> list[dict[str, Any]]:
    position = {name: i for i, name in enumerate(check_order)}
    return sorted(
        issues,
        key=lambda i: (SEVERITY_ORDER[i["severity"]], position.get(i["check"], len(position))),
    )


def fmt_count(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def pct(fraction: float) -> str:
    return f"{fraction * 100:.1f}%" if fraction >= 0.001 else f"{fraction * 100:.3f}%"


def verb(count: int, one: str, many: str) -> str:
    """Agreement for messages: verb(1, "repeats", "repeat") → "repeats"."""
    return one if count == 1 else many
