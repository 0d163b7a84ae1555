"""The light confirmation of "string" columns skips its regex and cast on cells holding a value the
sample showed to be plain (fused.known_values), and screens the text column with its derived flags
(fused._suspect_of): the counts must equal the full profile's on values the sample never saw."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from validations.engine import fused, runner
from validations.engine.runner import run_validation
from validations.engine.schema import text_exprs

LATE_CATEGORIES = [" red", "red\t", "NA", "n/a", "  ", "1.5", "RED", "null ", "\u00a0blue", "Gr\u00fcn", "nan", '"q"']
LATE_CATEGORIES.append("mi\u017f\u017fing")  # long s: no token once lower-cased, though (?i) regexes match it
LATE_TEXTS = [
    " padded text with words",
    "text with a trailing tab\t",
    "None",
    "  ",
    "?",
    "UNDEFINED",
    "short",
    "Ünïcödé text,  with double  spaces",
    "a text\r\nacross lines here",
    "12.5",
    "MI\u017f\u017fING",  # long s: no token once lower-cased, though a case-insensitive regex matches it
]


def _word(i: int) -> str:
    """A distinct word of letters per number."""
    return "".join(chr(97 + int(d, 26)) for d in np.base_repr(i, 26)) + "x"


def _table(path: Path, letters_only: bool = False) -> Path:
    """Texts with digits (counted directly) or of letters and spaces only (counted by exception)."""
    n = 300
    categories = [["red", "green", "blue"][i % 3] for i in range(n)]
    texts = [f"plain words of row number {_word(i) if letters_only else i} for the text column" for i in range(n)]
    for j, value in enumerate(LATE_CATEGORIES):
        categories[200 + j] = value
    for j, value in enumerate(LATE_TEXTS):
        texts[250 + j] = value
    categories[280], texts[281] = None, None
    frame = pl.DataFrame({"id": list(range(n)), "cat": categories, "text": texts, "y": [i % 2 for i in range(n)]})
    frame.write_csv(path)
    return path


def _profile(path: Path, name: str) -> dict[str, int]:
    """The full profile (schema.text_exprs) of every cell, read plainly."""
    row = pl.read_csv(path, infer_schema=False).select(text_exprs(name, 0)).row(0, named=True)
    return {key: int(row[f"{key}0"]) for key in ("nn", "bl", "tk", "fl")}


@pytest.mark.parametrize("letters_only", [False, True])
@pytest.mark.parametrize("sample_rows", [150, 100_000])
def test_known_values_and_text_flags_give_the_full_profiles_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_rows: int, letters_only: bool
) -> None:
    path = _table(tmp_path / "k.csv", letters_only)
    monkeypatch.setattr(runner, "SAMPLE_ROWS", sample_rows)
    monkeypatch.setattr(fused, "SAMPLE_ROWS", sample_rows)
    seen: dict[str, object] = {}
    known = fused.known_values
    monkeypatch.setattr(fused, "known_values", lambda ctx, name: seen.setdefault(name, known(ctx, name)))
    report = run_validation(path, tier="quick", text_column="text")
    if sample_rows == 150:  # the sample saw only the three plain categories
        assert sorted(seen["cat"]) == ["blue", "green", "red"] and seen["text"] is None
    columns = report["checks"]["missing"]["columns"]
    for name in ("cat", "text"):
        full = _profile(path, name)
        assert columns[name]["blank_cells"] == full["bl"]
        assert columns[name]["disguised_tokens"] == full["tk"]
        assert columns[name]["null_count"] == 300 - full["nn"]
    assert columns["cat"]["blank_cells"] == 1 and columns["cat"]["disguised_tokens"] == 4
    assert columns["text"]["blank_cells"] == 1 and columns["text"]["disguised_tokens"] == 3
    dtypes = {c["name"]: c["dtype"] for c in report["dataset"]["columns"]}
    assert dtypes["cat"] == "string" and dtypes["text"] == "string"


@pytest.mark.parametrize("letters_only", [False, True])
def test_the_fast_paths_do_not_change_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, letters_only: bool
) -> None:
    path = _table(tmp_path / "k.csv", letters_only)
    reports = []
    for plain in (False, True):
        if plain:  # every cell through the regexes and the cast, as before the fast paths
            monkeypatch.setattr(fused, "known_values", lambda ctx, name: None)
            monkeypatch.setattr(fused, "irregular", lambda ctx, name: None)
        monkeypatch.setattr(runner, "SAMPLE_ROWS", 150)
        monkeypatch.setattr(fused, "SAMPLE_ROWS", 150)
        report = run_validation(path, tier="quick", target="y", text_column="text")
        report.pop("timings")
        reports.append(json.dumps(report, sort_keys=True))
    assert reports[0] == reports[1]
