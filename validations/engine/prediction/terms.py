"""Warranty terms proposed from a prediction (pure: no I/O, no Django; the warranties app stores them)."""

from __future__ import annotations

from typing import Any

COVERAGE_MULTIPLE = 5
# A claim's holdout must have at least this many rows to be evidence (the warranties app refuses less).
MIN_HOLDOUT_ROWS = 200

METRIC_WORDS = {
    "accuracy": "accuracy (share of rows whose class is predicted correctly)",
    "r2": "R² (coefficient of determination)",
}


def default_coverage_credits(*, validation_credits: int, warranty_credits: int) -> int:
    """The one rule for the payout: COVERAGE_MULTIPLE times what the customer paid for both.

    The prices come from the caller (billing.pricing in the app): the engine knows no prices.
    """
    return COVERAGE_MULTIPLE * (validation_credits + warranty_credits)


def propose_terms(prediction: dict[str, Any], *, coverage_credits: int, validity_days: int = 90) -> dict[str, Any]:
    """{metric, guaranteed_value (= interval lower bound), coverage_credits, conditions, validity_days}.

    Raises ValueError for a missing or malformed prediction (a run that made none has no terms).
    """
    if not prediction or "interval" not in prediction or "metric" not in prediction:
        raise ValueError("no prediction to base warranty terms on")
    low = float(prediction["interval"][0])
    metric = prediction["metric"]
    model = prediction.get("model", "the documented baseline learner")
    confidence = float(prediction.get("confidence", 0.9))
    conditions = (
        f"Synthos trains {model} (its scikit-learn defaults; text: the text column only; tabular: every "
        "column except the target, non-numeric columns ordinal-encoded) on all labelled rows of the "
        "validated file, then measures "
        f"{METRIC_WORDS.get(metric, metric)} on a fresh labelled holdout file that you upload, drawn "
        "from the same source and distribution as the validated file, with the same columns and no "
        "rows of the validated file. The warranty pays out if the measured value is below "
        f"{low:.4f}. The guaranteed value is the lower end of the prediction's "
        f"{round(confidence * 100)}% interval; a holdout of fewer than {MIN_HOLDOUT_ROWS} rows (or one with classes "
        "not in the validated file) is not evidence."
    )
    return {
        "metric": metric,
        "guaranteed_value": round(low, 6),
        "coverage_credits": int(coverage_credits),
        "conditions": conditions,
        "validity_days": int(validity_days),
    }
