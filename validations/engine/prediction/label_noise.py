"""Label-noise estimate: out-of-fold probabilities of the documented baseline + confident learning.

Classification: 5-fold stratified out-of-fold class probabilities from the baseline learner
(baselines.py). Confident learning (cleanlab, Northcutt et al. 2021) alone reads genuine class
overlap as noise (13% on a clean but ambiguous table), so the noise fraction is a linear
correction of four summaries of the probabilities (``noise_features``: cleanlab's 1 - trace of the
estimated joint, the plain disagreement, the disagreement a calibrated model expects from overlap,
and the disagreement among the most confident rows), with coefficients fitted on the curve bank's
clean-overlapping and noise-injected files (calibration.json, bench/build_curve_bank.py). The 90%
interval is the 5th-95th percentile over bootstrap resamples of the rows (probabilities held
fixed, so it shows sampling spread, not model error). ``find_label_issues`` (prune by noise rate)
ranks the suspect rows, least self-confident first, and the list is cut to the estimated number of
wrong labels; the largest off-diagonal cells of the joint are the confused pairs.
Regression: rows whose out-of-fold residual is beyond RESIDUAL_Z robust z-scores (median/MAD),
largest first.

Files above MAX_ROWS are estimated on a seeded sample of that size (rows then come from the
sample). No estimate is made when the model barely beats always-the-majority (see
MIN_HEADROOM_SHARE): its disagreements with the labels would be its own errors, not label errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from validations.engine.prediction.baselines import (
    Features,
    labels_of,
    make_model,
    plan_features,
    single_threaded,
    take,
)

MAX_ROWS = 10_000
MIN_ROWS = 50
MIN_PER_CLASS = 5
FOLDS = 5
SEED = 0
BOOTSTRAPS = 100
RESIDUAL_Z = 4.0
MIN_HEADROOM_SHARE = 0.25
WARNING_FRACTION = 0.1
TOP_PAIRS = 5


def out_of_fold_probabilities(features: Features, x: Any, labels: np.ndarray) -> np.ndarray:
    """Out-of-fold class probabilities (columns: classes 0..K-1 of the integer ``labels``)."""
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=min(FOLDS, int(np.bincount(labels).min())), shuffle=True, random_state=SEED)
    classes = int(labels.max()) + 1
    probabilities = np.zeros((len(labels), classes))
    # A plain loop, not cross_val_predict: joblib's dispatch was measured to drop the caller's
    # one-thread OpenMP limit, and an oversubscribed booster ran 60x slower on a busy machine.
    for train, test in folds.split(np.zeros(len(labels)), labels):
        model = make_model(features.kind).fit(take(x, train), labels[train])
        probabilities[np.ix_(test, model.classes_)] = model.predict_proba(take(x, test))
    return probabilities


def out_of_fold_predictions(features: Features, x: Any, y: np.ndarray) -> np.ndarray:
    from sklearn.model_selection import KFold

    predicted = np.zeros(len(y))
    for train, test in KFold(n_splits=FOLDS, shuffle=True, random_state=SEED).split(y):
        predicted[test] = make_model(features.kind).fit(take(x, train), y[train]).predict(take(x, test))
    return predicted


def noise_features(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """Summaries of the out-of-fold probabilities that the calibrated estimate is made from.

    - confident_learning: 1 - trace of cleanlab's estimated joint (reads class overlap as noise too)
    - disagreement: share of rows whose label is not the model's most probable class
    - expected_error: mean of 1 - max probability, the disagreement a calibrated model expects from
      overlap alone, with no label wrong
    - confident_disagreement: disagreement among the most confident third of the rows, where
      overlap is least and wrong labels show most plainly
    """
    from cleanlab.count import estimate_joint

    top = probabilities.max(axis=1)
    wrong = probabilities.argmax(axis=1) != labels
    confident = top >= np.quantile(top, 2 / 3)
    return {
        "confident_learning": float(max(0.0, 1.0 - np.trace(estimate_joint(labels, probabilities)))),
        "disagreement": float(np.mean(wrong)),
        "expected_error": float(np.mean(1.0 - top)),
        "confident_disagreement": float(np.mean(wrong[confident])),
    }


def calibrated_fraction(features: dict[str, float], rows: int) -> float:
    """The noise fraction: a linear correction of the features, fitted on the curve bank (clean
    overlapping tables and injected noise) per file-size band (calibration.json), clipped to [0, 0.5]."""
    from validations.engine.prediction.conformal import calibration

    bands = calibration()["label_noise"]["bands"]
    coefficients = bands[0]["coefficients"]
    for band in bands:
        if rows >= band["min_rows"]:
            coefficients = band["coefficients"]
    value = coefficients["intercept"] + sum(coefficients[name] * features[name] for name in FEATURES)
    return float(min(0.5, max(0.0, value)))


FEATURES = ("confident_learning", "disagreement", "expected_error", "confident_disagreement")


def noise_from_probabilities(
    labels: np.ndarray, probabilities: np.ndarray, class_names: list[str] | None = None
) -> dict[str, Any]:
    """Confident learning on out-of-fold probabilities: fraction, interval, suspects, pairs."""
    from cleanlab.count import estimate_joint
    from cleanlab.filter import find_label_issues

    joint = estimate_joint(labels, probabilities)
    features = noise_features(labels, probabilities)
    fraction = calibrated_fraction(features, len(labels))
    rng = np.random.default_rng(SEED)
    draws = []
    classes = probabilities.shape[1]
    for _ in range(BOOTSTRAPS):
        pick = rng.integers(0, len(labels), len(labels))
        if len(np.unique(labels[pick])) < classes:
            continue
        draws.append(calibrated_fraction(noise_features(labels[pick], probabilities[pick]), len(labels)))
    low, high = np.percentile(draws, [5, 95]) if draws else (fraction, fraction)
    suspects = find_label_issues(
        labels, probabilities, filter_by="prune_by_noise_rate", return_indices_ranked_by="self_confidence", n_jobs=1
    )
    names = class_names or [str(k) for k in range(classes)]
    off = joint.copy()
    np.fill_diagonal(off, 0.0)
    order = np.argsort(off, axis=None)[::-1][:TOP_PAIRS]
    pairs = []
    for flat in order:
        given, likely = divmod(int(flat), classes)
        if off[given, likely] <= 0:
            break
        pairs.append({"given": names[given], "likely": names[likely], "fraction": round(float(off[given, likely]), 6)})
    return {
        "estimated_fraction": round(fraction, 6),
        "interval": [round(float(min(low, fraction)), 6), round(float(max(high, fraction)), 6)],
        # Ranked least self-confident first; beyond the estimated count they are overlap, not errors.
        "suspects": np.asarray(suspects, dtype=np.int64)[: int(round(fraction * len(labels)))],
        "confused_pairs": pairs,
        "cross_validated_accuracy": float(np.mean(probabilities.argmax(1) == labels)),
        "features": {k: round(v, 6) for k, v in features.items()},
    }


def residual_suspects(y: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """Regression: rows whose residual is an outlier among residuals (robust z > RESIDUAL_Z)."""
    residual = y - predicted
    centre = np.median(residual)
    mad = 1.4826 * np.median(np.abs(residual - centre))
    z = np.abs(residual - centre) / (mad if mad > 0 else (np.std(residual) or 1.0))
    suspects = np.flatnonzero(z > RESIDUAL_Z)
    suspects = suspects[np.argsort(-z[suspects], kind="stable")]
    fraction = len(suspects) / max(1, len(y))
    half = 1.645 * np.sqrt(fraction * (1 - fraction) / max(1, len(y)))
    return {
        "estimated_fraction": round(fraction, 6),
        "interval": [round(max(0.0, fraction - half), 6), round(fraction + half, 6)],
        "suspects": suspects,
        "confused_pairs": [],
    }


def estimate(
    frame: pl.DataFrame,
    *,
    target: str,
    text_column: str | None = None,
    probabilities_of: Callable[[Features, Any, np.ndarray], np.ndarray] | None = None,
) -> dict[str, Any]:
    """Label noise of ``frame`` (already sampled); positions in ``suspects`` index its rows.

    Returns {"reason": ...} and no estimate when the data cannot support one. ``probabilities_of``
    replaces ``out_of_fold_probabilities`` (the benches pass one that caches them).
    """
    with single_threaded():
        frame = frame.filter(pl.col(target).is_not_null())
        return _estimate(frame, target, text_column, probabilities_of or out_of_fold_probabilities)


def _estimate(
    frame: pl.DataFrame,
    target: str,
    text_column: str | None,
    probabilities_of: Callable[[Features, Any, np.ndarray], np.ndarray],
) -> dict[str, Any]:
    try:
        features = plan_features(frame, target=target, text_column=text_column)
    except ValueError as exc:
        return {"reason": str(exc)}
    x = features.matrix(frame)
    if not features.is_classification:
        if frame.height < MIN_ROWS:
            return {"reason": f"needs {MIN_ROWS}+ labelled rows"}
        y = labels_of(frame, features)
        result = residual_suspects(y, out_of_fold_predictions(features, x, y))
        return {**result, "model": features.model_name, "task": "regression"}
    names, labels = np.unique(labels_of(frame, features), return_inverse=True)
    counts = np.bincount(labels)
    if frame.height < MIN_ROWS or len(names) < 2 or counts.min() < MIN_PER_CLASS:
        return {"reason": f"needs {MIN_ROWS}+ labelled rows and {MIN_PER_CLASS}+ per class"}
    probabilities = probabilities_of(features, x, labels)
    result = noise_from_probabilities(labels, probabilities, [str(n) for n in names])
    accuracy = result["cross_validated_accuracy"]
    majority = counts.max() / counts.sum()
    if accuracy < majority + MIN_HEADROOM_SHARE * (1 - majority):
        return {
            "reason": (
                f"the features barely predict the target (cross-validated accuracy {accuracy:.2f} vs "
                f"{majority:.2f} for always the most common class), so label errors cannot be told apart"
            ),
            "cross_validated_accuracy": round(accuracy, 6),
        }
    return {**result, "model": features.model_name, "task": "classification"}
