"""Prediction package units: curve fitting, conformal quantile, label noise, terms, holdout."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bench.real_data import HELD_OUT
from validations.engine.prediction import conformal, curves, predict
from validations.engine.prediction.baselines import MODEL_NAMES, is_classification_target, plan_features
from validations.engine.prediction.holdout import measure_on_holdout
from validations.engine.prediction.label_noise import (
    FEATURES,
    calibrated_fraction,
    estimate,
    noise_features,
    noise_from_probabilities,
    term_features,
    term_value,
    uniform_floor,
)
from validations.engine.prediction.predict import (
    apply_ceiling,
    curve_parts,
    extrapolate,
    interval_scale,
    point_estimate,
    sampling_error,
)
from validations.engine.prediction.terms import default_coverage_credits, propose_terms

SIZES = np.array([50, 100, 200, 400, 800, 1600], dtype=float)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("pow3", (0.92, 0.15, 0.6)),
        ("mmf4", (0.4, 0.5, 0.9, 1.3)),
        ("wbl4", (3.0, 0.4, 0.88, 0.8)),
        ("exp3", (0.9, 0.5, 4.0)),
    ],
)
def test_curve_fitting_recovers_known_parameters(name: str, params: tuple[float, ...]) -> None:
    family = curves.FAMILIES[name]
    values = family.function(SIZES / SIZES.max(), *params)
    fit = curves.fit_family(name, SIZES, values)
    assert fit is not None
    assert np.allclose(fit.params, params, rtol=0.05, atol=0.01)
    assert fit.predict(16_000) == pytest.approx(family.function(10.0, *params), abs=1e-3)


def test_leave_last_size_out_picks_the_generating_family() -> None:
    values = curves.pow3(SIZES / SIZES.max(), 0.95, 0.1, 0.5)
    family, errors = curves.select_family(SIZES, values)
    assert family == "pow3" and errors["pow3"] < 1e-4 < errors["last"]


def test_extrapolations_stay_at_or_below_one() -> None:
    fit = curves.Fit("pow3", (1.0, 0.5, 0.2), 100.0)
    assert float(fit.predict(1e9)) <= 1.0


def test_conformal_quantile_is_the_finite_sample_rank() -> None:
    scores = list(range(1, 20))  # 19 scores: rank ceil(20 * 0.9) = 18
    assert conformal.conformal_quantile(scores, 0.1) == 18
    assert math.isinf(conformal.conformal_quantile([1.0, 2.0, 3.0], 0.1))
    assert conformal.nonconformity(0.8, 0.7, spread=0.01, floor=0.05) == pytest.approx(2.0)
    low, high = conformal.interval(0.9, 0.02, q=3.0, floor=0.01)
    assert (low, high) == (pytest.approx(0.84), 0.96)
    assert conformal.interval(0.99, 0.02, q=3.0, floor=0.01)[1] == 1.0


def test_conformal_quantile_covers_exchangeable_scores() -> None:
    rng = np.random.default_rng(0)
    fresh = np.sort(np.abs(rng.normal(size=20_000)))
    # The guarantee is marginal over calibration sets: average the coverage over many of them.
    coverage = [
        np.searchsorted(fresh, conformal.conformal_quantile(np.abs(rng.normal(size=49))), side="right") / len(fresh)
        for _ in range(400)
    ]
    assert np.mean(coverage) == pytest.approx(0.9, abs=0.01)


def test_calibration_constants_say_which_script_and_inputs_made_them() -> None:
    data = conformal.calibration()
    assert "bench/build_curve_bank.py" in data["made_by"]
    assert data["inputs"]["bank"] == "bench/curve_bank.jsonl" and data["inputs"]["curves"] >= 100
    assert set(data["inputs"]["datasets"]).isdisjoint(HELD_OUT)
    for metric in ("accuracy", "r2"):
        constants = conformal.constants_for(metric, 1_000)
        assert constants["q"] > 0 and constants["floor"] > 0 and constants["blend"] >= 0 and constants["local"] >= 0
    for band in data["label_noise"]["bands"]:
        assert {"intercept", *FEATURES} <= set(band["coefficients"])
        # Any other term is a product of features (label_noise.term_value), all of them listed.
        products = set(band["coefficients"]) - {"intercept", *FEATURES}
        assert all(set(term.split("*")) <= set(FEATURES) for term in products)
        assert products <= set(data["label_noise"]["features"])


def test_constants_come_from_the_metric_and_size_band(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {
        "metrics": {
            "accuracy": {
                "blend": 0.5,
                "local": 1.0,
                "bands": [
                    {"min_rows": 0, "q": 3.0, "floor": 0.01},
                    {"min_rows": 500, "q": 2.0, "floor": 0.01},
                    {"min_rows": 2_500, "q": 1.5, "floor": 0.005},
                ],
            },
            "r2": {"blend": 0.0, "local": 0.0, "bands": [{"min_rows": 0, "q": 4.0, "floor": 0.02}]},
        }
    }
    monkeypatch.setattr(conformal, "calibration", lambda: table)
    assert conformal.constants_for("accuracy", 200)["q"] == 3.0
    assert conformal.constants_for("accuracy", 500)["q"] == 2.0
    # A table without a spread weight (made before it was calibrated) keeps the whole spread.
    assert conformal.constants_for("accuracy", 100_000) == {
        "q": 1.5,
        "floor": 0.005,
        "blend": 0.5,
        "local": 1.0,
        "spread_weight": 1.0,
        "sampling": "binomial",
        "noise_weight": 0.0,
    }
    assert conformal.constants_for("r2", 100_000)["q"] == 4.0


def test_point_estimate_adds_the_calibrated_shares_of_both_gains() -> None:
    parts = {"last": 0.8, "extrapolated": 0.84, "local_gain": 0.02}
    assert point_estimate(parts, blend=0.0, local=0.0) == pytest.approx(0.8)
    assert point_estimate(parts, blend=0.5, local=1.0) == pytest.approx(0.84)
    assert point_estimate({**parts, "local_gain": 0.5}, blend=0.0, local=1.0) == 1.0


def test_interval_scale_combines_sampling_error_standard_error_and_weighted_spread() -> None:
    parts = {"last": 0.8, "spread": 0.06, "standard_error": 0.04}
    sampling = math.sqrt(0.8 * 0.2 / 400)  # 0.02
    assert sampling_error("accuracy", 0.8, 400) == pytest.approx(sampling)
    assert interval_scale(parts, metric="accuracy", rows=400, spread_weight=0.0) == pytest.approx(
        math.hypot(sampling, 0.04)
    )
    assert interval_scale(parts, metric="accuracy", rows=400, spread_weight=0.5) == pytest.approx(
        math.hypot(sampling, 0.04, 0.03)
    )
    assert sampling_error("accuracy", 1.0, 400) == 0.0
    assert sampling_error("r2", 0.75, 200) == pytest.approx(math.sqrt(0.25 / 200))  # unexplained share
    assert sampling_error("r2", -0.3, 200) == pytest.approx(math.sqrt(1 / 200))  # R² clipped to [0, 1]
    assert sampling_error("r2", 1.0, 200) == 0.0


def test_pooled_r2_splits_average_to_the_r2_of_all_test_rows() -> None:
    rng = np.random.default_rng(3)
    y = np.concatenate([rng.poisson(1.0, 195).astype(float), [40.0, 55.0, 30.0, 60.0, 45.0]])  # a count's tail
    rng.shuffle(y)
    predicted = y + rng.normal(0, 2.0, len(y))
    folds = np.array_split(np.arange(len(y)), 5)
    squared = np.array([[np.sum((y[f] - predicted[f]) ** 2)] for f in folds])
    scores = predict.pooled_r2(squared, [y[f] for f in folds], float(np.mean(y)))
    pooled = 1 - np.sum((y - predicted) ** 2) / np.sum((y - y.mean()) ** 2)
    assert scores.shape == (5, 1) and float(np.mean(scores)) == pytest.approx(pooled)
    per_fold = [1 - squared[i, 0] / np.sum((y[f] - y[f].mean()) ** 2) for i, f in enumerate(folds)]
    assert float(np.mean(per_fold)) < pooled  # the per-fold mean is biased low on a heavy tail
    # A split whose SSE and SST are both twice the others' scores like them (the ratio's linearisation).
    even = predict.pooled_r2(
        np.array([[1.0], [1.0], [2.0]]), [np.array([1.0]), np.array([-1.0]), np.array([math.sqrt(2)])], 0
    )
    assert np.allclose(even, 0.0)


def test_curve_parts_measure_the_local_slope_of_the_largest_sizes() -> None:
    sizes = np.array([100, 200, 400, 800, 1600])
    scores = np.tile(0.7 + 0.02 * np.log(sizes / 100), (6, 1))
    parts = curve_parts({"sizes": sizes, "scores": scores}, rows=3200)
    assert parts["local_gain"] == pytest.approx(0.02 * math.log(2), abs=1e-6)
    assert parts["last"] == pytest.approx(scores[0, -1]) and parts["standard_error"] == pytest.approx(0.0)
    falling = curve_parts({"sizes": sizes, "scores": scores[:, ::-1]}, rows=3200)
    assert falling["local_gain"] == 0.0


def test_bank_calibration_fits_the_shares_and_a_quantile_per_size_band(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.build_curve_bank import POOLED_R2_VERSION, calibrate

    monkeypatch.setattr(predict, "BOOTSTRAPS", 4)
    rng = np.random.default_rng(7)
    sizes = [40, 80, 160, 320, 640]
    bank = []
    for i in range(36):
        n = (200, 1_000, 5_000)[i % 3]
        noise = {200: 0.03, 1_000: 0.01, 5_000: 0.003}[n]
        base = curves.pow3(np.array(sizes) / 640, 0.9, 0.1, 0.5)
        scores = base + rng.normal(0, noise, size=(5, 5))
        rate = (0.0, 0.1, 0.2)[i // 3 % 3]
        bank.append(
            {
                "dataset": f"source{i % 6}",
                "n": n,
                "metric": "accuracy",
                "rate": rate,
                "sizes": sizes,
                "scores": scores.tolist(),
                "actual": float(base[-1] + rng.normal(0, noise)),
                "n_fresh": 20_000,
                "noise_features": {f: rate + rng.normal(0, 0.01) for f in FEATURES},
            }
        )
    bank.append({**bank[0], "metric": "r2", "pooled_r2": POOLED_R2_VERSION})
    bank.append({**bank[0], "metric": "r2", "noise_features": None})  # measured before R² was pooled: left out
    result = calibrate(bank)
    assert result["metrics"]["r2"]["curves"] == 1
    bands = result["metrics"]["accuracy"]["bands"]
    assert [b["curves"] for b in bands] == [12, 12, 12]
    assert all(0 < b["q"] < 10 and b["pooled"] for b in bands)  # 12 curves a band: too few for its own q
    noise = result["label_noise"]
    assert noise["files"] == 37 and [b["files"] for b in noise["bands"]] == [13, 12, 12]
    assert all(b["bank_mae_points"] < 2 for b in noise["bands"])


def test_bank_measures_again_only_r2_curves_made_before_pooling() -> None:
    from bench.build_curve_bank import POOLED_R2_VERSION, is_current

    curve = {"metric": "r2", "scores": [[0.5]]}
    assert not is_current(curve) and not is_current({**curve, "pooled_r2": True})
    assert is_current({**curve, "pooled_r2": POOLED_R2_VERSION})
    assert is_current({"metric": "accuracy", "scores": [[0.5]]}) and is_current({"metric": "r2"})


def test_extrapolation_reports_curve_interval_and_targets() -> None:
    rng = np.random.default_rng(1)
    sizes = np.array([40, 80, 160, 320, 640])
    scores = curves.pow3(sizes / 640, 0.9, 0.1, 0.5) + rng.normal(0, 0.01, size=(10, 5))
    prediction = extrapolate({"sizes": sizes, "scores": scores, "subsampled": None}, rows=800, metric="accuracy")
    low, high = prediction["interval"]
    assert low < prediction["expected"] < high <= 1.0
    assert [e["n"] for e in prediction["extrapolations"]] == [800, 1600, 8000]
    assert len(prediction["learning_curve"]) == 5 and prediction["confidence"] == 0.9


def test_label_noise_ceiling_caps_the_prediction() -> None:
    prediction = {"expected": 0.97, "interval": [0.95, 0.99]}
    apply_ceiling(prediction, {"estimated_fraction": 0.1, "interval": [0.08, 0.12]})
    assert prediction["expected"] == pytest.approx(0.9) and prediction["capped_by_label_noise"]
    assert prediction["interval"][1] <= 0.92 + 1e-9 and prediction["interval"][0] <= 0.9


def _planted(rows: int, rate: float, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, size=rows)
    features = rng.normal(size=(rows, 2)) + np.stack([labels * 4.0, -labels * 3.0], axis=1)
    flipped = rng.choice(rows, size=int(rate * rows), replace=False)
    noisy = labels.copy()
    noisy[flipped] = (noisy[flipped] + rng.integers(1, 3, size=len(flipped))) % 3
    frame = pl.DataFrame(
        {
            "a": features[:, 0],
            "b": features[:, 1],
            "colour": rng.choice(["r", "g"], rows),
            "y": [f"c{v}" for v in noisy],
        }
    )
    return frame, flipped


def test_label_noise_finds_planted_noise_within_tolerance() -> None:
    frame, flipped = _planted(600, 0.1, seed=3)
    result = estimate(frame, target="y")
    assert result["estimated_fraction"] == pytest.approx(0.1, abs=0.03)
    low, high = result["interval"]
    assert low <= result["estimated_fraction"] <= high
    found = set(result["suspects"].tolist())
    assert len(found & set(flipped.tolist())) >= 0.8 * len(flipped)
    assert result["confused_pairs"] and {"given", "likely", "fraction"} <= set(result["confused_pairs"][0])


def test_label_noise_on_clean_separable_labels_is_near_zero() -> None:
    frame, _ = _planted(400, 0.0, seed=4)
    assert estimate(frame, target="y")["estimated_fraction"] < 0.04


def test_label_noise_reads_clean_overlapping_classes_as_clean() -> None:
    from sklearn.datasets import make_classification

    x, y = make_classification(800, n_features=4, n_informative=2, class_sep=0.3, flip_y=0.0, random_state=2)
    frame = pl.DataFrame({**{f"x{i}": x[:, i] for i in range(4)}, "y": y})
    result = estimate(frame, target="y")
    # cleanlab alone reads the overlap as noise; the calibrated estimate must not.
    assert result["features"]["confident_learning"] > 0.08
    assert result["estimated_fraction"] < 0.04
    assert len(result["suspects"]) == round(result["estimated_fraction"] * 800)


def test_noise_fraction_applies_the_committed_coefficients(monkeypatch: pytest.MonkeyPatch) -> None:
    coefficients = {"intercept": -0.01, **dict.fromkeys(FEATURES, 0.0), "confident_disagreement": 0.9}
    large = {**coefficients, "confident_disagreement": 1.0}
    bands = [{"min_rows": 0, "coefficients": coefficients}, {"min_rows": 500, "coefficients": large}]
    monkeypatch.setattr(conformal, "calibration", lambda: {"label_noise": {"bands": bands}})
    features = {"confident_learning": 0.3, "disagreement": 0.3, "expected_error": 0.2, "confident_disagreement": 0.2}
    assert calibrated_fraction(features, 120) == pytest.approx(0.17)
    assert calibrated_fraction(features, 5_000) == pytest.approx(0.19)
    assert calibrated_fraction({**features, "confident_disagreement": 0.0}, 120) == 0.0
    labels = np.array([0] * 60 + [1] * 60)
    probabilities = np.where(labels[:, None] == np.arange(2), 0.9, 0.1)
    probabilities[:12] = [0.1, 0.9]  # 10% of the rows: labelled 0, confidently 1
    result = noise_from_probabilities(labels, probabilities)
    assert result["features"]["confident_disagreement"] == pytest.approx(0.1)
    assert result["estimated_fraction"] == pytest.approx(calibrated_fraction(result["features"], 120))
    assert len(result["suspects"]) == round(result["estimated_fraction"] * 120)


def test_noise_terms_may_be_products_of_features(monkeypatch: pytest.MonkeyPatch) -> None:
    features = {"confident_disagreement": 0.2, "uniform_floor": 0.5}
    assert term_value("uniform_floor", features) == 0.5
    assert term_value("confident_disagreement*uniform_floor", features) == pytest.approx(0.1)
    assert term_value("uniform_floor*uniform_floor", features) == pytest.approx(0.25)
    terms = {"intercept": 0.01, "uniform_floor": 0.2, "confident_disagreement*uniform_floor": 0.5}
    assert term_features(terms) == ("confident_disagreement", "uniform_floor")
    bands = [{"min_rows": 0, "coefficients": terms}]
    monkeypatch.setattr(conformal, "calibration", lambda: {"label_noise": {"bands": bands}})
    assert calibrated_fraction(features, 120) == pytest.approx(0.01 + 0.1 + 0.05)


def test_noise_calibration_keeps_products_only_when_they_carry_over_to_unseen_sources() -> None:
    from bench import build_curve_bank

    rng = np.random.default_rng(0)

    def bank(rate_of) -> list[dict]:  # noqa: ANN001 - a function of the features
        rows = []
        for source in range(4):
            for n in (200, 1_000, 5_000):
                for _ in range(4):
                    features = {name: float(rng.uniform(0, 0.4)) for name in FEATURES}
                    rows.append(
                        {"dataset": f"s{source}", "n": n, "noise_features": features, "rate": rate_of(features)}
                    )
        return rows

    curved = build_curve_bank.calibrate_noise(bank(lambda f: 2.0 * f["uniform_floor"] ** 2))
    assert "uniform_floor*uniform_floor" in curved["features"]
    assert curved["leave_one_source_out_mae_points"] < 0.01
    straight = build_curve_bank.calibrate_noise(bank(lambda f: 0.5 * f["uniform_floor"]))
    assert straight["features"] == ["uniform_floor"]


def _graded(rows: int, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from calibrated probabilities that spread over neighbouring grades (clean but
    ambiguous), then ``rate`` of them flipped to a random other grade."""
    rng = np.random.default_rng(seed)
    centre = rng.uniform(0, 4, rows)
    probabilities = np.exp(-((np.arange(5)[None, :] - centre[:, None]) ** 2) / 0.5)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(5, p=p) for p in probabilities])
    flipped = rng.choice(rows, int(rate * rows), replace=False)
    labels[flipped] = (labels[flipped] + rng.integers(1, 5, len(flipped))) % 5
    return labels, probabilities


