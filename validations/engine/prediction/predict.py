"""Training-outcome prediction: the held-out metric the documented baseline reaches on the whole file.

Protocol (``predict_outcome``):
1. Learning curve: each split (a fold of repeated K-fold on small files; a random held-out sample
   of at most TEST_CAP rows on large ones) trains the baseline on nested random subsets of the
   training part at SIZES geometric sizes up to the largest, and scores each on the split's test
   rows (R² over the splits' common total sum of squares, so that the mean is the pooled R²: see
   ``pooled_r2``). Files too large for the time budget are subsampled for the curve (``subsampled``).
2. Curve families (curves.py) are fitted to the mean score per size; the one that best predicts the
   largest size from the others is extrapolated to the file's size, 2x and 10x. The expected value
   is the largest size's mean plus calibrated shares of two estimates of the gain from there to the
   file's size: the chosen curve's, and a straight line in log n through the three largest sizes
   (``point_estimate``; the shares are fitted on the curve bank).
3. Interval: expected ± q·max(scale, floor), where scale combines the metric's sampling error on
   the file's rows (for R², in the calibrated form: it may be the delta-method standard error over
   the file's own test rows, ``r2_standard_error``, which grows where a heavy tail carries the
   sums), the standard error of the largest size's mean and a calibrated share of the standard
   deviation of the extrapolation over bootstrap resamples of the splits (``interval_scale``), and
   (q, floor) come from split-conformal calibration on a bank of learning curves of real and
   generated tables, per metric and file-size band (conformal.py, calibration.json).
4. Ceiling: with an estimated label-noise fraction f (classification), no model can agree with
   fresh labels more often than about 1 - f, so expected and the interval are capped there.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from validations.engine.prediction import conformal
from validations.engine.prediction.baselines import (
    Features,
    labels_of,
    make_model,
    plan_features,
    score,
    single_threaded,
    take,
)
from validations.engine.prediction.curves import Fit, fit_family, select_family

Progress = Callable[[str, int], None]

CONFIDENCE = 0.9
SIZES = 5
MIN_ROWS = 60
MIN_PER_CLASS = 8
SMALLEST_SHARE = 1 / 16  # smallest curve size relative to the largest
TEST_CAP = 5_000
MAX_CURVE_ROWS = 50_000
BOOTSTRAPS = 40
SEED = 0


def no_prediction_reason(frame: pl.DataFrame, target: str | None) -> str | None:
    """Why no prediction can be made for this file (None when one can be tried)."""
    if target is None:
        return "No target column was given, so there is nothing to predict; pass --target."
    if target not in frame.columns:
        return f"The target column '{target}' is not in the file."
    labelled = frame[target].drop_nulls()
    if labelled.len() < MIN_ROWS:
        return f"Only {labelled.len()} labelled rows; a prediction needs at least {MIN_ROWS}."
    if labelled.n_unique() < 2:
        return f"The target '{target}' is constant, so there is nothing to learn or predict."
    return None


def predict_outcome(
    frame: pl.DataFrame,
    *,
    target: str | None,
    text_column: str | None = None,
    noise: dict[str, Any] | None = None,
    progress: Progress | None = None,
    time_budget_s: float = 90.0,
) -> tuple[dict[str, Any] | None, str | None]:
    """(prediction, None), or (None, reason) when the file supports no prediction.

    ``noise`` is the label-noise estimate ({"estimated_fraction", "interval"}) used as a ceiling.
    """
    report = progress or (lambda stage, percent: None)
    prepared = prepare(frame, target=target, text_column=text_column)
    if isinstance(prepared, str):
        return None, prepared
    frame, features = prepared
    # One OpenMP thread: an oversubscribed pool makes gradient boosting many times slower
    # (measured in runner.py); workers scale out as processes instead.
    with single_threaded():
        curve = measure_curve(features, frame, progress=report, time_budget_s=time_budget_s)
    report("prediction:fit", 90)
    prediction = prediction_from_curve(curve, features=features, rows=frame.height, noise=noise)
    report("prediction:done", 100)
    return prediction, None


def prediction_from_curve(
    curve: dict[str, Any], *, features: Features, rows: int, noise: dict[str, Any] | None
) -> dict[str, Any]:
    """The report's prediction from a measured curve: extrapolation, interval, model, ceiling."""
    fraction = noise.get("estimated_fraction") if noise and features.is_classification else None
    prediction = extrapolate(curve, rows=rows, metric=features.metric, noise_fraction=float(fraction or 0.0))
    prediction["model"] = features.model_name
    if features.is_classification and noise and noise.get("estimated_fraction") is not None:
        apply_ceiling(prediction, noise)
    return prediction


