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
  ``singleton_share`` (categories seen once), ``category_entropy`` (bits over log2 of the rows);
- the rows become a smoother point cloud (clumps, lattices and near-copies of human data are
  smeared out) and its tails thin along every direction: ``neighbour_distance``,
  ``neighbour_spread``, ``pc_kurtosis`` (see ``neighbour_indicators``; all number-typed columns);
- heaps and the joint shape of human data are smoothed towards a Gaussian blob (a mixture or kernel
  density puts no point mass on a scale's end values and thins the joint tails):
  ``edge_share`` (share of values equal to their column's minimum or maximum, binary columns aside) and
  ``mardia_kurtosis`` (log of Mardia's multivariate kurtosis over its Gaussian value; see
  ``shape_indicators``; all number-typed columns, category codes too).

With a reference (human data), on equally many rows of both and over every number-typed column
the reference has (so a column the data has flattened to one value still counts):
``variance_log_ratio``, ``range_log_ratio``, ``range_coverage``, ``tail_coverage``
(``reference_indicators``), ``category_distance`` and ``rare_category_coverage``.

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


def neighbour_indicators(matrix: np.ndarray) -> dict[str, float]:
    """Shape of the sample as a point cloud (all number-typed columns, standardised): refitted data
    is smoother than human data, its points spread evenly instead of sitting in clumps and on
    lattices. ``neighbour_distance``: median distance to the nearest other row over the median
    distance between rows; ``neighbour_spread``: log of the 90% over the 10% quantile of the
    nearest-row distances (both among distinct rows); ``pc_kurtosis``: median over principal components of the excess
    kurtosis (sign·log(1 + |k|)), which falls as tails are cut."""
    filled = np.where(np.isfinite(matrix), matrix, np.nanmedian(matrix, 0))
    filled = filled[:, filled.std(0) > 0]
    if filled.shape[1] < 2 or len(filled) < 20:
        return {}
    z = (filled - filled.mean(0)) / filled.std(0)
    result = {}
    distinct = np.unique(z, axis=0)  # repeated rows are duplicate_rate's business, not the cloud's shape
    if len(distinct) > 10:
        squared = (distinct**2).sum(1)
        distances = np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2 * distinct @ distinct.T, 0))
        np.fill_diagonal(distances, np.inf)
        nearest = distances.min(1)
        typical = float(np.median(distances[np.triu_indices(len(distinct), 1)]))
        result["neighbour_distance"] = float(np.median(nearest)) / max(typical, 1e-12)
        result["neighbour_spread"] = float(np.log(np.quantile(nearest, 0.9) / max(np.quantile(nearest, 0.1), 1e-9)))
    components = (z - z.mean(0)) @ np.linalg.eigh(np.cov(z.T))[1]
    k = ((components - components.mean(0)) ** 4).mean(0) / np.maximum(components.var(0), 1e-12) ** 2 - 3
    result["pc_kurtosis"] = float(np.median(np.sign(k) * np.log1p(np.abs(k))))
    return result


def shape_indicators(matrix: np.ndarray) -> dict[str, float]:
    """Heaps at a column's ends and the joint tails of all number-typed columns (codes too).
    ``edge_share``: mean over columns with three or more distinct values of the share of values equal
    to the column's minimum or maximum (about 2 / rows for a continuous column; large for a scale whose
    end values are common, as human answers, counts and clipped measurements are; refitted data loses
    that point mass).
    ``mardia_kurtosis``: log of Mardia's multivariate kurtosis, the mean of the squared Mahalanobis
    distances squared, over its Gaussian value r(r + 2) (r = rank of the standardised columns): 0 for
    a Gaussian cloud, > 0 for heavy joint tails, < 0 for cut ones."""
    result: dict[str, float] = {}
    edges = []
    for column in matrix.T:
        values = column[np.isfinite(column)]
        if len(values) >= 20 and len(np.unique(values)) > 2:  # a binary column is all ends
            edges.append(float(np.mean((values == values.min()) | (values == values.max()))))
    if edges:
        result["edge_share"] = float(np.mean(edges))
    filled = np.where(np.isfinite(matrix), matrix, np.nanmedian(matrix, 0)) if len(matrix) else matrix
    filled = filled[:, filled.std(0) > 0] if len(filled) else filled
    if filled.shape[1] >= 2 and len(filled) >= 20:
        z = (filled - filled.mean(0)) / filled.std(0)
        eigenvalues, eigenvectors = np.linalg.eigh(z.T @ z / len(z))
        keep = eigenvalues > 1e-9 * eigenvalues.max()  # collinear columns (e.g. one-hot codes) add no direction
        whitened = z @ eigenvectors[:, keep] / np.sqrt(eigenvalues[keep])
        squared = (whitened**2).sum(1)
        rank = int(keep.sum())
        result["mardia_kurtosis"] = float(math.log(max(float(np.mean(squared**2)), 1e-12) / (rank * (rank + 2))))
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
    coded = [n for n in numeric + categorical if sample.schema[n].is_numeric()]
    if coded:
        matrix = sample.select(coded).cast(pl.Float64).to_numpy()
        result.update(shape_indicators(matrix))
        if len(coded) >= 2:
            result.update(neighbour_indicators(matrix))
    if sample.height:
        result["duplicate_rate"] = float(1 - sample.n_unique() / sample.height)
    return result


