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
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np

from validations.engine.checks import CheckResult
from validations.engine.context import Context
from validations.engine.report import capped_rows, fmt_count, issue, pct, verb

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


def run(ctx: Context) -> CheckResult:
    if ctx.text_column is None:
        return {"column": None}, []
    texts = ctx.texts()
    counts = dict.fromkeys(JUNK_RULES + INFO_RULES, 0)
    junk_rows: list[int] = []
    for position, text in enumerate(texts):
        if not text or not text.strip():
            continue
        flags = text_flags(text)
        for rule, hit in flags.items():
            counts[rule] += int(hit)
        if any(flags[r] for r in JUNK_RULES):
            junk_rows.append(position)
    rows = ctx.row_ids(np.array(junk_rows, dtype=np.int64))
    total = max(1, sum(1 for t in texts if t and t.strip()))
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
