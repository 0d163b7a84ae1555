"""The quick tier's read: one streaming pass over the file feeds every check.

Parsing a CSV is the bulk of a quick scan's time, so the checks do not read the file themselves:
they declare what they need and read the results from the context. Two outputs come from one Polars
query graph (``pl.collect_all``: the scan, the typing and the per-row text measures are shared by
both, so the file is parsed once):
- aggregates (``aggregates(ctx) -> [expr]`` of each check module): one row of totals — the dataset
  summary (rows, nulls, approximate distinct values), the dtype confirmation counts, and every
  check's counts, extremes and label counts (``ctx.stats``).
- per row (``row_exprs(ctx) -> [expr]``): hashes and small values named ``hash:``/``value:``, and
  boolean flags named ``flag:`` packed in one integer, written to a temporary Arrow IPC file
  (``ctx.row_values``, read back a column or a hash partition at a time); only the positions of the
  flagged rows come back into memory (``ctx.row_flags``).
Per-row measures that aggregates and row values both need (word counts, the non-letter share of
text columns: ``context.with_derived``) are columns of the shared frame, computed once. A third
output such as a group-by made Polars buffer the shared input (1.1 GB at 3M rows): avoid one.

Dtypes come from the first ``SAMPLE_ROWS`` rows and are confirmed while reading, as inspection does
(see inspection.py): numeric columns without blanks or tokens in the sample are parsed as numbers by
the CSV reader itself (a non-number fails the read), and every other text column gets its profile
counts in the same pass (for a "string" column a light one: a regex and a cast only on the cells
that a hash lookup does not find among the sample's plain values, ``known_values``, or, for the text
column, that its derived measures flag). When a candidate is not confirmed, the counts already give
the exact dtypes: the pass runs again with them (rare: a column that changes its nature after the
sample). The line totals of a CSV are counted meanwhile (io.open_table(defer_lines=True)): when they
disagree with the header, each line is checked and the file read again (``Table.settle``).
The per-row outputs rest on predictions from the sample (the text column, which string cells need
no stripping before hashing): after the read the providers are asked again, and when the whole file
contradicts a prediction their expressions differ and the per-row outputs are read once more.
A statistic that a check wants only under a condition known after the pass (an exact distinct count
when the approximate one is close to the row count, a mode when there are few distinct values) is
asked for when the sample predicts the condition; when the sample guessed wrong, ``follow_up`` reads
just those columns again, so results never depend on the sample.

Memory: aggregates must be ones that Polars' streaming engine folds chunk by chunk (sums, means,
min/max, approximate distinct counts). A holistic one (mode, quantile, n_unique, value_counts, a
filtered min) makes it hold its input column in memory — measured 3.5 GB at 10M rows. So exact
distinct counts, duplicates, modes and text-length percentiles come from the per-row file, which the
checks read in hash partitions of ~2M rows: peak memory measured 421 MB at 1M rows, 533 MB at 10M.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from validations.engine import inspection
from validations.engine.context import RowValues, irregular, length, likely_text, predict_text_column, with_derived
from validations.engine.errors import EngineInputError
from validations.engine.io import Table
from validations.engine.schema import MISSING_TOKENS, MIXED_MIN_NUMERIC_SHARE, TextProfile, decide_dtype, text_exprs

SAMPLE_ROWS = 10_000
RAW_PREFIX = "__raw:"
SUSPECT_PREFIX = "__suspect:"
KNOWN_PREFIX = "__known:"
# Columns sampled as "string" with at most this many distinct values, and at most this many per
# sampled row, are looked up in their known values (``known_values``).
KNOWN_MAX_VALUES = 5_000
KNOWN_MAX_SHARE = 0.2
MAX_ATTEMPTS = 4  # a line check, numbers that are not, dtypes that change, the last read
FLAGS = "__flags"

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


def frame_of(
    ctx: Any, confirm: list[str] | None = None, exact: bool = True, known: dict[str, pl.Series] | None = None
) -> pl.LazyFrame:
    """The typed frame with the derived per-row measures, plus the raw text of ``confirm`` columns
    (whose profile is counted in this pass) and, for the lightly confirmed ones, a per-row mask of
    the cells that could be blank, a token or padded (``_light_exprs``), and for those with known
    values (``known``, from ``_known_by_column``) a per-row mask of the cells that hold one."""
    if confirm:
        table = ctx.table
        light = [n for n in confirm if _is_light(table, n, exact)]
        known = known or {}
        copies = [pl.col(n).alias(RAW_PREFIX + n) for n in confirm]
        copies += [pl.col(n).is_in(values.implode()).alias(KNOWN_PREFIX + n) for n, values in known.items()]
        # A "string" column's typed values are its raw text: the derived measures apply to it.
        frame = with_derived(table.typed(table.raw_lazy().with_columns(copies)), ctx)
        return frame.with_columns(_suspect_of(ctx, n, known=n in known) for n in light)
    return with_derived(ctx.lazy(), ctx)


def _suspect_of(ctx: Any, name: str, *, known: bool) -> pl.Expr:
    """The per-row suspect mask of a lightly confirmed column (``_suspect``): only on the cells
    that are not known values (``known_values``), or, for the text column, from its derived flag
    of irregular texts (which holds every padded one), the empty texts, and the texts short enough
    to be a token (a case-insensitive match has as many characters as the token)."""
    raw = pl.col(RAW_PREFIX + name)
    flagged = None if known else irregular(ctx, name)
    if known:
        suspect = _suspect(_unknown(name), long=likely_text(ctx, name))
    elif flagged is not None:
        chars = length(name)
        token = pl.when(chars <= MAX_TOKEN_CHARS).then(raw).str.contains(f"(?i)^{_TOKENS}$")
        suspect = flagged | (chars == 0) | token
    else:
        suspect = _suspect(raw, long=likely_text(ctx, name))
    return suspect.fill_null(False).alias(SUSPECT_PREFIX + name)


def known_values(ctx: Any, name: str) -> pl.Series | None:
    """The values of a column sampled as "string" that the sample shows to be neither suspect
    (``_suspect``) nor numbers, when it has few distinct values (categories): a cell holding one of
    them needs neither the regex nor the cast of ``_light_exprs``, and looking it up costs ~5x less
    (measured on 6 category columns of 1M rows: 0.05 s vs 0.26 s for the regex alone). The other
    cells are checked as before, so the counts do not depend on the sample."""
    sample = ctx.sample
    if sample is None or name not in sample.columns or sample[name].dtype != pl.String:
        return None
    values = sample[name].drop_nulls().unique()
    if not len(values) or len(values) > min(KNOWN_MAX_VALUES, KNOWN_MAX_SHARE * sample.height):
        return None
    col = pl.col(name)
    plain = ~_suspect(col, long=False) & col.cast(pl.Float64, strict=False).is_null()
    values = pl.DataFrame({name: values}).filter(plain)[name].sort()
    return values if len(values) else None


def _known_by_column(ctx: Any, confirm: list[str], exact: bool) -> dict[str, pl.Series]:
    """``known_values`` of each lightly confirmed column that has them (read by the frame and the
    confirmation counts of one pass)."""
    light = [n for n in confirm if _is_light(ctx.table, n, exact)]
    return {n: values for n in light if (values := known_values(ctx, n)) is not None}


def _unknown(name: str) -> pl.Expr:
    """The raw cells of ``name`` that are not known values (null elsewhere)."""
    return pl.when(~pl.col(KNOWN_PREFIX + name)).then(pl.col(RAW_PREFIX + name))


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


_TOKENS = "(?:" + "|".join(re.escape(t) for t in MISSING_TOKENS) + ")"
MAX_TOKEN_CHARS = max(len(t) for t in MISSING_TOKENS)


def _suspect(col: pl.Expr, *, long: bool) -> pl.Expr:
    """Cells that are empty, padded or a token: rare in a string column. One regex call per cell,
    except in long texts, where a pattern that can match at the end scans every cell to its end:
    there "\\s$" is a second, anchored search (~4x faster on ~70-character texts)."""
    if long:
        return col.str.contains(f"(?i)^(?:$|\\s|{_TOKENS}$)") | col.str.contains(r"\s$")
    return col.str.contains(f"(?i)^$|^\\s|\\s$|^{_TOKENS}$")


def _light_exprs(name: str, index: int, *, known: bool) -> list[pl.Expr]:
    """What confirms a column sampled as "string" at a fraction of the full profile's cost:
    exact blank and token counts, and an upper bound of its numbers (cells that parse as they are,
    plus padded cells that might). Blank, token and padded cells are all among the suspects
    (``_suspect``), so those regexes run only on them; known values (``known_values``) are no
    numbers, so only the other cells are cast."""
    col = pl.col(RAW_PREFIX + name)
    suspect = pl.when(pl.col(SUSPECT_PREFIX + name)).then(col)
    numbers = _unknown(name) if known else col
    return [
        suspect.str.contains(r"^\s*$").sum().alias(f"bl{index}"),
        # As the full profile counts them (schema.text_exprs): a case-insensitive regex also matches
        # "miſſing" (long s folds to s), which lower-casing leaves as it is. Suspects are rare.
        suspect.str.strip_chars().str.to_lowercase().is_in(MISSING_TOKENS).sum().alias(f"tk{index}"),
        numbers.cast(pl.Float64, strict=False).is_not_null().sum().alias(f"fl{index}"),
        # Two anchored searches: one regex with both ends would scan every cell to its end.
        (suspect.str.contains(r"^\s") | suspect.str.contains(r"\s$")).sum().alias(f"pad{index}"),
    ]


def _is_light(table: Table, name: str, exact: bool) -> bool:
    return not exact and table.dtypes[name] == "string"


def _confirm_exprs(ctx: Any, confirm: list[str], exact: bool, known: dict[str, pl.Series]) -> list[pl.Expr]:
    exprs = []
    for j, name in enumerate(confirm):
        if _is_light(ctx.table, name, exact):
            found = _light_exprs(name, j, known=name in known)
        else:
            found = text_exprs(RAW_PREFIX + name, j)
        exprs += [e.name.prefix("confirm:") for e in found]
    return exprs


def _light_profile(stats: dict[str, Any], i: int, j: int) -> TextProfile | None:
    """The profile of a sampled "string" column, or None when it might not be one after all."""
    bl, tk, fl, pad = (int(stats[f"confirm:{key}{j}"] or 0) for key in ("bl", "tk", "fl", "pad"))
    # A "string" column's typed values are its raw text: the summary counted the same nulls.
    nn = int(stats["summary:rows"] or 0) - int(stats[f"summary:null{i}"] or 0)
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
            light = _light_profile(stats, table.columns.index(name), j)
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


def _row_exprs(ctx: Any, providers: Iterable[Exprs]) -> list[pl.Expr]:
    return [expr for provide in providers for expr in provide(ctx)]


def _kind(expr: pl.Expr) -> str:
    return expr.meta.output_name().split(":", 1)[0]


def _packed(flags: list[pl.Expr]) -> pl.Expr:
    if len(flags) > 64:
        raise ValueError("at most 64 row flags")
    width = next(
        w for bits, w in ((8, pl.UInt8), (16, pl.UInt16), (32, pl.UInt32), (64, pl.UInt64)) if len(flags) <= bits
    )
    bits = [e.fill_null(False).cast(width) * pl.lit(1 << bit, dtype=width) for bit, e in enumerate(flags)]
    return pl.sum_horizontal(bits).cast(width).alias(FLAGS)


def _row_queries(ctx: Any, frame: pl.LazyFrame, exprs: list[pl.Expr]) -> list[pl.LazyFrame]:
    """The per-row query (values, and the flags packed in one integer), written to a file."""
    values = [e for e in exprs if _kind(e) != "flag"]
    flags = [e for e in exprs if _kind(e) == "flag"]
    if not (values or flags):
        return []
    return [frame.select(values + ([_packed(flags)] if flags else [])).sink_ipc(_rows_path(ctx), lazy=True)]


def _rows_path(ctx: Any) -> Path:
    assert ctx.table.work_dir is not None
    return ctx.table.work_dir / "rows.arrow"


def _install_rows(ctx: Any, exprs: list[pl.Expr]) -> None:
    ctx.row_values, ctx.row_flags = RowValues(), {}
    if not exprs:
        return
    ctx.row_values = RowValues(_rows_path(ctx), tuple(e.meta.output_name() for e in exprs if _kind(e) != "flag"))
    flags = [e.meta.output_name() for e in exprs if _kind(e) == "flag"]
    if not flags:
        return
    # Only the flagged rows come back into memory.
    flagged = (
        pl.scan_ipc(_rows_path(ctx))
        .with_row_index("row")
        .filter(pl.col(FLAGS) != 0)
        .select("row", FLAGS)
        .collect(engine="streaming")
    )
    rows, packed = flagged["row"].to_numpy().astype(np.int64), flagged[FLAGS].to_numpy()
    for bit, flag in enumerate(flags):
        ctx.row_flags[flag] = rows[(packed & (1 << bit)) != 0]


def _collect(queries: list[pl.LazyFrame]) -> list[pl.DataFrame]:
    # One graph: Polars shares the scan and the typed frame between the queries (parsed once).
    return pl.collect_all(queries, engine="streaming") if queries else []


def read(
    ctx: Any,
    aggregates: Iterable[Exprs],
    row_values: Iterable[Exprs],
    *,
    text_column: str | None,
    resolve: Callable[[], list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Read the file once into ``ctx`` (stats, rows, columns, per-row values and flags).

    ``resolve()`` chooses the text column from the totals and returns setup issues; the per-row
    outputs are read again only when it differs from the one predicted (``text_column`` when the
    caller names one, else the sample's choice) or another prediction failed.
    """
    table = ctx.table
    aggregates, row_values = list(aggregates), list(row_values)
    ctx.row_values, ctx.row_flags = RowValues(), {}
    if not table.columns:
        ctx.rows, ctx.columns, ctx.stats = 0, [], {}
        return resolve()
    use_native(table, native_columns(table))
    for attempt in range(MAX_ATTEMPTS):
        confirm = _confirm_columns(table)
        exact = attempt > 0
        try:
            ctx.sample = sample_of(table)
            ctx.text_column = text_column if text_column in table.dtypes else predict_text_column(ctx)
            known = _known_by_column(ctx, confirm, exact)
            exprs = _summary_exprs(table) + _confirm_exprs(ctx, confirm, exact, known)
            for provide in aggregates:
                exprs += provide(ctx)
            rows = _row_exprs(ctx, row_values)
            frame = frame_of(ctx, confirm, exact, known)
            totals, *_ = _collect([frame.select(exprs)] + _row_queries(ctx, frame, rows))
        except pl.exceptions.PolarsError as exc:
            if table.check_lines():  # only the line totals were checked: now each line is
                use_native(table, native_columns(table))
                continue
            if table.native:  # a cell that is not a number in a column sampled as numbers
                use_native(table, {})
                continue
            detail = str(exc).strip().split("\n")[0]
            raise EngineInputError(f"The file could not be read as {table.format}: {detail}.") from exc
        if not table.settle():  # the line totals, counted meanwhile, disagree: check each line, read again
            table.check_lines()
            use_native(table, native_columns(table))
            continue
        stats = totals.row(0, named=True)
        same = _confirmed(table, confirm, stats, exact)
        if same or attempt == MAX_ATTEMPTS - 1:
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
    issues = resolve()
    # The per-row outputs rest on predictions (the text column, cells that need no stripping): when
    # the whole file contradicts one, the providers now ask for something else, read once more.
    settled = _row_exprs(ctx, row_values)
    if not same or [e.meta.serialize() for e in settled] != [e.meta.serialize() for e in rows]:
        rows = settled
        _collect(_row_queries(ctx, frame_of(ctx), rows))
    _install_rows(ctx, rows)
    return issues


def padded_cells(ctx: Any, name: str) -> int | None:
    """Cells of a string column with whitespace at either end, counted by the read; None before it
    and for columns whose profile it did not count this way."""
    confirm = _confirm_columns(ctx.table)
    if name not in confirm:
        return None
    count = ctx.stats.get(f"confirm:pad{confirm.index(name)}")
    return None if count is None else int(count)


def follow_up(ctx: Any, exprs: list[pl.Expr]) -> None:
    """Aggregates that the pass did not compute because the sample did not predict them."""
    if exprs:
        ctx.stats.update(frame_of(ctx).select(exprs).collect(engine="streaming").row(0, named=True))


__all__ = ["SAMPLE_ROWS", "follow_up", "frame_of", "native_columns", "padded_cells", "read", "sample_of", "use_native"]
