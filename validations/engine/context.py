"""What every check gets: the opened table, the run's options, and shared cached columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from validations.engine.io import Table

# A string column is taken as the text column when its values average at least this many words.
TEXT_MIN_MEAN_WORDS = 5.0
TEXT_MIN_MEAN_CHARS = 25.0


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
    row_values: dict[str, np.ndarray] = field(default_factory=dict)
    row_flags: dict[str, np.ndarray] = field(default_factory=dict)
    sample: pl.DataFrame | None = None  # the first rows, typed: predicts what pass 1 must compute
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

    def texts(self) -> list[str | None]:
        """The text column as a Python list, read once (standard tier needs it in memory)."""
        if "texts" not in self._cache:
            assert self.text_column is not None
            frame = self.lazy().select(pl.col(self.text_column)).collect(engine="streaming")
            self._cache["texts"] = frame.to_series().to_list()
        return self._cache["texts"]


def text_candidates(ctx: Context) -> list[str]:
    """String columns that could be the text column (never the target)."""
    return [n for n, d in ctx.dtypes.items() if d in ("string", "mixed") and n != ctx.target]


def likely_text(ctx: Context, name: str) -> bool:
    """From the sample: worth counting words of in pass 1 (half the prose thresholds)."""
    if ctx.sample is None or name not in ctx.sample.columns or ctx.sample.height == 0:
        return True
    chars = ctx.sample.select(pl.col(name).cast(pl.String).str.len_chars().mean()).item()
    return (chars or 0.0) >= TEXT_MIN_MEAN_CHARS / 2


def text_aggregates(ctx: Context) -> list[pl.Expr]:
    """Pass-1 statistics for choosing the text column (see ``choose_text_column``)."""
    exprs = []
    for name in text_candidates(ctx):
        col = pl.col(name).cast(pl.String)
        exprs.append(col.str.len_chars().mean().alias(f"text:chars:{name}"))
        if likely_text(ctx, name):
            exprs.append(col.str.count_matches(r"\S+").mean().alias(f"text:words:{name}"))
    return exprs


def choose_text_column(ctx: Context, *, exclude: set[str]) -> str | None:
    """``detect_text_column`` from the pass-1 statistics (word counts read again when missing)."""
    from validations.engine.fused import follow_up

    candidates = [n for n in text_candidates(ctx) if n not in exclude]
    if not candidates or ctx.rows == 0:
        return None
    missing = [
        pl.col(n).cast(pl.String).str.count_matches(r"\S+").mean().alias(f"text:words:{n}")
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


def detect_text_column(table: Table, rows: int, *, exclude: set[str]) -> str | None:
    """The string column with the longest values, if they read like prose (see thresholds)."""
    candidates = [n for n, d in table.dtypes.items() if d in ("string", "mixed") and n not in exclude]
    if not candidates or rows == 0:
        return None
    exprs = []
    for i, name in enumerate(candidates):
        col = pl.col(name)
        exprs.append(col.str.len_chars().mean().alias(f"c{i}"))
        exprs.append(col.str.count_matches(r"\S+").mean().alias(f"w{i}"))
    stats = table.lazy().select(exprs).collect(engine="streaming").row(0)
    best: tuple[float, str] | None = None
    for i, name in enumerate(candidates):
        chars, words = stats[2 * i] or 0.0, stats[2 * i + 1] or 0.0
        is_prose = words >= TEXT_MIN_MEAN_WORDS and chars >= TEXT_MIN_MEAN_CHARS
        if is_prose and (best is None or chars > best[0]):
            best = (chars, name)
    return best[1] if best else None
