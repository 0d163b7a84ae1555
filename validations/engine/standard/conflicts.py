"""Conflicting labels: rows whose features are all identical but whose targets differ.

Features are every column except the target (row hashes, as for exact duplicates). Each group of
identical features with more than one distinct target is a conflict; all rows of such groups are
listed. Severity is warning: either the label is wrong or the features cannot tell the classes
apart, and both need a decision before training.

Memory: the features' and targets' hashes are split by hash partition in one pass
(partitions.py), and the groups are formed a partition (~PART_ROWS rows) at a time, so memory does
not grow with the file's rows (collecting the hashes and grouping every row at once held ~1.5 GB
over 10M rows).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from validations.engine.batches import iter_batches
from validations.engine.checks import CheckResult
from validations.engine.checks.duplicates import repeated_values
from validations.engine.context import Context
from validations.engine.partitions import HashPartitions
from validations.engine.report import capped_rows, fmt_count, issue, pct

MAX_GROUPS_LISTED = 10_000
# Rows grouped at a time (a partition holds ~24 bytes a row on disk, ~3x that while grouped).
PART_ROWS = 1_000_000
SPILL_ROWS = 500_000  # rows hashed at once (the batches of the split)


def run(ctx: Context) -> CheckResult:
    target = ctx.target
    if target is None or target not in ctx.dtypes or len(ctx.table.columns) < 2:
        return {"target": target, "count": 0, "rows": [], "rows_truncated": False, "groups": []}, []
    features = [n for n in ctx.table.columns if n != target]
    hashed = iter_batches(ctx.table, batch_size=SPILL_ROWS, row_index="row", select=row_hashes(features, target))
    with tempfile.TemporaryDirectory(prefix="conflicts-", dir=ctx.table.work_dir) as folder:
        groups = conflict_groups(hashed, ctx.rows, Path(folder))
    listed = [ctx.row_ids(np.array(rows)).tolist() for rows in groups]
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


def row_hashes(features: list[str], target: str) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
    """The query of ``conflict_groups``' input on a frame with a "row" column: the hash of each
    labelled row's ``features`` ("f") and of its ``target`` ("t")."""
    labels = pl.when(pl.col(target).is_not_null()).then(pl.col(target).hash(seed=8))
    return lambda frame: frame.select("row", pl.struct(features).hash(seed=7).alias("f"), labels.alias("t")).filter(
        pl.col("t").is_not_null()
    )


def conflict_groups(hashed: Iterable[pl.DataFrame], rows: int, folder: Path) -> list[list[int]]:
    """The positions of the rows of each group of equal feature hashes with more than one target
    hash, in order, the groups in the order of their first rows. ``hashed``: batches of
    ``row_hashes``; ``rows``: the frame's rows, which set the number of partitions."""
    # Equal features hash alike, so each group lies in one partition.
    partitions = HashPartitions(folder, "f", -(-rows // PART_ROWS))
    partitions.add_all(hashed)
    found = [pl.DataFrame({"row": []}, schema={"row": pl.List(pl.Int64)})]
    for k in range(partitions.parts):
        part = partitions.read(k)
        if part is None:
            continue
        # Only features seen twice can disagree: a sort finds them 4x faster than grouping every row.
        repeated = repeated_values(part["f"].to_numpy())
        part = part.filter(pl.col("f").is_in(pl.Series(repeated, dtype=pl.UInt64).implode()))
        grouped = part.group_by("f").agg(pl.col("t").n_unique().alias("labels"), pl.col("row").cast(pl.Int64))
        found.append(grouped.filter(pl.col("labels") > 1).select("row"))
    return pl.concat(found).sort(pl.col("row").list.first())["row"].to_list()