def table_indicators(frame: pl.DataFrame, numeric: list[str], categorical: list[str]) -> list[dict[str, float]]:
    """Indicators of each resample of ``frame`` (one dict per resample)."""
    return [sample_indicators(part, numeric, categorical) for part in resamples(frame)]


def mean_indicators(per_resample: list[dict[str, float]]) -> dict[str, Any]:
    names = sorted({k for d in per_resample for k in d})
    return {k: round(float(np.mean([d[k] for d in per_resample if k in d])), 6) for k in names}


def shared_matrices(
    frame: pl.DataFrame, reference: pl.DataFrame, names: list[str]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Float matrices of the numeric-typed ``names`` present in both tables (numeric columns and
    number-coded categories), on equally many rows (the smaller table's count), so that range and
    tail statistics compare samples of one size."""
    shared = [
        n for n in names if n in reference.columns and frame.schema[n].is_numeric() and reference.schema[n].is_numeric()
    ]
    rows = min(frame.height, reference.height)
    rng = np.random.default_rng(SAMPLE_SEED)
    mine, ref = (
        table[np.sort(rng.permutation(table.height)[:rows])].select(shared).cast(pl.Float64).to_numpy()
        for table in (frame, reference)
    )
    return mine, ref, shared


def reference_indicators(sample: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """Spread and tails of ``sample`` against ``reference`` (same columns, same row count), per
    column then combined: ``variance_log_ratio`` (mean of log(variance / reference variance); 0 =
    same spread, < 0 = shrunk), ``range_log_ratio`` (median of log of the 1-99% ranges' ratio),
    ``range_coverage`` (mean share of the reference's values inside the sample's min-max range: 1 =
    no tail lost) and ``tail_coverage`` (mean share of sample values beyond the reference's
    2.5% / 97.5% quantiles over the reference's own share, capped at 2: 1 = tails kept, 0 = gone)."""
    variance, spread, inside, tails = [], [], [], []
    for mine, ref in zip(sample.T, reference.T, strict=True):
        mine, ref = mine[np.isfinite(mine)], ref[np.isfinite(ref)]
        if len(mine) < 20 or len(ref) < 20 or ref.var() == 0:
            continue
        variance.append(math.log(max(mine.var(), 1e-12 * ref.var()) / ref.var()))
        inside.append(float(np.mean((ref >= mine.min()) & (ref <= mine.max()))))
        (a01, a99), (r01, r99) = np.quantile(mine, [0.01, 0.99]), np.quantile(ref, [0.01, 0.99])
        if r99 > r01:
            spread.append(math.log(max(a99 - a01, 1e-6 * (r99 - r01)) / (r99 - r01)))
        low, high = np.quantile(ref, [0.025, 0.975])
        own = np.mean((ref < low) | (ref > high))
        if own > 0:
            tails.append(min(2.0, float(np.mean((mine < low) | (mine > high)) / own)))
    result = {}
    for name, values, combine in (
        ("variance_log_ratio", variance, np.mean),
        ("range_log_ratio", spread, np.median),
        ("range_coverage", inside, np.mean),
        ("tail_coverage", tails, np.mean),
    ):
        if values:
            result[name] = round(float(combine(values)), 6)
    return result


def category_distance(frame: pl.DataFrame, reference: pl.DataFrame, names: list[str]) -> float | None:
    """Mean over categorical columns of the total-variation distance between the category shares
    of ``frame`` and of the reference (0 = same shares, 1 = disjoint)."""
    distances = []
    for name in names:
        if name not in reference.columns:
            continue
        mine = frame[name].drop_nulls()
        ref = reference[name].drop_nulls().cast(mine.dtype, strict=False).drop_nulls()
        if not len(mine) or not len(ref):
            continue
        shares: dict[Any, float] = {}
        for values, sign in ((mine, 1.0), (ref, -1.0)):
            counts = values.value_counts()
            for value, count in counts.iter_rows():
                shares[value] = shares.get(value, 0.0) + sign * count / len(values)
        distances.append(0.5 * sum(abs(v) for v in shares.values()))
    return float(np.mean(distances)) if distances else None


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
