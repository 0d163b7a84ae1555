"""The quick tier's reads: two streaming passes over the file instead of one per check.

Each pass over a CSV costs a full parse, the bulk of a quick scan's time, so the checks do not read
the file themselves: they declare what they need and read the results from the context.
- pass 1, aggregates (``aggregates(ctx) -> [expr]`` of each check module): one row of totals — the
  dataset summary (rows, nulls, approximate distinct values), the dtype confirmation counts, and
  every check's counts, extremes, modes, quantiles and label counts (``ctx.stats``).
- pass 2, per row (``row_exprs(ctx) -> [expr]``): 64-bit hashes (duplicates) and boolean flags
  (all-null rows, encoding damage, ...), flags packed in one integer (``ctx.row_values``).
The text column is chosen between the passes, from pass 1's length and word statistics.

Dtypes come from the first ``SAMPLE_ROWS`` rows and are confirmed in pass 1, as inspection does
(see inspection.py): numeric columns without blanks or tokens in the sample are parsed as numbers
by the CSV reader itself (a non-number fails the read), and every other text column gets its full
profile counts in the same pass. When a candidate is not confirmed, the counts already give the
exact dtypes: pass 1 runs again with them (rare: a column that changes its nature after the sample).
A statistic that a check wants only under a condition known after pass 1 (an exact distinct count
when the approximate one is close to the row count, a mode when there are few distinct values, word
counts of a long string column) is asked for in pass 1 when the sample predicts the condition; when
the sample guessed wrong, ``follow_up`` reads just those columns again, so results never depend on
the sample.

Memory: pass 1 must use only aggregates that Polars' streaming engine folds chunk by chunk (sums,
means, min/max, approximate distinct counts). A holistic one (mode, quantile, value_counts, a
filtered min) makes it hold its input column in memory — measured 3.5 GB at 10M rows. So modes and
label counts are streaming sums of "== value seen in the sample" (checks/columns.py, labels.py) and
text-length percentiles come from pass 2's per-row lengths; only the exact distinct count of an
ID-like candidate still holds its column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import polars as pl

from validations.engine import inspection
from validations.engine.errors import EngineInputError
from validations.engine.io import Table
from validations.engine.schema import MISSING_TOKENS, MIXED_MIN_NUMERIC_SHARE, TextProfile, decide_dtype, text_exprs

SAMPLE_ROWS = 10_000
RAW_PREFIX = "__raw:"
MAX_ATTEMPTS = 3

Exprs = Callable[[Any], list[pl.Expr]]


def sample_of(table: Table) -> pl.DataFrame:
    """The first SAMPLE_ROWS rows, typed (dtypes as sampled)."""
    if not table.columns:
        return pl.DataFrame()
    return table.lazy().head(SAMPLE_ROWS).collect()


def native_columns(table: Table) -> dict[str, pl.DataType]:
    """Inspection's native columns that the sample saw at least one value of."""
    profiles = table.text_profiles
    return {name: dtype for name, dtype in inspection.native_columns(table).items() if profiles[name].non_null}


def use_native(table: Table, native: dict[str, pl.DataType]) -> None:
    """Read ``native`` columns as numbers in the reader; the other text columns stay strings."""
    table.native = dict(native)
    table._raw = inspection.native_scan(table, native) if native else table._text_raw


def _confirm_columns(table: Table) -> list[str]:
    return [n for n in table.text_profiles if n not in table.native]


def _pass_frame(table: Table, confirm: list[str]) -> pl.LazyFrame:
    """The typed frame plus the raw text of columns whose profile is counted in this pass."""
    raw = table.raw_lazy()
    copies = [pl.col(n).alias(RAW_PREFIX + n) for n in confirm]
    return table.typed(raw.with_columns(copies) if copies else raw)


def _summary_exprs(table: Table) -> list[pl.Expr]:
    exprs = [pl.len().alias("summary:rows")]
    for i, name in enumerate(table.columns):
        exprs.append(pl.col(name).null_count().alias(f"summary:null{i}"))
        if table.dtypes[name] == "nested":
            exprs.append(pl.lit(None, dtype=pl.UInt32).alias(f"summary:distinct{i}"))
        else:
            exprs.append(pl.col(name).drop_nulls().approx_n_unique().alias(f"summary:distinct{i}"))
        if table.native.get(name) == pl.Float64:
            # "nan" parses as NaN but is a missing-value token for the exact reader.
            exprs.append(pl.col(name).is_nan().sum().alias(f"summary:nan{i}"))
    return exprs


_TOKEN = "(?i)^\\s*(?:" + "|".join(re.escape(t) for t in MISSING_TOKENS) + ")\\s*$"


def _light_exprs(name: str, index: int) -> list[pl.Expr]:
    """What confirms a column sampled as "string" at a fraction of the full profile's cost:
    exact non-null, blank and token counts (anchored regexes, no string copies), and an upper
    bound of its numbers (cells that parse as they are, plus padded cells that might)."""
    col = pl.col(name)
    return [
        col.is_not_null().sum().alias(f"nn{index}"),
        col.str.contains(r"^\s*$").sum().alias(f"bl{index}"),
        col.str.contains(_TOKEN).sum().alias(f"tk{index}"),
        col.cast(pl.Float64, strict=False).is_not_null().sum().alias(f"fl{index}"),
        col.str.contains(r"^\s|\s$").sum().alias(f"pad{index}"),
    ]


def _is_light(table: Table, name: str, exact: bool) -> bool:
    return not exact and table.dtypes[name] == "string"


def _confirm_exprs(table: Table, confirm: list[str], exact: bool) -> list[pl.Expr]:
    return [
        e.name.prefix("confirm:")
        for j, name in enumerate(confirm)
        for e in (_light_exprs if _is_light(table, name, exact) else text_exprs)(RAW_PREFIX + name, j)
    ]