def test_uniform_floor_reads_flipped_labels_but_not_overlapping_grades() -> None:
    clean, probabilities = _graded(3_000, 0.0, seed=1)
    noisy, _ = _graded(3_000, 0.2, seed=1)
    assert uniform_floor(clean, probabilities) < 0.02
    assert uniform_floor(noisy, probabilities) == pytest.approx(0.2, abs=0.04)
    clean_features, noisy_features = noise_features(clean, probabilities), noise_features(noisy, probabilities)
    # Overlapping grades: the label is mostly the runner-up, so far disagreement reads much less of it.
    assert clean_features["far_disagreement"] < 0.1 < 0.2 < clean_features["confident_disagreement"]
    assert noisy_features["far_disagreement"] - clean_features["far_disagreement"] == pytest.approx(0.2, abs=0.03)


def test_far_disagreement_leaves_out_the_runner_up() -> None:
    probabilities = np.tile([0.7, 0.2, 0.06, 0.04], (90, 1))
    labels = np.zeros(90, dtype=np.int64)
    labels[:9] = 1  # the runner-up: overlap, not counted
    labels[9:12] = 3  # beyond it: counted, times (K - 1) / (K - 2) = 3 / 2
    features = noise_features(labels, probabilities, ("far_disagreement", "confident_disagreement"))
    assert set(features) == {"far_disagreement", "confident_disagreement"}
    assert features["far_disagreement"] == pytest.approx(3 / 90 * 1.5)
    assert features["confident_disagreement"] == pytest.approx(12 / 90)


