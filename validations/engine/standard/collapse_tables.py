"""Collapse indicators of a table, computed on fixed-size row samples.

Every indicator is scale-free and computed on SAMPLE_ROWS rows (all rows of a smaller table), so
its value does not depend on the file's size or units. What recursive refitting does to a table,
and the indicator that shows it without any reference:

- tails are cut (truncated sampling) or smoothed towards a Gaussian (refits): ``tail_exceedance``
  (share of values beyond 3 robust SDs, median ± 3·1.4826·MAD), ``tail_spread`` (the 1–99%
  range over the 10–90% range), ``kurtosis`` (excess kurtosis, as sign·log(1 + |k|));
- values lose their variety: ``distinct_ratio`` (distinct values per row of a numeric column),
  ``duplicate_rate`` (rows repeating an earlier row of the sample);
- correlation structure is simplified: ``effective_rank`` (exp of the entropy of the
  standardised sample's squared singular values, over the number of columns);
- rare categories die out: ``rare_category_share`` (rows in categories under 1% of the sample),
  ``singleton_share`` (categories seen once), ``category_entropy`` (bits over log2 of the rows).

Per-column values are combined by their median (tails, kurtosis, distinct values) or mean.
Columns: numbers with more than MAX_CODES distinct values are numeric; strings and small integer
codes (at most MAX_CODES values, e.g. a class label) are categorical when they have at most
MAX_CATEGORIES values and fewer than one per two rows (ID-like strings are neither).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl

SAMPLE_ROWS = 1000
RESAMPLES = 3
SAMPLE_SEED = 29
RARE_SHARE = 0.01
TAIL_SDS = 3.0
MAX_CODES = 10
MAX_CATEGORIES = 1000
MAX_COLUMNS = 50


def split_columns(frame: pl.DataFrame, *, exclude: set[str] | None = None) -> tuple[list[str], list[str]]:
    """(numeric, categorical) column names of a sample, as defined in the module docstring."""
    numeric, categorical = [], []
    for name, dtype in frame.schema.items():
        if exclude and name in exclude:
            continue
        distinct = frame[name].drop_nulls().n_unique()
        if dtype.is_numeric() and distinct > MAX_CODES:
            numeric.append(name)
        elif (dtype.is_numeric() or dtype in (pl.String, pl.Boolean)) and 1 < distinct <= min(
            MAX_CATEGORIES, max(MAX_CODES, frame.height // 2)
        ):
            categorical.append(name)
    return numeric[:MAX_COLUMNS], categorical[:MAX_COLUMNS]


def resamples(frame: pl.DataFrame, count: int = RESAMPLES, size: int = SAMPLE_ROWS) -> list[pl.DataFrame]:
    """``count`` random samples of ``size`` rows (disjoint while the table is large enough)."""
    if frame.height <= size:
        return [frame]
    order = np.random.default_rng(SAMPLE_SEED).permutation(frame.height)
    parts = []
    for i in range(count):
        picked = np.take(order, np.arange(i * size, (i + 1) * size), mode="wrap")
        parts.append(frame[np.sort(picked)])
    return parts


def _numeric_indicators(matrix: np.ndarray) -> dict[str, float]:
    exceedance, spread, kurtosis, distinct = [], [], [], []
    for column in matrix.T:
        values = column[np.isfinite(column)]
        if len(values) < 20:
            continue
        distinct.append(len(np.unique(values)) / len(values))
        median = np.median(values)
        mad = np.median(np.abs(values - median)) * 1.4826
        q01, q10, q90, q99 = np.quantile(values, [0.01, 0.1, 0.9, 0.99])
        if mad > 0:
            exceedance.append(float(np.mean(np.abs(values - median) > TAIL_SDS * mad)))
        if q90 > q10:
            spread.append((q99 - q01) / (q90 - q10))
        std = values.std()
        if std > 0:
            k = float(np.mean(((values - values.mean()) / std) ** 4) - 3)
            kurtosis.append(math.copysign(math.log1p(abs(k)), k))
    result = {}
    for name, values in (
        ("tail_exceedance", exceedance),
        ("tail_spread", spread),
        ("kurtosis", kurtosis),
        ("distinct_ratio", distinct),
    ):
        if values:
            result[name] = float(np.median(values)) if name != "tail_exceedance" else float(np.mean(values))
    if matrix.shape[1] >= 2 and len(matrix) > 2:
        result["effective_rank"] = effective_rank(matrix)
    return result


def effective_rank(matrix: np.ndarray) -> float:
    """exp(entropy of the squared singular values) of the standardised matrix, over its columns."""
    filled = np.where(np.isfinite(matrix), matrix, np.nanmedian(matrix, 0))
    std = filled.std(0)
    std[std == 0] = 1
    standardized = (filled - filled.mean(0)) / std
    singular = np.linalg.svd(standardized, compute_uv=False)
    weights = singular**2 / max(1e-12, float((singular**2).sum()))
    weights = weights[weights > 0]
    return float(np.exp(-(weights * np.log(weights)).sum())) / matrix.shape[1]


def _categorical_indicators(frame: pl.DataFrame, names: list[str]) -> dict[str, float]:
    rare, singleton, entropy = [], [], []
    for name in names:
        counts = frame[name].drop_nulls().value_counts()["count"].to_numpy().astype(float)
        total = counts.sum()
        if total < 20:
            continue
        rare.append(float(counts[counts < RARE_SHARE * total].sum() / total))
        singleton.append(float(np.mean(counts == 1)))
        p = counts / total
        entropy.append(float(-(p * np.log2(p)).sum() / math.log2(total)))
    if not rare:
        return {}
    return {
        "rare_category_share": float(np.mean(rare)),
        "singleton_share": float(np.mean(singleton)),
        "category_entropy": float(np.mean(entropy)),
    }


def sample_indicators(sample: pl.DataFrame, numeric: list[str], categorical: list[str]) -> dict[str, float]:
    """The indicators of one sample (names in the module docstring; absent when not computable)."""
    result: dict[str, float] = {}
    if numeric:
        result.update(_numeric_indicators(sample.select(numeric).cast(pl.Float64).to_numpy()))
    result.update(_categorical_indicators(sample, categorical))
    if sample.height:
        result["duplicate_rate"] = float(1 - sample.n_unique() / sample.height)
    return result


def table_indicators(frame: pl.DataFrame, numeric: list[str], categorical: list[str]) -> list[dict[str, float]]:
    """Indicators of each resample of ``frame`` (one dict per resample)."""
    return [sample_indicators(part, numeric, categorical) for part in resamples(frame)]


def mean_indicators(per_resample: list[dict[str, float]]) -> dict[str, Any]:
    names = sorted({k for d in per_resample for k in d})
    return {k: round(float(np.mean([d[k] for d in per_resample if k in d])), 6) for k in names}


def variance_log_ratio(sample: np.ndarray, reference: np.ndarray) -> float | None:
    """Median over columns of log(variance / reference variance); 0 = same spread, < 0 = shrunk."""
    ratios = []
    for mine, ref in zip(sample.T, reference.T, strict=True):
        a, b = np.nanvar(mine), np.nanvar(ref)
        if b > 0 and np.isfinite(a) and np.isfinite(b):
            ratios.append(math.log(max(a, 1e-12 * b) / b))
    return float(np.median(ratios)) if ratios else None


def rare_category_coverage(frame: pl.DataFrame, reference: pl.DataFrame, names: list[str]) -> float | None:
    """Share of the reference's rare categories (< 1% of its rows) that ``frame`` still has."""
    rare_total = present = 0
    for name in names:
        if name not in frame.columns or name not in reference.columns:
            continue
        counts = reference[name].drop_nulls().value_counts()
        total = counts["count"].sum()
        mine = set(frame[name].drop_nulls().cast(reference.schema[name], strict=False).to_list())
        for value, count in counts.iter_rows():
            if count < RARE_SHARE * total:
                rare_total += 1
                present += int(value in mine)
    return present / rare_total if rare_total else None
