"""Label balance for a target column.

A target is treated as a class label when it is text/boolean, an integer with at most 20 distinct
values or a float with at most 10; otherwise it is a regression target and only its missing values
are checked. Imbalance is flagged when the smallest class holds less than 0.1/K of the labelled
rows (K classes) — a tenth of its fair share — and the normalised entropy H/log(K) is reported
(1 = perfectly balanced).
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.fused import follow_up
from validations.engine.io import json_safe
from validations.engine.prediction.baselines import COUNT_SINGLETON_SHARE, COUNT_SINGLETONS
from validations.engine.report import fmt_count, issue, pct, verb

# A numeric target with few values is a class label (0/1, star ratings); with more, a quantity
# (age, price) whose "imbalance" would be a false alarm.
MAX_INTEGER_CLASSES = 20
MAX_FLOAT_CLASSES = 10
MINORITY_FACTOR = 0.1


def is_classification(ctx: Context) -> bool:
    assert ctx.target is not None
    dtype = ctx.dtypes[ctx.target]
    if dtype in ("string", "boolean", "mixed"):
        return True
    limit = {"integer": MAX_INTEGER_CLASSES, "float": MAX_FLOAT_CLASSES}.get(dtype, 0)
    return ctx.distinct(ctx.target) <= limit


def looks_like_count(values: pl.Series, counts: pl.Series) -> bool:
    """The prediction's rule (prediction/baselines.py: looks_like_count) on class counts: whole
    numbers with a tail of values seen once are a count (doctor visits), not a class label."""
    if values.dtype.is_float():
        whole = values.is_not_nan() & (values == values.round())
        if not bool(whole.all()):
            return False
    elif not values.dtype.is_integer():
        return False
    singletons = int((counts == 1).sum())
    return singletons >= COUNT_SINGLETONS and singletons >= COUNT_SINGLETON_SHARE * len(counts)


SAMPLE_CLASSES_MAX = 50


def _value_counts_expr(target: str) -> pl.Expr:
    return pl.col(target).value_counts(sort=True).implode().alias("labels:counts")


def aggregates(ctx: Context) -> list[pl.Expr]:
    """Aggregates of the fused read (fused.py): a streaming count per class seen in the sample (a
    value_counts() aggregate would make Polars hold the column); ``run`` reads the exact counts
    again only when some labelled rows are in none of these classes."""
    target = ctx.target
    if target is None or target not in ctx.dtypes:
        return []
    classes = ctx.sample[target].drop_nulls().unique(maintain_order=True) if ctx.sample is not None else None
    if classes is None or len(classes) > SAMPLE_CLASSES_MAX:
        return [_value_counts_expr(target)]
    ctx._cache["labels:classes"] = classes.to_list()
    return [(pl.col(target) == pl.lit(v)).sum().alias(f"labels:class{j}") for j, v in enumerate(classes.to_list())]


def _class_counts(ctx: Context, target: str) -> list[dict[str, Any]]:
    if "labels:counts" not in ctx.stats:
        classes = ctx._cache.get("labels:classes", [])
        counts = [int(ctx.stats[f"labels:class{j}"] or 0) for j in range(len(classes))]
        labelled = ctx.rows - int(ctx.stats[f"summary:null{ctx.table.columns.index(target)}"] or 0)
        if sum(counts) == labelled:
            nulls = ctx.rows - labelled
            listed = [{target: v, "count": c} for v, c in zip(classes, counts, strict=True) if c]
            listed.sort(key=lambda c: -c["count"])
            return listed + ([{target: None, "count": nulls}] if nulls else [])
        follow_up(ctx, [_value_counts_expr(target)])
    return ctx.stats["labels:counts"] or []


def row_exprs(ctx: Context) -> list[pl.Expr]:
    return []


def run(ctx: Context) -> CheckResult:
    target = ctx.target
    if target is None:
        return {"target": None}, []
    if target not in ctx.dtypes:
        return {"target": target, "error": "column not found"}, [
            issue(
                "label_balance",
                "error",
                f"The target column '{target}' is not in the file (columns: "
                f"{', '.join(ctx.table.columns)}); pass the right --target.",
            )
        ]
    listed = _class_counts(ctx, target)
    counts = pl.DataFrame(
        {target: [c[target] for c in listed], "count": [c["count"] for c in listed]},
        schema_overrides={"count": pl.Int64},
    )
    missing = int(counts.filter(pl.col(target).is_null())["count"].sum())
    labelled = counts.filter(pl.col(target).is_not_null())
    issues = []
    payload: dict[str, Any] = {"target": target, "missing_labels": missing}
    if missing:
        issues.append(
            issue(
                "label_balance",
                "warning",
                f"{fmt_count(missing, 'row')} {verb(missing, 'has', 'have')} no value in the target "
                f"'{target}'; label them or drop them before training.",
                column=target,
                count=missing,
                fraction=missing / max(1, ctx.rows),
            )
        )
    if not is_classification(ctx) or looks_like_count(labelled[target], labelled["count"]):
        payload["task"] = "regression"
        return payload, issues
    payload["task"] = "classification"
    total = int(labelled["count"].sum())
    k = labelled.height
    payload["classes"] = {str(json_safe(v)): int(c) for v, c in labelled.iter_rows()}
    if k < 2 or total == 0:
        payload.update(minority_share=None, normalized_entropy=None)
        if k == 1:
            issues.append(
                issue(
                    "label_balance",
                    "error",
                    f"The target '{target}' has a single class; a classifier cannot "
                    "learn from it — add examples of the other classes.",
                    column=target,
                )
            )
        return payload, issues
    shares = [c / total for c in labelled["count"].to_list()]
    minority = min(shares)
    entropy = -sum(p * math.log(p) for p in shares if p > 0) / math.log(k)
    threshold = MINORITY_FACTOR / k
    payload.update(
        minority_share=round(minority, 6),
        threshold=round(threshold, 6),
        normalized_entropy=round(entropy, 6),
        class_count=k,
    )
    if minority < threshold:
        smallest = labelled.row(k - 1)
        issues.append(
            issue(
                "label_balance",
                "warning",
                f"Class {json_safe(smallest[0])!r} of '{target}' has only {pct(minority)} of the rows "
                f"(under {pct(threshold)}, a tenth of its fair share among {k} classes); collect more "
                "examples of it, or use class weights and a metric that respects imbalance.",
                column=target,
                count=int(smallest[1]),
                fraction=minority,
            )
        )
    return payload, issues
