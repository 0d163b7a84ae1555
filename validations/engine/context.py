"""What every check gets: the opened table, the run's options, and shared cached columns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from validations.engine.batches import iter_batches
from validations.engine.io import Table

# A string column is taken as the text column when its values average at least this many words.
TEXT_MIN_MEAN_WORDS = 5.0
TEXT_MIN_MEAN_CHARS = 25.0
# Names of the derived per-row columns (``derived_stages``).
WORDS = "__words:"
SHARE = "__share:"
PLAIN = "__plain:"
LOWER = "__lower:"
# Texts per batch of ``Context.text_batches``: 10M ~10-word texts held as one Python list took 1.3 GB.
# Long documents come fewer to a batch, TEXT_BATCH_CHARS characters on average: 200k ~900-character
# documents read as one batch of 500k took the standard tier to 1.2 GB, in batches of ~22k to 0.74.
TEXT_BATCH = 500_000
TEXT_BATCH_CHARS = 20_000_000
MIN_TEXT_BATCH = 1_000


@dataclass
class RowValues:
    """The per-row values of the fused read (fused.py), kept in a temporary Arrow IPC file so that
    memory does not grow with the rows: checks read one column, or one hash partition, at a time."""

    path: Path | None = None
    names: tuple[str, ...] = ()

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def scan(self) -> pl.LazyFrame:
        assert self.path is not None
        return pl.scan_ipc(self.path)

    def load(self, name: str) -> np.ndarray:
        return self.scan().select(name).collect().to_series().to_numpy()


@dataclass
class Context:
    table: Table
    rows: int
    columns: list[dict[str, Any]]  # dataset.columns of the report
    tier: str
    target: str | None = None
    text_column: str | None = None
    expected_rows: int | None = None
    declared_format: str | None = None
    reference: Table | None = None
    results: dict[str, Any] = field(default_factory=dict)  # payloads of the checks run so far
    # The fused passes' results (fused.py): aggregates by name, per-row hashes, flagged positions.
    stats: dict[str, Any] = field(default_factory=dict)
    row_values: RowValues = field(default_factory=RowValues)
    row_flags: dict[str, np.ndarray] = field(default_factory=dict)
    sample: pl.DataFrame | None = None  # the first rows, typed: predicts what the read must compute
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def dtypes(self) -> dict[str, str]:
        return self.table.dtypes

    def lazy(self) -> pl.LazyFrame:
        return self.table.lazy()

    def distinct(self, name: str) -> int:
        return next(int(c["distinct"] or 0) for c in self.columns if c["name"] == name)

    def numeric_columns(self) -> list[str]:
        return [n for n, d in self.dtypes.items() if d in ("integer", "float") and n != self.target]

    def string_columns(self) -> list[str]:
        return [n for n, d in self.dtypes.items() if d in ("string", "mixed")]

    def row_ids(self, positions: np.ndarray) -> np.ndarray:
        """Positions among parsed rows → 0-based data rows of the file."""
        return self.table.row_map(positions)

    def text_batch_rows(self) -> int:
        """Texts per batch: TEXT_BATCH, fewer for long texts (TEXT_BATCH_CHARS characters on average,
        but at least MIN_TEXT_BATCH texts). Module constants are read when called (tests lower them)."""
        mean = _mean_text_chars(self)
        if not mean:
            return TEXT_BATCH
        return min(TEXT_BATCH, max(MIN_TEXT_BATCH, int(TEXT_BATCH_CHARS / mean)))

    def text_batches(self, size: int | None = None) -> Iterator[tuple[int, list[str | None]]]:
        """The text column in file order, ``size`` texts at a time, each batch with the position of
        its first text: the standard tier's text checks stream it, so their memory does not grow
        with the file's rows. ``size`` defaults to ``text_batch_rows()``."""
        assert self.text_column is not None
        offset = 0
        for batch in iter_batches(self.table, columns=[self.text_column], batch_size=size or self.text_batch_rows()):
            if batch.height:
                yield offset, batch.to_series().to_list()
                offset += batch.height


def _mean_text_chars(ctx: Context) -> float | None:
    """The text column's mean length: measured by the read (text basics), else from the sample."""
    measured = (ctx.results.get("text_basics") or {}).get("length_chars") or {}
    if measured.get("mean"):
        return float(measured["mean"])
    name = ctx.text_column
    if ctx.sample is None or name not in ctx.sample.columns or ctx.sample.height == 0:
        return None
    mean = ctx.sample.select(pl.col(name).cast(pl.String).str.len_chars().mean()).item()
    return float(mean) if mean else None


def text_candidates(ctx: Context) -> list[str]:
    """String columns that could be the text column (never the target)."""
    return [n for n, d in ctx.dtypes.items() if d in ("string", "mixed") and n != ctx.target]


