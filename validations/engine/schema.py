"""Type inference for text columns, and the engine's dtype names.

CSV/TSV cells are read as text and typed here, in one aggregate pass, because the engine must
tell apart a numeric column with a few disguised missing values ("NA", "?") from a column that
really mixes numbers and words; Polars' own inference either fails or makes both plain strings.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

# Lower-cased, stripped cell values that mean "missing" in practice.
MISSING_TOKENS = (
    "na",
    "n/a",
    "nan",
    "null",
    "none",
    "nil",
    "?",
    "-",
    "--",
    "missing",
    "#n/a",
    "undefined",
)
BOOL_TOKENS = ("true", "false")
# A column is "mixed" when at least this share of its values are numbers but not all are.
MIXED_MIN_NUMERIC_SHARE = 0.5


@dataclass
class TextProfile:
    """What the inference pass saw in one text column."""

    non_null: int
    blank: int  # whitespace-only cells
    tokens: int  # missing-value tokens such as NA, ?, null
    numeric: int
    integer: int
    boolean: int
    dtype: str

    @property
    def values(self) -> int:
        return self.non_null - self.blank - self.tokens


def dtype_name(dtype: pl.DataType) -> str:
    """The engine's stable dtype vocabulary, independent of Polars' names."""
    if dtype.is_integer():
        return "integer"
    if dtype.is_float() or dtype.is_decimal():
        return "float"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.String or dtype == pl.Categorical or dtype == pl.Enum:
        return "string"
    if dtype == pl.Date:
        return "date"
    if dtype == pl.Datetime:
        return "datetime"
    if dtype == pl.Null:
        return "empty"
    if dtype.is_nested():
        return "nested"
    return str(dtype).lower()


def text_exprs(name: str, index: int) -> list[pl.Expr]:
    """The full profile of one text column (see TextProfile)."""
    stripped = pl.col(name).str.strip_chars()
    lowered = stripped.str.to_lowercase()
    is_token = lowered.is_in(MISSING_TOKENS)
    value = pl.when(~is_token & (stripped != "")).then(stripped)
    return [
        pl.col(name).is_not_null().sum().alias(f"nn{index}"),
        (stripped == "").sum().alias(f"bl{index}"),
        is_token.sum().alias(f"tk{index}"),
        value.cast(pl.Float64, strict=False).is_not_null().sum().alias(f"fl{index}"),
        value.cast(pl.Int64, strict=False).is_not_null().sum().alias(f"in{index}"),
        value.str.to_lowercase().is_in(BOOL_TOKENS).sum().alias(f"bo{index}"),
    ]


def decide_dtype(profile: TextProfile) -> str:
    values = profile.values
    if values == 0:
        return "empty" if profile.non_null == 0 else "string"
    if profile.integer == values:
        return "integer"
    if profile.numeric == values:
        return "float"
    if profile.boolean == values:
        return "boolean"
    if profile.numeric >= MIXED_MIN_NUMERIC_SHARE * values:
        return "mixed"
    return "string"


def _quick_exprs(name: str, index: int) -> list[pl.Expr]:
    as_float = pl.col(name).cast(pl.Float64, strict=False)
    return [
        pl.col(name).count().alias(f"nn{index}"),
        as_float.is_not_null().sum().alias(f"fl{index}"),
        pl.col(name).cast(pl.Int64, strict=False).is_not_null().sum().alias(f"in{index}"),
        as_float.is_nan().sum().alias(f"nan{index}"),
    ]


def profile_text_columns(lf: pl.LazyFrame, names: list[str], *, engine: str = "streaming") -> dict[str, TextProfile]:
    """Streaming aggregates over ``names`` (String columns) → a profile and dtype per column.

    Two passes, because the full profile (strip, lower-case, token lookup) is 4x slower than a bare
    cast: first every column is cast as is; only columns that are not cleanly numeric (words,
    tokens such as NA, padded numbers, "nan") get the full profile. ``engine="in-memory"`` for a
    frame already in memory (the streaming engine's start-up costs ~0.1 s a query).
    """
    if not names:
        return {}
    row = lf.select([e for i, n in enumerate(names) for e in _quick_exprs(n, i)])
    quick = row.collect(engine=engine).row(0)
    profiles: dict[str, TextProfile] = {}
    needs_full: list[str] = []
    for i, name in enumerate(names):
        nn, fl, integer, nan = (int(v or 0) for v in quick[i * 4 : i * 4 + 4])
        if nn and fl == nn and not nan:
            dtype = "integer" if integer == nn else "float"
            profiles[name] = TextProfile(nn, 0, 0, fl, integer, 0, dtype=dtype)
        else:
            needs_full.append(name)
    if needs_full:
        exprs = [e for i, name in enumerate(needs_full) for e in text_exprs(name, i)]
        full = lf.select(exprs).collect(engine=engine).row(0)
        for i, name in enumerate(needs_full):
            nn, bl, tk, fl, integer, bo = (int(v or 0) for v in full[i * 6 : i * 6 + 6])
            profile = TextProfile(nn, bl, tk, fl, integer, bo, dtype="string")
            profile.dtype = decide_dtype(profile)
            profiles[name] = profile
    return {name: profiles[name] for name in names}


def typed_expr(name: str, dtype: str) -> pl.Expr:
    """Cast a text column to its inferred type; tokens like NA become null (counted elsewhere)."""
    stripped = pl.col(name).str.strip_chars()
    if dtype == "integer":
        return stripped.cast(pl.Int64, strict=False).alias(name)
    if dtype == "float":
        return stripped.cast(pl.Float64, strict=False).alias(name)
    if dtype == "boolean":
        lowered = stripped.str.to_lowercase()
        return pl.when(lowered == "true").then(True).when(lowered == "false").then(False).alias(name)
    return pl.col(name)