def prepare(frame: pl.DataFrame, *, target: str | None, text_column: str | None) -> tuple[pl.DataFrame, Features] | str:
    """(labelled rows, baseline features), or the reason no prediction can be made."""
    reason = no_prediction_reason(frame, target)
    if reason:
        return reason
    assert target is not None
    frame = frame.filter(pl.col(target).is_not_null())
    if frame.schema[target].is_float():
        frame = frame.filter(pl.col(target).is_not_nan())
    try:
        features = plan_features(frame, target=target, text_column=text_column)
    except ValueError as exc:
        return f"No baseline applies: {exc}."
    if features.is_classification:
        counts = frame[target].cast(pl.String).value_counts()["count"]
        if int(counts.min()) < MIN_PER_CLASS:
            return (
                f"Too few rows per class: the rarest class of '{target}' has "
                f"{int(counts.min())} rows; a prediction needs {MIN_PER_CLASS}+ in each."
            )
    return frame, features


def measure_curve(
    features: Features, frame: pl.DataFrame, *, progress: Progress, time_budget_s: float
) -> dict[str, Any]:
    """Scores (splits x sizes) of the baseline on nested subsamples; see the module docstring."""
    started = time.perf_counter()
    rng = np.random.default_rng(SEED)
    total = frame.height
    subsampled: dict[str, Any] | None = None
    if total > MAX_CURVE_ROWS + TEST_CAP:
        keep = np.sort(rng.choice(total, MAX_CURVE_ROWS + TEST_CAP, replace=False))
        frame = frame[keep]
        subsampled = {
            "rows_used": frame.height,
            "rows_total": total,
            "reason": "the learning curve was measured on a random sample to fit the time budget",
        }
    x, y = features.matrix(frame), labels_of(frame, features)
    splits = _splits(frame.height, rng)
    largest = len(splits[0][0])
    # Pilot fit on the largest size: the curve costs about twice its largest fit per split.
    began = time.perf_counter()
    kept: list[tuple[np.ndarray, np.ndarray]] = []  # regression: (test rows, squared errors) at the largest size
    first = _fit_score(features, x, y, splits[0][0], splits[0][1], kept)
    per_split = 2.2 * (time.perf_counter() - began)
    budget_left = time_budget_s - (time.perf_counter() - started)
    if per_split * len(splits) > budget_left and largest > 2_000:
        # Shrink the largest size (fit time is about linear in rows) rather than drop splits.
        factor = max(0.05, budget_left / (per_split * len(splits)))
        largest = max(2_000, int(largest * factor))
        subsampled = {
            "rows_used": largest,
            "rows_total": total,
            "reason": "the learning curve's largest training size was cut to fit the time budget",
        }
        first = None
        kept.clear()
    sizes = np.unique(np.geomspace(max(20, largest * SMALLEST_SHARE), largest, SIZES).astype(int))
    scores = np.full((len(splits), len(sizes)), np.nan)
    for i, (train, test) in enumerate(splits):
        for j, n in enumerate(sizes):
            if first is not None and i == 0 and n == len(train):
                scores[i, j] = first
                continue
            scores[i, j] = _fit_score(features, x, y, train[:n], test, kept if j == len(sizes) - 1 else None)
        progress("prediction:curve", int(10 + 80 * (i + 1) / len(splits)))
        if time.perf_counter() - started > 1.5 * time_budget_s and i >= 1:
            scores = scores[: i + 1]
            break
    curve: dict[str, Any] = {"sizes": sizes, "scores": scores, "subsampled": subsampled}
    if not features.is_classification:
        curve["scores"] = pooled_r2(scores, [y[test] for _, test in splits[: len(scores)]], float(np.mean(y)))
        curve["r2_standard_error"] = r2_standard_error(kept, y)
    return curve