def likely_text(ctx: Context, name: str) -> bool:
    """From the sample: worth counting words of in the read (half the prose thresholds)."""
    if ctx.sample is None or name not in ctx.sample.columns or ctx.sample.height == 0:
        return True
    chars = ctx.sample.select(pl.col(name).cast(pl.String).str.len_chars().mean()).item()
    return (chars or 0.0) >= TEXT_MIN_MEAN_CHARS / 2


# Names of the intermediate per-row columns of ``with_derived``.
NOT_LETTERS = "__nl:"
SPACES = "__sp:"
ODD = "__odd:"
EXCEPTIONAL = "__exc:"
# Characters per cell of every string column, counted once: lengths, means, the ASCII test and the
# text measures all read it (``length``).
LENGTH = "__len:"
# Where the sample's texts mostly hold nothing but lower-case letters and single inner spaces, one
# regex search finds the texts that need the counting regexes (``_not_letters_by_exception``).
EXCEPTION_MAX_SHARE = 0.5
# Anything but lower-case letters and single spaces between them: another character (an upper-case
# letter too: such texts are exceptions only for lower-casing), two spaces in a row, or a space at
# either end.
EXCEPTION = r"[^\p{Ll} ]|  |^ | $"


def length(name: str) -> pl.Expr:
    """The derived number of characters of each cell of the string column ``name``."""
    return pl.col(LENGTH + name)


def _is_exceptional(col: pl.Expr) -> pl.Expr:
    return col.str.contains(EXCEPTION)


def _not_letters_by_exception(col: pl.Expr, name: str) -> list[list[pl.Expr]]:
    """Texts of letters and single inner spaces (most, predicted from the sample): one search finds
    the exceptions, and only those are searched again (masked: null elsewhere, which costs nothing)
    to count what is neither a letter nor whitespace and to tell irregular spacing. Every other
    text has no such character (none counted) and regular spacing."""
    exceptional = pl.col(EXCEPTIONAL + name)
    odd_one = pl.when(exceptional).then(col)
    counted = odd_one.str.count_matches(r"[^\p{L}\s]").fill_null(0)
    odd = odd_one.str.contains(r"\s\s|[^\S ]|^\s|\s$").fill_null(False)
    return [
        [_is_exceptional(col).alias(EXCEPTIONAL + name)],
        [counted.alias(NOT_LETTERS + name), odd.alias(ODD + name)],
    ]


def _not_letters_directly(col: pl.Expr, name: str) -> list[list[pl.Expr]]:
    """Texts with punctuation or digits (the usual prose): a count of what is neither a letter nor
    whitespace, and one search for irregular spacing."""
    odd = col.str.contains(r"\s\s|[^\S ]") | col.str.contains(r"^\s") | col.str.contains(r"\s$")
    return [[col.str.count_matches(r"[^\p{L}\s]").alias(NOT_LETTERS + name), odd.alias(ODD + name)]]


def _mostly_letters(ctx: Context, name: str) -> bool:
    sample = ctx.sample
    if sample is None or name not in sample.columns or sample.height == 0:
        return False
    share = sample.select(_is_exceptional(pl.col(name).cast(pl.String)).mean()).item()
    return share is not None and share < EXCEPTION_MAX_SHARE


def irregular(ctx: Context, name: str) -> pl.Expr | None:
    """For the text column: its derived per-row flag of texts holding anything but letters and
    single inner spaces, or of irregular spacing (either way every text with whitespace at an end
    is flagged); None for the other columns."""
    if name != ctx.text_column or name not in ctx.dtypes:
        return None
    return pl.col((EXCEPTIONAL if _mostly_letters(ctx, name) else ODD) + name)


