"""Standard-tier checks on small files with known answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from validations.engine.standard.minhash import (
    near_duplicate_clusters,
    shingle_hashes,
    signatures,
)
from validations.engine.standard.pii import iban_ok, luhn_ok
from validations.tests.engine.helpers import issues_of, validate
from validations.tests.engine.synthetic import edit_words, markov_generation, zipf_texts

STANDARD_EXTRA = {
    "near_duplicates",
    "outliers",
    "conflicting_labels",
    "label_noise",
    "text_quality",
    "pii",
    "collapse",
}


def write_frame(tmp_path: Path, name: str, frame: pl.DataFrame) -> Path:
    path = tmp_path / name
    frame.write_csv(path)
    return path


def test_standard_report_runs_every_quick_and_standard_check(tmp_path: Path) -> None:
    path = write_frame(tmp_path, "t.csv", pl.DataFrame({"text": zipf_texts(50), "y": [0, 1] * 25}))
    report = validate(path, tier="standard", target="y")
    assert STANDARD_EXTRA <= set(report["checks"]) and "parse" in report["checks"]
    risk = report["collapse_risk"]
    assert set(risk) == {"score", "level", "indicators"} and 0 <= risk["score"] <= 1
    assert risk["level"] in ("low", "medium", "high")
    assert {
        "distinct_1",
        "distinct_4",
        "mattr",
        "mtld",
        "unigram_entropy",
        "gzip_ratio",
        "self_similarity",
        "hapax_ratio",
        "zipf_exponent",
        "near_dup_rate",
    } <= set(risk["indicators"])
    json.dumps(report, allow_nan=False)


def test_minhash_signatures_estimate_jaccard() -> None:
    texts = zipf_texts(2, words=200)
    vocab: dict[str, int] = {}
    a = shingle_hashes(texts[0], vocab)
    b = shingle_hashes(edit_words(texts[0], 0.1, seed=1), vocab)
    exact = len(np.intersect1d(a, b)) / len(np.union1d(a, b))
    sigs = signatures([a, b])
    estimate = float((sigs[0] == sigs[1]).mean())
    assert abs(estimate - exact) < 0.12


def test_near_duplicate_texts_are_clustered_and_distinct_ones_are_not() -> None:
    texts = zipf_texts(80, words=80, seed=3)
    texts += [
        edit_words(texts[0], 0.01, 1),
        edit_words(texts[0], 0.05, 2),
        edit_words(texts[1], 0.10, 3),
        edit_words(texts[2], 0.15, 4),
    ]
    clusters, _ = near_duplicate_clusters(texts)
    assert clusters == [[0, 80, 81], [1, 82], [2, 83]]


def test_short_texts_sharing_half_their_words_are_not_near_duplicates() -> None:
    clusters, _ = near_duplicate_clusters(["I love this product", "I love this movie", "ok"])
    assert clusters == []


def test_near_duplicate_check_reports_rows_and_clusters(tmp_path: Path) -> None:
    texts = zipf_texts(60, words=80, seed=5)
    texts.insert(10, edit_words(texts[3], 0.05, 9))
    path = write_frame(tmp_path, "n.csv", pl.DataFrame({"id": range(len(texts)), "text": texts}))
    near = validate(path, tier="standard")["checks"]["near_duplicates"]
    assert near["kind"] == "text" and near["clusters"] == [[3, 10]]
    assert near["count"] == 1 and near["rows"] == [10]


def test_a_text_column_without_words_has_no_near_duplicates_and_no_collapse_alarm(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("id,body\n1,\n2,   \n3,\n")
    report = validate(path, tier="standard", text_column="body")
    assert report["checks"]["near_duplicates"]["count"] == 0
    assert not [i for i in report["issues"] if i["check"] in ("near_duplicates", "collapse")]
    assert report["collapse_risk"]["level"] == "low"
    assert report["checks"]["collapse"]["reason"] == "the text column holds no text to measure"
    assert near_duplicate_clusters(["", None, "!!!"])[0] == []


def test_near_identical_table_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pl.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40), "k": range(40)})
    rows = frame.to_dicts()
    rows.append({**rows[5], "b": rows[5]["b"] * (1 + 1e-5)})  # one float within tolerance
    rows.append({**rows[6], "k": 999})  # an integer differs: a different row
    report = validate(write_frame(tmp_path, "t.csv", pl.DataFrame(rows)), tier="standard")
    near = report["checks"]["near_duplicates"]
    assert near["kind"] == "table" and near["clusters"] == [[5, 40]]


def test_outliers_flag_the_extreme_value(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(50, 5, size=200)
    values[17] = 500
    frame = pl.DataFrame({"x": values, "y": rng.normal(size=200)})
    outliers = validate(write_frame(tmp_path, "o.csv", frame), tier="standard")["checks"]["outliers"]
    assert 17 in outliers["columns"]["x"]["rows"]
    forest = outliers["isolation_forest"]
    assert forest["rows"][0] == 17 and forest["scores"][0] > 0.65


def test_conflicting_labels(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {"f1": [1, 1, 2, 3, 3, 4], "f2": ["a", "a", "b", "c", "c", "d"], "y": ["p", "q", "p", "p", "p", "q"]}
    )
    report = validate(write_frame(tmp_path, "c.csv", frame), tier="standard", target="y")
    conflicts = report["checks"]["conflicting_labels"]
    assert conflicts["groups"] == [[0, 1]] and conflicts["count"] == 2
    assert issues_of(report, "conflicting_labels", "warning")


def test_label_noise_finds_flipped_labels(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, size=300)
    features = rng.normal(size=(300, 3)) + labels[:, None] * 4.0  # well separated classes
    flipped = rng.choice(300, size=15, replace=False)
    noisy = labels.copy()
    noisy[flipped] = 1 - noisy[flipped]
    frame = pl.DataFrame({"a": features[:, 0], "b": features[:, 1], "c": features[:, 2], "y": noisy})
    report = validate(write_frame(tmp_path, "l.csv", frame), tier="standard", target="y")
    noise = report["checks"]["label_noise"]
    found = set(noise["rows"])
    # Confident learning flags only rows the model contradicts confidently: most, not all, flips.
    assert len(found & set(flipped.tolist())) >= 11 and len(found - set(flipped.tolist())) <= 2
    assert noise["estimated_fraction"] == pytest.approx(0.05, abs=0.015)


def test_label_noise_without_target_says_why(tmp_path: Path) -> None:
    frame = pl.DataFrame({"a": list(range(60))})
    noise = validate(write_frame(tmp_path, "n.csv", frame), tier="standard")["checks"]["label_noise"]
    assert noise["estimated_fraction"] is None and noise["reason"] == "no target column"


def test_text_quality_flags_boilerplate_and_symbol_spam(tmp_path: Path) -> None:
    texts = zipf_texts(40, seed=7)
    texts[4] = "Lorem ipsum dolor sit amet, consectetur adipiscing elit sed do eiusmod tempor."
    texts[9] = "# # # ### #### ## buy ### now ### ### #### ## ##"
    path = write_frame(tmp_path, "q.csv", pl.DataFrame({"text": texts}))
    quality = validate(path, tier="standard", text_column="text")["checks"]["text_quality"]
    assert quality["rows"] == [4, 9]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("write to jane.doe@example.com today", "email"),
        ("call +44 20 7946 0958 after five", "phone"),
        ("card 4111 1111 1111 1111 expires", "card"),
        ("pay to GB82 WEST 1234 5698 7654 32 now", "iban"),
        ("login from 192.168.10.254 failed", "ip"),
    ],
)
def test_pii_patterns(tmp_path: Path, text: str, kind: str) -> None:
    frame = pl.DataFrame({"note": ["nothing personal here at all"] * 5 + [text]})
    report = validate(write_frame(tmp_path, "p.csv", frame), tier="standard")
    found = report["checks"]["pii"]["columns"]["note"]
    assert found[kind]["rows"] == [5]
    assert issues_of(report, "pii", "warning")


def test_pii_validators_reject_lookalikes(tmp_path: Path) -> None:
    assert luhn_ok("4111 1111 1111 1111") and not luhn_ok("4111 1111 1111 1112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")
    frame = pl.DataFrame({"note": ["order 1234 5678 9012 3456 shipped", "version 300.1.2.3"]})
    report = validate(write_frame(tmp_path, "p.csv", frame), tier="standard")
    assert report["checks"]["pii"]["columns"] == {}


def test_collapse_risk_rises_with_generation(tmp_path: Path) -> None:
    human = zipf_texts(600, seed=11)
    reference = write_frame(tmp_path, "human.csv", pl.DataFrame({"text": human[300:]}))
    generation, paths = human[:300], []
    for number in range(4):
        paths.append(write_frame(tmp_path, f"g{number}.csv", pl.DataFrame({"text": generation})))
        generation = markov_generation(generation, 300, seed=number, temperature=0.8)
    alone = [validate(p, tier="standard")["collapse_risk"] for p in paths]
    against = [validate(p, tier="standard", reference=reference)["collapse_risk"] for p in paths]
    alone_scores = [r["score"] for r in alone]
    assert alone_scores == sorted(alone_scores) and alone[0]["level"] == "low" and alone[-1]["level"] != "low"
    scores = [r["score"] for r in against]
    assert scores == sorted(scores) and against[0]["level"] == "low" and against[-1]["level"] == "high"
    assert against[-1]["indicators"]["c2st"] > 0.9 and against[-1]["indicators"]["reference"]["distinct_2"] > 0


def test_table_collapse_with_reference_rises_as_tails_are_lost(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    data = rng.multivariate_normal([0, 0, 0], [[1, 0.5, 0], [0.5, 1, 0], [0, 0, 1]], size=800)
    paths = []
    for number in range(3):
        paths.append(write_frame(tmp_path, f"t{number}.csv", pl.DataFrame(data, schema=["a", "b", "c"])))
        mean, cov = data.mean(0), np.cov(data.T)
        draws = rng.multivariate_normal(mean, cov, size=4000)
        keep = (np.abs((draws - mean) / np.sqrt(np.diag(cov))) < 1.5).all(1)  # tails lost
        data = draws[keep][:800]
    risks = [validate(p, tier="standard", reference=paths[0])["collapse_risk"] for p in paths]
    scores = [r["score"] for r in risks]
    assert scores == sorted(scores) and scores[0] < 0.25 and risks[-1]["level"] == "high"
    assert risks[-1]["indicators"]["variance_log_ratio"] < np.log(0.5)
    assert risks[-1]["indicators"]["tail_exceedance"] < risks[0]["indicators"]["tail_exceedance"]


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "diabetes"])
def test_clean_bundled_tables_raise_no_warning(tmp_path: Path, name: str) -> None:
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    columns = {str(f): bunch.data[:, i] for i, f in enumerate(bunch.feature_names)}
    path = write_frame(tmp_path, f"{name}.csv", pl.DataFrame({**columns, "target": bunch.target}))
    report = validate(path, tier="standard", target="target")
    assert [i for i in report["issues"] if i["severity"] != "info"] == []
    assert report["quality_score"] == 100 and report["collapse_risk"]["level"] == "low"


def test_label_noise_is_not_estimated_when_features_do_not_predict_the_target(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    frame = pl.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300), "y": rng.integers(0, 2, size=300)})
    report = validate(write_frame(tmp_path, "r.csv", frame), tier="standard", target="y")
    noise = report["checks"]["label_noise"]
    assert noise["estimated_fraction"] is None and "barely predict" in noise["reason"]
    assert issues_of(report, "label_noise") == []
