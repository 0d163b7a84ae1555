"""Two-sample tests between the dataset and a reference: classifier test (C2ST) and MMD.

C2ST: a classifier learns to tell the two samples apart under 5-fold cross-validation; the
statistic is 2·AUC − 1 (0 = indistinguishable, 1 = perfectly separable), clipped at 0.
MMD: unbiased squared maximum mean discrepancy with an RBF kernel whose bandwidth is the median
pairwise distance (median heuristic), on up to MMD_POINTS points of each sample.
k-NN manifolds (Naeem et al. 2020, "Reliable fidelity and diversity metrics"), on the same points:
precision (share of the sample inside some reference point's k-NN ball), recall (share of the
reference inside some sample point's ball) and coverage (share of reference points whose own ball
holds a sample point); k = KNN_K. Collapsed data keeps precision and loses recall and coverage.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

C2ST_MAX_PER_SIDE = 2000
MMD_POINTS = 500
SEED = 3
KNN_K = 5


def _subsample(items: Sequence, limit: int, rng: np.random.Generator) -> list:
    if len(items) <= limit:
        return list(items)
    return [items[int(i)] for i in rng.choice(len(items), size=limit, replace=False)]


def c2st_auc(features: np.ndarray, labels: np.ndarray, model) -> float:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    scores = cross_val_predict(model, features, labels, cv=folds, method="predict_proba")[:, 1]
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def mmd2(left: np.ndarray, right: np.ndarray) -> float:
    joined = np.vstack([left, right])
    squared = (joined**2).sum(1)
    distances = np.maximum(squared[:, None] + squared[None, :] - 2 * joined @ joined.T, 0)
    upper = distances[np.triu_indices(len(joined), 1)]
    bandwidth = np.median(upper[upper > 0]) if np.any(upper > 0) else 1.0
    kernel = np.exp(-distances / bandwidth)
    n, m = len(left), len(right)
    kxx, kyy, kxy = kernel[:n, :n], kernel[n:, n:], kernel[:n, n:]
    term_x = (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
    term_y = (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return float(term_x + term_y - 2 * kxy.mean())


def knn_manifold(sample: np.ndarray, reference: np.ndarray, k: int = KNN_K) -> dict[str, float]:
    """Precision, recall and coverage of ``sample`` against ``reference`` (see module docstring)."""
    if len(sample) <= k or len(reference) <= k:
        return {}

    def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.sqrt(np.maximum((a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T, 0))

    ref_ref, own = distances(reference, reference), distances(sample, sample)
    ref_radius = np.sort(ref_ref, 1)[:, k]  # column 0 is the point itself
    own_radius = np.sort(own, 1)[:, k]
    cross = distances(sample, reference)  # sample × reference
    return {
        "knn_precision": round(float((cross < ref_radius[None, :]).any(1).mean()), 6),
        "knn_recall": round(float((cross.T < own_radius[None, :]).any(1).mean()), 6),
        "knn_coverage": round(float((cross.min(0) < ref_radius).mean()), 6),
    }


def text_two_sample(texts: Sequence[str], reference: Sequence[str]) -> dict[str, float]:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import normalize

    rng = np.random.default_rng(SEED)
    left = _subsample([t for t in texts if t and t.strip()], C2ST_MAX_PER_SIDE, rng)
    right = _subsample([t for t in reference if t and t.strip()], C2ST_MAX_PER_SIDE, rng)
    if len(left) < 10 or len(right) < 10:
        return {}
    vectors = TfidfVectorizer(sublinear_tf=True, min_df=2).fit_transform(left + right)
    labels = np.r_[np.zeros(len(left)), np.ones(len(right))]
    auc = c2st_auc(vectors, labels, LogisticRegression(max_iter=1000))
    components = min(50, vectors.shape[1] - 1, len(labels) - 1)
    dense = normalize(TruncatedSVD(components, random_state=SEED).fit_transform(vectors))
    a, b = dense[: len(left)][:MMD_POINTS], dense[len(left) :][:MMD_POINTS]
    return {"c2st": round(max(0.0, 2 * auc - 1), 6), "mmd2": round(mmd2(a, b), 6), **knn_manifold(a, b)}


def table_two_sample(sample: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(SEED)
    left = sample[rng.permutation(len(sample))[:C2ST_MAX_PER_SIDE]]
    right = reference[rng.permutation(len(reference))[:C2ST_MAX_PER_SIDE]]
    if len(left) < 10 or len(right) < 10:
        return {}
    features = np.vstack([left, right])
    labels = np.r_[np.zeros(len(left)), np.ones(len(right))]
    model = HistGradientBoostingClassifier(max_iter=50, random_state=SEED)
    auc = c2st_auc(features, labels, model)
    mean, std = np.nanmean(right, 0), np.nanstd(right, 0)
    std[std == 0] = 1

    def scaled(x: np.ndarray) -> np.ndarray:
        return np.nan_to_num((x - mean) / std)

    a, b = scaled(left[:MMD_POINTS]), scaled(right[:MMD_POINTS])
    return {"c2st": round(max(0.0, 2 * auc - 1), 6), "mmd2": round(mmd2(a, b), 6), **knn_manifold(a, b)}