def derived_stages(ctx: Context) -> list[list[pl.Expr]]:
    """Per-row measures that aggregates and row values both read: columns of the fused frame, in
    stages (a later one reads the columns of earlier ones, so each regex runs once per row: a shared
    sub-expression is not always computed once), see ``with_derived``. ``LENGTH`` for every string
    column; per possible text column: ``WORDS`` words, ``SHARE`` the share of non-space characters
    that are not letters (NaN when there are none), ``PLAIN`` true for ASCII letters and single
    inner spaces only (text normalisation leaves such a text as it is, but for its case), ``LOWER``
    true for the plain texts that are lower-case already (by exception only; else null).

    Words and whitespace: regular spacing (single spaces between words, none at the ends, no tabs
    or line breaks) is the common case, where a literal count of spaces gives both; the regex
    counts, ~3x slower, run only on the ``ODD`` texts (a masked column is null elsewhere, which
    costs nothing). Non-letters: counted either way below (the same counts), whichever the sample
    says is cheaper. Counting the rare characters (non-letters), not every letter, makes ~5x fewer
    regex matches."""
    names = text_candidates(ctx)
    if ctx.text_column in ctx.dtypes and ctx.text_column not in names:
        names.append(ctx.text_column)
    stages: list[list[pl.Expr]] = [[], [], []]
    strings = [n for n, d in ctx.dtypes.items() if d in ("string", "mixed")]
    for name in dict.fromkeys(strings + names):
        stages[0].append(pl.col(name).cast(pl.String).str.len_chars().alias(LENGTH + name))
    for name in names:
        col = pl.col(name).cast(pl.String)
        by_exception = _mostly_letters(ctx, name)
        counting = _not_letters_by_exception if by_exception else _not_letters_directly
        for stage, exprs in zip(stages, counting(col, name), strict=False):
            stage += exprs
        # The regex engine counts faster in long texts (126 vs 151 ms on 1M ~70-character texts), the
        # literal search in short ones (16 vs 29 ms on 1M city names).
        spaces_of = col.str.count_matches(" ", literal=not likely_text(ctx, name))
        stages[0].append(spaces_of.alias(SPACES + name))
        odd, spaces, non_letters = pl.col(ODD + name), pl.col(SPACES + name), pl.col(NOT_LETTERS + name)
        irregular = pl.when(odd).then(col)
        non_empty = (col.str.len_bytes() > 0).cast(pl.UInt32)
        words = pl.when(odd).then(irregular.str.count_matches(r"\S+")).otherwise(spaces + non_empty)
        whitespace = pl.when(odd).then(irregular.str.count_matches(r"\s")).otherwise(spaces)
        is_ascii = col.str.len_bytes() == length(name)
        regular = ~odd & (non_letters == 0)
        stages[2] += [words.alias(WORDS + name), (non_letters / (length(name) - whitespace)).alias(SHARE + name)]
        if by_exception:
            # Not an exception: lower-case letters and single inner spaces (plain, and lower-case when ASCII).
            lower = is_ascii & ~pl.col(EXCEPTIONAL + name)
            stages[2] += [(lower | (is_ascii & regular)).alias(PLAIN + name), lower.alias(LOWER + name)]
        else:
            stages[2] += [(is_ascii & regular).alias(PLAIN + name), pl.lit(None, dtype=pl.Boolean).alias(LOWER + name)]
    return [stage for stage in stages if stage]


def with_derived(frame: pl.LazyFrame, ctx: Context) -> pl.LazyFrame:
    """``frame`` with the derived per-row columns (``derived_stages``); Polars drops the ones no
    output reads."""
    for stage in derived_stages(ctx):
        frame = frame.with_columns(stage)
    return frame


def words_mean(name: str) -> pl.Expr:
    return pl.col(WORDS + name).mean().alias(f"text:words:{name}")


def text_aggregates(ctx: Context) -> list[pl.Expr]:
    """Aggregates of the fused read for choosing the text column (see ``choose_text_column``)."""
    exprs = []
    for name in text_candidates(ctx):
        exprs.append(length(name).mean().alias(f"text:chars:{name}"))
        if likely_text(ctx, name):
            exprs.append(words_mean(name))
    return exprs


def predict_text_column(ctx: Context) -> str | None:
    """``choose_text_column``'s rule applied to the sample (what the per-row outputs assume)."""
    if ctx.sample is None or ctx.sample.height == 0:
        return None
    best: tuple[float, str] | None = None
    for name in text_candidates(ctx):
        if name not in ctx.sample.columns:
            continue
        col = ctx.sample[name].cast(pl.String)
        chars = col.str.len_chars().mean() or 0.0
        words = col.str.count_matches(r"\S+").mean() or 0.0
        if words >= TEXT_MIN_MEAN_WORDS and chars >= TEXT_MIN_MEAN_CHARS and (best is None or chars > best[0]):
            best = (chars, name)
    return best[1] if best else None


def choose_text_column(ctx: Context, *, exclude: set[str]) -> str | None:
    """The string column with the longest values, if they read like prose (see thresholds), from
    the fused read's totals (word counts read again when missing)."""
    from validations.engine.fused import follow_up

    candidates = [n for n in text_candidates(ctx) if n not in exclude]
    if not candidates or ctx.rows == 0:
        return None
    missing = [
        words_mean(n)
        for n in candidates
        if f"text:words:{n}" not in ctx.stats and (ctx.stats.get(f"text:chars:{n}") or 0.0) >= TEXT_MIN_MEAN_CHARS
    ]
    follow_up(ctx, missing)
    best: tuple[float, str] | None = None
    for name in candidates:
        chars = ctx.stats.get(f"text:chars:{name}") or 0.0
        words = ctx.stats.get(f"text:words:{name}") or 0.0
        is_prose = words >= TEXT_MIN_MEAN_WORDS and chars >= TEXT_MIN_MEAN_CHARS
        if is_prose and (best is None or chars > best[0]):
            best = (chars, name)
    return best[1] if best else None
