"""The fitted collapse-risk model: indicators → score in [0, 1] → level.

Meaning of the score: how much the data looks like recursively degraded data, i.e. like the output
of a model trained on the output of a model (… trained on human data). It comes from a
proportional-odds (ordinal logistic) model fitted on a calibration bank of generation chains
(bench/build_collapse_bank.py): for the generation g of a chain and the standardised feature vector
z of its indicators, P(g >= k) = sigmoid(w·z − θ_k) for k = 1..K. The score is the expected
generation over K, Σ_k P(g >= k) / K: 0 reads "like the human data the bank started from", 1 "like K
or more rounds of refitting". There is one model per situation (``VARIANTS``): text or table, alone
or with a reference (then text reads differences to the reference's indicators plus the two-sample
statistics, tables what they lost against the reference). The table model without a reference is
fitted on the changes along each chain (``fit_ordinal(chains=...)``): its score orders the
generations of one table better than it compares different tables. Levels: low below the variant's
``medium`` cut point, high from its ``high`` one; the cut points are 0.3 and 0.6 (like 1.5 and 3
rounds of refitting) unless human data of the bank (generation 0, scored by models fitted without
its source) reaches them: then medium starts 0.05 above the highest such score (and high 0.2 above
medium, at most 0.95), so clean human data reads low. Coefficients, standardisation, cut points, the
script, inputs, date and held-out metrics that made them are in collapse_calibration.json, read once
at import; nothing is fitted at run time. A feature that cannot be computed (e.g. category
indicators of an all-numeric table) takes the mean of the bank's human data (``neutral``): missing
evidence never pushes a score up.
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
# Without a reference the table model reads the indicators that move along the bank's chains in
# the same direction for most sources (bench/build_collapse_bank.py): rows spread more evenly (nearest-
# row distances grow and even out), tails thin (kurtosis, along principal components, per column and
# jointly (Mardia); 1-99% spread; values beyond 3 robust SDs) and the heaps of human data on a column's
# end values melt (edge share). The other table indicators (distinct values, duplicates, categories,
# effective rank) are reported but move both ways or not at all in the bank.
TABLE_INDICATORS = [
    "neighbour_distance",
    "neighbour_spread",
    "pc_kurtosis",
    "kurtosis",
    "tail_spread",
    "tail_exceedance",
    "edge_share",
    "mardia_kurtosis",
]
TWO_SAMPLE = ["c2st", "mmd2", "knn_precision", "knn_recall", "knn_coverage"]
# Tables carry little evidence, so table models may only read an indicator in the direction recursive
# refitting moves it (smoother point clouds, thinner tails, fewer end values; with a reference:
# narrower ranges, lost tails, more separable from / less covering of the reference, category shares
# further off); the variance and range ratios are free; text models are free (their leave-one-source-out
# fits are monotone without constraints).
_TABLE_SIGNS: dict[str, int | None] = {
    "neighbour_distance": 1,
    "neighbour_spread": -1,
    "pc_kurtosis": -1,
    "kurtosis": -1,
    "tail_spread": -1,
    "tail_exceedance": -1,
    "edge_share": -1,
    "mardia_kurtosis": -1,
}
TABLE_REFERENCE = [
    "range_coverage",
    "variance_log_ratio",
    "range_log_ratio",
    "tail_coverage",
    "category_distance",
    "log_mmd2",
    "logit_c2st",
    "log_knn_recall",
    "log_knn_coverage",
]
SIGNS: dict[str, dict[str, int | None]] = {
    "table": _TABLE_SIGNS,
    "table_reference": {
        "range_coverage": -1,
        "variance_log_ratio": None,
        "range_log_ratio": None,
        "tail_coverage": -1,
        "category_distance": 1,
        "log_mmd2": 1,
        "logit_c2st": 1,
        "log_knn_recall": -1,
        "log_knn_coverage": -1,
    },
}
VARIANTS = {
    "text": TEXT_INDICATORS,
    "text_reference": [f"{n}_diff" for n in TEXT_INDICATORS] + TWO_SAMPLE,
    "table": TABLE_INDICATORS,
    "table_reference": TABLE_REFERENCE,
}
# Two-sample statistics pile up near their limits (C2ST near 1, MMD over orders of magnitude):
# table models read them on a log (logit) scale so that one more round of refitting still moves them.
_LOG_SCALES = {
    "log_mmd2": lambda v: math.log(1e-3 + max(v["mmd2"], 0.0)),
    "logit_c2st": lambda v: math.log((v["c2st"] + 0.01) / (1.01 - v["c2st"])),
    "log_knn_recall": lambda v: math.log(0.01 + v["knn_recall"]),
    "log_knn_coverage": lambda v: math.log(0.01 + v["knn_coverage"]),
}
_REFERENCE_FREE = (
    "variance_log_ratio",
    "range_log_ratio",
    "range_coverage",
    "tail_coverage",
    "category_distance",
    "rare_category_coverage",
)


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
    for name in (*_REFERENCE_FREE, *TWO_SAMPLE):
        if isinstance(mine.get(name), int | float):
            features[name] = float(mine[name])
    for name, transform in _LOG_SCALES.items():
        try:
            features[name] = float(transform(mine))
        except (KeyError, TypeError):
            pass
    return features


@cache
def calibration() -> dict[str, Any]:
    return json.loads(CALIBRATION_PATH.read_text())


def linear_predictor(variant: str, features: dict[str, float], model: dict[str, Any] | None = None) -> float:
    model = model or calibration()["models"][variant]
    neutral = model.get("neutral", model["mean"])
    z = [
        (features[n] if np.isfinite(features.get(n, np.nan)) else fill) - mean
        for n, mean, fill in zip(model["features"], model["mean"], neutral, strict=True)
    ]
    z = np.asarray(z) / np.asarray(model["scale"])
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


def _ordinal_loss(z: np.ndarray, y: np.ndarray, levels: int, l2: float):
    d = z.shape[1]

    def unpack(params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return params[:d], params[d] + np.r_[0, np.cumsum(np.logaddexp(0, params[d + 1 :]))]

    def loss(params: np.ndarray) -> float:
        weights, thresholds = unpack(params)
        eta = z @ weights
        upper = np.c_[np.ones(len(y)), 1 / (1 + np.exp(-(eta[:, None] - thresholds[None, :]))), np.zeros(len(y))]
        p = upper[np.arange(len(y)), y] - upper[np.arange(len(y)), y + 1]
        return float(-np.log(np.maximum(p, 1e-12)).sum() + l2 * (weights**2).sum())

    return loss, unpack


def _fit_weights(z: np.ndarray, y: np.ndarray, l2: float, bounds: list) -> tuple[np.ndarray, np.ndarray]:
    from scipy.optimize import minimize

    levels = int(y.max())
    loss, unpack = _ordinal_loss(z, y, levels, l2)
    start = np.r_[np.zeros(z.shape[1]), -levels / 2, np.zeros(levels - 1)]
    result = minimize(
        loss, start, method="L-BFGS-B", bounds=bounds + [(None, None)] * levels, options={"maxiter": 2000}
    )
    return unpack(result.x)


def fit_ordinal(
    matrix: np.ndarray,
    generations: np.ndarray,
    *,
    l2: float = 1.0,
    signs: list[int | None] | None = None,
    neutral: np.ndarray | None = None,
    chains: np.ndarray | None = None,
) -> dict[str, Any]:
    """Proportional-odds fit (maximum likelihood with an L2 penalty on the weights) on raw features;
    ``signs`` (+1, -1, 0 or None per feature) forces a weight's direction, or zero, or leaves it free.
    A missing value (NaN) takes ``neutral`` (the bank's human data, so that a feature that cannot be
    computed pushes towards "like human data"; default: the feature's mean). With ``chains`` (a chain
    id per row) the direction of the weights is fitted on the changes within each chain only (features
    centred per chain), and then their scale and the thresholds on the raw rows: for indicators whose
    level differs more between sources than along a chain. Returns the model dict stored in
    collapse_calibration.json."""
    observed = np.isfinite(matrix)
    counts = np.maximum(observed.sum(0), 1)
    mean = np.where(observed, matrix, 0).sum(0) / counts
    neutral = mean if neutral is None else np.where(np.isfinite(neutral), neutral, mean)
    filled = np.where(observed, matrix, neutral)
    scale = np.sqrt(((filled - mean) ** 2).mean(0))
    scale[~(scale > 1e-6)] = 1.0
    z = np.clip((filled - mean) / scale, -Z_LIMIT, Z_LIMIT)
    y = generations.astype(int)
    bounds = [
        {1: (0, None), -1: (None, 0), 0: (0, 0), None: (None, None)}[sign] for sign in signs or [None] * len(mean)
    ]
    if chains is None:
        weights, thresholds = _fit_weights(z, y, l2, bounds)
    else:
        centred = z.copy()
        for chain in np.unique(chains):
            centred[chains == chain] -= centred[chains == chain].mean(0)
        direction, _ = _fit_weights(centred, y, l2, bounds)
        slope, thresholds = _fit_weights((z @ direction)[:, None], y, 0.0, [(0, None)])
        weights = direction * slope[0]
    return {
        "mean": mean.round(6).tolist(),
        "scale": scale.round(6).tolist(),
        "neutral": np.asarray(neutral).round(6).tolist(),
        "weights": weights.round(6).tolist(),
        "thresholds": thresholds.round(6).tolist(),
    }
