"""Split-conformal intervals scaled by each curve's own uncertainty, per metric and file-size band.

On a calibration bank of learning curves with known outcomes, the nonconformity score of a curve is
|actual - expected| / max(scale, floor): the miss measured in that curve's own standard deviations
(predict.interval_scale: the metric's sampling error on the file's rows, the standard error of the
largest size, and a calibrated share of the bootstrap spread of the extrapolation).
The ceil((m + 1)(1 - alpha))-th smallest of the m scores is q, and a new curve's interval is
expected ± q·max(scale, floor) — covering 1 - alpha of exchangeable new curves. Accuracy and R²,
and small, middling and large files, miss by different multiples of their scale, so each metric
and size band has its own q. The constants (q and floor per band, the point estimate's shares and
the spread's weight per metric) live in calibration.json, made by bench/build_curve_bank.py from
bench/curve_bank.jsonl.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")


def nonconformity(expected: float, actual: float, spread: float, floor: float) -> float:
    return abs(actual - expected) / max(spread, floor)


def conformal_quantile(scores: Sequence[float], alpha: float = 0.1) -> float:
    """The split-conformal quantile: the ceil((m+1)(1-alpha))-th smallest score (inf if m too small)."""
    ordered = np.sort(np.asarray(scores, dtype=np.float64))
    rank = math.ceil((len(ordered) + 1) * (1 - alpha))
    if rank > len(ordered):
        return math.inf
    return float(ordered[rank - 1])


def interval(
    expected: float, spread: float, *, q: float, floor: float, upper_limit: float = 1.0
) -> tuple[float, float]:
    half = q * max(spread, floor)
    return expected - half, min(upper_limit, expected + half)


@cache
def calibration() -> dict[str, Any]:
    return json.loads(CALIBRATION_PATH.read_text())


def constants_for(metric: str, rows: int) -> dict[str, Any]:
    """{q, floor, blend, local, spread_weight, sampling, noise_weight} for a metric and file size: the
    size band whose lower edge is <= rows (a table made before spread_weight, sampling or
    noise_weight were calibrated keeps the whole spread, the binomial error and no widening)."""
    table = calibration()["metrics"][metric]
    band = table["bands"][0]
    for candidate in table["bands"]:
        if rows >= candidate["min_rows"]:
            band = candidate
    return {
        "q": float(band["q"]),
        "floor": float(band["floor"]),
        "blend": float(table["blend"]),
        "local": float(table["local"]),
        "spread_weight": float(table.get("spread_weight", 1.0)),
        "sampling": str(table.get("sampling", "binomial")),
        "noise_weight": float(table.get("noise_weight", 0.0)),
    }
