"""Text-quality heuristics after Gopher (Rae et al. 2021), C4 (Raffel et al. 2020) and FineWeb.

Each text is tested against rules that mark boilerplate, markup or spam whatever the text's genre
(thresholds as published):
- alpha_words: < 80% of words contain a letter (Gopher).
- mean_word_length: mean word length outside 3..10 characters (Gopher).
- symbol_ratio: more than 0.1 '#' or '...' per word (Gopher).
- bullet_lines: > 90% of lines start with a bullet (Gopher).
- ellipsis_lines: > 30% of lines end with an ellipsis (Gopher).
- duplicate_lines: > 30% of lines repeat another line of the same text (Gopher).
- boilerplate: contains "lorem ipsum", "javascript" or "{" as in C4's filters.
- short_lines: > 67% of lines under 30 characters, on texts of 3+ lines (FineWeb).
Rules that depend on the corpus being web documents (Gopher's 50-word minimum, C4's terminal
punctuation, stop-word counts that assume English) are reported as shares only, never as issues,
because reviews, titles or other languages fail them legitimately.

Texts of one line of printable ASCII (spaces and tabs the only whitespace) — most short texts —
are tested all at once (``plain_flags``): for them every line rule is false and the word rules
reduce to counts, taken on their bytes with numpy (``word_counts``) and with Polars. Other texts go
through ``text_flags`` one by one. The rules of bench/speed.py's texts, one by one and at once:
1M ~10-word texts 17.2 -> 1.7 s, 200k ~116-word documents 28.6 -> 2.3 s (8.3 s when the word
counts were regular-expression matches).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np
import polars as pl

from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.report import capped_rows, fmt_count, issue, pct, verb
from validations.engine.standard.word_hashes import byte_runs, chunk_bounds

WARNING_FRACTION = 0.05
_WORD = re.compile(r"\S+")
_LETTER = re.compile(r"[^\W\d_]")
_BULLET = re.compile(r"^\s*([-*•‣◦▪●]|\d+[.)])\s")
_BOILERPLATE = re.compile(r"lorem ipsum|javascript|\{", re.IGNORECASE)
JUNK_RULES = (
    "alpha_words",
    "mean_word_length",
    "symbol_ratio",
    "bullet_lines",
    "ellipsis_lines",
    "duplicate_lines",
    "boilerplate",
    "short_lines",
)
INFO_RULES = ("under_50_words", "no_terminal_punctuation")


def text_flags(text: str) -> dict[str, bool]:
    words = _WORD.findall(text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    n_words = max(1, len(words))
    n_lines = max(1, len(lines))
    repeated = sum(c for c in Counter(lines).values() if c > 1)
    mean_length = sum(len(w) for w in words) / n_words
    return {
        "alpha_words": bool(words) and sum(bool(_LETTER.search(w)) for w in words) < 0.8 * n_words,
        "mean_word_length": bool(words) and not 3 <= mean_length <= 10,
        "symbol_ratio": (text.count("#") + text.count("...") + text.count("…")) > 0.1 * n_words,
        "bullet_lines": len(lines) > 1 and sum(bool(_BULLET.match(x)) for x in lines) > 0.9 * n_lines,
        "ellipsis_lines": len(lines) > 1 and sum(x.endswith(("...", "…")) for x in lines) > 0.3 * n_lines,
        "duplicate_lines": len(lines) > 1 and repeated > 0.3 * n_lines,
        "boilerplate": bool(_BOILERPLATE.search(text)),
        "short_lines": len(lines) >= 3 and sum(len(x) < 30 for x in lines) > 0.67 * n_lines,
        "under_50_words": len(words) < 50,
        "no_terminal_punctuation": not text.rstrip().endswith((".", "!", "?", '"', "”", "'")),
    }


PLAIN = r"^[ -~\t]*$"  # one line of printable ASCII


def word_counts(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(words, words holding a letter, characters in words) of each plain text, on its bytes: a word
    is a run of bytes other than space and tab (newlines only separate the texts here)."""
    words, letter_words, word_chars = (np.zeros(len(texts), dtype=np.int64) for _ in range(3))
    sizes = np.fromiter((len(t) + 1 for t in texts), np.int64, len(texts))
    bounds = chunk_bounds(sizes)
    for begin, end in zip(bounds[:-1], bounds[1:], strict=True):
        raw = np.frombuffer(("\n".join(texts[begin:end]) + "\n").encode(), dtype=np.uint8)
        flags = np.zeros(len(raw) + 1, dtype=bool)  # a blank before the first byte
        np.not_equal(raw, ord(" "), out=flags[1:])
        flags[1:] &= raw != ord("\t")
        flags[1:] &= raw != ord("\n")
        starts, ends, first_word = byte_runs(flags, sizes[begin:end])
        letters = np.r_[0, np.cumsum(((raw | np.uint8(0x20)) - np.uint8(ord("a"))) < 26)]
        per_text = np.r_[0, np.cumsum(letters[ends] > letters[starts])][first_word]
        letter_words[begin:end] = np.diff(per_text)
        words[begin:end] = np.diff(first_word)
        word_chars[begin:end] = np.diff(np.r_[0, np.cumsum(ends - starts)][first_word])
    return words, letter_words, word_chars


