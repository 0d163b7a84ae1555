"""What the dashboard shows of a report: gauges, issues by severity, the per-column table and the
numbers behind the server-rendered SVG charts. Plain functions of the stored report dict."""

from __future__ import annotations

import math
from typing import Any

from billing.pricing import VALIDATION_COSTS

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
GAUGE_RADIUS = 52
GAUGE_LENGTH = math.pi * GAUGE_RADIUS  # a half circle
BAR_STEP, BAR_WIDTH = 24, 300

TIER_CARDS = [
    {
        "value": "quick",
        "name": "Quick scan",
        "checks": "Row count, schema and types, missing values (disguised ones too), exact duplicates, "
        "constant / empty / mixed-type columns, label balance, encoding, basic statistics, quality score.",
    },
    {
        "value": "standard",
        "name": "Standard",
        "checks": "Everything in a quick scan, plus near-duplicates, outliers, conflicting labels, label noise, "
        "text quality, PII patterns and model-collapse risk (against a reference when given).",
    },
    {
        "value": "comprehensive",
        "name": "Comprehensive",
        "checks": "Everything in standard, plus a training-outcome prediction: the expected held-out metric of "
        "a documented baseline with a 90% interval. Needs a target column.",
    },
]


def tier_cards() -> list[dict]:
    return [{**card, "price": VALIDATION_COSTS[card["value"]]} for card in TIER_CARDS]


def gauge(value: float | None, *, maximum: float, good_high: bool) -> dict | None:
    """Arc length and tone of a half-circle gauge."""
    if value is None:
        return None
    share = max(0.0, min(1.0, value / maximum))
    goodness = share if good_high else 1 - share
    tone = "good" if goodness >= 0.75 else "fair" if goodness >= 0.5 else "poor"
    return {"value": value, "filled": round(share * GAUGE_LENGTH, 2), "length": round(GAUGE_LENGTH, 2), "tone": tone}


def sorted_issues(report: dict) -> list[dict]:
    issues = list(report.get("issues") or [])
    return sorted(issues, key=lambda item: SEVERITY_ORDER.get(item.get("severity"), 3))


def severity_counts(issues: list[dict]) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for item in issues:
        counts[item.get("severity", "info")] = counts.get(item.get("severity", "info"), 0) + 1
    return counts


def column_rows(report: dict) -> list[dict]:
    checks = report.get("checks") or {}
    missing = (checks.get("missing") or {}).get("columns") or {}
    flags_by_kind = checks.get("columns") or {}
    issue_counts: dict[str, int] = {}
    for item in report.get("issues") or []:
        if item.get("column"):
            issue_counts[item["column"]] = issue_counts.get(item["column"], 0) + 1
    rows = []
    for column in (report.get("dataset") or {}).get("columns") or []:
        name = column.get("name")
        flags = [
            kind.replace("_", " ") for kind, names in flags_by_kind.items() if isinstance(names, list) and name in names
        ]
        rows.append(
            {
                **column,
                "missing_count": (missing.get(name) or {}).get("missing_count"),
                "missing_fraction": (missing.get(name) or {}).get("missing_fraction"),
                "flags": flags,
                "issue_count": issue_counts.get(name, 0),
            }
        )
    return rows


# A push of this many log-odds towards "collapsed" fills a bar (see collapse_model.pushes).
FULL_BAR_PUSH = 2.0


def collapse_bars(report: dict) -> list[dict]:
    """One bar per input of the collapse model: how far it pushes the score towards "collapsed"
    (0 = not at all … full = FULL_BAR_PUSH log-odds or more) and the input's value."""
    collapse = (report.get("checks") or {}).get("collapse") or {}
    components = collapse.get("components") or {}
    values = collapse.get("features") or {}
    drivers = set(collapse.get("drivers") or [])
    bars = []
    for name, push in sorted(components.items(), key=lambda item: -item[1]):
        if not isinstance(push, int | float):
            continue
        share = max(0.0, min(1.0, float(push) / FULL_BAR_PUSH))
        tone = "high" if share >= 0.66 else "medium" if share >= 0.33 else "low"
        bars.append(
            {
                "name": name.replace("_", " "),
                "component": round(float(push), 3),
                "y": len(bars) * BAR_STEP,
                "px": round(share * BAR_WIDTH, 1),
                "tone": tone,
                "value": values.get(name),
                "is_driver": name in drivers,
            }
        )
    return bars


def learning_curve(prediction: dict | None, *, width: int = 520, height: int = 220, pad: int = 36) -> dict | None:
    """Polyline points of the learning curve and the predicted interval at the full size, in SVG units."""
    if not prediction or not prediction.get("learning_curve"):
        return None
    points = [p for p in prediction["learning_curve"] if p.get("n") is not None and p.get("score") is not None]
    if not points:
        return None
    interval = prediction.get("interval") or [None, None]
    full_n = max(p["n"] for p in points)
    scores = [p["score"] for p in points] + [v for v in [*interval, prediction.get("expected")] if v is not None]
    low, high = min(scores), max(scores)
    if high - low < 1e-9:
        low, high = low - 0.05, high + 0.05
    margin = (high - low) * 0.1
    low, high = low - margin, high + margin
    log_min, log_max = math.log(max(1, min(p["n"] for p in points))), math.log(max(2, full_n))

    def x(n: float) -> float:
        span = (log_max - log_min) or 1.0
        return round(pad + (math.log(max(1, n)) - log_min) / span * (width - 2 * pad), 1)

    def y(score: float) -> float:
        return round(height - pad - (score - low) / (high - low) * (height - 2 * pad), 1)

    chart: dict[str, Any] = {
        "width": width,
        "height": height,
        "points": " ".join(f"{x(p['n'])},{y(p['score'])}" for p in points),
        "dots": [{"x": x(p["n"]), "y": y(p["score"]), "n": p["n"], "score": p["score"]} for p in points],
        "y_low": round(low, 3),
        "y_high": round(high, 3),
        "y_low_at": y(low),
        "y_high_at": y(high),
        "x_axis": height - pad,
        "pad": pad,
    }
    if None not in interval:
        chart["interval"] = {
            "x": x(full_n) - 6,
            "y": y(interval[1]),
            "height": max(1.0, y(interval[0]) - y(interval[1])),
        }
    if prediction.get("expected") is not None:
        chart["expected"] = {"x": x(full_n), "y": y(prediction["expected"])}
    return chart


def report_context(report: dict | None) -> dict:
    if not report:
        return {}
    issues = sorted_issues(report)
    collapse = report.get("collapse_risk") or None
    return {
        "quality_gauge": gauge(report.get("quality_score"), maximum=100, good_high=True),
        "collapse_gauge": gauge(collapse.get("score"), maximum=1, good_high=False) if collapse else None,
        "collapse": collapse,
        "issues": issues,
        "severity_counts": severity_counts(issues),
        "column_rows": column_rows(report),
        "collapse_bars": (bars := collapse_bars(report)),
        "collapse_chart_height": len(bars) * BAR_STEP,
        "prediction": report.get("prediction"),
        # The engine's comprehensive tier is not written yet; accept the reason under either name.
        "prediction_reason": report.get("prediction_reason") or report.get("prediction_unavailable_reason"),
        "curve": learning_curve(report.get("prediction")),
        "checks_run": sorted((report.get("checks") or {}).keys()),
    }
