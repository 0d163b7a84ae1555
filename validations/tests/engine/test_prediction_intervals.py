"""Prediction intervals: the R²'s standard error over the file's own rows, the calibrated choice of
the R² sampling term, the widening by the file's label-noise estimate, and the bench's standard
error of an actual score."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from validations.engine.prediction import conformal, predict
from validations.engine.prediction.baselines import Features, single_threaded
from validations.engine.prediction.predict import (
    interval_scale,
    r2_standard_error,
    sampling_error,
)


def _pooled_r2(y: np.ndarray, squared: np.ndarray) -> float:
    return 1.0 - float(np.mean(squared)) / float(np.mean((y - y.mean()) ** 2))


def test_r2_standard_error_matches_the_spread_of_r2_over_resampled_rows() -> None:
    rng = np.random.default_rng(11)
    y = rng.poisson(2.0, 2_000).astype(float) + rng.pareto(2.5, 2_000) * 3  # a count with a long tail
    squared = (0.6 * (y - y.mean()) + rng.normal(0, 1.5, len(y))) ** 2
    folds = np.array_split(rng.permutation(len(y)), 5)
    kept = [(fold, squared[fold]) for fold in folds]
    draws = []
    for _ in range(400):
        pick = rng.integers(0, len(y), len(y))
        draws.append(_pooled_r2(y[pick], squared[pick]))
    assert r2_standard_error(kept, y) == pytest.approx(float(np.std(draws)), rel=0.2)


def test_r2_standard_error_counts_a_row_tested_in_two_repeats_once() -> None:
    rng = np.random.default_rng(12)
    y = rng.normal(size=300)
    squared = rng.exponential(0.5, 300)
    once = [(np.arange(300), squared)]
    twice = [(np.arange(150), squared[:150]), (np.arange(150, 300), squared[150:])] * 2
    assert r2_standard_error(twice, y) == pytest.approx(r2_standard_error(once, y))
    assert r2_standard_error([], y) == 0.0


def test_r2_standard_error_grows_where_a_predicted_tail_carries_the_variance() -> None:
    rng = np.random.default_rng(13)
    light = rng.normal(size=1_000)
    heavy = light.copy()
    heavy[:10] *= 30  # ten rows carry most of the variance, and the model predicts them
    errors = rng.exponential(0.5, 1_000)  # R² about 0.5 on the light target ...
    ratio = float(np.var(heavy) / np.var(light))  # ... and on the heavy one, errors scaled with its variance
    light_error = r2_standard_error([(np.arange(1_000), errors)], light)
    heavy_error = r2_standard_error([(np.arange(1_000), errors * ratio)], heavy)
    assert heavy_error > 3 * light_error


def test_interval_scale_takes_the_calibrated_r2_sampling_form() -> None:
    parts = {"last": 0.5, "spread": 0.04, "standard_error": 0.01, "r2_standard_error": 0.08}
    binomial = sampling_error("r2", 0.5, 1_000)
    common = {"metric": "r2", "rows": 1_000, "spread_weight": 0.5}
    assert interval_scale(parts, **common) == pytest.approx(math.hypot(binomial, 0.01, 0.02))
    assert interval_scale(parts, **common, sampling="rows") == pytest.approx(math.hypot(0.08, 0.01, 0.02))
    assert interval_scale(parts, **common, sampling="both") == pytest.approx(math.hypot(binomial, 0.08, 0.01, 0.02))
    # Accuracy always takes the binomial error; a curve without the rows' error keeps the binomial one too.
    accuracy = interval_scale(parts, metric="accuracy", rows=1_000, spread_weight=0.0, sampling="rows")
    assert accuracy == pytest.approx(math.hypot(sampling_error("accuracy", 0.5, 1_000), 0.01))
    older = {**parts, "r2_standard_error": None}
    assert interval_scale(older, **common, sampling="rows") == pytest.approx(interval_scale(older, **common))


def test_measure_curve_keeps_the_r2_standard_error_of_regression_targets() -> None:
    rng = np.random.default_rng(15)
    x = rng.uniform(0, 10, 300)
    frame = pl.DataFrame({"x": x, "y": 2 * x + rng.normal(0, 2, 300), "c": (x > 5).astype(int)})
    file, features = predict.prepare(frame, target="y", text_column=None)
    with single_threaded():  # an unlimited booster on a busy machine is many times slower
        curve = predict.measure_curve(features, file, progress=lambda stage, percent: None, time_budget_s=60)
    assert 0 < curve["r2_standard_error"] < 0.1
    classes = frame.with_columns(pl.col("c").cast(pl.String))
    file, features = predict.prepare(classes.drop("y"), target="c", text_column=None)
    with single_threaded():
        curve = predict.measure_curve(features, file, progress=lambda stage, percent: None, time_budget_s=60)
    assert "r2_standard_error" not in curve


def test_bank_calibration_chooses_the_r2_sampling_form_that_tracks_the_misses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bench import build_curve_bank
    from bench.build_curve_bank import POOLED_R2_VERSION, calibrate

    def flat_parts(curve: dict, *, rows: int) -> dict:  # a flat curve: what it predicts is its last mean
        last = float(np.mean(np.asarray(curve["scores"])[:, -1]))
        return {
            "last": last,
            "extrapolated": last,
            "local_gain": 0.0,
            "spread": 0.002,
            "standard_error": 0.002,
            "r2_standard_error": curve.get("r2_standard_error"),
        }

    monkeypatch.setattr(predict, "curve_parts", flat_parts)
    monkeypatch.setattr(build_curve_bank, "calibrate_noise", lambda curves: {})  # no classification files here
    rng = np.random.default_rng(16)
    bank = []
    for i in range(60):
        rows_error = float(np.exp(rng.uniform(np.log(0.005), np.log(0.15))))  # some files far harder than others
        scores = np.full((5, 5), 0.6)
        bank.append(
            {
                "dataset": f"source{i % 6}",
                "n": 5_000,
                "metric": "r2",
                "rate": 0.0,
                "sizes": [300, 600, 1_200, 2_400, 4_000],
                "scores": scores.tolist(),
                "actual": 0.6 + float(rng.normal(0, rows_error)),
                "n_fresh": 20_000,
                "pooled_r2": POOLED_R2_VERSION,
                "r2_standard_error": rows_error,
                "noise_features": None,
            }
        )
    r2 = calibrate(bank)["metrics"]["r2"]
    assert r2["sampling"] in ("rows", "both") and r2["curves"] == 60
    # Without the rows' error every form is the binomial one, and the first (binomial) is kept.
    for entry in bank:
        del entry["r2_standard_error"]
    assert calibrate(bank)["metrics"]["r2"]["sampling"] == "binomial"


def test_calibration_table_names_the_r2_sampling_form_it_was_chosen_with() -> None:
    for metric in ("accuracy", "r2"):
        assert conformal.constants_for(metric, 1_000)["sampling"] in predict.SAMPLING_FORMS
    assert conformal.constants_for("accuracy", 1_000)["sampling"] == "binomial"


def test_bench_standard_error_of_an_accuracy_is_binomial_over_the_fresh_rows() -> None:
    from bench.prediction import standard_error

    fresh = pl.DataFrame({"x": [0.0, 1.0] * 200, "y": ["a", "b"] * 200})

    class Half:
        def predict(self, x: np.ndarray) -> np.ndarray:
            return np.array(["a"] * len(x), dtype=object)

    features = Features("tabular-classification", "y", numeric=["x"])
    assert standard_error(features, Half(), fresh) == pytest.approx(math.sqrt(0.25 / 400))


def test_interval_scale_widens_with_the_estimated_label_noise() -> None:
    parts = {"last": 0.8, "spread": 0.0, "standard_error": 0.01}
    plain = interval_scale(parts, metric="accuracy", rows=400, spread_weight=0.0)
    noisy = interval_scale(parts, metric="accuracy", rows=400, spread_weight=0.0, noise_fraction=0.2, noise_weight=2)
    assert noisy == pytest.approx(1.4 * plain)
    assert interval_scale(parts, metric="accuracy", rows=400, spread_weight=0.0, noise_fraction=0.2) == plain


def test_bank_calibration_weighs_label_noise_where_noisy_files_miss_more(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench import build_curve_bank
    from bench.build_curve_bank import calibrate

    def flat_parts(curve: dict, *, rows: int) -> dict:
        last = float(np.mean(np.asarray(curve["scores"])[:, -1]))
        return {"last": last, "extrapolated": last, "local_gain": 0.0, "spread": 0.0, "standard_error": 0.01}

    coefficients = {"intercept": 0.0, "uniform_floor": 1.0}
    bands = [{"min_rows": low, "coefficients": coefficients} for low in build_curve_bank.BANDS]
    monkeypatch.setattr(predict, "curve_parts", flat_parts)
    monkeypatch.setattr(build_curve_bank, "calibrate_noise", lambda curves: {"bands": bands})
    rng = np.random.default_rng(17)
    bank = []
    for i in range(120):
        rate = (0.0, 0.1, 0.2, 0.3)[i % 4]
        scale = math.hypot(sampling_error("accuracy", 0.8, 1_000), 0.01) * (1 + 8 * rate)  # noisy files miss more
        bank.append(
            {
                "dataset": f"source{i % 6}",
                "n": 1_000,
                "metric": "accuracy",
                "rate": rate,
                "sizes": [50, 100, 200, 400, 800],
                "scores": np.full((5, 5), 0.8).tolist(),
                "actual": 0.8 + float(rng.normal(0, scale)),
                "n_fresh": 20_000,
                "noise_features": {"uniform_floor": rate},
            }
        )
    accuracy = calibrate(bank)["metrics"]["accuracy"]
    assert accuracy["noise_weight"] > 0 and accuracy["sampling"] == "binomial"


def test_prediction_interval_widens_with_the_file_noise_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    band = {"min_rows": 0, "q": 2.0, "floor": 0.005}
    metrics = {"blend": 0.0, "local": 0.0, "spread_weight": 0.0, "noise_weight": 2.0, "bands": [band]}
    monkeypatch.setattr(conformal, "calibration", lambda: {"metrics": {"accuracy": metrics}})
    sizes = np.array([40, 80, 160, 320, 640])
    curve = {"sizes": sizes, "scores": np.tile(0.7 + 0.01 * np.log(sizes), (10, 1)), "subsampled": None}
    features = Features("tabular-classification", "y", numeric=["x"])
    plain = predict.prediction_from_curve(curve, features=features, rows=800, noise=None)
    noisy = predict.prediction_from_curve(
        curve, features=features, rows=800, noise={"estimated_fraction": 0.1, "interval": [0.0, 0.2]}
    )
    width = plain["interval"][1] - plain["interval"][0]
    assert noisy["interval"][1] - noisy["interval"][0] == pytest.approx(1.2 * width, rel=1e-3)
