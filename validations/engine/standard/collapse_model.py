"""The fitted collapse-risk model: indicators → score in [0, 1] → level.

Meaning of the score: how much the data looks like recursively degraded data, i.e. like the
output of a model trained on the output of a model (… trained on human data). It comes from a
proportional-odds (ordinal logistic) model fitted on a calibration bank of generation chains
(bench/build_collapse_bank.py): for the generation g of a chain and the standardised feature
vector z of its indicators, P(g >= k) = sigmoid(w·z − θ_k) for k = 1..K. The score is the
expected generation over K, Σ_k P(g >= k) / K: 0 reads "like the human data the bank started
from", 1 "like K or more rounds of refitting". There is one model per situation (``VARIANTS``):
text or table, alone or with a reference (then the features are differences to the reference's
indicators plus the two-sample statistics). Levels: low below the variant's ``medium`` cut point,
high from its ``high`` one; the cut points are 0.3 and 0.6 (like 1.5 and 3 rounds of refitting)
unless human data of the bank (generation 0, scored by models fitted without its source) reaches
them: then medium starts 0.05 above the highest such score (and high 0.2 above medium, at most
0.95), so clean human data reads low. Coefficients, standardisation, cut points, the script,
inputs, date and held-out metrics that made them are in collapse_calibration.json, read once at
import; nothing is fitted at run time. A feature that cannot be computed (e.g. category indicators
of an all-numeric table) takes its bank mean (z = 0).
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

CALIBRATION_PATH = Path(__file__).with_name("collapse_calibration.json")
Z_LIMIT = 3.0  # standardised features are clipped: a file far outside the bank must not extrapolate
TEXT_INDICATORS = [
    "distinct_1",
    "distinct_2",
    "distinct_3",
    "distinct_4",
    "mattr",
    "log_mtld",
    "unigram_entropy",
    "gzip_ratio",
    "self_similarity",
    "hapax_ratio",
    "zipf_exponent",
    "near_dup_rate",
]
TABLE_INDICATORS = [
    "tail_exceedance",
    "tail_spread",
    "kurtosis",
    "distinct_ratio",
    "effective_rank",
    "duplicate_rate",
    "rare_category_share",
    "singleton_share",
    "category_entropy",
]
TWO_SAMPLE = ["c2st", "mmd2", "knn_precision", "knn_recall", "knn_coverage"]
# Tables carry little evidence and the bank's tables few categories, so table models may only read
# an indicator in the direction recursive refitting moves it (thinner tails, fewer rare categories,
# more duplicates, fewer distinct values, more separable from / less covering of the reference);
# effective rank moves both ways in the bank and is not read alone; None = free. Text models are
# free (their leave-one-source-out fits are monotone without constraints).
_TABLE_SIGNS = {
    "tail_exceedance": -1,
    "tail_spread": -1,
    "kurtosis": -1,
    "distinct_ratio": -1,
    "effective_rank": 0,
    "duplicate_rate": 1,
    "rare_category_share": -1,
    "singleton_share": -1,
    "category_entropy": -1,
}
SIGNS: dict[str, dict[str, int | None]] = {
    "table": _TABLE_SIGNS,
    "table_reference": {
        **{f"{k}_diff": (v or None) for k, v in _TABLE_SIGNS.items()},
        "variance_log_ratio": None,
        "rare_category_coverage": -1,
        "c2st": 1,
        "mmd2": 1,
        "knn_precision": None,
        "knn_recall": -1,
        "knn_coverage": -1,
    },
}
VARIANTS = {
    "text": TEXT_INDICATORS,
    "text_reference": [f"{n}_diff" for n in TEXT_INDICATORS] + TWO_SAMPLE,
    "table": TABLE_INDICATORS,
    "table_reference": [f"{n}_diff" for n in TABLE_INDICATORS]
    + ["variance_log_ratio", "rare_category_coverage"]
    + TWO_SAMPLE,
}


def model_features(indicators: dict[str, Any], reference: dict[str, Any] | None) -> dict[str, float]:
    """The model's inputs: the indicators (log of MTLD), and with a reference their differences."""
    mine = dict(indicators)
    if "mtld" in mine:
        mine["log_mtld"] = math.log1p(mine["mtld"])
    if reference is None:
        return {k: float(v) for k, v in mine.items() if isinstance(v, int | float)}
    ref = dict(reference)
    if "mtld" in ref:
        ref["log_mtld"] = math.log1p(ref["mtld"])
    features = {
        f"{k}_diff": float(mine[k]) - float(ref[k])
        for k in mine
        if isinstance(ref.get(k), int | float) and isinstance(mine[k], int | float)
    }
    for name in ("variance_log_ratio", "rare_category_coverage", *TWO_SAMPLE):
        if isinstance(mine.get(name), int | float):
            features[name] = float(mine[name])
    return features


