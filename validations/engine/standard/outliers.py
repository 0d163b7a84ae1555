"""Outliers: robust z-scores per numeric column, and an isolation forest over the rows.

Method (per-row scores in the report):
- robust z = 0.6745 (x - median) / MAD (Iglewicz & Hoaglin); |z| > 3.5 marks a cell. Columns with
  MAD = 0 (mostly one value) are skipped: every other value would have an infinite z. Each flagged
  column lists its rows with their z (``columns.<name>.rows`` / ``.z``, same order).
- isolation forest (scikit-learn, 100 trees) gives every row an anomaly score in (0, 1]; rows
  above ISOLATION_THRESHOLD are listed with their scores, highest first (``rows`` / ``scores``),
  and ``top`` holds the TOP_ROWS highest-scoring rows whatever the threshold. Per Liu et al., scores
  near 0.5 everywhere mean "no distinct anomalies"; 0.65 keeps only rows isolated clearly faster
  than average. Missing values are imputed by the column median.
Memory stays bounded on big files: median, MAD and the forest are fitted on a uniform sample of up
to FIT_SAMPLE rows (every row when the file is smaller, so small files get exact medians), and the
rows are then scored in streaming batches of SCORE_BATCH rows; score percentiles come from a
histogram of all scores (0.001 wide).
Outliers in real data are often real (big houses, rare events), so these findings are info: they
say where to look, not that the data is wrong. Sentinel placeholders are caught by the missing check.
"""

from __future__ import annotations

import heapq
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import polars as pl

from validations.engine.batches import iter_batches
from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.report import capped_rows, fmt_count, issue, pct, verb

Z_THRESHOLD = 3.5
# A column where more than this share of values is "extreme" is skewed or multimodal, not one with
# outliers: it stays in the payload but is not reported.
MAX_OUTLIER_SHARE = 0.1
ISOLATION_THRESHOLD = 0.65
FIT_SAMPLE = 100_000
SCORE_BATCH = 200_000
MIN_THREAD_ROWS = 10_000  # rows per thread below which a batch is scored on one
MAX_SCORES_LISTED = 100_000
TOP_ROWS = 100
HISTOGRAM_BINS = 1000
SEED = 0


def _feature_columns(ctx: Context) -> list[str]:
    id_like = set(ctx._cache.get("id_like", []))
    return [n for n in ctx.numeric_columns() if n not in id_like]