def r2_standard_error(kept: list[tuple[np.ndarray, np.ndarray]], y: np.ndarray) -> float:
    """Standard error of the file's cross-validated R² at the largest size, by the delta method over
    its test rows: R² = 1 - A/B with A the mean squared error and B the mean squared deviation from
    the file's mean, each row's influence -(e² - A)/B + A/B²·((y - ȳ)² - B). A row tested in two
    repeats counts once, with its mean squared error. On a heavy-tailed target a few rows carry most
    of A and B, and this grows with them (where the tail is predictable) or stays small (where it is
    not: the row moves A and B together); the split scores' spread sees the same only over five folds."""
    if not kept:
        return 0.0
    rows = np.concatenate([test for test, _ in kept])
    squared = np.concatenate([errors for _, errors in kept])
    unique, inverse = np.unique(rows, return_inverse=True)
    per_row = np.bincount(inverse, weights=squared) / np.bincount(inverse)
    spread = (y[unique] - float(np.mean(y))) ** 2
    a, b = float(np.mean(per_row)), float(np.mean(spread))
    if b <= 0 or len(unique) < 2:
        return 0.0
    influence = -(per_row - a) / b + a / b**2 * (spread - b)
    return float(np.std(influence) / math.sqrt(len(unique)))


def pooled_r2(squared_errors: np.ndarray, tests: list[np.ndarray], centre: float) -> np.ndarray:
    """Per-split scores (splits x sizes) whose mean is the pooled R² of the splits, 1 - ΣSSE / ΣSST
    (SST about the file's mean): the cross-validated R² of the whole file.

    Each split's own R² (1 - SSE_i / SST_i) is biased low on a heavy-tailed target: a test part
    without the rare large values has a small SST that its errors are divided by. Split i's score is
    the ratio's linearisation, 1 - R - (SSE_i - R·SST_i) / mean(SST) with R = ΣSSE / ΣSST, so the
    spread over the splits is that of the ratio: a split holding an extreme value raises its SSE and
    its SST together and moves the score little.
    """
    totals = np.array([np.sum((t - centre) ** 2) for t in tests], dtype=np.float64)[:, None]
    mean_total = max(float(np.mean(totals)), 1e-300)
    ratio = np.nansum(squared_errors, axis=0) / max(float(np.sum(totals)), 1e-300)
    return 1.0 - ratio - (squared_errors - ratio * totals) / mean_total


