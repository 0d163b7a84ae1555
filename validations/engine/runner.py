"""The validation runner: opens the file once, runs the tier's checks in order, builds the report.

Tiers are a cascade: standard runs every quick check, then more. Each check is a function
``run(ctx) -> (payload, issues)``; its payload goes under ``checks[<name>]`` even when it found
nothing, so a consumer can tell "checked, clean" from "not checked".
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from functools import cache
from pathlib import Path
from typing import Any

from validations.engine import fused
from validations.engine.checks import (
    columns,
    duplicates,
    labels,
    missing,
    parsing,
    text_basics,
)
from validations.engine.context import Context, choose_text_column, text_aggregates
from validations.engine.errors import EngineInputError
from validations.engine.fused import SAMPLE_ROWS
from validations.engine.io import json_safe, open_table
from validations.engine.report import SCHEMA_VERSION, issue, quality_score, sort_issues

logger = logging.getLogger(__name__)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, looked up once (find_library runs ldconfig); None off glibc."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _release_freed_memory() -> None:
    """Hand memory the last check freed back to the system (a no-op off glibc). glibc keeps freed
    blocks for reuse, so each check started on top of what the ones before had held (350-700 MB
    between checks at 10M rows) and the run's peak varied with it."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


Check = Callable[[Context], tuple[dict[str, Any], list[dict[str, Any]]]]
Progress = Callable[[str, int], None]

QUICK_CHECKS: list[tuple[str, Check]] = [
    ("parse", parsing.run_parse),
    ("row_count", parsing.run_row_count),
    ("missing", missing.run),
    ("exact_duplicates", duplicates.run),
    ("columns", columns.run),
    ("label_balance", labels.run),
    ("text_basics", text_basics.run),
]


# Modules that declare aggregates and per-row values of the fused read (fused.py).
FUSED_MODULES = (missing, duplicates, columns, labels, text_basics)


def _standard_checks() -> list[tuple[str, Check]]:
    # Imported lazily so a quick scan never pays for scikit-learn's import time.
    from validations.engine.standard import STANDARD_CHECKS

    return STANDARD_CHECKS


TIERS = ("quick", "standard", "comprehensive")


def _checks_for(tier: str) -> list[tuple[str, Check]]:
    if tier == "quick":
        return list(QUICK_CHECKS)
    if tier == "standard":
        return QUICK_CHECKS + _standard_checks()
    if tier == "comprehensive":
        from validations.engine.prediction.stage import PREDICTION_CHECKS

        return QUICK_CHECKS + _standard_checks() + PREDICTION_CHECKS
    raise ValueError(f"unknown tier {tier!r}; use one of {', '.join(TIERS)}")


