"""Label-noise estimate: out-of-fold probabilities of the documented baseline + confident learning.

Classification: 5-fold stratified out-of-fold class probabilities from the baseline learner
(baselines.py), on small files averaged over several repetitions with different folds
(``repeats_for``): one split's probabilities on a 200-row file are noisy enough to hide wrong labels
or invent them (the bank's leave-one-source-out error under 500 rows: 3.95 points with one split,
3.00 with three, 2.61 with five, 2.65 with ten). Confident learning (cleanlab, Northcutt et al.
2021) alone reads genuine class overlap as noise (13% on a clean but ambiguous table), so the noise
fraction is a least-squares correction of summaries of the probabilities (``noise_features``),
linear in them and, where that carries over to unseen sources, in their squares and products.
Which summaries enter, and their coefficients per file-size band, are fitted on the curve bank's clean (separable,
overlapping, graded) and noise-injected files, chosen by leave-one-source-out error
(calibration.json, bench/build_curve_bank.py). The committed fit uses the disagreement among the
most confident rows and ``uniform_floor`` (with their squares and product): the rate of labels
spread evenly over the other classes that a temperature (the model's over- or under-confidence,
where overlap shows) cannot explain.
Overlap, even between neighbouring grades, is not spread evenly, so it reads as little noise. The 90%
interval is the 5th-95th percentile over bootstrap resamples of the rows (probabilities held
fixed, so it shows sampling spread, not model error). ``find_label_issues`` (prune by noise rate)
ranks the suspect rows, least self-confident first, and the list is cut to the estimated number of
wrong labels; the largest off-diagonal cells of the joint are the confused pairs.
Regression: rows whose out-of-fold residual is beyond RESIDUAL_Z robust z-scores (median/MAD),
largest first.

Files above MAX_ROWS are estimated on a seeded sample of that size (rows then come from the
sample; ``labelled_sample`` reads it without holding the other rows). No estimate is made when the
model barely beats always-the-majority (see MIN_HEADROOM_SHARE): its disagreements with the labels
would be its own errors, not label errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import polars as pl

from validations.engine.batches import iter_batches
from validations.engine.io import Table
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
# Repetitions of the K-fold split on files under REPEAT_BELOW_ROWS rows, fewer where one repetition
# is costly: at most REPEAT_WORK rows x classes x columns over all repetitions (a boosting fit costs
# about that). Measured in a standard validation: a 200-row, 10-class, 64-column file gets 3 (label
# noise 1.7 -> 5 s), a 499-row binary 30-column one 5 (0.6 -> 2.7 s). Larger files gain nothing from
# repeats (bank error 1.75 -> 1.73 points at 1,000 rows) and get one.
MAX_REPEATS = 5
REPEAT_BELOW_ROWS = 500
REPEAT_WORK = 500_000
BOOTSTRAPS = 100
RESIDUAL_Z = 4.0
MIN_HEADROOM_SHARE = 0.25
MAX_FLOOR = 0.5
WARNING_FRACTION = 0.1
TOP_PAIRS = 5
# Rows per batch of the read that draws the sample (``labelled_sample``).
SAMPLE_BATCH = 100_000


def repeats_for(rows: int, classes: int, columns: int) -> int:
    """How many K-fold repetitions ``out_of_fold_probabilities`` averages (see REPEAT_WORK)."""
    if rows >= REPEAT_BELOW_ROWS:
        return 1
    return int(min(MAX_REPEATS, max(1, REPEAT_WORK // max(1, rows * classes * max(1, columns)))))


def out_of_fold_probabilities(features: Features, x: Any, labels: np.ndarray) -> np.ndarray:
    """Out-of-fold class probabilities (columns: classes 0..K-1 of the integer ``labels``), the mean
    over ``repeats_for`` repetitions of the stratified K-fold split with different folds."""
    from sklearn.model_selection import StratifiedKFold

    classes = int(labels.max()) + 1
    columns = 1 if isinstance(x, list) else int(x.shape[1])
    repeats = repeats_for(len(labels), classes, columns)
    probabilities = np.zeros((len(labels), classes))
    for repeat in range(repeats):
        folds = StratifiedKFold(
            n_splits=min(FOLDS, int(np.bincount(labels).min())), shuffle=True, random_state=SEED + repeat
        )
        # A plain loop, not cross_val_predict: joblib's dispatch was measured to drop the caller's
        # one-thread OpenMP limit, and an oversubscribed booster ran 60x slower on a busy machine.
        for train, test in folds.split(np.zeros(len(labels)), labels):
            model = make_model(features.kind).fit(take(x, train), labels[train])
            probabilities[np.ix_(test, model.classes_)] += model.predict_proba(take(x, test))
    return probabilities / repeats


def out_of_fold_predictions(features: Features, x: Any, y: np.ndarray) -> np.ndarray:
    from sklearn.model_selection import KFold

    predicted = np.zeros(len(y))
    for train, test in KFold(n_splits=FOLDS, shuffle=True, random_state=SEED).split(y):
        predicted[test] = make_model(features.kind).fit(take(x, train), y[train]).predict(take(x, test))
    return predicted


def noise_features(
    labels: np.ndarray,
    probabilities: np.ndarray,
    names: tuple[str, ...] | None = None,
    floor_start: tuple[float, float] | None = None,
) -> dict[str, float]:
    """Summaries of the out-of-fold probabilities that the calibrated estimate is made from (all of
    FEATURES, or only ``names``; ``floor_start`` starts uniform_floor's fit, as a bootstrap does
    from the whole file's).

    - confident_learning: 1 - trace of cleanlab's estimated joint (reads class overlap as noise too)
    - disagreement: share of rows whose label is not the model's most probable class
    - expected_error: mean of 1 - max probability, the disagreement a calibrated model expects from
      overlap alone, with no label wrong
    - confident_disagreement: disagreement among the most confident third of the rows, where
      overlap is least and wrong labels show most plainly
    - far_disagreement: among the most confident third, the share of rows whose label is not even
      the model's second choice, times (K - 1)/(K - 2): a label flipped to a random other class lands
      beyond the runner-up (K - 2)/(K - 1) of the time, while neighbouring classes that overlap
      (grades) leave the label the runner-up. With two classes, the confident disagreement.
    - uniform_floor: r of the maximum-likelihood fit of the labels by (1 - r)·s + r·(1 - s)/(K - 1),
      s = softmax(log p / T): the temperature T absorbs the model's general over- or
      under-confidence (where overlap shows), r the share of labels spread evenly over all other
      classes, even far from any boundary
    """
    wanted = FEATURES if names is None else names
    top = probabilities.max(axis=1)
    wrong = probabilities.argmax(axis=1) != labels
    confident = top >= np.quantile(top, 2 / 3)
    out: dict[str, float] = {}
    if "confident_learning" in wanted:
        from cleanlab.count import estimate_joint

        out["confident_learning"] = float(max(0.0, 1.0 - np.trace(estimate_joint(labels, probabilities))))
    if "disagreement" in wanted:
        out["disagreement"] = float(np.mean(wrong))
    if "expected_error" in wanted:
        out["expected_error"] = float(np.mean(1.0 - top))
    if "confident_disagreement" in wanted:
        out["confident_disagreement"] = float(np.mean(wrong[confident]))
    if "far_disagreement" in wanted:
        out["far_disagreement"] = _far_disagreement(labels, probabilities, confident)
    if "uniform_floor" in wanted:
        out["uniform_floor"] = floor_fit(labels, probabilities, floor_start)[1]
    return out


def _far_disagreement(labels: np.ndarray, probabilities: np.ndarray, confident: np.ndarray) -> float:
    classes = probabilities.shape[1]
    given = probabilities[np.arange(len(labels)), labels]
    rank = (probabilities > given[:, None]).sum(axis=1)  # classes the model prefers to the label
    if classes < 3:
        return float(np.mean(rank[confident] >= 1))
    return float(np.mean(rank[confident] >= 2)) * (classes - 1) / (classes - 2)


def uniform_floor(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """The uniform flip rate r of the temperature-and-floor likelihood fit (see noise_features)."""
    return floor_fit(labels, probabilities)[1]


def floor_fit(
    labels: np.ndarray, probabilities: np.ndarray, start: tuple[float, float] | None = None
) -> tuple[float, float]:
    """(log T, r) of the likelihood fit, over (log T, r) with the analytic gradient, r within
    [0, MAX_FLOOR]; from ``start`` alone when given, else from two starts."""
    from scipy.optimize import minimize

    rows, classes = probabilities.shape
    logits = np.log(np.clip(probabilities, 1e-6, 1.0))
    given_logit = logits[np.arange(rows), labels]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        temperature = math.exp(float(np.clip(theta[0], -5.0, 5.0)))
        rate = float(theta[1])
        scaled = logits / temperature
        scaled -= scaled.max(axis=1, keepdims=True)
        soft = np.exp(scaled)
        soft /= soft.sum(axis=1, keepdims=True)
        given = soft[np.arange(rows), labels]
        slope = 1.0 - rate * classes / (classes - 1)
        likelihood = given * slope + rate / (classes - 1) + 1e-12
        d_given = given * ((soft * logits).sum(axis=1) - given_logit) / temperature  # d given / d log T
        d_rate = (1.0 - given * classes) / (classes - 1)  # d likelihood / d r
        gradient = np.array([-np.mean(slope * d_given / likelihood), -np.mean(d_rate / likelihood)])
        return -float(np.mean(np.log(likelihood))), gradient

    best = None
    for guess in (start,) if start else ((0.0, 0.05), (0.5, 0.25)):
        result = minimize(loss, np.array(guess), jac=True, method="L-BFGS-B", bounds=[(-5.0, 5.0), (0.0, MAX_FLOOR)])
        if best is None or result.fun < best.fun:
            best = result
    assert best is not None
    return float(best.x[0]), float(best.x[1])


def calibrated_fraction(features: dict[str, float], rows: int) -> float:
    """The noise fraction: a correction of the features, linear in them and (where the calibration
    keeps them) their products, fitted on the curve bank (clean overlapping tables and injected
    noise) per file-size band (calibration.json), clipped to [0, 0.5]."""
    coefficients = coefficients_for(rows)
    value = coefficients["intercept"] + sum(
        c * term_value(name, features) for name, c in coefficients.items() if name != "intercept"
    )
    return float(min(0.5, max(0.0, value)))


def term_value(name: str, features: dict[str, float]) -> float:
    """A calibrated term's value: a feature, or a product of features named "a*b" (a square is "a*a")."""
    return math.prod(features[factor] for factor in name.split("*"))


def term_features(names: Iterable[str]) -> tuple[str, ...]:
    """The features that the terms ``names`` (intercept and products included) are made of."""
    return tuple(sorted({factor for name in names if name != "intercept" for factor in name.split("*")}))


def coefficients_for(rows: int) -> dict[str, float]:
    """The size band's intercept and non-zero feature coefficients (calibration.json)."""
    from validations.engine.prediction.conformal import calibration

    bands = calibration()["label_noise"]["bands"]
    coefficients = bands[0]["coefficients"]
    for band in bands:
        if rows >= band["min_rows"]:
            coefficients = band["coefficients"]
    return {name: value for name, value in coefficients.items() if name == "intercept" or value != 0.0}


FEATURES = (
    "confident_learning",
    "disagreement",
    "expected_error",
    "confident_disagreement",
    "far_disagreement",
    "uniform_floor",
)


def noise_from_probabilities(
    labels: np.ndarray, probabilities: np.ndarray, class_names: list[str] | None = None
) -> dict[str, Any]:
    """Confident learning on out-of-fold probabilities: fraction, interval, suspects, pairs."""
    from cleanlab.count import estimate_joint
    from cleanlab.filter import find_label_issues

    joint = estimate_joint(labels, probabilities)
    start = floor_fit(labels, probabilities)
    features = noise_features(labels, probabilities, floor_start=start)
    fraction = calibrated_fraction(features, len(labels))
    rng = np.random.default_rng(SEED)
    used = term_features(coefficients_for(len(labels)))
    draws = []
    classes = probabilities.shape[1]
    for _ in range(BOOTSTRAPS):
        pick = rng.integers(0, len(labels), len(labels))
        if len(np.unique(labels[pick])) < classes:
            continue
        draws.append(calibrated_fraction(noise_features(labels[pick], probabilities[pick], used, start), len(labels)))
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


def labelled_sample(table: Table, target: str, size: int) -> pl.DataFrame:
    """The rows of ``table`` that have a ``target``, each after its place in the table (``__row``):
    all of them, or when there are more than ``size``, the rows and order that
    ``DataFrame.sample(size, seed=SEED)`` takes of them. Collecting them all first held every
    column of every labelled row (3 GB over 10M rows x 20 columns); here only the drawn rows are
    kept from each batch of one read (``iter_batches``)."""
    frame = table.lazy().select(table.columns)
    labelled = pl.col(target).is_not_null()
    count = int(frame.select(labelled.sum()).collect(engine="streaming").item())
    # Polars draws from a range of the labelled rows' places, so the places are the ones
    # DataFrame.sample takes, in its order (4 bytes a row for a moment: what still grows with the file).
    places = pl.int_range(0, count, dtype=pl.get_index_type(), eager=True).alias("__place")
    if count > size:
        places = places.sample(size, seed=SEED)
    wanted = np.sort(places.to_numpy())
    parts = []
    rows = seen = 0
    # Batches, not a filter by place: the rows a filter keeps hold on to their batches' whole string
    # buffers, which was measured at 0.9 GB over 10M rows.
    for batch in iter_batches(table, columns=table.columns, batch_size=SAMPLE_BATCH):
        kept = batch.with_row_index("__row", offset=rows).filter(labelled)
        rows += batch.height
        low, high = np.searchsorted(wanted, [seen, seen + kept.height])
        if high > low:
            part = kept[wanted[low:high] - seen]
            parts.append(part.with_columns(pl.Series("__place", wanted[low:high], dtype=places.dtype)))
        seen += kept.height
    if not parts:
        return frame.with_row_index("__row").clear().collect()
    found = pl.concat(parts)
    return places.to_frame().join(found, on="__place", how="left", maintain_order="left").drop("__place")


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