def _splits(rows: int, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train order, test rows) pairs: repeated 5-fold CV on small files, held-out samples on large."""
    if rows <= 5 * TEST_CAP:
        repeats = 2 if rows < 1_000 else 1
        splits = []
        for _ in range(repeats):
            order = rng.permutation(rows)
            for fold in np.array_split(order, 5):
                mask = np.ones(rows, bool)
                mask[fold] = False
                splits.append((rng.permutation(np.flatnonzero(mask)), fold))
        return splits
    splits = []
    for _ in range(3):
        order = rng.permutation(rows)
        splits.append((order[TEST_CAP:], order[:TEST_CAP]))
    return splits


def _fit_score(
    features: Features,
    x: Any,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    keep: list[tuple[np.ndarray, np.ndarray]] | None = None,
) -> float:
    """Accuracy on the test rows, or (regression) their sum of squared errors, pooled by pooled_r2
    (the rows' squared errors are appended to ``keep`` when given)."""
    y_train = y[train]
    if features.is_classification and len(set(y_train.tolist())) < 2:
        return float(np.mean(y[test] == y_train[0]))
    model = make_model(features.kind)
    model.fit(take(x, train), y_train)
    if not features.is_classification:
        squared = (y[test] - model.predict(take(x, test))) ** 2
        if keep is not None:
            keep.append((test, squared))
        return float(np.sum(squared))
    return score(features, model, take(x, test), y[test])


def extrapolate(curve: dict[str, Any], *, rows: int, metric: str, noise_fraction: float = 0.0) -> dict[str, Any]:
    """The prediction dict from a measured curve (without model and ceiling); ``noise_fraction`` is
    the file's estimated label noise (0 when none was estimated), which widens the interval."""
    parts = curve_parts(curve, rows=rows)
    fit = parts["fit"]
    constants = conformal.constants_for(metric, rows)
    expected = point_estimate(parts, blend=constants["blend"], local=constants["local"])
    scale = interval_scale(
        parts,
        metric=metric,
        rows=rows,
        spread_weight=constants["spread_weight"],
        sampling=constants["sampling"],
        noise_fraction=noise_fraction,
        noise_weight=constants["noise_weight"],
    )
    low, high = conformal.interval(expected, scale, q=constants["q"], floor=constants["floor"])
    sizes, scores = curve["sizes"], curve["scores"]
    targets = {"full": rows, "double": 2 * rows, "tenfold": 10 * rows}
    shift = expected - float(fit.predict(rows))
    prediction: dict[str, Any] = {
        "metric": metric,
        "expected": round(expected, 6),
        "interval": [round(low, 6), round(high, 6)],
        "confidence": CONFIDENCE,
        "learning_curve": [
            {"n": int(n), "score": round(float(m), 6), "std": round(float(s), 6)}
            for n, m, s in zip(sizes, parts["means"], np.nanstd(scores, axis=0), strict=True)
        ],
        "extrapolations": [
            {"n": int(n), "label": label, "expected": round(min(1.0, float(fit.predict(n)) + shift), 6)}
            for label, n in targets.items()
        ],
        "curve_family": parts["family"],
        "family_errors": parts["selection"],
        "spread": round(scale, 6),
        "protocol": PROTOCOL,
    }
    if curve["subsampled"]:
        prediction["subsampled"] = curve["subsampled"]
    return prediction


def curve_parts(curve: dict[str, Any], *, rows: int) -> dict[str, Any]:
    """What the calibrated prediction is made of, before any calibration constant is applied.

    ``extrapolated``: the chosen family's value at ``rows``; ``last``: the mean score at the largest
    measured size; ``spread``: the extrapolation's standard deviation over bootstrap resamples of the
    splits; ``standard_error``: the standard error of the mean score at the largest size.
    """
    sizes, scores = np.asarray(curve["sizes"]), np.asarray(curve["scores"], dtype=np.float64)
    means = np.nanmean(scores, axis=0)
    errors = np.nanstd(scores, axis=0) / math.sqrt(max(1, scores.shape[0]))
    family, selection = select_family(sizes, means, errors)
    fit = fit_family(family, sizes, means, errors) or fit_family("last", sizes, means)
    assert fit is not None
    top = slice(max(0, len(sizes) - 3), len(sizes))
    slope = float(np.polyfit(np.log(sizes[top]), means[top], 1)[0]) if len(sizes) >= 2 else 0.0
    return {
        "fit": fit,
        "family": family,
        "selection": selection,
        "means": means,
        "extrapolated": float(fit.predict(rows)),
        "last": float(means[-1]),
        "local_gain": max(0.0, slope) * math.log(max(1.0, rows / float(sizes[-1]))),
        "spread": _bootstrap_spread(fit, sizes, scores, rows),
        "standard_error": float(errors[-1]),
        "r2_standard_error": curve.get("r2_standard_error"),
    }


def point_estimate(parts: dict[str, Any], *, blend: float, local: float) -> float:
    """The last measured mean plus shares of two estimates of the gain from there to the file's size:
    the chosen curve's (``blend``) and a straight line in log n through the three largest sizes
    (``local``). Both shares are fitted on the bank (calibration.json): a curve fitted to five noisy
    points can bend the wrong way just past the data, where the local slope rarely does."""
    gain = blend * (parts["extrapolated"] - parts["last"]) + local * parts["local_gain"]
    return min(1.0, parts["last"] + gain)


SAMPLING_FORMS = ("binomial", "rows", "both")


def interval_scale(
    parts: dict[str, Any],
    *,
    metric: str,
    rows: int,
    spread_weight: float,
    sampling: str = "binomial",
    noise_fraction: float = 0.0,
    noise_weight: float = 0.0,
) -> float:
    """The curve's own uncertainty, its parts combined as independent: the sampling error of the
    metric measured on ``rows`` test rows, the standard error of the largest size's mean over the
    splits, and the bootstrap spread of the extrapolation times ``spread_weight`` (calibrated on the
    bank: the share of it that narrows the intervals there).

    The sampling term makes the conformal scores comparable across files: a 200-row file's
    cross-validated accuracy of 0.7 is uncertain by about 3 points whatever its curve looks like,
    one of 0.99 by under 1. For R², ``sampling`` (calibrated: the form with the narrowest
    leave-one-source-out intervals on the bank) picks "binomial", the analogue sqrt((1 - R²)/rows)
    (``sampling_error``); "rows", the delta-method standard error over the file's own test rows
    (``r2_standard_error``: large where a heavy tail carries the sums); or "both", the two combined.
    Accuracy always takes the binomial error. The whole is widened by 1 + ``noise_weight`` x the
    file's estimated label-noise fraction (calibrated: a file with wrong labels, whose fresh labels
    are as wrong, is harder to predict than its curve shows)."""
    binomial = sampling_error(metric, parts["last"], rows)
    from_rows = parts.get("r2_standard_error")
    if metric == "accuracy" or sampling == "binomial" or from_rows is None:
        term = binomial
    elif sampling == "rows":
        term = float(from_rows)
    else:
        term = math.hypot(binomial, float(from_rows))
    widening = 1.0 + noise_weight * max(0.0, noise_fraction)
    return widening * math.hypot(term, parts["standard_error"], spread_weight * parts["spread"])


def sampling_error(metric: str, value: float, rows: int) -> float:
    """Binomial standard error of an accuracy over ``rows`` test rows; for R², its analogue
    sqrt((1 - R²) / rows) with R² clipped to [0, 1]: the share of the variance left unexplained,
    measured on ``rows`` rows. R² has no closed-form error that holds on heavy-tailed targets; this
    term only makes the conformal scores of weak and strong fits comparable (chosen over none,
    (1 - R²)/sqrt(rows) and the Gaussian 2·sqrt(R²)·(1 - R²)/sqrt(rows) by the narrowest
    leave-one-source-out intervals on the curve bank)."""
    clipped = min(1.0, max(0.0, value))
    if metric != "accuracy":
        return math.sqrt((1.0 - clipped) / max(1, rows))
    return math.sqrt(clipped * (1.0 - clipped) / max(1, rows))


def _bootstrap_spread(best: Fit, sizes: np.ndarray, scores: np.ndarray, rows: int) -> float:
    rng = np.random.default_rng(SEED)
    draws = []
    for _ in range(BOOTSTRAPS):
        pick = rng.integers(0, scores.shape[0], scores.shape[0])
        fit = fit_family(best.family, sizes, np.nanmean(scores[pick], axis=0), start=best.params)
        if fit is not None:
            draws.append(float(fit.predict(rows)))
    return float(np.std(draws)) if len(draws) > 1 else 0.0


def apply_ceiling(prediction: dict[str, Any], noise: dict[str, Any]) -> None:
    """Cap at 1 - noise: fresh labels carry the same noise, which no model can predict."""
    fraction = float(noise["estimated_fraction"])
    low_noise = float((noise.get("interval") or [fraction])[0])
    ceiling = 1.0 - fraction
    prediction["ceiling"] = round(ceiling, 6)
    if prediction["expected"] > ceiling:
        prediction["expected"] = round(ceiling, 6)
        prediction["capped_by_label_noise"] = True
    low, high = prediction["interval"]
    high = min(high, 1.0 - low_noise)
    prediction["interval"] = [round(min(low, prediction["expected"]), 6), round(max(high, prediction["expected"]), 6)]


PROTOCOL = (
    "Expected held-out metric of the baseline trained on all labelled rows of the file and "
    "evaluated on fresh rows from the same source, extrapolated from a cross-validated learning curve."
)
