"""Collapse detection: diversity/tail indicators and a collapse risk score in [0, 1].

First version (no calibration bank yet). The score is the mean of per-indicator risk components,
each a linear ramp from a "healthy" value (0) to a "collapsed" value (1). The ramps were set on a
recursively generated chain: human prose (Python's docstrings) → bigram models re-trained on their
own output with temperature 0.8, five generations of 1,000 texts (``bench/accuracy.py collapse``):

    indicator        human  gen1   gen2   gen3   gen4   gen5   ramp healthy → collapsed
    distinct_2       0.55   0.46   0.35   0.24   0.15   0.09   0.45 → 0.15
    mattr            0.40   0.45   0.41   0.35   0.26   0.21   0.35 → 0.18
    unigram_entropy  8.41   8.17   7.75   7.14   6.38   5.73   8.0  → 5.5 bits
    gzip_ratio       0.33   0.33   0.29   0.25   0.19   0.14   0.30 → 0.17
    self_similarity  0.09   0.13   0.17   0.24   0.35   0.46   0.12 → 0.35
    zipf_exponent    1.08   1.12   1.16   1.32   1.42   1.57   1.15 → 1.7
    near_dup_rate    (from the near-duplicate check)                 0.02 → 0.30
    risk score       0.03   0.01   0.11   0.33   0.64   0.83

Known limit (same bench): plain resampling (temperature 1.0) drifts slowly — distinct_2 0.55 →
0.37 in five generations — and the score without a reference stays low (<= 0.04); against the
human reference it rises 0.02, 0.06, 0.18, 0.28, 0.36 (medium from gen4). Give a reference when
there is one. At temperature 0.7 the score without a reference reads 0.06, 0.42, 0.79, 1.0.

With a reference dataset, each indicator becomes a ratio to the reference's value (ramp 0.95 → 0.5
for "more is more diverse", 1.1 → 2.0 for self-similarity and 1.05 → 1.5 for the Zipf exponent),
and the classifier two-sample statistic (2·AUC − 1, ramp 0.1 → 0.8) weighs 30% of the score.

Tables: without a reference only duplication (exact + near) is scored — a single table's spread
says nothing about whether it was generated. With a reference: per-column variance ratio, tail
exceedance ratio (share beyond 3 robust SDs), rare-category coverage, effective-rank ratio and the
C2ST, each ramped like the text ratios.

Levels: low < 0.25 <= medium < 0.5 <= high.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.io import Table
from validations.engine.report import issue
from validations.engine.standard.diversity import ramp, text_indicators
from validations.engine.standard.two_sample import table_two_sample, text_two_sample

TEXT_RAMPS = {
    "distinct_2": (0.45, 0.15),
    "mattr": (0.35, 0.18),
    "unigram_entropy": (8.0, 5.5),
    "gzip_ratio": (0.30, 0.17),
    "self_similarity": (0.12, 0.35),
    "zipf_exponent": (1.15, 1.7),
    "near_dup_rate": (0.02, 0.30),
}
RATIO_RAMPS = {
    "self_similarity": (1.1, 2.0),
    "zipf_exponent": (1.05, 1.5),
    "near_dup_rate": (1.5, 10.0),
}
DIVERSITY_RATIO_RAMP = (0.95, 0.5)
C2ST_RAMP = (0.1, 0.8)
C2ST_WEIGHT = 0.3
DUP_RAMP = (0.02, 0.30)
LEVELS = ((0.5, "high"), (0.25, "medium"), (0.0, "low"))
TABLE_SAMPLE_ROWS = 5000
RARE_SHARE = 0.01
MAX_CATEGORIES = 1000


def level_of(score: float) -> str:
    return next(name for bound, name in LEVELS if score >= bound)


def _dup_rate(ctx: Context, results_key: str) -> float:
    payload = ctx.results.get(results_key) or {}
    return float(payload.get("fraction") or 0.0)


def run(ctx: Context) -> CheckResult:
    if ctx.rows == 0:
        risk = {"score": 0.0, "level": "low", "indicators": {}}
        return {"risk": risk, "kind": None}, []
    if ctx.text_column:
        payload = _text_collapse(ctx)
    else:
        payload = _table_collapse(ctx)
    risk = payload["risk"]
    issues = []
    if risk["level"] != "low":
        reference = "compared with the reference" if ctx.reference else "on its own"
        issues.append(issue(
            "collapse", "warning",
            f"Collapse risk is {risk['level']} ({risk['score']:.2f}): the data {reference} shows "
            f"reduced diversity ({', '.join(payload['drivers'])}), typical of recursively generated "
            "(model-written) data; mix in fresh human-written data or filter generated samples.",
            column=ctx.text_column))
    return payload, issues


def _finish(components: dict[str, float], indicators: dict[str, Any], kind: str,
            extra: dict[str, Any] | None = None) -> dict[str, Any]:
    score = float(np.mean(list(components.values()))) if components else 0.0
    if extra and "c2st" in extra:
        score = (1 - C2ST_WEIGHT) * score + C2ST_WEIGHT * extra["c2st"]
    score = round(min(1.0, max(0.0, score)), 4)
    drivers = [name for name, value in sorted(components.items(), key=lambda kv: -kv[1]) if value > 0][:3]
    return {
        "kind": kind,
        "risk": {"score": score, "level": level_of(score), "indicators": indicators},
        "components": {k: round(v, 4) for k, v in components.items()},
        "drivers": drivers,
    }


def _reference_texts(ctx: Context) -> list[str | None] | None:
    ref = ctx.reference
    if ref is None:
        return None
    name = ctx.text_column if ctx.text_column in ref.dtypes else None
    if name is None:
        return None
    return ref.lazy().select(pl.col(name)).collect(engine="streaming").to_series().to_list()


def _text_collapse(ctx: Context) -> dict[str, Any]:
    indicators: dict[str, Any] = text_indicators(ctx.texts())
    indicators["near_dup_rate"] = _dup_rate(ctx, "near_duplicates")
    reference_texts = _reference_texts(ctx)
    if reference_texts is None:
        components = {k: ramp(indicators[k], *bounds) for k, bounds in TEXT_RAMPS.items()}
        return _finish(components, indicators, "text")
    ref = text_indicators(reference_texts)
    from validations.engine.standard.minhash import near_duplicate_clusters

    clusters, _ = near_duplicate_clusters(reference_texts)
    ref["near_dup_rate"] = sum(len(c) - 1 for c in clusters) / max(1, len(reference_texts))
    components = {}
    for name in TEXT_RAMPS:
        ratio = indicators[name] / ref[name] if ref[name] else (1.0 if not indicators[name] else 10.0)
        indicators[f"{name}_ratio"] = round(ratio, 6)
        healthy, collapsed = RATIO_RAMPS.get(name, DIVERSITY_RATIO_RAMP)
        components[name] = ramp(ratio, healthy, collapsed)
    tests = text_two_sample([t for t in ctx.texts() if t], [t for t in reference_texts if t])
    indicators.update(tests)
    indicators["reference"] = ref
    extra = {"c2st": ramp(tests["c2st"], *C2ST_RAMP)} if "c2st" in tests else None
    return _finish(components, indicators, "text", extra)


def _numeric_sample(table: Table, names: list[str], rows: int) -> np.ndarray:
    lf = table.lazy().select([pl.col(n).cast(pl.Float64) for n in names])
    if rows > TABLE_SAMPLE_ROWS:
        lf = lf.with_row_index("__r").filter(
            pl.col("__r").hash(seed=11) % rows < TABLE_SAMPLE_ROWS
        ).drop("__r")
    return lf.collect(engine="streaming").to_numpy()


def table_indicators(matrix: np.ndarray) -> dict[str, Any]:
    if matrix.size == 0:
        return {"variance": [], "tail_exceedance": 0.0, "effective_rank": 0.0}
    median = np.nanmedian(matrix, 0)
    mad = np.nanmedian(np.abs(matrix - median), 0) * 1.4826
    mad[mad == 0] = np.nan
    with np.errstate(invalid="ignore"):
        exceed = np.nanmean(np.abs(matrix - median) > 3 * mad, 0)
    filled = np.where(np.isfinite(matrix), matrix, median)
    std = filled.std(0)
    std[std == 0] = 1
    standardized = (filled - filled.mean(0)) / std
    singular = np.linalg.svd(standardized, compute_uv=False) if len(standardized) > 1 else np.ones(1)
    weights = singular**2 / max(1e-12, (singular**2).sum())
    weights = weights[weights > 0]
    effective_rank = float(np.exp(-(weights * np.log(weights)).sum())) / matrix.shape[1]
    return {
        "variance": np.nanvar(matrix, 0).round(6).tolist(),
        "tail_exceedance": round(float(np.nanmean(exceed)) if np.isfinite(exceed).any() else 0.0, 6),
        "effective_rank": round(effective_rank, 6),
    }


def _categories(table: Table, names: list[str]) -> dict[str, dict[Any, int]]:
    result = {}
    for name in names:
        counts = table.lazy().select(pl.col(name).drop_nulls().value_counts()).unnest(name)
        frame = counts.collect(engine="streaming")
        if frame.height <= MAX_CATEGORIES:
            result[name] = dict(frame.iter_rows())
    return result


def _table_collapse(ctx: Context) -> dict[str, Any]:
    dup_rate = _dup_rate(ctx, "exact_duplicates") + _dup_rate(ctx, "near_duplicates")
    numeric = ctx.numeric_columns()
    matrix = _numeric_sample(ctx.table, numeric, ctx.rows) if numeric else np.empty((0, 0))
    indicators: dict[str, Any] = {"columns": numeric, **table_indicators(matrix),
                                  "duplicate_rate": round(dup_rate, 6)}
    components = {"duplicate_rate": ramp(dup_rate, *DUP_RAMP)}
    ref = ctx.reference
    if ref is None:
        return _finish(components, indicators, "table")
    shared = [n for n in numeric if ref.dtypes.get(n) in ("integer", "float")]
    extra = None
    if shared:
        ref_rows = int(ref.lazy().select(pl.len()).collect().item())
        ref_matrix = _numeric_sample(ref, shared, ref_rows)
        mine = matrix[:, [numeric.index(n) for n in shared]]
        ref_ind, my_ind = table_indicators(ref_matrix), table_indicators(mine)
        ratios = [min(2.0, m / r) for m, r in zip(my_ind["variance"], ref_ind["variance"], strict=True) if r > 0]
        variance_ratio = float(np.mean(ratios)) if ratios else 1.0
        indicators["variance_ratio"] = round(variance_ratio, 6)
        components["variance"] = ramp(variance_ratio, *DIVERSITY_RATIO_RAMP)
        if ref_ind["tail_exceedance"] > 0:
            tail_ratio = my_ind["tail_exceedance"] / ref_ind["tail_exceedance"]
            indicators["tail_exceedance_ratio"] = round(tail_ratio, 6)
            components["tail_exceedance"] = ramp(tail_ratio, 0.9, 0.3)
        if ref_ind["effective_rank"] > 0:
            rank_ratio = my_ind["effective_rank"] / ref_ind["effective_rank"]
            indicators["effective_rank_ratio"] = round(rank_ratio, 6)
            components["effective_rank"] = ramp(rank_ratio, 0.95, 0.6)
        tests = table_two_sample(mine, ref_matrix)
        indicators.update(tests)
        if "c2st" in tests:
            extra = {"c2st": ramp(tests["c2st"], *C2ST_RAMP)}
    coverage = _rare_coverage(ctx, ref)
    if coverage is not None:
        indicators["rare_category_coverage"] = round(coverage, 6)
        components["rare_categories"] = ramp(coverage, *DIVERSITY_RATIO_RAMP)
    return _finish(components, indicators, "table", extra)


def _rare_coverage(ctx: Context, ref: Table) -> float | None:
    """Share of the reference's rare categories (< 1% of its rows) that the dataset still has."""
    names = [n for n in ctx.string_columns() if ref.dtypes.get(n) in ("string", "mixed")]
    if ctx.target and ctx.target in ctx.dtypes and ctx.target in ref.dtypes:
        names.append(ctx.target)
    ref_counts = _categories(ref, names)
    mine = _categories(ctx.table, list(ref_counts))
    rare_total = present = 0
    for name, counts in ref_counts.items():
        total = sum(counts.values())
        for value, count in counts.items():
            if count < RARE_SHARE * total:
                rare_total += 1
                present += int(value in mine.get(name, {}))
    return present / rare_total if rare_total else None
