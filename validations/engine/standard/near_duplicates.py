"""Near-duplicates: MinHash/LSH clusters of the text column; near-identical rows for tables.

Tables (no text column): two rows are near-identical when they are not exact copies and either
(a) every cell is equal once floats are rounded to 6 significant digits (float noise such as
0.30000000000000004), or (b) every column is equal except one float column whose values differ by
at most REL_TOLERANCE relatively. Integer and text cells must match exactly, so datasets with
coarse integer features (pixel values, counts) are not flagged for legitimately similar rows.

``count`` counts rows in a cluster that near-duplicate an earlier row (a cluster of 3 adds 2),
including rows that are also exact copies; ``rows`` lists those rows, ``clusters`` the clusters.
The text column is read in batches and the search keeps its band keys and shingles in temporary
files (streamed_minhash.py), so memory does not grow with the rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.report import capped_rows, fmt_count, issue, pct, verb
from validations.engine.standard.streamed_minhash import streamed_clusters

REL_TOLERANCE = 1e-3
ROUND_DIGITS = 6
MAX_FLOAT_COLUMNS = 50
MAX_CLUSTERS_LISTED = 10_000
WARNING_FRACTION = 0.01


class UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = np.arange(size)

    def find(self, item: int) -> int:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:  # path compression
            self.parent[item], item = root, self.parent[item]
        return int(root)

    def roots(self) -> np.ndarray:
        """Root of every item, by pointer jumping (vectorised)."""
        parent = self.parent.copy()
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                return parent
            parent = grand

    def union(self, left: int, right: int) -> None:
        a, b = self.find(left), self.find(right)
        if a != b:
            self.parent[max(a, b)] = min(a, b)  # the earliest row stays the root


def _table_clusters(ctx: Context) -> list[list[int]]:
    floats = [n for n, d in ctx.dtypes.items() if d == "float"][:MAX_FLOAT_COLUMNS]
    if not floats or ctx.rows < 2:
        return []
    names = ctx.table.columns
    exact = pl.struct(names).hash(seed=1)

    def rounded(name: str) -> pl.Expr:
        col = pl.col(name)
        if name not in floats:
            return col
        return col.round_sig_figs(ROUND_DIGITS)

    exprs = [exact.alias("exact"), pl.struct([rounded(n) for n in names]).hash(seed=2).alias("r")]
    for i, name in enumerate(floats):
        others = [pl.col(n) for n in names if n != name]
        exprs.append(pl.struct(others).hash(seed=3).alias(f"o{i}") if others else pl.lit(0).alias(f"o{i}"))
    frame = ctx.lazy().select(exprs + [pl.col(f) for f in floats]).collect(engine="streaming")
    forest = UnionFind(ctx.rows)
    exact_hash = frame["exact"].to_numpy()
    _link_groups(forest, frame["r"].to_numpy(), exact_hash)
    for i, name in enumerate(floats):
        _link_within_tolerance(forest, frame[f"o{i}"].to_numpy(), frame[name].to_numpy(), exact_hash)
    roots = forest.roots()
    order = np.argsort(roots, kind="stable")
    bounds = np.flatnonzero(np.r_[True, roots[order][1:] != roots[order][:-1], True])
    return [order[a:b].tolist() for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b - a > 1]


def _link_groups(forest: UnionFind, keys: np.ndarray, exact: np.ndarray) -> None:
    order = np.argsort(keys, kind="stable")
    same = keys[order][1:] == keys[order][:-1]
    for position in np.flatnonzero(same):
        left, right = order[position], order[position + 1]
        if exact[left] != exact[right]:
            forest.union(int(left), int(right))


def _link_within_tolerance(forest: UnionFind, others: np.ndarray, values: np.ndarray, exact: np.ndarray) -> None:
    # Sorting by (other columns, value) puts candidates side by side: only neighbours can be close.
    order = np.lexsort((values, others))
    key, val = others[order], values[order]
    close = (key[1:] == key[:-1]) & (
        np.abs(val[1:] - val[:-1]) <= REL_TOLERANCE * np.maximum(np.abs(val[1:]), np.abs(val[:-1]))
    )
    for position in np.flatnonzero(close):
        left, right = order[position], order[position + 1]
        if exact[left] != exact[right]:
            forest.union(int(left), int(right))


def run(ctx: Context) -> CheckResult:
    if ctx.text_column:
        clusters, _ = streamed_clusters(ctx.text_batches(), ctx.table.work_dir)
        method = {"kind": "text", "column": ctx.text_column, "method": "minhash-lsh"}
    else:
        clusters = _table_clusters(ctx)
        method = {"kind": "table", "method": "rounded-or-one-float-within-tolerance"}
    clusters = [ctx.row_ids(np.array(c)).tolist() for c in clusters]
    repeats = np.sort(np.array([r for c in clusters for r in c[1:]], dtype=np.int64))
    payload: dict[str, Any] = {
        **method,
        "count": len(repeats),
        "fraction": round(len(repeats) / max(1, ctx.rows), 6),
        **capped_rows(repeats),
        "clusters": clusters[:MAX_CLUSTERS_LISTED],
        "clusters_truncated": len(clusters) > MAX_CLUSTERS_LISTED,
        "cluster_count": len(clusters),
    }
    issues = []
    if len(repeats):
        fraction = len(repeats) / ctx.rows
        what = f"texts in '{ctx.text_column}'" if ctx.text_column else "rows"
        first = clusters[0]
        issues.append(
            issue(
                "near_duplicates",
                "warning" if fraction >= WARNING_FRACTION else "info",
                f"{fmt_count(len(repeats), 'row')} ({pct(fraction)}) {verb(len(repeats), 'is', 'are')} "
                f"a near-copy of an earlier one ({fmt_count(len(clusters), 'group')} of similar {what}; e.g. rows "
                f"{', '.join(map(str, first[:4]))}); keep one per group so near-copies do not dominate "
                "training or leak between train and test.",
                column=ctx.text_column,
                count=len(repeats),
                fraction=fraction,
                rows=repeats,
            )
        )
    return payload, issues