def run_validation(
    path: str | Path,
    *,
    tier: str,
    fmt: str | None = None,
    target: str | None = None,
    text_column: str | None = None,
    reference: str | Path | None = None,
    expected_rows: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Validate one dataset file and return the report (ARCHITECTURE.md, schema_version 1).

    ``progress(stage, percent)`` is called at each stage boundary. Raises EngineInputError when
    nothing in the file parses (or it cannot be read at all); odd but readable files give a report.
    """
    checks = _checks_for(tier)
    report_progress = progress or (lambda stage, percent: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    report_progress("read", 0)
    with ExitStack() as stack:
        # Dtypes are sampled here and confirmed by the first fused pass (fused.py).
        # The line totals are counted while the read runs (io.open_table, defer_lines): fused.read settles them.
        table = stack.enter_context(
            open_table(path, declared_format=fmt, strict=False, profile_rows=SAMPLE_ROWS, defer_lines=True)
        )
        reference_table = None
        if reference is not None and tier != "quick":
            try:
                reference_table = stack.enter_context(open_table(reference, strict=False))
            except EngineInputError as exc:
                raise EngineInputError(f"The reference dataset cannot be read: {exc.message}") from exc
        ctx = Context(
            table=table,
            rows=0,
            columns=[],
            tier=tier,
            target=target,
            expected_rows=expected_rows,
            declared_format=fmt,
            reference=reference_table,
        )
        setup_issues = _read_fused(ctx, text_column)
        table.settle()  # the digest (fused.read has settled the line totals)
        timings["read"] = round(time.perf_counter() - started, 4)
        if tier != "quick":  # the quick checks use no BLAS or OpenMP pool: spare the import and the call
            from threadpoolctl import threadpool_limits

            # One OpenMP/BLAS thread for scikit-learn and numpy: workers scale out as processes, and a
            # gradient-boosting fit with an oversubscribed OpenMP pool was measured 15x slower (13.6 s vs
            # 0.9 s on breast_cancer). Polars' own thread pool is not affected.
            stack.enter_context(threadpool_limits(limits=1))
        results, issues = _run_checks(ctx, checks, report_progress, timings, tier)
        issues = sort_issues(setup_issues + issues, [name for name, _ in checks])
        report: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "tier": tier,
            "dataset": {
                "rows": ctx.rows,
                "columns": ctx.columns,
                "format": table.format,
                "compression": table.compression,
                "sha256": table.sha256,
                "target": ctx.target,
                "text_column": ctx.text_column,
            },
            "quality_score": quality_score(issues),
        }
        if "collapse" in results:
            report["collapse_risk"] = results["collapse"].get("risk")
        report["issues"] = issues
        if tier == "comprehensive":
            stage = results.pop("prediction", None) or {}
            report["prediction"] = stage.get("prediction")
            report["prediction_reason"] = stage.get("reason")
        report["checks"] = results
        timings["total"] = round(time.perf_counter() - started, 4)
        report["timings"] = timings
    report_progress("done", 100)
    # Insurance: whatever a check returned (numpy scalars, NaN), the report is strict JSON.
    return json_safe(report)


def _read_fused(ctx: Context, text_column: str | None) -> list[dict[str, Any]]:
    """The quick tier's one read (fused.py); the text column is chosen from its totals."""
    return fused.read(
        ctx,
        [text_aggregates] + [module.aggregates for module in FUSED_MODULES],
        [module.row_exprs for module in FUSED_MODULES],
        text_column=text_column,
        resolve=lambda: _resolve_columns(ctx, text_column),
    )


def _run_checks(
    ctx: Context, checks: list[tuple[str, Check]], progress: Progress, timings: dict[str, float], tier: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    results: dict[str, Any] = {}
    issues: list[dict[str, Any]] = []
    for position, (name, check) in enumerate(checks):
        _release_freed_memory()
        progress(name, int(100 * position / len(checks)))
        began = time.perf_counter()
        if position == len(QUICK_CHECKS) and tier != "quick":
            # The standard checks read the data many times: columns from a typed Parquet copy.
            ctx.table.materialize()
            timings["materialize"] = round(time.perf_counter() - began, 4)
            began = time.perf_counter()
        try:
            payload, found = check(ctx)
        except Exception as exc:  # noqa: BLE001 - one broken check must not sink the report
            logger.exception("check %s failed", name)
            payload = {"error": f"{type(exc).__name__}: {exc}"}
            # info: our failure says nothing about the data, so it must not lower its score.
            found = [
                issue(
                    name,
                    "info",
                    f"The {name.replace('_', ' ')} check could not run on this file (an "
                    "internal error, logged); the rest of the report is valid. Contact "
                    "support if you need this check.",
                )
            ]
        results[name] = payload
        ctx.results[name] = payload
        issues += found
        timings[name] = round(time.perf_counter() - began, 4)
    return results, issues


def _resolve_columns(ctx: Context, text_column: str | None) -> list[dict[str, Any]]:
    issues = []
    if text_column is not None and text_column not in ctx.dtypes:
        issues.append(
            issue(
                "parse",
                "error",
                f"The text column '{text_column}' is not in the file (columns: "
                f"{', '.join(ctx.table.columns)}); pass the right --text-column.",
            )
        )
        text_column = None
    if text_column is None:
        exclude = {ctx.target} if ctx.target else set()
        text_column = choose_text_column(ctx, exclude=exclude)
    ctx.text_column = text_column
    return issues


__all__ = ["TIERS", "EngineInputError", "run_validation"]
