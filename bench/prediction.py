"""Acceptance bench of the training-outcome prediction and the label-noise estimate.

    python bench/prediction.py                    # held-out real datasets (requirements-bench.txt)
    python bench/prediction.py --cache DIR        # keep measured curves and probabilities in DIR, reuse them
    python bench/prediction.py --smoke            # tiny input (200 rows of scikit-learn's digits, 0 vs 1)

Held-out datasets (bench/real_data.py HELD_OUT) are never in the calibration bank. For each
dataset, size (200 / 1,000 / 5,000 rows) and seed: a random file of n rows is drawn and the rest
of the table (up to 20,000 rows) is the large fresh sample of the same source. The baseline is
trained on the file and scored on the fresh rows (actual), and compared with the prediction made
from the file alone. Printed by size (and metric): MAE (points), empirical coverage of the 90%
interval, mean interval width (points), and the mean standard error of the actual scores themselves
(binomial for accuracy, delta method for R², from the fresh sample: a miss smaller than about twice
it cannot be told from measurement noise). Label noise: labels of classification files are replaced at injected
rates 0-30% and the estimated fraction is compared with the injected rate (MAE in points).

A prediction here is made exactly as predict_outcome makes it (prepare, measure_curve,
prediction_from_curve, with the file's label-noise estimate as ceiling). ``--cache`` keeps the slow
parts, each file's measured learning curve and actual score and its out-of-fold class
probabilities, so a recalibration can be benched without refitting; everything after them (curve
fits, interval, noise estimate) is recomputed on every run.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.build_curve_bank import UNHURRIED_S  # noqa: E402
from bench.real_data import HELD_OUT, LOADERS, inject_noise  # noqa: E402
from validations.engine.prediction.baselines import (  # noqa: E402
    Features,
    is_classification_target,
    labels_of,
    make_model,
    score,
    single_threaded,
)
from validations.engine.prediction.label_noise import estimate, out_of_fold_probabilities  # noqa: E402
from validations.engine.prediction.predict import (  # noqa: E402
    measure_curve,
    prediction_from_curve,
    prepare,
)

SIZES = (200, 1_000, 5_000)
SEEDS = {200: (11, 12, 13), 1_000: (11, 12), 5_000: (11, 12)}
RATES = (0.0, 0.1, 0.2, 0.3)
MIN_FRESH = 500
FRESH_CAP = 20_000


def _draw(name: str, n: int, seed: int, rate: float = 0.0):
    frame, target = LOADERS[name]()
    classification = is_classification_target(frame[target])
    rng = np.random.default_rng(seed)
    frame = frame[rng.permutation(frame.height)]
    file = inject_noise(frame[:n], target, rate, rng, classification=classification)
    return file, frame[n : n + FRESH_CAP], target, classification


def prediction_job(job: tuple[str, int, int, Path | None]) -> dict | None:
    name, n, seed, cache = job
    file, fresh, target, classification = _draw(name, n, seed)
    noise = _estimate(file, target, cache, (name, n, seed, 0.0)) if classification else None
    prepared = prepare(file, target=target, text_column=None)
    if isinstance(prepared, str):
        return {"dataset": name, "n": n, "reason": prepared}
    file, features = prepared
    path = cache / "curves" / f"{name}_{n}_{seed}.json" if cache else None
    measured = json.loads(path.read_text()) if path and path.exists() else None
    if measured and features.metric == "r2" and "r2_standard_error" not in measured:
        measured = None  # measured before the curve kept its R²'s standard error
    if measured is None:
        measured = _measure(features, file, fresh, {"dataset": name, "n": n, "seed": seed})
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(measured))
    if "actual_se" not in measured:  # cached before the standard error was kept: one fit on the file
        measured["actual_se"] = _actual_se(features, file, fresh)
        if path:
            path.write_text(json.dumps(measured))
    curve = {"sizes": np.array(measured["sizes"]), "scores": np.array(measured["scores"]), "subsampled": None}
    if features.metric == "r2":
        curve["r2_standard_error"] = measured["r2_standard_error"]
    prediction = prediction_from_curve(
        curve, features=features, rows=file.height, noise=noise if noise and "reason" not in noise else None
    )
    low, high = prediction["interval"]
    return {
        "dataset": name,
        "n": n,
        "seed": seed,
        "metric": prediction["metric"],
        "expected": prediction["expected"],
        "low": low,
        "high": high,
        "actual": measured["actual"],
        "actual_se": measured["actual_se"],
        "n_fresh": measured["n_fresh"],
        "seconds": measured["seconds"],
    }


def _measure(features: Features, file: pl.DataFrame, fresh: pl.DataFrame, key: dict) -> dict:
    """The file's learning curve (as a validation measures it) and the baseline's score on fresh rows."""
    started = time.perf_counter()
    with single_threaded():
        curve = measure_curve(features, file, progress=lambda stage, percent: None, time_budget_s=UNHURRIED_S)
        seconds = time.perf_counter() - started
        model = make_model(features.kind).fit(features.matrix(file), labels_of(file, features))
        actual = score(features, model, features.matrix(fresh), labels_of(fresh, features))
        se = standard_error(features, model, fresh)
    return key | {
        "sizes": [int(v) for v in curve["sizes"]],
        "scores": [[round(float(v), 6) for v in row] for row in curve["scores"]],
        "actual": round(actual, 6),
        "actual_se": round(se, 6),
        **({"r2_standard_error": curve["r2_standard_error"]} if "r2_standard_error" in curve else {}),
        "n_fresh": fresh.height,
        "seconds": round(seconds, 1),
    }


def _actual_se(features: Features, file: pl.DataFrame, fresh: pl.DataFrame) -> float:
    with single_threaded():
        model = make_model(features.kind).fit(features.matrix(file), labels_of(file, features))
        return standard_error(features, model, fresh)


def standard_error(features: Features, model: Any, fresh: pl.DataFrame) -> float:
    """The standard error of the actual score itself, from the fresh sample's size: binomial for
    accuracy; for R² = 1 - mean(e²)/mean((y - ȳ)²), the delta method over the fresh rows (a heavy
    tail makes it large: a few rows carry most of both sums)."""
    y = labels_of(fresh, features)
    predicted = model.predict(features.matrix(fresh))
    if features.is_classification:
        p = float(np.mean(predicted == y))
        return math.sqrt(p * (1 - p) / max(1, len(y)))
    squared, spread = (y - predicted) ** 2, (y - np.mean(y)) ** 2
    a, b = float(np.mean(squared)), float(np.mean(spread))
    influence = -(squared - a) / b + a / b**2 * (spread - b)
    return float(np.std(influence) / math.sqrt(len(y)))


def noise_job(job: tuple[str, int, int, float, Path | None]) -> dict:
    name, n, seed, rate, cache = job
    file, _, target, _ = _draw(name, n, seed, rate)
    result = _estimate(file, target, cache, (name, n, seed, rate))
    return {
        "dataset": name,
        "n": n,
        "rate": rate,
        "estimate": result.get("estimated_fraction"),
        "reason": result.get("reason"),
    }


def _estimate(file: pl.DataFrame, target: str, cache: Path | None, key: tuple) -> dict:
    """label_noise.estimate, with the out-of-fold probabilities kept in ``cache`` when given."""
    if cache is None:
        return estimate(file, target=target)
    path = cache / "probabilities" / ("_".join(str(k) for k in key) + ".npy")

    def probabilities_of(features: Features, x: Any, labels: np.ndarray) -> np.ndarray:
        if path.exists():
            return np.load(path)
        probabilities = out_of_fold_probabilities(features, x, labels)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, probabilities)
        return probabilities

    return estimate(file, target=target, probabilities_of=probabilities_of)


def jobs(smoke: bool) -> tuple[list, list]:
    """(name, n, seed) prediction jobs and (name, n, seed, rate) label-noise jobs."""
    if smoke:
        return [("digits_binary", 200, 11)], [("digits_binary", 200, 11, r) for r in (0.0, 0.2)]
    predictions, noises = [], []
    for name in HELD_OUT:
        frame, target = LOADERS[name]()
        for n in SIZES:
            if n + MIN_FRESH > frame.height:
                continue
            predictions += [(name, n, seed) for seed in SEEDS[n]]
            if is_classification_target(frame[target]):
                noises += [(name, n, SEEDS[n][0], rate) for rate in RATES]
    return predictions, noises


def summarise(results: list[dict], noises: list[dict]) -> None:
    print("dataset              n   metric    expected  interval            actual (s.e.; fresh rows)")
    for r in results:
        if "reason" in r:
            print(f"{r['dataset']:<18} {r['n']:>5}  no prediction: {r['reason']}")
            continue
        print(
            f"{r['dataset']:<18} {r['n']:>5}  {r['metric']:<8} {r['expected']:.4f}   "
            f"[{r['low']:.4f}, {r['high']:.4f}]  {r['actual']:.4f} ({r['actual_se']:.4f}; {r['n_fresh']})"
            f"  ({r['seconds']:.1f} s)"
        )
    print(
        "\nprediction by size: MAE (points) | coverage of 90% interval | mean width (points) | curves"
        " | mean s.e. of the actual (points)"
    )
    for n in SIZES:
        _summary_line(f"n={n:>5}", [r for r in results if r["n"] == n and "reason" not in r])
    for metric in ("accuracy", "r2"):
        for n in SIZES:
            _summary_line(f"{metric:<8} n={n:>5}", [r for r in results if r["n"] == n and r.get("metric") == metric])
    for metric in ("accuracy", "r2"):
        _summary_line(f"{metric:<8} all    ", [r for r in results if r.get("metric") == metric])
    _summary_line("all    ", [r for r in results if "reason" not in r])
    print("\nlabel noise: dataset n injected -> estimated")
    for r in noises:
        shown = "none: " + str(r["reason"]) if r["estimate"] is None else f"{r['estimate']:.3f}"
        print(f"  {r['dataset']:<14} {r['n']:>5} {r['rate']:.2f} -> {shown}")
    print("label-noise MAE (points) by size")
    for n in SIZES:
        rows = [r for r in noises if r["n"] == n and r["estimate"] is not None]
        if rows:
            mae = np.mean([abs(r["estimate"] - r["rate"]) for r in rows]) * 100
            clean = [abs(r["estimate"] - r["rate"]) * 100 for r in rows if r["rate"] == 0]
            print(
                f"  n={n:>5}: MAE {mae:5.2f} (clean files only: {np.mean(clean) if clean else float('nan'):5.2f})"
                f" | {len(rows)} files"
            )


def _summary_line(label: str, rows: list[dict]) -> None:
    if not rows:
        return
    errors = np.array([abs(r["expected"] - r["actual"]) for r in rows]) * 100
    covered = np.mean([r["low"] <= r["actual"] <= r["high"] for r in rows])
    width = np.mean([r["high"] - r["low"] for r in rows]) * 100
    noise = np.mean([r["actual_se"] for r in rows]) * 100
    print(
        f"  {label}: MAE {errors.mean():5.2f} | coverage {covered:.2f} | width {width:5.2f} | {len(rows)}"
        f" | s.e. {noise:4.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--cache", type=Path, help="a folder of measured curves and probabilities to reuse and extend")
    options = parser.parse_args()
    started = time.perf_counter()
    prediction_jobs, noise_jobs = jobs(options.smoke)
    prediction_jobs = [(*job, options.cache) for job in prediction_jobs]
    noise_jobs = [(*job, options.cache) for job in noise_jobs]
    if options.processes > 1 and not options.smoke:
        # spawn, not fork: a forked child of a process whose OpenMP runtime is up deadlocks.
        with get_context("spawn").Pool(options.processes) as pool:
            results = pool.map(prediction_job, prediction_jobs, chunksize=1)
            noises = pool.map(noise_job, noise_jobs, chunksize=1)
    else:
        results = [prediction_job(j) for j in prediction_jobs]
        noises = [noise_job(j) for j in noise_jobs]
    summarise([r for r in results if r], noises)
    print(f"\n{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
