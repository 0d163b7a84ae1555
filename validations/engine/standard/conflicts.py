"""Conflicting labels: rows whose features are all identical but whose targets differ.

Features are every column except the target (row hashes, as for exact duplicates). Each group of
identical features with more than one distinct target is a conflict; all rows of such groups are
listed. Severity is warning: either the label is wrong or the features cannot tell the classes
apart, and both need a decision before training.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.report import capped_rows, fmt_count, issue, pct

MAX_GROUPS_LISTED = 10_000


def run(ctx: Context) -> CheckResult:
    target = ctx.target
    if target is None or target not in ctx.dtypes or len(ctx.table.columns) < 2:
        return {"target": target, "count": 0, "rows": [], "rows_truncated": False, "groups": []}, []
    features = [n for n in ctx.table.columns if n != target]
    frame = (
        ctx.lazy()
        .select(
            pl.struct(features).hash(seed=7).alias("f"),
            pl.col(target).hash(seed=8).alias("t"),
            pl.col(target).is_null().alias("unlabelled"),
        )
        .with_row_index("row")
        .filter(~pl.col("unlabelled"))
        .collect(engine="streaming")
    )
    groups = (
        frame.group_by("f")
        .agg(pl.col("t").n_unique().alias("labels"), pl.col("row"))
        .filter(pl.col("labels") > 1)
        .sort(pl.col("row").list.first())
    )
    listed = [ctx.row_ids(np.array(rows)).tolist() for rows in groups["row"].to_list()]
    all_rows = np.sort(np.array([r for g in listed for r in g], dtype=np.int64))
    payload: dict[str, Any] = {
        "target": target,
        "count": len(all_rows),
        "group_count": len(listed),
        **capped_rows(all_rows),
        "groups": listed[:MAX_GROUPS_LISTED],
    }
    issues = []
    if len(listed):
        fraction = len(all_rows) / max(1, ctx.rows)
        issues.append(
            issue(
                "conflicting_labels",
                "warning",
                f"{fmt_count(len(listed), 'group')} of rows ({fmt_count(len(all_rows), 'row')}, "
                f"{pct(fraction)}) have identical features but different '{target}' values (e.g. rows "
                f"{', '.join(map(str, listed[0][:4]))}); relabel them or add a feature that tells them "
                "apart.",
                column=target,
                count=len(all_rows),
                fraction=fraction,
                rows=all_rows,
            )
        )
    return payload, issues
