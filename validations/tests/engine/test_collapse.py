"""Collapse indicators with known answers, the fitted risk model, and the calibration bank's smoke run."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from validations.engine.standard import collapse, collapse_model, collapse_tables
from validations.engine.standard.two_sample import knn_manifold
from validations.tests.engine.synthetic import markov_generation, table_generation, zipf_texts

ROOT = Path(__file__).resolve().parents[3]


def _indicators(frame: pl.DataFrame) -> dict[str, float]:
    numeric, categorical = collapse_tables.split_columns(frame)
    return collapse_tables.mean_indicators(collapse_tables.table_indicators(frame, numeric, categorical))


def test_truncated_normal_has_thinner_tails_than_a_full_one() -> None:
    rng = np.random.default_rng(0)
    full = rng.standard_t(5, size=(3000, 3))
    truncated = full[(np.abs(full) < 2).all(1)][:1000]
    wide, narrow = (_indicators(pl.DataFrame(m, schema=["a", "b", "c"])) for m in (full[:1000], truncated))
    assert narrow["kurtosis"] < 0 < wide["kurtosis"]
    assert narrow["tail_exceedance"] == 0 < wide["tail_exceedance"]
    assert narrow["tail_spread"] < wide["tail_spread"]


def test_truncated_generation_of_a_wide_heaped_table_does_not_copy_rows() -> None:
    # 24 columns with 40% of their values on 0: joint truncation keeps almost no draw, and the
    # generator once filled the table by repeating those few (99% duplicated rows).
    rng = np.random.default_rng(0)
    frame = pl.DataFrame(
        {f"c{i}": np.where(rng.random(300) < 0.4, 0.0, rng.uniform(0, 10, 300)).round(2) for i in range(24)}
    )
    generated = table_generation(frame, 300, seed=3, truncate=0.01)
    assert generated.height == 300
    assert generated.is_duplicated().mean() < 0.05


def test_rare_categories_and_entropy_are_measured_on_the_sample() -> None:
    common = ["a"] * 500 + ["b"] * 470
    rare = [f"r{i}" for i in range(30)]  # 30 categories of one row each: 3% of the rows
    frame = pl.DataFrame({"c": common + rare, "x": np.arange(1000.0)})
    found = _indicators(frame)
    assert found["rare_category_share"] == pytest.approx(0.03)
    assert found["singleton_share"] == pytest.approx(30 / 32)
    only_common = _indicators(pl.DataFrame({"c": common + ["a"] * 30, "x": np.arange(1000.0)}))
    assert only_common["rare_category_share"] == 0 and only_common["category_entropy"] < found["category_entropy"]


def test_indicators_do_not_depend_on_the_table_size() -> None:
    rng = np.random.default_rng(1)
    big = pl.DataFrame({"x": np.round(rng.normal(size=30_000), 2), "y": rng.exponential(size=30_000)})
    small, large = _indicators(big[:3000]), _indicators(big)
    # On all rows, 1,000 distinct x values would give a distinct ratio ~10x smaller for 10x more rows.
    assert small["distinct_ratio"] == pytest.approx(large["distinct_ratio"], abs=0.03) and small["distinct_ratio"] < 1
    for name, tolerance in (("tail_exceedance", 0.01), ("kurtosis", 0.15), ("effective_rank", 0.01)):
        assert small[name] == pytest.approx(large[name], abs=tolerance)


def test_effective_rank_falls_when_columns_are_copies() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1000, 1))
    independent = rng.normal(size=(1000, 4))
    copies = np.hstack([x, x * 2, x + 0.01 * rng.normal(size=(1000, 1)), -x])
    assert collapse_tables.effective_rank(independent) > 0.95
    assert collapse_tables.effective_rank(copies) < 0.3


def test_knn_manifold_sees_a_sample_that_covers_only_part_of_the_reference() -> None:
    rng = np.random.default_rng(3)
    reference = rng.normal(size=(400, 2))
    same = knn_manifold(rng.normal(size=(400, 2)), reference)
    collapsed = knn_manifold(0.2 * rng.normal(size=(400, 2)), reference)
    assert same["knn_coverage"] > 0.8 and same["knn_recall"] > 0.8
    assert collapsed["knn_precision"] > 0.9 and collapsed["knn_coverage"] < 0.3 and collapsed["knn_recall"] < 0.3


def test_reference_indicators_see_a_sample_that_lost_its_tails() -> None:
    rng = np.random.default_rng(7)
    reference = rng.normal(size=(1000, 2))
    same = collapse_tables.reference_indicators(rng.normal(size=(1000, 2)), reference)
    wide = rng.normal(size=(4000, 2))
    cut = collapse_tables.reference_indicators(wide[(np.abs(wide) < 1.5).all(1)][:1000], reference)
    assert same["range_coverage"] > 0.97 and 0.6 < same["tail_coverage"] < 1.4
    assert abs(same["variance_log_ratio"]) < 0.15 and abs(same["range_log_ratio"]) < 0.15
    assert cut["range_coverage"] < 0.9 and cut["tail_coverage"] == 0 and cut["variance_log_ratio"] < np.log(0.6)
    assert cut["range_log_ratio"] < np.log(0.7)


def test_a_column_the_data_flattened_to_one_value_still_counts_against_the_reference() -> None:
    rng = np.random.default_rng(12)
    reference = pl.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500), "c": rng.normal(size=500)})
    flattened = pl.DataFrame({"a": rng.normal(size=500), "b": np.zeros(500), "c": rng.normal(size=500)})
    shared = collapse.table_evidence(flattened, reference)["shared"]
    assert shared["range_coverage"] < 0.7 and shared["variance_log_ratio"] < -5


def test_category_distance_is_the_total_variation_between_category_shares() -> None:
    frame = pl.DataFrame({"c": ["a"] * 50 + ["b"] * 50, "d": [1] * 100})
    assert collapse_tables.category_distance(frame, frame, ["c"]) == 0
    shifted = pl.DataFrame({"c": ["a"] * 80 + ["b"] * 20})
    assert collapse_tables.category_distance(shifted, frame, ["c"]) == pytest.approx(0.3)
    assert collapse_tables.category_distance(pl.DataFrame({"c": ["z"] * 10}), frame, ["c"]) == pytest.approx(1)


def test_neighbour_indicators_find_refitted_data_smoother_than_clumped_data() -> None:
    rng = np.random.default_rng(8)
    centres = rng.normal(size=(30, 3))
    clumped = centres[rng.integers(30, size=1000)] + 0.05 * rng.normal(size=(1000, 3))
    smooth = rng.multivariate_normal(clumped.mean(0), np.cov(clumped.T), size=1000)
    lumpy, even = collapse_tables.neighbour_indicators(clumped), collapse_tables.neighbour_indicators(smooth)
    assert lumpy["neighbour_distance"] < even["neighbour_distance"]


def test_edge_share_counts_values_on_a_columns_ends() -> None:
    rng = np.random.default_rng(11)
    continuous = rng.normal(size=(1000, 3))
    assert collapse_tables.shape_indicators(continuous)["edge_share"] == pytest.approx(2 / 1000)
    # answers on a 1-7 scale whose ends are heaped (known shares: 20% on 1, 10% on 7)
    scale = np.r_[np.ones(200), np.full(100, 7.0), rng.integers(2, 7, size=700).astype(float)]
    heaped = collapse_tables.shape_indicators(np.c_[scale, rng.permutation(scale)])
    assert heaped["edge_share"] == pytest.approx(0.3)
    # the same scale refitted by a Gaussian, rounded and clipped keeps only the Gaussian's mass beyond 1.5 / 6.5
    from scipy.stats import norm

    mean, std = scale.mean(), scale.std()
    smoothed = np.clip(np.round(rng.normal(mean, std, size=(20000, 2))), 1, 7)
    expected = norm.cdf(1.5, mean, std) + norm.sf(6.5, mean, std)
    assert collapse_tables.shape_indicators(smoothed)["edge_share"] == pytest.approx(expected, abs=0.01)
    assert expected < 0.25
    assert "edge_share" not in collapse_tables.shape_indicators(np.ones((100, 1)))  # a constant has no ends
    binary = rng.integers(0, 2, size=1000).astype(float)  # all ends, no interior: left out
    assert collapse_tables.shape_indicators(np.c_[binary, continuous[:, 0]])["edge_share"] == pytest.approx(2 / 1000)


def test_mardia_kurtosis_is_zero_for_a_gaussian_and_signs_heavy_and_cut_tails() -> None:
    rng = np.random.default_rng(12)
    gaussian = collapse_tables.shape_indicators(rng.normal(size=(4000, 4)))["mardia_kurtosis"]
    heavy = collapse_tables.shape_indicators(rng.standard_t(4, size=(4000, 4)))["mardia_kurtosis"]
    uniform = collapse_tables.shape_indicators(rng.uniform(size=(4000, 4)))["mardia_kurtosis"]
    assert abs(gaussian) < 0.05
    assert heavy > 0.5
    # independent uniforms: E[d^4] = 4 * 1.8 + 4 * 3 = 19.2 against 4 * 6 = 24 for a Gaussian
    assert uniform == pytest.approx(np.log(19.2 / 24), abs=0.03)
    # a copied column adds no direction: the kurtosis is that of the independent ones
    x = rng.normal(size=(4000, 3))
    copied = collapse_tables.shape_indicators(np.c_[x, x[:, 0]])["mardia_kurtosis"]
    assert copied == pytest.approx(collapse_tables.shape_indicators(x)["mardia_kurtosis"], abs=1e-6)


def test_a_feature_that_cannot_be_computed_reads_as_human_data() -> None:
    rng = np.random.default_rng(9)
    generations = np.repeat(np.arange(6), 20)
    matrix = np.c_[generations + rng.normal(size=120), rng.normal(size=120)]
    neutral = matrix[generations == 0].mean(0)
    model = {"features": ["a", "b"], **collapse_model.fit_ordinal(matrix, generations, neutral=neutral)}
    missing = collapse_model.linear_predictor("", {"b": 0.5}, model)
    assert missing == pytest.approx(collapse_model.linear_predictor("", {"a": neutral[0], "b": 0.5}, model))
    assert collapse_model.score_of(missing, model["thresholds"]) < 0.2


def test_within_chain_fit_reads_what_moves_along_each_chain() -> None:
    rng = np.random.default_rng(10)
    rows, generations, chains = [], [], []
    for chain in range(12):
        offset = rng.normal(scale=5)  # sources differ far more than generations do
        for generation in range(6):
            rows.append([offset - 0.3 * generation + 0.05 * rng.normal(), offset + rng.normal()])
            generations.append(generation)
            chains.append(chain)
    matrix, generations, chains = np.array(rows), np.array(generations), np.array(chains)
    model = {"features": ["a", "b"], **collapse_model.fit_ordinal(matrix, generations, chains=chains)}
    assert model["weights"][0] < 0 and abs(model["weights"][1]) < abs(model["weights"][0]) / 5
    etas = [collapse_model.linear_predictor("", {"a": a, "b": b}, model) for a, b in matrix[:6]]
    scores = [collapse_model.score_of(eta, model["thresholds"]) for eta in etas]
    assert scores == sorted(scores)


def test_two_halves_of_a_table_of_coded_answers_read_low_against_each_other() -> None:
    rng = np.random.default_rng(11)
    frame = pl.DataFrame({f"q{i}": rng.choice(5, size=2000, p=[0.4, 0.3, 0.15, 0.1, 0.05]) for i in range(6)})
    payload = collapse.table_collapse(frame[:1000], frame[1000:])
    assert payload["risk"]["level"] == "low" and payload["columns"]["numeric"] == []
    assert payload["risk"]["indicators"]["c2st"] < 0.2 and payload["risk"]["indicators"]["range_coverage"] == 1


def test_calibration_file_records_its_provenance_and_a_proper_ordinal_model() -> None:
    calibration = collapse_model.calibration()
    assert {"script", "inputs", "date", "held_out_metrics"} <= set(calibration["provenance"])
    for variant, names in collapse_model.VARIANTS.items():
        assert 0 < calibration["levels"][variant]["medium"] < calibration["levels"][variant]["high"] < 1
        model = calibration["models"][variant]
        assert model["features"] == names and len(model["weights"]) == len(names)
        assert np.all(np.diff(model["thresholds"]) > 0)
        scores = [collapse_model.score_of(eta, model["thresholds"]) for eta in (-50, 0, 50)]
        assert scores[0] < 0.01 and scores == sorted(scores) and scores[-1] > 0.99


def test_text_chain_scores_rise_with_the_generation() -> None:
    generation = zipf_texts(600, seed=5)
    human, reference = generation[:300], generation[300:]
    scores, against = [], []
    generation = human
    for number in range(6):
        if number in (0, 5):
            scores.append(collapse.text_collapse(generation)["risk"])
            against.append(collapse.text_collapse(generation, reference)["risk"])
        generation = markov_generation(generation, 300, seed=number, temperature=0.8)
    assert scores[1]["score"] > scores[0]["score"] and against[1]["score"] > against[0]["score"]
    assert against[0]["level"] == "low" and against[1]["level"] != "low"


def test_table_chain_without_reference_scores_rise_as_tails_are_cut() -> None:
    rng = np.random.default_rng(4)
    frame = pl.DataFrame(
        {
            "a": np.round(rng.standard_t(4, size=1200), 3),
            "b": np.round(rng.lognormal(size=1200), 3),
            "c": np.round(rng.gamma(2, size=1200), 2),
            "kind": rng.choice(
                [f"k{i}" for i in range(40)], size=1200, p=np.r_[np.full(5, 0.18), np.full(35, 0.1 / 35)]
            ),
        }
    )
    human, reference = frame[:600], frame[600:]
    generation, payloads = human, []
    for number in range(6):
        if number in (0, 5):
            payloads.append((collapse.table_collapse(generation), collapse.table_collapse(generation, reference)))
        generation = table_generation(generation, 600, seed=number, model="gmm", truncate=0.01)
    (first, first_ref), (last, last_ref) = payloads
    assert last["risk"]["score"] > first["risk"]["score"]
    assert last_ref["risk"]["score"] > first_ref["risk"]["score"] and last_ref["risk"]["level"] != "low"
    assert first_ref["risk"]["level"] == "low"
    assert last["risk"]["indicators"]["tail_exceedance"] < first["risk"]["indicators"]["tail_exceedance"]
    assert last["risk"]["indicators"]["rare_category_share"] < first["risk"]["indicators"]["rare_category_share"]
    low, high = last["score_interval"]
    assert 0 <= low <= high <= 1 and last["resamples"] == 1


@pytest.mark.slow
def test_collapse_bank_smoke_run() -> None:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "bench/build_collapse_bank.py", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert time.perf_counter() - began < 60
    assert "table_reference:" in done.stdout and "bank lines in" in done.stdout