def plain_flags(texts: pl.Series) -> pl.DataFrame:
    """``text_flags`` of plain texts (see the module docstring), one row per text, by column."""
    col = pl.col("text")
    counted = word_counts(texts.to_list())
    words, letter_words, word_chars = (pl.lit(pl.Series(values)) for values in counted)
    symbols = col.str.count_matches("#", literal=True) + col.str.count_matches("...", literal=True)
    mean_length = word_chars / pl.max_horizontal(words, 1)
    false = pl.lit(False)
    return pl.select(text=texts).select(
        alpha_words=(words > 0) & (letter_words < 0.8 * pl.max_horizontal(words, 1)),
        mean_word_length=(words > 0) & ~mean_length.is_between(3, 10),
        symbol_ratio=symbols > 0.1 * pl.max_horizontal(words, 1),
        bullet_lines=false,
        ellipsis_lines=false,
        duplicate_lines=false,
        boilerplate=col.str.contains(r"(?i)lorem ipsum|javascript|\{"),
        short_lines=false,
        under_50_words=words < 50,
        no_terminal_punctuation=~col.str.strip_chars_end(" \t").str.contains(r"[.!?\"']$"),
    )


def rule_hits(texts: list[str | None]) -> tuple[dict[str, int], np.ndarray, int]:
    """(texts flagged per rule, positions of the texts failing a junk rule, texts tested): blank
    texts are not tested."""
    series = pl.Series("text", texts, dtype=pl.String)
    plain = series.str.contains(PLAIN) & (series.str.strip_chars(" \t").str.len_bytes() > 0)
    plain = plain.fill_null(False)
    is_plain = plain.to_numpy()
    plain_rows = np.flatnonzero(is_plain)
    flags = plain_flags(series.filter(plain))
    counts = {rule: int(flags[rule].sum()) for rule in JUNK_RULES + INFO_RULES}
    junk = plain_rows[flags.select(pl.any_horizontal(JUNK_RULES)).to_series().to_numpy()]
    other_junk: list[int] = []
    tested = len(plain_rows)
    for position in np.flatnonzero(~is_plain).tolist():
        text = texts[position]
        if not text or not text.strip():
            continue
        tested += 1
        hits = text_flags(text)
        for rule, hit in hits.items():
            counts[rule] += int(hit)
        if any(hits[r] for r in JUNK_RULES):
            other_junk.append(position)
    return counts, np.sort(np.concatenate([junk, np.array(other_junk, dtype=np.int64)])), tested


def streamed_rule_hits(ctx: Context) -> tuple[dict[str, int], np.ndarray, int]:
    """``rule_hits`` of the whole text column, read in batches (``Context.text_batches``) so that
    memory does not grow with the file's rows: every rule is a property of one text, so the counts
    add up and the junk positions of the batches, shifted by the batch's first position, follow
    each other in order."""
    counts = dict.fromkeys(JUNK_RULES + INFO_RULES, 0)
    junk: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    tested = 0
    for offset, texts in ctx.text_batches():
        batch_counts, batch_junk, batch_tested = rule_hits(texts)
        for rule, count in batch_counts.items():
            counts[rule] += count
        junk.append(batch_junk + offset)
        tested += batch_tested
    return counts, np.concatenate(junk), tested


def run(ctx: Context) -> CheckResult:
    if ctx.text_column is None:
        return {"column": None}, []
    counts, junk_rows, tested = streamed_rule_hits(ctx)
    rows = ctx.row_ids(junk_rows)
    total = max(1, tested)
    payload: dict[str, Any] = {
        "column": ctx.text_column,
        "rule_shares": {rule: round(count / total, 6) for rule, count in counts.items()},
        "count": len(rows),
        **capped_rows(rows),
    }
    issues = []
    if len(rows):
        fraction = len(rows) / max(1, ctx.rows)
        top = sorted(JUNK_RULES, key=lambda r: -counts[r])[:3]
        issues.append(
            issue(
                "text_quality",
                "warning" if fraction >= WARNING_FRACTION else "info",
                f"{fmt_count(len(rows), 'text')} ({pct(fraction)}) in '{ctx.text_column}' "
                f"{verb(len(rows), 'fails', 'fail')} web-text quality rules (mostly: "
                f"{', '.join(r.replace('_', ' ') for r in top if counts[r])}); review them and remove "
                "boilerplate, markup and spam.",
                column=ctx.text_column,
                count=len(rows),
                fraction=fraction,
                rows=rows,
            )
        )
    return payload, issues