def _light_profile(stats: dict[str, Any], j: int) -> TextProfile | None:
    """The profile of a sampled "string" column, or None when it might not be one after all."""
    nn, bl, tk, fl, pad = (int(stats[f"confirm:{key}{j}"] or 0) for key in ("nn", "bl", "tk", "fl", "pad"))
    profile = TextProfile(nn, bl, tk, fl, 0, 0, dtype="string")
    if profile.values and fl + pad < MIXED_MIN_NUMERIC_SHARE * profile.values:
        return profile
    return None


def _confirmed(table: Table, confirm: list[str], stats: dict[str, Any], exact: bool) -> bool:
    """Install the full-file profiles; False when a dtype differs from the sampled one."""
    rows = int(stats["summary:rows"] or 0)
    same = True
    for i, name in enumerate(table.columns):
        if table.native.get(name) is None:
            continue
        nulls = int(stats[f"summary:null{i}"] or 0)
        nn = rows - nulls
        is_int = table.native[name] == pl.Int64
        table.text_profiles[name] = TextProfile(nn, 0, 0, nn, nn if is_int else 0, 0, dtype=table.dtypes[name])
        if stats.get(f"summary:nan{i}"):
            same = False  # a "nan" token: the exact profile below decides
    for j, name in enumerate(confirm):
        if _is_light(table, name, exact):
            light = _light_profile(stats, j)
            if light is None:
                same = False
            else:
                table.text_profiles[name] = light
            continue
        counts = (int(stats[f"confirm:{key}{j}"] or 0) for key in ("nn", "bl", "tk", "fl", "in", "bo"))
        profile = TextProfile(*counts, dtype="string")
        profile.dtype = decide_dtype(profile)
        if table.format == "jsonl":
            profile.dtype = "mixed" if profile.dtype == "mixed" else "string"
        if profile.dtype != table.dtypes[name]:
            same = False
        table.text_profiles[name] = profile
        table.dtypes[name] = profile.dtype
    return same


def first_pass(ctx: Any, providers: Iterable[Exprs]) -> None:
    """Pass 1: summary, confirmed dtypes and every module's aggregates into ``ctx.stats``."""
    table = ctx.table
    providers = list(providers)
    if not table.columns:
        ctx.rows, ctx.columns, ctx.stats = 0, [], {}
        return
    use_native(table, native_columns(table))
    for attempt in range(MAX_ATTEMPTS):
        ctx.sample = sample_of(table)
        confirm = _confirm_columns(table)
        exact = attempt > 0
        exprs = _summary_exprs(table) + _confirm_exprs(table, confirm, exact)
        for provide in providers:
            exprs += provide(ctx)
        try:
            stats = _pass_frame(table, confirm).select(exprs).collect(engine="streaming").row(0, named=True)
        except pl.exceptions.PolarsError as exc:
            if table.native:  # a cell that is not a number in a column sampled as numbers
                use_native(table, {})
                continue
            detail = str(exc).strip().split("\n")[0]
            raise EngineInputError(f"The file could not be read as {table.format}: {detail}.") from exc
        if _confirmed(table, confirm, stats, exact) or attempt == MAX_ATTEMPTS - 1:
            break
        use_native(table, {})  # the counts are now exact profiles: read once more with them
    ctx.stats = stats
    ctx.rows = int(stats["summary:rows"] or 0)
    ctx.columns = [
        {
            "name": name,
            "dtype": table.dtypes[name],
            "null_fraction": round(stats[f"summary:null{i}"] / ctx.rows, 6) if ctx.rows else 0.0,
            "distinct": None
            if stats[f"summary:distinct{i}"] is None
            else min(int(stats[f"summary:distinct{i}"]), ctx.rows),
        }
        for i, name in enumerate(table.columns)
    ]


def follow_up(ctx: Any, exprs: list[pl.Expr]) -> None:
    """Aggregates that pass 1 did not compute because the sample did not predict them."""
    if exprs:
        ctx.stats.update(ctx.lazy().select(exprs).collect(engine="streaming").row(0, named=True))


def second_pass(ctx: Any, providers: Iterable[Exprs]) -> None:
    """Pass 2: per-row hashes and flags into ``ctx.row_values`` (flags as bits of one integer)."""
    hashes: list[pl.Expr] = []
    flags: list[pl.Expr] = []
    for provide in providers:
        for expr in provide(ctx):
            (flags if expr.meta.output_name().startswith("flag:") else hashes).append(expr)
    ctx.row_values, ctx.row_flags = {}, {}
    if not (hashes or flags) or ctx.rows == 0:
        return
    exprs = list(hashes)
    names = [e.meta.output_name() for e in flags]
    if flags:
        width = (
            pl.UInt64
            if len(flags) > 32
            else pl.UInt32
            if len(flags) > 16
            else pl.UInt16
            if len(flags) > 8
            else pl.UInt8
        )
        if len(flags) > 64:
            raise ValueError("at most 64 row flags")
        packed = pl.sum_horizontal(
            [e.fill_null(False).cast(width) * pl.lit(1 << bit, dtype=width) for bit, e in enumerate(flags)]
        ).cast(width)
        exprs.append(packed.alias("__flags"))
    frame = ctx.lazy().select(exprs).collect(engine="streaming")
    for expr in hashes:
        name = expr.meta.output_name()
        ctx.row_values[name] = frame[name].to_numpy()
    if flags:
        packed_values = frame["__flags"].to_numpy()
        for bit, name in enumerate(names):
            ctx.row_flags[name] = np.flatnonzero(packed_values & (1 << bit))


__all__ = ["SAMPLE_ROWS", "first_pass", "follow_up", "native_columns", "sample_of", "second_pass", "use_native"]