def test_confident_learning_names_the_confused_pair() -> None:
    labels = np.array([0] * 50 + [1] * 50)
    probabilities = np.tile([0.95, 0.05], (100, 1))
    probabilities[50:] = [0.05, 0.95]
    probabilities[:5] = [0.02, 0.98]  # labelled 0, clearly 1
    result = noise_from_probabilities(labels, probabilities, ["cat", "dog"])
    assert result["confused_pairs"][0]["given"] == "cat" and result["confused_pairs"][0]["likely"] == "dog"
    assert set(result["suspects"].tolist()) <= {0, 1, 2, 3, 4} and len(result["suspects"]) >= 3


def test_regression_targets_get_residual_suspects() -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 10, 300)
    y = 3 * x + rng.normal(0, 0.5, 300)
    y[[7, 70, 170]] += 60
    result = estimate(pl.DataFrame({"x": x, "y": y}), target="y")
    assert result["task"] == "regression" and set(result["suspects"][:3].tolist()) == {7, 70, 170}


def test_count_targets_are_regression_even_with_few_distinct_values() -> None:
    visits = pl.Series("visits", [0] * 90 + [1] * 50 + [2] * 30 + [3] * 15 + [4] * 8 + [5, 6, 9, 13, 22, 7, 7])
    assert not is_classification_target(visits)  # 11 values, 4 of them seen once: a count's tail
    digits = pl.Series("digit", np.arange(200) % 10)
    assert is_classification_target(digits)
    assert is_classification_target(pl.Series("vote", [0.0, 1.0] * 50 + [1.0]))
    assert is_classification_target(pl.Series("grade", [1, 1, 2, 2, 3, 3, 4, 4, 5]))  # one value once only
    assert not is_classification_target(pl.Series("price", np.linspace(1, 2, 50)))


