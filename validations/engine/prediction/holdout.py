"""Warranty claims: train the documented baseline on the validated file, measure it on a holdout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from validations.engine.io import open_table
from validations.engine.prediction.baselines import labels_of, make_model, plan_features, score, single_threaded

PROTOCOL = (
    "The baseline was trained once on every labelled row of the validated file and scored on every "
    "labelled row of the holdout file; categories unseen in training count as missing."
)


def read_frame(path: str | Path, fmt: str | None = None) -> pl.DataFrame:
    with open_table(path, declared_format=fmt, strict=False) as table:
        return table.lazy().collect(engine="streaming")


def measure_on_holdout(
    train_path: str | Path,
    holdout_path: str | Path,
    *,
    target: str,
    text_column: str | None = None,
    fmt: str | None = None,
) -> dict[str, Any]:
    """{metric, observed_value, model, n_train, n_holdout, protocol}; ValueError if unusable."""
    train = read_frame(train_path, fmt)
    holdout = read_frame(holdout_path, fmt)
    if target not in holdout.columns:
        raise ValueError(f"the holdout file has no target column '{target}'")
    train = train.filter(pl.col(target).is_not_null())
    holdout = holdout.filter(pl.col(target).is_not_null())
    features = plan_features(train, target=target, text_column=text_column)
    missing = [c for c in (features.numeric + list(features.categories)) if c not in holdout.columns]
    if features.text_column and features.text_column not in holdout.columns:
        missing.append(features.text_column)
    if missing:
        raise ValueError(f"the holdout file lacks columns of the validated file: {', '.join(missing)}")
    if holdout.height == 0:
        raise ValueError("the holdout file has no labelled rows")
    with single_threaded():
        model = make_model(features.kind)
        model.fit(features.matrix(train), labels_of(train, features))
        if not features.is_classification:
            holdout = holdout.with_columns(pl.col(target).cast(pl.Float64))
        observed = score(features, model, features.matrix(holdout), labels_of(holdout, features))
    return {
        "metric": features.metric,
        "observed_value": round(observed, 6),
        "model": features.model_name,
        "n_train": train.height,
        "n_holdout": holdout.height,
        "protocol": PROTOCOL,
    }
