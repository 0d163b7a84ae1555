"""Conflicting labels: rows whose features are all identical but whose targets differ.

Features are every column except the target (row hashes, as for exact duplicates). Each group of
identical features with more than one distinct target is a conflict; all rows of such groups are
listed. Severity is warning: either the label is wrong or the features cannot tell the classes
apart, and both need a decision before training.

Memory: the features' and targets' hashes go to temporary files, one per hash partition, in one
pass, and the groups are formed a partition (~PART_ROWS rows) at a time, so memory does not grow
with the file's rows (collecting the hashes and grouping every row at once held ~1.5 GB over 10M
rows).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.report import capped_rows, fmt_count, issue, pct

MAX_GROUPS_LISTED = 10_000
# Rows grouped at a time (a partition holds ~24 bytes a row on disk, ~3x that while grouped).
PART_ROWS = 1_000_000
SPILL_ROWS = 500_000  # rows hashed at once


def run(ctx: Context) -> CheckResult:
    target = ctx.target
    if target is None or target not in ctx.dtypes or len(ctx.table.columns) < 2:
        return {"target": target, "count": 0, "rows": [], "rows_truncated": False, "groups": []}, []
    features = [n for n in ctx.table.columns if n != target]
    with tempfile.TemporaryDirectory(prefix="conflicts-", dir=ctx.table.work_dir) as folder:
        groups = conflict_groups(ctx.lazy(), features, target, ctx.rows, Path(folder))
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


def conflict_groups(frame: pl.LazyFrame, features: list[str], target: str, rows: int, folder: Path) -> list[list[int]]:
    """The positions of the labelled rows of each group with identical ``features`` and more than
    one ``target``, in order, the groups in the order of their first rows (``rows``: the frame's
    rows, which set the number of partitions)."""
    parts = max(1, -(-rows // PART_ROWS))
    _spill_hashes(frame, features, target, parts, folder)
    found = [pl.DataFrame({"row": []}, schema={"row": pl.List(pl.Int64)})]
    for k in range(parts):
        path = folder / f"part{k}.bin"
        if not path.exists():
            continue
        records = np.fromfile(path, dtype=_RECORD)
        part = pl.DataFrame({name: records[name] for name in ("row", "f", "t")})
        del records
        # Only features seen twice can disagree: a sort finds them 4x faster than grouping every row.
        ordered = part["f"].sort().to_numpy()
        repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
        part = part.filter(pl.col("f").is_in(pl.Series(repeated, dtype=pl.UInt64).implode()))
        grouped = part.group_by("f").agg(pl.col("t").n_unique().alias("labels"), pl.col("row"))
        found.append(grouped.filter(pl.col("labels") > 1).select("row"))
    return pl.concat(found).sort(pl.col("row").list.first())["row"].to_list()


# A labelled row's position and its features' and target's hashes, as spilled to a partition file.
_RECORD = np.dtype([("row", "<i8"), ("f", "<u8"), ("t", "<u8")])


def _spill_hashes(frame: pl.LazyFrame, features: list[str], target: str, parts: int, folder: Path) -> None:
    """The labelled rows' records, appended in file order to the file of their features' hash
    partition (part{k}.bin): equal features hash alike, so each group lies in one partition. Read in
    batches of SPILL_ROWS, as a Polars sink to one file held ~2x more at 10M rows than at 1M."""
    labels = pl.when(pl.col(target).is_not_null()).then(pl.col(target).hash(seed=8))
    query = frame.select(pl.struct(features).hash(seed=7).alias("f"), labels.alias("t"))
    offset = 0
    for batch in query.collect_batches(chunk_size=SPILL_ROWS, engine="streaming"):
        labelled = batch["t"].is_not_null().to_numpy()
        records = np.empty(int(labelled.sum()), dtype=_RECORD)
        records["row"] = np.flatnonzero(labelled) + offset
        records["f"] = batch["f"].to_numpy()[labelled]
        records["t"] = batch["t"].drop_nulls().to_numpy()
        offset += batch.height
        part_of = records["f"] % np.uint64(parts)
        order = np.argsort(part_of, kind="stable")
        records, part_of = records[order], part_of[order]
        cuts = np.flatnonzero(np.r_[True, part_of[1:] != part_of[:-1], True])
        for first, end in zip(cuts[:-1], cuts[1:], strict=True):
            with open(folder / f"part{int(part_of[first])}.bin", "ab") as file:
                file.write(records[first:end].tobytes())
