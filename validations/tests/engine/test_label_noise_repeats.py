"""Out-of-fold probabilities averaged over repeated K-fold splits on small files (label_noise.py)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from validations.engine.prediction import label_noise
from validations.engine.prediction.baselines import labels_of, plan_features, single_threaded
from validations.engine.prediction.label_noise import (
    MAX_REPEATS,
    REPEAT_BELOW_ROWS,
    estimate,
    out_of_fold_probabilities,
    repeats_for,
)


def _planted(rows: int, rate: float, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, size=rows)
    features = rng.normal(size=(rows, 2)) + np.stack([labels * 2.5, -labels * 2.0], axis=1)
    flipped = rng.choice(rows, size=int(rate * rows), replace=False)
    labels[flipped] = (labels[flipped] + rng.integers(1, 3, size=len(flipped))) % 3
    return pl.DataFrame({"a": features[:, 0], "b": features[:, 1], "y": [f"c{v}" for v in labels]})


def test_small_files_get_several_repeats_and_costly_or_large_ones_fewer() -> None:
    assert repeats_for(200, 2, 10) == MAX_REPEATS
    assert repeats_for(200, 10, 64) == 3  # 128,000 rows x classes x columns per repetition
    assert repeats_for(499, 10, 64) == 1
    assert repeats_for(200, 50, 500) == 1
    assert repeats_for(REPEAT_BELOW_ROWS, 2, 2) == 1
    assert repeats_for(5_000, 2, 2) == 1


def _inputs(frame: pl.DataFrame) -> tuple:
    features = plan_features(frame, target="y", text_column=None)
    labels = np.unique(labels_of(frame, features), return_inverse=True)[1]
    return features, features.matrix(frame), labels


def test_small_file_probabilities_are_the_mean_over_repeated_splits(monkeypatch: pytest.MonkeyPatch) -> None:
    features, x, labels = _inputs(_planted(200, 0.2, seed=5))
    with single_threaded():  # as estimate() runs it: an oversubscribed OpenMP pool is ~10x slower
        averaged = out_of_fold_probabilities(features, x, labels)
        again = out_of_fold_probabilities(features, x, labels)
        monkeypatch.setattr(label_noise, "MAX_REPEATS", 1)
        single = out_of_fold_probabilities(features, x, labels)
    assert averaged.shape == (200, 3)
    assert np.allclose(averaged.sum(axis=1), 1.0)
    assert np.array_equal(averaged, again)  # seeded: reproducible
    # One split is the first of the repeats: averaging moved the probabilities.
    assert not np.allclose(single, averaged)
    # Averaging over splits shrinks the rows' distance from the classes' mean probabilities.
    assert np.var(averaged, axis=0).sum() < np.var(single, axis=0).sum()


def test_small_planted_file_estimate_is_close_to_the_injected_rate() -> None:
    result = estimate(_planted(200, 0.2, seed=6), target="y")
    assert result["estimated_fraction"] == pytest.approx(0.2, abs=0.06)
