"""Build the learning-curve bank and the conformal constants in prediction/calibration.json.

    python bench/build_curve_bank.py            # full bank (needs statsmodels; ~10 min on 2 cores)
    python bench/build_curve_bank.py --smoke    # tiny input (breast_cancer, 100 rows), writes nothing

For each bank dataset (bench/real_data.py BANK: scikit-learn's bundled tables and statsmodels'
bundled ones; never the held-out bench sets), several file sizes, injected label-noise rates and
seeds: a random "file" of n rows is drawn, the rest of the table is fresh data from the same
source (with the same noise injected); the prediction's expected value and bootstrap spread come
from predict_outcome on the file, the actual value from the baseline trained on the file and
scored on the fresh rows. The conformal score of a curve is |actual - expected| / max(spread,
floor); q per metric and size band is their split-conformal 90% quantile (conformal.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from multiprocessing import get_context
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.real_data import BANK, LOADERS, inject_noise  # noqa: E402
from validations.engine.prediction import conformal  # noqa: E402
from validations.engine.prediction.baselines import (
    is_classification_target,
    labels_of,
    make_model,
    plan_features,
    score,
    single_threaded,  # noqa: E402
)
from validations.engine.prediction.label_noise import estimate  # noqa: E402
from validations.engine.prediction.predict import predict_outcome  # noqa: E402

SIZES = (100, 200, 400)
RATES = (0.0, 0.1, 0.2)
SEEDS = (1, 2)
MIN_FRESH = 50
FRESH_CAP = 5_000
FLOORS = {"accuracy": 0.005, "r2": 0.01}
BANDS = (0, 300)  # lower edges of the size bands (rows)
BANK_PATH = Path(__file__).with_name("curve_bank.jsonl")


def one_curve(job: tuple[str, int, float, int]) -> dict | None:

    name, n, rate, seed = job
    frame, target = LOADERS[name]()
    classification = is_classification_target(frame[target])
    rng = np.random.default_rng(seed)
    frame = frame[rng.permutation(frame.height)]
    frame = inject_noise(frame, target, rate, rng, classification=classification)
    file, fresh = frame[:n], frame[n : n + FRESH_CAP]
    noise = estimate(file, target=target) if classification else None
    prediction, reason = predict_outcome(file, target=target, noise=noise if noise and "reason" not in noise else None)
    if prediction is None:
        return None
    features = plan_features(file, target=target)
    with single_threaded():
        model = make_model(features.kind).fit(features.matrix(file), labels_of(file, features))
        actual = score(features, model, features.matrix(fresh), labels_of(fresh, features))
    return {
        "dataset": name,
        "n": n,
        "rate": rate,
        "seed": seed,
        "metric": prediction["metric"],
        "expected": prediction["expected"],
        "spread": prediction["spread"],
        "actual": round(actual, 6),
        "family": prediction["curve_family"],
        "n_fresh": fresh.height,
    }


def jobs(smoke: bool) -> list[tuple[str, int, float, int]]:
    if smoke:
        return [("breast_cancer", 100, 0.0, 1)]
    out = []
    for name in BANK:
        rows = LOADERS[name]()[0].height
        for n in SIZES:
            if n + MIN_FRESH <= rows:
                out += [(name, n, rate, seed) for rate in RATES for seed in SEEDS]
    return out


def calibrate(curves: list[dict]) -> dict:
    metrics = {}
    for metric, floor in FLOORS.items():
        rows = [c for c in curves if c["metric"] == metric]
        bands = []
        for i, low in enumerate(BANDS):
            high = BANDS[i + 1] if i + 1 < len(BANDS) else float("inf")
            band = [c for c in rows if low <= c["n"] < high]
            scores = [conformal.nonconformity(c["expected"], c["actual"], c["spread"], floor) for c in band]
            q = conformal.conformal_quantile(scores, 0.1) if scores else float("inf")
            if not np.isfinite(q):  # too few curves for a finite quantile: fall back to all sizes
                scores = [conformal.nonconformity(c["expected"], c["actual"], c["spread"], floor) for c in rows]
                q = conformal.conformal_quantile(scores, 0.1)
            bands.append({"min_rows": low, "q": round(float(q), 4), "floor": floor, "curves": len(band)})
        metrics[metric] = {"bands": bands}
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--processes", type=int, default=2)
    options = parser.parse_args()
    started = time.perf_counter()
    todo = jobs(options.smoke)
    if options.processes > 1 and len(todo) > 1:
        # spawn, not fork: a forked child of a process whose OpenMP runtime is up deadlocks.
        with get_context("spawn").Pool(options.processes) as pool:
            curves = [c for c in pool.map(one_curve, todo, chunksize=1) if c]
    else:
        curves = [c for c in map(one_curve, todo) if c]
    print(f"{len(curves)} curves in {time.perf_counter() - started:.1f} s")
    if options.smoke:
        print(json.dumps(curves))
        return
    BANK_PATH.write_text("".join(json.dumps(c) + "\n" for c in curves))
    result = {
        "made_by": "bench/build_curve_bank.py",
        "inputs": {
            "datasets": BANK,
            "sizes": SIZES,
            "noise_rates": RATES,
            "seeds": SEEDS,
            "bank": "bench/curve_bank.jsonl",
            "curves": len(curves),
        },
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "metrics": calibrate(curves),
    }
    conformal.CALIBRATION_PATH.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["metrics"], indent=2))


if __name__ == "__main__":
    main()
