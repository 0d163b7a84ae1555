"""Label-noise estimate by confident learning (Northcutt et al. 2021), the method of cleanlab.

Out-of-sample class probabilities come from 5-fold cross-validation (logistic regression on TF-IDF
for a text column, else gradient boosting (<= 3 classes) or a random forest on the numeric columns). Per class k the
threshold t_k is the mean predicted probability of k among rows labelled k; a row labelled y is a
suspect when another class k has p_k >= t_k and p_k > p_y (an off-diagonal entry of the confident
joint). ``estimated_fraction`` is the share of suspects; ``rows`` lists them, least self-confident
first. Files above MAX_ROWS are estimated on a seeded sample of that size (rows are then only
listed from the sample).

No estimate is made when the model barely beats predicting the majority class (see
MIN_HEADROOM_SHARE). Class overlap also produces suspects, so this is info unless the estimate reaches
WARNING_FRACTION while the model is otherwise accurate (cross-validated accuracy >= 0.8).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from validations.engine.checks import CheckResult
from validations.engine.checks.labels import is_classification
from validations.engine.context import Context
from validations.engine.report import capped_rows, fmt_count, issue, pct

MAX_ROWS = 10_000
MIN_ROWS = 50
MIN_PER_CLASS = 5
WARNING_FRACTION = 0.1
# The model must recover at least this share of the accuracy headroom above the majority-class
# baseline before its disagreements are read as label errors.
MIN_HEADROOM_SHARE = 0.25
SEED = 5


def _model_name(ctx: Context, labels: np.ndarray) -> str:
    if ctx.text_column:
        return "tfidf-logistic-regression"
    return "hist-gradient-boosting" if probabilities_width(labels) <= 3 else "random-forest"


def _skip(reason: str) -> CheckResult:
    return {"estimated_fraction": None, "rows": [], "rows_truncated": False, "reason": reason}, []


def run(ctx: Context) -> CheckResult:
    target = ctx.target
    if target is None or target not in ctx.dtypes:
        return _skip("no target column")
    if not is_classification(ctx):
        return _skip("the target is numeric with many values (regression)")
    id_like = set(ctx._cache.get("id_like", []))
    numeric = [n for n in ctx.numeric_columns() if n not in id_like]
    if ctx.text_column is None and not numeric:
        return _skip("no numeric or text feature columns")
    columns = [target] + ([ctx.text_column] if ctx.text_column else numeric)
    frame = ctx.lazy().with_row_index("__row").select(["__row"] + columns)
    frame = frame.filter(pl.col(target).is_not_null()).collect(engine="streaming")
    if frame.height > MAX_ROWS:
        frame = frame.sample(MAX_ROWS, seed=SEED)
    labels_raw = frame[target].cast(pl.String).to_numpy()
    classes, labels = np.unique(labels_raw, return_inverse=True)
    counts = np.bincount(labels)
    if frame.height < MIN_ROWS or len(classes) < 2 or counts.min() < MIN_PER_CLASS:
        return _skip(f"needs {MIN_ROWS}+ labelled rows and {MIN_PER_CLASS}+ per class")
    probabilities = _cross_validated_probabilities(ctx, frame, numeric, labels)
    suspects, accuracy = confident_learning(probabilities, labels)
    baseline = counts.max() / counts.sum()
    if accuracy < baseline + MIN_HEADROOM_SHARE * (1 - baseline):
        # A model that barely beats always-the-majority disagrees with labels everywhere; its
        # "suspects" would be noise, not label errors.
        payload, _ = _skip(
            f"the features barely predict the target (cross-validated accuracy {accuracy:.2f} vs "
            f"{baseline:.2f} for always the most common class), so label errors cannot be told apart"
        )
        payload["cross_validated_accuracy"] = round(accuracy, 6)
        return payload, []
    rows = ctx.row_ids(frame["__row"].to_numpy()[suspects])
    fraction = len(suspects) / frame.height
    payload: dict[str, Any] = {
        "estimated_fraction": round(fraction, 6),
        "count": len(rows),
        **capped_rows(rows),
        "cross_validated_accuracy": round(accuracy, 6),
        "rows_checked": frame.height,
        "model": _model_name(ctx, labels),
    }
    issues = []
    if len(rows):
        serious = fraction >= WARNING_FRACTION and accuracy >= 0.8
        issues.append(issue(
            "label_noise", "warning" if serious else "info",
            f"About {pct(fraction)} of the labels in '{target}' look wrong: for "
            f"{fmt_count(len(rows), 'row')} a model trained on the other rows confidently predicts "
            "another class. Review the listed rows (least certain first) and fix mislabelled ones.",
            column=target, count=len(rows), fraction=fraction, rows=rows))
    return payload, issues


def _cross_validated_probabilities(
    ctx: Context, frame: pl.DataFrame, numeric: list[str], labels: np.ndarray
) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    if ctx.text_column:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        texts = frame[ctx.text_column].fill_null("").to_list()
        model = make_pipeline(TfidfVectorizer(sublinear_tf=True, min_df=2), LogisticRegression(max_iter=1000))
        return cross_val_predict(model, texts, labels, cv=folds, method="predict_proba")
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

    features = frame.select([pl.col(n).cast(pl.Float64) for n in numeric]).to_numpy()
    # Gradient boosting fits one tree per class per round, so past a few classes a shallow random
    # forest is several times faster for the same accuracy (measured on the bundled tables).
    if probabilities_width(labels) <= 3:
        model = HistGradientBoostingClassifier(max_iter=50, random_state=SEED)
    else:
        model = RandomForestClassifier(n_estimators=50, min_samples_leaf=3, max_depth=16, random_state=SEED)
    return cross_val_predict(model, features, labels, cv=folds, method="predict_proba")


def probabilities_width(labels: np.ndarray) -> int:
    return int(labels.max()) + 1


def confident_learning(probabilities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float]:
    """(suspect positions, least self-confident first; cross-validated accuracy)."""
    classes = probabilities.shape[1]
    thresholds = np.array([probabilities[labels == k, k].mean() for k in range(classes)])
    self_confidence = probabilities[np.arange(len(labels)), labels]
    above = probabilities >= thresholds[None, :]
    above[np.arange(len(labels)), labels] = False
    beats_given = probabilities > self_confidence[:, None]
    suspects = np.flatnonzero((above & beats_given).any(axis=1))
    suspects = suspects[np.argsort(self_confidence[suspects], kind="stable")]
    accuracy = float((probabilities.argmax(1) == labels).mean())
    return suspects, accuracy
