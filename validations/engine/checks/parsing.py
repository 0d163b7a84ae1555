"""Parse & schema, and row-count verification."""

from __future__ import annotations

import polars as pl

from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.report import capped_rows, fmt_count, issue, pct, verb
from validations.engine.schema import MISSING_TOKENS

MAX_BAD_LINES_LISTED = 100_000


def run_parse(ctx: Context) -> CheckResult:
    table = ctx.table
    scan = table.structure
    issues = []
    bad_lines = [] if scan is None else [{"line": b.line, "reason": b.reason} for b in scan.bad]
    payload = {
        "format": table.format,
        "declared_format": ctx.declared_format,
        "compression": table.compression,
        "columns": dict(table.dtypes),
        "mixed_type_columns": {},
        "bad_line_count": 0 if scan is None else scan.bad_count,
        "bad_lines": bad_lines[:MAX_BAD_LINES_LISTED],
        "blank_line_count": 0 if scan is None else len(scan.blank_lines),
        "encoding_error_count": 0 if scan is None else scan.encoding_error_count,
        "encoding_error_lines": [] if scan is None else [ln for ln, _ in scan.encoding_errors],
        "warnings": list(table.warnings),
    }
    for warning in table.warnings:
        issues.append(issue("parse", "warning", f"{warning} Check the export settings."))
    if scan is not None and scan.bad_count:
        first = scan.bad[0]
        fraction = scan.bad_count / max(1, scan.records)
        issues.append(
            issue(
                "parse",
                "error" if fraction >= 0.01 else "warning",
                f"{fmt_count(scan.bad_count, 'row')} ({pct(fraction)}) could not be parsed and were "
                f"left out of every other check; the first is line {first.line}: {first.reason}. "
                "Fix the export (quoting, separators) or remove those lines.",
                count=scan.bad_count,
                fraction=fraction,
            )
        )
    if scan is not None and scan.blank_lines:
        issues.append(
            issue(
                "parse",
                "info",
                f"{fmt_count(len(scan.blank_lines), 'blank line')} skipped (first: line "
                f"{scan.blank_lines[0]}); harmless, but remove them if your loader counts them.",
                count=len(scan.blank_lines),
            )
        )
    if scan is not None and scan.encoding_error_count:
        line, byte = scan.encoding_errors[0]
        issues.append(
            issue(
                "parse",
                "warning",
                f"{fmt_count(scan.encoding_error_count, 'line')} contain bytes that are not valid "
                f"UTF-8 (first: line {line}, byte {byte}); they were read with replacement "
                "characters. Re-export the file as UTF-8.",
                count=scan.encoding_error_count,
                fraction=scan.encoding_error_count / max(1, scan.records),
            )
        )
    renamed = [n for n in table.columns if n not in table.original_columns]
    if table.format in ("csv", "tsv") and renamed:
        issues.append(
            issue(
                "parse",
                "warning",
                f"Column names are duplicated or blank; read as {', '.join(renamed)}. Give every column a unique name.",
            )
        )
    for name, profile in table.text_profiles.items():
        if profile.dtype != "mixed":
            continue
        non_numeric = _non_numeric_rows(ctx, name)
        examples = non_numeric["examples"]
        payload["mixed_type_columns"][name] = {
            "numeric_values": profile.numeric,
            "other_values": profile.values - profile.numeric,
            "examples": examples,
            **capped_rows(non_numeric["rows"]),
        }
        other = profile.values - profile.numeric
        issues.append(
            issue(
                "parse",
                "warning",
                f"Column '{name}' is mostly numbers but {fmt_count(other, 'value')} "
                f"{verb(other, 'is', 'are')} not "
                f"(e.g. {', '.join(repr(e) for e in examples)}); fix those cells or mark them "
                "missing so the column can be used as a number.",
                column=name,
                count=other,
                fraction=other / max(1, ctx.rows),
                rows=non_numeric["rows"],
            )
        )
    return payload, issues


def _non_numeric_rows(ctx: Context, name: str) -> dict:
    stripped = pl.col(name).str.strip_chars()
    is_other = (
        stripped.is_not_null()
        & (stripped != "")
        & ~stripped.str.to_lowercase().is_in(MISSING_TOKENS)
        & stripped.cast(pl.Float64, strict=False).is_null()
    )
    frame = (
        ctx.table.raw_lazy()
        .with_row_index("__row")
        .filter(is_other)
        .select("__row", pl.col(name))
        .collect(engine="streaming")
    )
    examples = frame[name].unique(maintain_order=True).head(3).to_list()
    return {"rows": ctx.row_ids(frame["__row"].to_numpy()), "examples": examples}


def run_row_count(ctx: Context) -> CheckResult:
    scan = ctx.table.structure
    issues = []
    payload = {
        "rows": ctx.rows,
        "rows_in_file": ctx.rows if scan is None else scan.records,
        "expected_rows": ctx.expected_rows,
        "metadata_rows": ctx.table.metadata_rows,
        "matches_expected": None if ctx.expected_rows is None else ctx.rows == ctx.expected_rows,
    }
    if ctx.expected_rows is not None and payload["rows_in_file"] != ctx.expected_rows:
        issues.append(
            issue(
                "row_count",
                "error",
                f"The file has {payload['rows_in_file']:,} data rows but {ctx.expected_rows:,} were "
                "declared; check that the export is complete (or the declared count is right).",
                count=abs(payload["rows_in_file"] - ctx.expected_rows),
            )
        )
    if ctx.table.metadata_rows is not None and ctx.rows:
        # Decode one column for real: Polars answers a bare count from the metadata itself.
        first = ctx.table.columns[0]
        read = ctx.lazy().select(pl.col(first).is_null()).collect(engine="streaming").height
        payload["rows_read"] = read
    if ctx.table.metadata_rows is not None and payload.get("rows_read", ctx.rows) != ctx.table.metadata_rows:
        issues.append(
            issue(
                "row_count",
                "error",
                f"The Parquet metadata says {ctx.table.metadata_rows:,} rows but "
                f"{payload.get('rows_read', ctx.rows):,} were "
                "read; the file is damaged — write it again.",
            )
        )
    if ctx.rows == 0:
        issues.append(
            issue(
                "row_count",
                "warning",
                "The file has a header but no data rows; upload the file with its data.",
                count=0,
            )
        )
    return payload, issues
