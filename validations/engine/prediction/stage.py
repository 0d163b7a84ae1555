"""The runner's adapters: the standard tier's label-noise check and the comprehensive prediction stage.

Both are checks in the runner's sense (``run(ctx) -> (payload, issues)``). The prediction stage
stops early, without fitting anything, on a fatal finding: no parsed rows, a target that is
missing or constant; its payload is then ``{"prediction": None, "reason": ...}`` and the runner
lifts both to the report's top level (``prediction``, ``prediction_reason``).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.prediction import label_noise
from validations.engine.prediction.predict import predict_outcome
from validations.engine.report import capped_rows, fmt_count, issue, pct

PREDICTION_BUDGET_S = 90.0


def _frame(ctx: Context, sample: int | None) -> pl.DataFrame:
    assert ctx.target is not None
    if sample is not None:
        return label_noise.labelled_sample(ctx.table, ctx.target, sample)
    frame = ctx.lazy().with_row_index("__row").select(["__row", *ctx.table.columns])
    return frame.filter(pl.col(ctx.target).is_not_null()).collect(engine="streaming")


def run_label_noise(ctx: Context) -> CheckResult:
    target = ctx.target
    if target is None or target not in ctx.dtypes:
        return {"estimated_fraction": None, "rows": [], "rows_truncated": False, "reason": "no target column"}, []
    frame = _frame(ctx, label_noise.MAX_ROWS)
    result = label_noise.estimate(frame.drop("__row"), target=target, text_column=ctx.text_column)
    if "reason" in result:
        return {
            "estimated_fraction": None,
            "interval": None,
            "rows": [],
            "rows_truncated": False,
            "confused_pairs": [],
            **result,
        }, []
    rows = ctx.row_ids(frame["__row"].to_numpy()[result["suspects"]])
    fraction = result["estimated_fraction"]
    payload: dict[str, Any] = {
        "estimated_fraction": fraction,
        "interval": result["interval"],
        "count": len(rows),
        **capped_rows(rows),
        "confused_pairs": result["confused_pairs"],
        "rows_checked": frame.height,
        "model": result["model"],
        "task": result["task"],
    }
    if "cross_validated_accuracy" in result:
        payload["cross_validated_accuracy"] = round(result["cross_validated_accuracy"], 6)
    issues = []
    if len(rows) and result["task"] == "classification":
        serious = fraction >= label_noise.WARNING_FRACTION and result["cross_validated_accuracy"] >= 0.8
        issues.append(
            issue(
                "label_noise",
                "warning" if serious else "info",
                f"About {pct(fraction)} of the labels in '{target}' look wrong (confident learning, "
                f"corrected for class overlap); {fmt_count(len(rows), 'row')} are contradicted with confidence "
                "by a model trained on the other rows. Review the listed rows (least certain first) and fix "
                "mislabelled ones.",
                column=target,
                count=len(rows),
                fraction=len(rows) / frame.height,
                rows=rows,
            )
        )
    elif len(rows):
        issues.append(
            issue(
                "label_noise",
                "info",
                f"{fmt_count(len(rows), 'row')} of '{target}' are far from what a model trained on the "
                "other rows predicts (residuals beyond 4 robust z-scores); check them for entry errors.",
                column=target,
                count=len(rows),
                fraction=len(rows) / frame.height,
                rows=rows,
            )
        )
    return payload, issues


def fatal_reason(ctx: Context) -> str | None:
    """A finding that makes a prediction pointless, known without fitting anything."""
    if ctx.rows == 0:
        return "The file has no data rows, so there is nothing to learn from."
    if ctx.target is None:
        return "No target column was given, so there is nothing to predict; pass a target."
    if ctx.target not in ctx.dtypes:
        return f"The target column '{ctx.target}' is not in the file."
    if ctx.distinct(ctx.target) < 2:
        return f"The target '{ctx.target}' is constant, so there is nothing to learn or predict."
    return None


def run_prediction(ctx: Context) -> CheckResult:
    reason = fatal_reason(ctx)
    prediction = None
    if reason is None:
        frame = _frame(ctx, None).drop("__row")
        noise = ctx.results.get("label_noise") or {}
        prediction, reason = predict_outcome(
            frame,
            target=ctx.target,
            text_column=ctx.text_column,
            noise=noise if noise.get("estimated_fraction") is not None else None,
            time_budget_s=PREDICTION_BUDGET_S,
        )
    issues = []
    if prediction is None:
        issues.append(
            issue("prediction", "info", f"No training-outcome prediction: {reason} The rest of the report is valid.")
        )
    return {"prediction": prediction, "reason": reason}, issues


PREDICTION_CHECKS = [("prediction", run_prediction)]

__all__ = ["PREDICTION_CHECKS", "run_label_noise", "run_prediction"]