def _fit_sample(ctx: Context, names: list[str]) -> np.ndarray:
    lf = ctx.lazy().select([pl.col(n).cast(pl.Float64) for n in names])
    if ctx.rows > FIT_SAMPLE:
        lf = lf.gather_every(-(-ctx.rows // FIT_SAMPLE))
    return lf.collect(engine="streaming").to_numpy()[:FIT_SAMPLE]


class _Scores:
    """What the streaming pass keeps: flagged rows with their scores, top rows, a histogram."""

    def __init__(self, columns: int) -> None:
        self.z_rows: list[list[np.ndarray]] = [[] for _ in range(columns)]
        self.z_values: list[list[np.ndarray]] = [[] for _ in range(columns)]
        self.forest_rows: list[np.ndarray] = []
        self.forest_scores: list[np.ndarray] = []
        self.top: list[tuple[float, int]] = []
        self.histogram = np.zeros(HISTOGRAM_BINS + 1, dtype=np.int64)

    def add_forest(self, offset: int, scores: np.ndarray) -> None:
        flagged = np.flatnonzero(scores > ISOLATION_THRESHOLD)
        self.forest_rows.append(flagged + offset)
        self.forest_scores.append(scores[flagged])
        self.histogram += np.bincount(
            np.clip((scores * HISTOGRAM_BINS).astype(np.int64), 0, HISTOGRAM_BINS), minlength=HISTOGRAM_BINS + 1
        )
        best = np.argsort(-scores, kind="stable")[:TOP_ROWS]
        for position in best:
            item = (float(scores[position]), -(offset + int(position)))
            if len(self.top) < TOP_ROWS:
                heapq.heappush(self.top, item)
            else:
                heapq.heappushpop(self.top, item)

    def percentile(self, q: float) -> float:
        cumulative = np.cumsum(self.histogram)
        rank = np.searchsorted(cumulative, q / 100 * cumulative[-1])
        return min(1.0, (rank + 0.5) / HISTOGRAM_BINS)


def run(ctx: Context) -> CheckResult:
    names = _feature_columns(ctx)
    payload: dict[str, Any] = {"columns": {}, "isolation_forest": None}
    if not names or ctx.rows < 10:
        return payload, []
    sample = _fit_sample(ctx, names)
    finite = [np.isfinite(sample[:, i]) for i in range(len(names))]
    medians = np.array([np.median(sample[f, i]) if f.sum() else np.nan for i, f in enumerate(finite)])
    mads = np.array([np.median(np.abs(sample[f, i] - medians[i])) if f.sum() else np.nan for i, f in enumerate(finite)])
    robust = [i for i, f in enumerate(finite) if f.sum() >= 10 and mads[i] > 0]
    forest = _fit_forest(sample, medians)
    scores = _Scores(len(names))
    offset = 0
    threads = scoring_threads()
    with ThreadPoolExecutor(threads) as pool:  # starts no thread until a batch is big enough
        floats = [pl.col(n).cast(pl.Float64) for n in names]
        for batch in iter_batches(ctx.table, batch_size=SCORE_BATCH, select=lambda frame: frame.select(floats)):
            matrix = batch.to_numpy(writable=True)  # missing values are filled in place
            for i in robust:
                z = 0.6745 * (matrix[:, i] - medians[i]) / mads[i]
                flagged = np.flatnonzero(np.abs(np.nan_to_num(z)) > Z_THRESHOLD)
                scores.z_rows[i].append(flagged + offset)
                scores.z_values[i].append(z[flagged])
            bad = ~np.isfinite(matrix)
            matrix[bad] = np.take(np.nan_to_num(medians), np.flatnonzero(bad) % matrix.shape[1])
            scores.add_forest(offset, _forest_scores(forest, matrix, pool, threads))
            offset += len(matrix)
    for i in robust:
        rows = ctx.row_ids(np.concatenate(scores.z_rows[i]) if scores.z_rows[i] else np.empty(0, np.int64))
        z = np.concatenate(scores.z_values[i]) if scores.z_values[i] else np.empty(0)
        payload["columns"][names[i]] = {
            "median": float(medians[i]),
            "mad": float(mads[i]),
            "count": len(rows),
            **capped_rows(rows),
            "z": [round(float(v), 3) for v in z[:MAX_SCORES_LISTED]],
        }
    issues = _robust_issue(ctx, payload)
    payload["isolation_forest"] = _forest_payload(ctx, scores, issues)
    return payload, issues


def scoring_threads() -> int:
    """Threads that score a batch: as many as Polars uses."""
    return pl.thread_pool_size()


def _forest_scores(forest: Any, matrix: np.ndarray, pool: ThreadPoolExecutor, threads: int) -> np.ndarray:
    """The rows' anomaly scores (sklearn's score_samples is their opposite), in row blocks on the
    pool's threads: the trees' traversal releases the GIL, so 200k rows x 12 columns took 0.55 s on
    2 cores instead of 1.12 (the forest stage at 10M rows ~50 s). A row's score does not depend on
    its block."""
    if threads < 2 or len(matrix) < threads * MIN_THREAD_ROWS:
        return -forest.score_samples(matrix)
    return -np.concatenate(list(pool.map(forest.score_samples, np.array_split(matrix, threads))))


def _fit_forest(sample: np.ndarray, medians: np.ndarray) -> Any:
    from sklearn.ensemble import IsolationForest

    filled = sample.copy()
    bad = ~np.isfinite(filled)
    filled[bad] = np.take(np.nan_to_num(medians), np.flatnonzero(bad) % filled.shape[1])
    forest = IsolationForest(n_estimators=100, random_state=SEED, n_jobs=1)
    return forest.fit(filled)


def _robust_issue(ctx: Context, payload: dict[str, Any]) -> list[dict[str, Any]]:
    reported = {
        name: info
        for name, info in payload["columns"].items()
        if info["count"] and info["count"] <= MAX_OUTLIER_SHARE * ctx.rows
    }
    if not reported:
        return []
    ranked = sorted(reported.items(), key=lambda item: -item[1]["count"])
    listed = ", ".join(f"'{n}' ({pct(i['count'] / ctx.rows)})" for n, i in ranked[:5])
    rows = np.unique(np.concatenate([np.array(i["rows"], dtype=np.int64) for _, i in ranked]))
    return [
        issue(
            "outliers",
            "info",
            f"{fmt_count(len(reported), 'column')} {verb(len(reported), 'has', 'have')} values "
            f"more than {Z_THRESHOLD} robust standard deviations from the median (most: {listed}); "
            "check they are real before training, and clip or transform skewed columns.",
            count=len(rows),
            fraction=len(rows) / ctx.rows,
            rows=rows,
        )
    ]


def _forest_payload(ctx: Context, scores: _Scores, issues: list) -> dict[str, Any]:
    flagged = np.concatenate(scores.forest_rows)
    values = np.concatenate(scores.forest_scores)
    order = np.argsort(-values, kind="stable")
    flagged, values = flagged[order], values[order]
    rows = ctx.row_ids(flagged)
    top = sorted(scores.top, reverse=True)
    top_rows = ctx.row_ids(np.array([-row for _, row in top], dtype=np.int64))
    result = {
        "method": "sklearn IsolationForest, 100 trees, fitted on a sample of up to "
        f"{FIT_SAMPLE:,} rows, missing values imputed by the median",
        "threshold": ISOLATION_THRESHOLD,
        "count": len(rows),
        **capped_rows(rows),
        "scores": [round(float(s), 4) for s in values[:MAX_SCORES_LISTED]],
        "top": [{"row": int(r), "score": round(s, 4)} for r, (s, _) in zip(top_rows, top, strict=True)],
        "score_percentiles": {f"p{q}": round(scores.percentile(q), 3) for q in (50, 90, 99)},
    }
    if len(rows):
        fraction = len(rows) / ctx.rows
        issues.append(
            issue(
                "outliers",
                "info",
                f"{fmt_count(len(rows), 'row')} ({pct(fraction)}) stand out from the rest as a whole "
                f"(isolation-forest score > {ISOLATION_THRESHOLD}); review the highest-scoring rows for "
                "entry errors.",
                count=len(rows),
                fraction=fraction,
                rows=rows,
            )
        )
    return result
