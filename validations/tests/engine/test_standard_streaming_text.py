"""The text checks that stream the text column (text_quality in batches, collapse by sampled
positions) give what they gave on the whole column held as one list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from validations.engine import standard
from validations.engine.context import Context
from validations.engine.standard import collapse, text_quality
from validations.engine.standard.diversity import visit_order
from validations.tests.engine.helpers import validate
from validations.tests.engine.synthetic import zipf_texts

JUNK = {
    3: "Lorem ipsum dolor sit amet, consectetur adipiscing elit sed do eiusmod tempor.",
    8: "# # # ### #### ## buy ### now ### ### #### ## ##",
    13: "- one\n- two\n- three\n- four",  # bullet lines, on several lines
    20: "click here...\nmore...\nand more...",  # ellipsis lines
    21: "var x = {a: 1}",
    33: "12 34 56 78 90 11 22 33",
}


def _whole_column(ctx: Context) -> list[str | None]:
    """The text column as one list, as the checks read it before they streamed it."""
    assert ctx.text_column is not None
    return ctx.lazy().select(pl.col(ctx.text_column)).collect().to_series().to_list()


def _batches_of(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    read = Context.text_batches
    monkeypatch.setattr(Context, "text_batches", lambda self, *_, **__: read(self, size))


def _probe(monkeypatch: pytest.MonkeyPatch, path: Path, check, **options: Any) -> dict[str, Any]:
    """Run the standard tier with ``check(ctx)`` as its only standard check; what it returns.
    (The runner turns an exception into an error payload, so the test asserts outside.)"""
    seen: dict[str, Any] = {}

    def probe(ctx: Context):
        seen.update(check(ctx))
        return {}, []

    monkeypatch.setattr(standard, "STANDARD_CHECKS", [("probe", probe)])
    report = validate(path, tier="standard", **options)
    assert seen, report["checks"].get("probe")
    return seen


@pytest.fixture
def quality_csv(tmp_path: Path) -> Path:
    texts: list[str | None] = zipf_texts(40, words=12, seed=3)
    for position, text in JUNK.items():
        texts[position] = text
    texts[5] = "a fine first line\nand a fine second line of prose here."  # multi-line, not junk
    texts[11] = "   "
    texts[17] = None
    texts[27] = None
    texts[38] = ""
    path = tmp_path / "quality.csv"
    pl.DataFrame({"text": texts, "label": ["a", "b"] * 20}, schema={"text": pl.String, "label": pl.String}).write_csv(
        path
    )
    return path


@pytest.mark.parametrize("size", [1, 7])
def test_text_quality_in_small_batches_equals_the_whole_column(
    monkeypatch: pytest.MonkeyPatch, quality_csv: Path, size: int
) -> None:
    def check(ctx: Context) -> dict[str, Any]:
        whole = text_quality.rule_hits(_whole_column(ctx))
        streamed = text_quality.streamed_rule_hits(ctx)
        run_streamed = text_quality.run(ctx)
        with monkeypatch.context() as patch:
            patch.setattr(Context, "text_batches", lambda self, size=0: iter([(0, _whole_column(self))]))
            run_once = text_quality.run(ctx)
        return {"whole": whole, "streamed": streamed, "run_streamed": run_streamed, "run_once": run_once}

    _batches_of(monkeypatch, size)
    seen = _probe(monkeypatch, quality_csv, check, text_column="text")
    (counts, junk, tested), (s_counts, s_junk, s_tested) = seen["whole"], seen["streamed"]
    assert junk.tolist() == sorted(JUNK) == s_junk.tolist()
    assert s_junk.dtype == junk.dtype
    assert list(s_counts.items()) == list(counts.items()) and s_tested == tested == 36
    assert repr(seen["run_streamed"]) == repr(seen["run_once"])
    assert seen["run_streamed"][0]["rows"] == sorted(JUNK)


def test_text_quality_report_is_the_same_whatever_the_batch_size(
    monkeypatch: pytest.MonkeyPatch, quality_csv: Path
) -> None:
    def report() -> tuple[Any, list]:
        full = validate(quality_csv, tier="standard", text_column="text", target="label")
        return full["checks"]["text_quality"], [i for i in full["issues"] if i["check"] == "text_quality"]

    once = report()
    _batches_of(monkeypatch, 7)
    assert report() == once and once[0]["rows"] == sorted(JUNK)


def _collapse_csv(path: Path, count: int, seed: int) -> Path:
    texts: list[str | None] = zipf_texts(count, words=40, seed=seed)
    rng = np.random.default_rng(seed)
    for position in rng.choice(count, size=count // 10, replace=False):
        texts[position] = [None, "", "  \t ", "\x1c"][position % 4]
    pl.DataFrame({"id": range(count), "text": texts}, schema={"id": pl.Int64, "text": pl.String}).write_csv(path)
    return path


GUESS = collapse.CHARS_PER_TOKEN


@pytest.mark.parametrize(("chars_per_token", "fetch_batch"), [(GUESS, 7), (10_000, collapse.FETCH_BATCH)])
def test_collapse_on_sampled_positions_equals_the_whole_column(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, chars_per_token: int, fetch_batch: int
) -> None:
    # 10,000 characters per token: the first fetch is far too small, so the refetches are exercised;
    # batches of 7 rows: a wrong offset or a skipped batch picks other texts.
    monkeypatch.setattr(collapse, "CHARS_PER_TOKEN", chars_per_token)
    monkeypatch.setattr(collapse, "FETCH_BATCH", fetch_batch)
    path = _collapse_csv(tmp_path / "c.csv", 3000, seed=1)
    reference = _collapse_csv(tmp_path / "r.csv", 2600, seed=2)

    def check(ctx: Context) -> dict[str, Any]:
        sampled = collapse.SampledTexts(ctx)
        whole = _whole_column(ctx)
        return {
            "streamed": collapse.run(ctx),
            "whole": collapse.text_collapse(whole, collapse._reference_texts(ctx)),
            "fetched": len(sampled._texts),
            "rows": sampled.rows,
            "non_blank": sampled.non_blank,
            "expected_non_blank": sum(bool(t and t.strip()) for t in whole),
        }

    seen = _probe(monkeypatch, path, check, text_column="text", reference=reference)
    # more than C2ST_MAX_PER_SIDE non-blank texts: the two-sample side is drawn by rank
    assert seen["rows"] == 3000 and seen["non_blank"] == seen["expected_non_blank"] == 2700
    payload = seen["streamed"][0]
    assert payload["variant"] == "text_reference" and "c2st" in payload["risk"]["indicators"]
    assert repr(payload) == repr(seen["whole"])
    if chars_per_token == GUESS:
        assert seen["fetched"] < 3000  # only what the samples visit


@pytest.mark.parametrize("with_reference", [False, True])
def test_collapse_of_a_small_column_equals_the_whole_column(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, with_reference: bool
) -> None:
    monkeypatch.setattr(collapse, "FETCH_BATCH", 7)
    path = _collapse_csv(tmp_path / "c.csv", 300, seed=4)
    reference = _collapse_csv(tmp_path / "r.csv", 400, seed=5) if with_reference else None

    def check(ctx: Context) -> dict[str, Any]:
        return {
            "streamed": collapse.run(ctx),
            "whole": collapse.text_collapse(_whole_column(ctx), collapse._reference_texts(ctx)),
        }

    seen = _probe(monkeypatch, path, check, text_column="text", reference=reference)
    assert seen["streamed"][0]["variant"] == ("text_reference" if with_reference else "text")
    assert repr(seen["streamed"][0]) == repr(seen["whole"])


@pytest.mark.parametrize("rows", [0, 1, 2, 17, 1000, 123_457])
def test_visit_order_is_the_generators_permutation(rows: int) -> None:
    for seed in (17, 18, 19):
        assert np.array_equal(visit_order(rows, seed), np.random.default_rng(seed).permutation(rows))


def test_not_blank_pattern_is_pythons_whitespace() -> None:
    assert set(collapse.PY_WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}
    texts = ["", " ", "\x1c\x1f", "\u3000a", None, "x", "\u200b", "\t\n", "\xa0\u2009"]
    found = pl.Series(texts, dtype=pl.String).str.contains(collapse.NOT_BLANK).fill_null(False)
    assert found.to_list() == [bool(t and t.strip()) for t in texts]