@cache
def calibration() -> dict[str, Any]:
    return json.loads(CALIBRATION_PATH.read_text())


def linear_predictor(variant: str, features: dict[str, float], model: dict[str, Any] | None = None) -> float:
    model = model or calibration()["models"][variant]
    z = [
        (features[n] - mean) / scale if np.isfinite(features.get(n, np.nan)) else 0.0
        for n, mean, scale in zip(model["features"], model["mean"], model["scale"], strict=True)
    ]
    return float(np.dot(model["weights"], np.clip(z, -Z_LIMIT, Z_LIMIT)))


def score_of(eta: float, thresholds: list[float]) -> float:
    """Expected generation over K under the ordinal model, for linear predictor ``eta``."""
    cumulative = 1 / (1 + np.exp(-(eta - np.asarray(thresholds))))
    return float(cumulative.mean())


def risk_score(variant: str, features: dict[str, float]) -> float:
    model = calibration()["models"][variant]
    return round(score_of(linear_predictor(variant, features, model), model["thresholds"]), 4)


def level_of(variant: str, score: float) -> str:
    cuts = calibration()["levels"][variant]
    return "high" if score >= cuts["high"] else "medium" if score >= cuts["medium"] else "low"


def pushes(variant: str, features: dict[str, float]) -> dict[str, float]:
    """Each computable feature's push on the log-odds (weight × clipped standardised value):
    positive pushes the score towards "collapsed", negative towards "like the human data"."""
    model = calibration()["models"][variant]
    result = {}
    for name, mean, scale, weight in zip(
        model["features"], model["mean"], model["scale"], model["weights"], strict=True
    ):
        if np.isfinite(features.get(name, np.nan)):
            result[name] = weight * float(np.clip((features[name] - mean) / scale, -Z_LIMIT, Z_LIMIT))
    return result


def drivers(variant: str, features: dict[str, float], top: int = 3) -> list[str]:
    """The features pushing the score up the most."""
    ranked = sorted(((push, name) for name, push in pushes(variant, features).items()), reverse=True)
    return [name for push, name in ranked[:top] if push > 0]


def fit_ordinal(
    matrix: np.ndarray, generations: np.ndarray, *, l2: float = 1.0, signs: list[int | None] | None = None
) -> dict[str, Any]:
    """Proportional-odds fit (maximum likelihood with an L2 penalty on the weights) on raw features
    (NaN = missing → bank mean); ``signs`` (+1, -1, 0 or None per feature) forces a weight's
    direction, or zero, or leaves it free. Returns the model dict stored in collapse_calibration.json."""
    from scipy.optimize import minimize

    observed = np.isfinite(matrix)
    counts = np.maximum(observed.sum(0), 1)
    mean = np.where(observed, matrix, 0).sum(0) / counts
    scale = np.sqrt(np.where(observed, (matrix - mean) ** 2, 0).sum(0) / counts)
    scale[~(scale > 1e-6)] = 1.0
    z = np.clip(np.where(observed, (matrix - mean) / scale, 0.0), -Z_LIMIT, Z_LIMIT)
    levels = int(generations.max())
    y = generations.astype(int)
    d = z.shape[1]

    def unpack(params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return params[:d], params[d] + np.r_[0, np.cumsum(np.logaddexp(0, params[d + 1 :]))]

    def loss(params: np.ndarray) -> float:
        weights, thresholds = unpack(params)
        eta = z @ weights
        upper = np.c_[np.ones(len(y)), 1 / (1 + np.exp(-(eta[:, None] - thresholds[None, :]))), np.zeros(len(y))]
        p = upper[np.arange(len(y)), y] - upper[np.arange(len(y)), y + 1]
        return float(-np.log(np.maximum(p, 1e-12)).sum() + l2 * (weights**2).sum())

    start = np.r_[np.zeros(d), -levels / 2, np.zeros(levels - 1)]
    bounds = [{1: (0, None), -1: (None, 0), 0: (0, 0), None: (None, None)}[sign] for sign in signs or [None] * d]
    result = minimize(
        loss, start, method="L-BFGS-B", bounds=bounds + [(None, None)] * levels, options={"maxiter": 2000}
    )
    weights, thresholds = unpack(result.x)
    return {
        "mean": mean.round(6).tolist(),
        "scale": scale.round(6).tolist(),
        "weights": weights.round(6).tolist(),
        "thresholds": thresholds.round(6).tolist(),
    }
