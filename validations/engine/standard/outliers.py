"""Outliers: robust z-scores per numeric column, and an isolation forest over the rows.

- robust z = 0.6745 (x - median) / MAD (Iglewicz & Hoaglin); |z| > 3.5 marks a cell. Columns with
  MAD = 0 (mostly one value) are skipped: every other value would have an infinite z.
- isolation forest (scikit-learn, 100 trees, fitted on up to FIT_SAMPLE rows, numeric columns with
  missing values imputed by the median) gives every row an anomaly score in (0, 1]; rows above
  ISOLATION_THRESHOLD are listed. Per Liu et al., scores near 0.5 everywhere mean "no distinct
  anomalies"; 0.65 keeps only rows isolated clearly faster than average.
Outliers in real data are often real (big houses, rare events), so these findings are info: they
say where to look, not that the data is wrong. Sentinel placeholders are caught by the missing check.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.report import capped_rows, fmt_count, issue, pct, verb

Z_THRESHOLD = 3.5
# A column where more than this share of values is "extreme" is skewed or multimodal, not one with
# outliers: it stays in the payload but is not reported.
MAX_OUTLIER_SHARE = 0.1
ISOLATION_THRESHOLD = 0.65
FIT_SAMPLE = 100_000
MAX_SCORES_LISTED = 100_000
SEED = 0


def _feature_columns(ctx: Context) -> list[str]:
    id_like = set(ctx._cache.get("id_like", []))
    return [n for n in ctx.numeric_columns() if n not in id_like]


def run(ctx: Context) -> CheckResult:
    names = _feature_columns(ctx)
    payload: dict[str, Any] = {"columns": {}, "isolation_forest": None}
    if not names or ctx.rows < 10:
        return payload, []
    frame = ctx.lazy().select([pl.col(n).cast(pl.Float64) for n in names]).collect(engine="streaming")
    matrix = frame.to_numpy()
    issues: list[dict[str, Any]] = []
    for index, name in enumerate(names):
        column = matrix[:, index]
        finite = np.isfinite(column)
        if finite.sum() < 10:
            continue
        median = np.median(column[finite])
        mad = np.median(np.abs(column[finite] - median))
        if mad == 0:
            continue
        z = 0.6745 * (column - median) / mad
        flagged = np.flatnonzero(np.abs(np.nan_to_num(z)) > Z_THRESHOLD)
        rows = ctx.row_ids(flagged)
        payload["columns"][name] = {"median": float(median), "mad": float(mad), "count": len(rows),
                                    **capped_rows(rows)}
    reported = {
        name: info for name, info in payload["columns"].items()
        if info["count"] and info["count"] <= MAX_OUTLIER_SHARE * ctx.rows
    }
    if reported:
        ranked = sorted(reported.items(), key=lambda item: -item[1]["count"])
        listed = ", ".join(f"'{n}' ({pct(i['count'] / ctx.rows)})" for n, i in ranked[:5])
        rows = np.unique(np.concatenate([np.array(i["rows"], dtype=np.int64) for _, i in ranked]))
        issues.append(issue(
            "outliers", "info",
            f"{fmt_count(len(reported), 'column')} {verb(len(reported), 'has', 'have')} values "
            f"more than {Z_THRESHOLD} robust standard deviations from the median (most: {listed}); "
            "check they are real before training, and clip or transform skewed columns.",
            count=len(rows), fraction=len(rows) / ctx.rows, rows=rows))
    payload["isolation_forest"] = _isolation_forest(ctx, matrix, issues)
    return payload, issues


def _isolation_forest(ctx: Context, matrix: np.ndarray, issues: list) -> dict[str, Any]:
    from sklearn.ensemble import IsolationForest

    filled = matrix.copy()
    medians = np.nanmedian(np.where(np.isfinite(filled), filled, np.nan), axis=0)
    bad = ~np.isfinite(filled)
    filled[bad] = np.take(np.nan_to_num(medians), np.flatnonzero(bad) % filled.shape[1])
    rng = np.random.default_rng(SEED)
    fit_rows = rng.choice(len(filled), size=min(len(filled), FIT_SAMPLE), replace=False)
    forest = IsolationForest(n_estimators=100, random_state=SEED, n_jobs=1)
    forest.fit(filled[fit_rows])
    scores = -forest.score_samples(filled)  # sklearn returns the opposite of the paper's score
    flagged = np.flatnonzero(scores > ISOLATION_THRESHOLD)
    flagged = flagged[np.argsort(-scores[flagged], kind="stable")]
    rows = ctx.row_ids(flagged)
    result = {
        "threshold": ISOLATION_THRESHOLD,
        "count": len(rows),
        **capped_rows(rows),
        "scores": [round(float(s), 4) for s in scores[flagged][:MAX_SCORES_LISTED]],
        "score_percentiles": {f"p{q}": round(float(np.percentile(scores, q)), 4) for q in (50, 90, 99)},
    }
    if len(rows):
        fraction = len(rows) / ctx.rows
        issues.append(issue(
            "outliers", "info",
            f"{fmt_count(len(rows), 'row')} ({pct(fraction)}) stand out from the rest as a whole "
            f"(isolation-forest score > {ISOLATION_THRESHOLD}); review the highest-scoring rows for "
            "entry errors.",
            count=len(rows), fraction=fraction, rows=rows))
    return result