def test_baseline_plan_follows_the_documented_learners() -> None:
    frame = pl.DataFrame(
        {
            "n": [1.0, 2.0] * 30,
            "c": ["a", "b", "c"] * 20,
            "t": ["some words here"] * 60,
            "y": ["p", "q"] * 30,
            "r": np.linspace(0, 1, 60),
        }
    )
    assert plan_features(frame, target="y").kind == "tabular-classification"
    assert plan_features(frame, target="y", text_column="t").kind == "text-classification"
    plan = plan_features(frame, target="r")
    assert plan.kind == "tabular-regression" and plan.metric == "r2" and "c" in plan.categories
    assert MODEL_NAMES[plan.kind] == "HistGradientBoostingRegressor(random_state=0)"


def test_terms_use_the_interval_lower_bound_and_one_coverage_rule() -> None:
    prediction = {
        "metric": "accuracy",
        "model": MODEL_NAMES["tabular-classification"],
        "expected": 0.91,
        "interval": [0.87, 0.94],
        "confidence": 0.9,
    }
    coverage = default_coverage_credits(validation_credits=50, warranty_credits=100)
    terms = propose_terms(prediction, coverage_credits=coverage)
    assert coverage == 750 and terms["guaranteed_value"] == 0.87 and terms["metric"] == "accuracy"
    assert terms["validity_days"] == 90 and terms["coverage_credits"] == 750
    assert "HistGradientBoostingClassifier(random_state=0)" in terms["conditions"]
    assert "holdout" in terms["conditions"]
    assert propose_terms(prediction, validity_days=30, coverage_credits=5)["coverage_credits"] == 5
    with pytest.raises(ValueError):
        propose_terms({}, coverage_credits=coverage)


def test_holdout_measures_the_baseline_trained_on_the_validated_file(tmp_path: Path) -> None:
    frame, _ = _planted(400, 0.0, seed=6)
    frame[:300].write_csv(tmp_path / "train.csv")
    frame[300:].write_csv(tmp_path / "holdout.csv")
    result = measure_on_holdout(tmp_path / "train.csv", tmp_path / "holdout.csv", target="y")
    assert result["metric"] == "accuracy" and result["observed_value"] > 0.9
    assert (result["n_train"], result["n_holdout"]) == (300, 100)
    assert result["model"] == MODEL_NAMES["tabular-classification"] and result["protocol"]
    frame.drop("b")[300:].write_csv(tmp_path / "bad.csv")
    with pytest.raises(ValueError, match="lacks columns"):
        measure_on_holdout(tmp_path / "train.csv", tmp_path / "bad.csv", target="y")
