"""The near-duplicate search on a text column read in batches finds what the search on the whole
column finds (streamed_minhash.py), and the check reads the column in batches."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from validations.engine import context
from validations.engine.standard import minhash
from validations.engine.standard.streamed_minhash import streamed_clusters
from validations.tests.engine.helpers import validate
from validations.tests.engine.synthetic import edit_words, zipf_texts


def _corpus() -> list[str | None]:
    """Short and long texts, near-copies across the whole corpus, blank and null texts."""
    rng = random.Random(7)
    texts: list[str | None] = list(zipf_texts(120, words=40, vocab_size=400, seed=2))
    texts += [" ".join(f"w{rng.randrange(60)}" for _ in range(rng.randint(1, 9))) for _ in range(120)]
    for position in rng.sample(range(len(texts)), 60):
        text = texts[position]
        assert text is not None
        texts.insert(rng.randrange(len(texts) + 1), edit_words(text, 0.05, seed=position))
    for position in rng.sample(range(len(texts)), 12):
        texts.insert(position, rng.choice([None, "", "   ", "!!!"]))
    return texts


def _batches(texts: list[str | None], size: int) -> list[tuple[int, list[str | None]]]:
    return [(first, texts[first : first + size]) for first in range(0, len(texts), size)]


@pytest.mark.parametrize("size", [1, 7, 64, 10_000])
def test_streamed_search_finds_the_clusters_of_the_whole_column(size: int, tmp_path: Path) -> None:
    texts = _corpus()
    expected = minhash.near_duplicate_clusters(texts)
    assert len(expected[0]) >= 25  # the corpus has clusters across batch boundaries to find
    assert streamed_clusters(_batches(texts, size), tmp_path) == expected
    assert list(tmp_path.iterdir()) == []  # the spilled keys and shingles are gone


def test_streamed_search_of_nothing_and_of_texts_without_words(tmp_path: Path) -> None:
    assert streamed_clusters([], tmp_path) == ([], 0)
    assert streamed_clusters([(0, ["", None]), (2, ["!!!"])], tmp_path) == ([], 0)


def test_batches_out_of_order_are_refused(tmp_path: Path) -> None:
    with pytest.raises(AssertionError):
        streamed_clusters([(0, ["a b c"]), (5, ["a b c"])], tmp_path)


def _count_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the batches ``Context.text_batches`` yields from now on."""
    read: list[int] = []
    batches = context.Context.text_batches

    def counted(self: context.Context, size: int | None = None):  # noqa: ANN202 - a generator
        for offset, batch in batches(self, size):
            read.append(len(batch))
            yield offset, batch

    monkeypatch.setattr(context.Context, "text_batches", counted)
    return read


def test_the_check_reads_the_text_column_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [t if t is not None else "" for t in _corpus()]
    path = tmp_path / "texts.csv"
    pl.DataFrame({"id": range(len(texts)), "text": texts}).write_csv(path)
    whole = validate(path, tier="standard", text_column="text")["checks"]["near_duplicates"]
    monkeypatch.setattr(context, "TEXT_BATCH", 13)
    read = _count_batches(monkeypatch)
    streamed = validate(path, tier="standard", text_column="text")["checks"]["near_duplicates"]
    assert streamed == whole and streamed["cluster_count"] >= 25
    assert sum(read) >= len(texts) and max(read) <= 13


def test_band_pairs_link_each_bucket_member_to_its_first_text_once() -> None:
    rng = np.random.default_rng(3)
    # Few distinct keys per band, so buckets are large and most pairs meet again in other bands;
    # the low bits are zero, so the truncation of keys to make room for positions changes nothing.
    keys = rng.integers(0, 6, size=(9, 40)).astype(np.uint64) << np.uint64(40)
    ids = np.sort(rng.choice(1000, size=40, replace=False))
    expected = set()
    for band in keys:
        first_of: dict[int, int] = {}
        for position, key in enumerate(band.tolist()):
            if key in first_of:
                expected.add((int(ids[first_of[key]]), int(ids[position])))
            else:
                first_of[key] = position
    packed = minhash.packed_pairs_in_bands(list(keys), ids)
    assert np.all(packed[1:] > packed[:-1])  # sorted, each pair once
    assert {(int(p >> np.uint64(32)), int(p & np.uint64(0xFFFFFFFF))) for p in packed} == expected
    assert minhash.pairs_in_bands(keys, ids).tolist() == [list(pair) for pair in sorted(expected)]


def test_long_texts_are_read_fewer_to_a_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [t if t is not None else "" for t in _corpus()]
    path = tmp_path / "texts.csv"
    pl.DataFrame({"id": range(len(texts)), "text": texts}).write_csv(path)
    whole = validate(path, tier="standard", text_column="text")["checks"]
    mean_chars = whole["text_basics"]["length_chars"]["mean"]
    monkeypatch.setattr(context, "MIN_TEXT_BATCH", 1)
    budget = int(mean_chars * 20)  # ~20 texts a batch
    monkeypatch.setattr(context, "TEXT_BATCH_CHARS", budget)
    read = _count_batches(monkeypatch)
    streamed = validate(path, tier="standard", text_column="text")["checks"]
    assert max(read) == int(budget / mean_chars) and sum(read) >= len(texts)
    assert streamed["near_duplicates"] == whole["near_duplicates"]
    assert streamed["text_quality"] == whole["text_quality"]
