"""The documented baseline learners, the features they see, and their metric.

- tabular classification: ``HistGradientBoostingClassifier(random_state=0)`` on every non-target
  column; non-numeric columns are ordinal-encoded (sorted distinct values of the training rows;
  unseen values and nulls become missing, which the booster handles natively). Metric: accuracy.
- tabular regression: ``HistGradientBoostingRegressor(random_state=0)``, same features. Metric: R².
- text classification: ``LogisticRegression(max_iter=1000)`` on ``TfidfVectorizer(ngram_range=(1,
  2))`` of the text column alone. Metric: accuracy.

A target is a class label when it is text/boolean, an integer with at most 20 distinct values or a
float with at most 10 (the rule of checks/labels.py), unless it looks like a count: whole numbers
of which at least COUNT_SINGLETONS values, and at least COUNT_SINGLETON_SHARE of its distinct
values, are seen once. That is a count's long tail (a 200-row sample of doctor visits has 14
distinct values, three of them once); a class label's classes each hold several rows (and the
prediction needs 8+ per class anyway). Otherwise it is a regression target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

MAX_INTEGER_CLASSES = 20
MAX_FLOAT_CLASSES = 10
COUNT_SINGLETONS = 2
COUNT_SINGLETON_SHARE = 0.1

MODEL_NAMES = {
    "tabular-classification": "HistGradientBoostingClassifier(random_state=0)",
    "tabular-regression": "HistGradientBoostingRegressor(random_state=0)",
    "text-classification": "TfidfVectorizer(ngram_range=(1, 2)) + LogisticRegression(max_iter=1000)",
}


def is_classification_target(series: pl.Series) -> bool:
    values = series.drop_nulls()
    if values.dtype.is_float():
        values = values.filter(values.is_not_nan())
    if values.dtype.is_integer():
        limit = MAX_INTEGER_CLASSES
    elif values.dtype.is_float():
        limit = MAX_FLOAT_CLASSES
    else:
        return True
    return values.n_unique() <= limit and not looks_like_count(values)


def looks_like_count(values: pl.Series) -> bool:
    """Whole numbers with a tail of values seen once (see the module docstring)."""
    if values.dtype.is_float() and not bool((values == values.round()).all()):
        return False
    counts = values.value_counts()["count"]
    singletons = int((counts == 1).sum())
    return singletons >= COUNT_SINGLETONS and singletons >= COUNT_SINGLETON_SHARE * counts.len()


@dataclass
class Features:
    """How a frame becomes the learner's input; fitted on the training file only."""

    kind: str  # tabular-classification | tabular-regression | text-classification
    target: str
    text_column: str | None = None
    numeric: list[str] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)

    @property
    def metric(self) -> str:
        return "r2" if self.kind == "tabular-regression" else "accuracy"

    @property
    def model_name(self) -> str:
        return MODEL_NAMES[self.kind]

    @property
    def is_classification(self) -> bool:
        return self.kind != "tabular-regression"

    def matrix(self, frame: pl.DataFrame) -> Any:
        """The learner's X: a list of strings (text) or a float64 matrix (tabular)."""
        if self.kind == "text-classification":
            assert self.text_column is not None
            return frame[self.text_column].cast(pl.String).fill_null("").to_list()
        exprs = [pl.col(n).cast(pl.Float64, strict=False) for n in self.numeric]
        for name, values in self.categories.items():
            codes = pl.Series(values=np.arange(len(values), dtype=np.float64))
            exprs.append(
                pl.col(name)
                .cast(pl.String)
                .replace_strict(pl.Series(values=values, dtype=pl.String), codes, default=None, return_dtype=pl.Float64)
                .alias(name)
            )
        if not exprs:
            return np.zeros((frame.height, 0))
        return frame.select(exprs).to_numpy().astype(np.float64)


def plan_features(frame: pl.DataFrame, *, target: str, text_column: str | None = None) -> Features:
    """Pick the baseline for this frame (raises ValueError when none applies)."""
    if target not in frame.columns:
        raise ValueError(f"the target column '{target}' is not in the file")
    classification = is_classification_target(frame[target])
    if classification and text_column is not None and text_column in frame.columns:
        return Features("text-classification", target, text_column=text_column)
    numeric: list[str] = []
    categories: dict[str, list[str]] = {}
    for name, dtype in frame.schema.items():
        if name == target or (name == text_column and not classification):
            continue
        if dtype.is_numeric() or dtype == pl.Boolean:
            numeric.append(name)
        else:
            values = frame[name].cast(pl.String).drop_nulls().unique().sort().to_list()
            categories[name] = values
    if not numeric and not categories:
        raise ValueError("the file has no feature columns besides the target")
    kind = "tabular-classification" if classification else "tabular-regression"
    return Features(kind, target, text_column=None, numeric=numeric, categories=categories)


def make_model(kind: str) -> Any:
    """A fresh, unfitted documented baseline."""
    if kind == "tabular-classification":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(random_state=0)
    if kind == "tabular-regression":
        from sklearn.ensemble import HistGradientBoostingRegressor

        return HistGradientBoostingRegressor(random_state=0)
    if kind == "text-classification":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        return make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=1000))
    raise ValueError(f"unknown baseline {kind!r}")


def labels_of(frame: pl.DataFrame, features: Features) -> np.ndarray:
    """y: class names as strings (classification) or float64 (regression)."""
    column = frame[features.target]
    if features.is_classification:
        return column.cast(pl.String).to_numpy().astype(object)
    return column.cast(pl.Float64).to_numpy()


def score(features: Features, model: Any, x: Any, y: np.ndarray) -> float:
    """The report's metric: accuracy, or R² (as is; may be negative)."""
    predicted = model.predict(x)
    if features.is_classification:
        return float(np.mean(predicted == y))
    from sklearn.metrics import r2_score

    return float(r2_score(y, predicted))


def single_threaded() -> Any:
    """A one-thread OpenMP/BLAS limit for the baselines' fits (use as a context manager).

    scikit-learn's OpenMP runtime is imported first: threadpoolctl can only limit libraries
    already loaded, and an unlimited booster on a busy 2-core machine was measured 60x slower
    (31 s vs 0.5 s for one 600-row fit).
    """
    import sklearn.ensemble  # noqa: F401
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def take(x: Any, index: np.ndarray) -> Any:
    if isinstance(x, list):
        return [x[i] for i in index]
    return x[index]
