"""The standard checks that read the file in bounded pieces give what reading it whole gave.

Each test compares the bounded path with the computation it replaced (written out here), with the
batch or partition sizes made small so that the bounded path really splits the rows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from validations.engine.io import open_table
from validations.engine.prediction import label_noise
from validations.engine.standard import conflicts, pii


def _table(rows: int, seed: int, labelled: float = 0.85) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    prices = rng.normal(100, 20, rows)
    prices[rng.random(rows) < 0.1] = np.nan
    return pl.DataFrame(
        {
            "id": np.arange(rows),
            "kind": rng.choice(["a", "b", "c"], rows).tolist(),
            "price": pl.Series(prices).fill_nan(None),
            "flag": rng.random(rows) < 0.5,
            "day": [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 300, rows)],
            "text": [f"word{v} and more words {v % 7}" for v in rng.integers(0, 10_000, rows)],
            "label": [
                f"c{v}" if keep else None
                for v, keep in zip(rng.integers(0, 4, rows), rng.random(rows) < labelled, strict=True)
            ],
        }
    )


def _scan(tmp_path: Path, frame: pl.DataFrame) -> pl.LazyFrame:
    # As the standard checks read it: the typed Parquet copy.
    path = tmp_path / "typed.parquet"
    frame.write_parquet(path, row_group_size=97)
    return pl.scan_parquet(path)


def _sample_reference(frame: pl.LazyFrame, target: str, size: int) -> pl.DataFrame:
    collected = frame.with_row_index("__row").filter(pl.col(target).is_not_null()).collect()
    return collected.sample(size, seed=label_noise.SEED) if collected.height > size else collected


@pytest.mark.parametrize(
    ("rows", "size", "labelled"),
    [(3_000, 400, 0.85), (3_000, 2_900, 0.85), (300, 400, 0.85), (300, 400, 0.0), (500, 1, 0.02)],
)
def test_labelled_sample_is_the_sample_of_the_collected_labelled_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int, size: int, labelled: float
) -> None:
    monkeypatch.setattr(label_noise, "SAMPLE_BATCH", 61)
    frame = _scan(tmp_path, _table(rows, seed=rows + size, labelled=labelled))
    assert len(list(frame.collect_batches(chunk_size=label_noise.SAMPLE_BATCH))) > 3
    with open_table(tmp_path / "typed.parquet") as table:  # read a slice of the file per batch
        sample = label_noise.labelled_sample(table, "label", size)
    # The same rows, in the same (drawn, not file) order, with the same columns and types.
    assert_frame_equal(sample, _sample_reference(frame, "label", size))
    labelled_rows = frame.select(pl.col("label").is_not_null().sum()).collect().item()
    assert sample.height == min(size, labelled_rows)
    # A drawn sample keeps the draw's order; all the labelled rows keep the file's.
    assert sample["__row"].is_sorted() == (labelled_rows <= size or size == 1)


def _groups_reference(frame: pl.LazyFrame, features: list[str], target: str) -> list[list[int]]:
    hashed = (
        frame.select(
            pl.struct(features).hash(seed=7).alias("f"),
            pl.col(target).hash(seed=8).alias("t"),
            pl.col(target).is_null().alias("unlabelled"),
        )
        .with_row_index("row")
        .filter(~pl.col("unlabelled"))
        .collect()
    )
    groups = (
        hashed.group_by("f")
        .agg(pl.col("t").n_unique().alias("labels"), pl.col("row"))
        .filter(pl.col("labels") > 1)
        .sort(pl.col("row").list.first())
    )
    return groups["row"].to_list()


@pytest.mark.parametrize(("part_rows", "spill_rows"), [(1_000_000, 500_000), (300, 64), (37, 1_000)])
def test_conflict_groups_by_partition_are_the_groups_of_all_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part_rows: int, spill_rows: int
) -> None:
    monkeypatch.setattr(conflicts, "PART_ROWS", part_rows)
    monkeypatch.setattr(conflicts, "SPILL_ROWS", spill_rows)
    rng = np.random.default_rng(4)
    rows = 2_000
    table = (
        _table(rows, seed=4)
        .select("label")
        .with_columns(
            # Few distinct feature rows: many repeat, some with one label, some with several.
            a=pl.Series(rng.integers(0, 40, rows)),
            b=pl.Series(rng.choice(["x", "y", None], rows).tolist()),
            c=pl.Series(rng.choice([0.5, float("nan"), None], rows).tolist(), dtype=pl.Float64),
        )
    )
    # Groups whose rows all share one label are repeats, not conflicts.
    table = pl.concat([table, table.head(300).with_columns(a=pl.col("a") + 1_000)])
    frame = _scan(tmp_path, table)
    features = ["a", "b", "c"]
    hashed = conflicts.row_hashes(features, "label")(frame.with_row_index("row")).collect_batches(chunk_size=spill_rows)
    found = conflicts.conflict_groups(hashed, table.height, tmp_path)
    expected = _groups_reference(frame, features, "label")
    assert found == expected
    assert len(expected) > 20 and any(len(g) > 2 for g in expected)


VALID_CARD = "4111 1111 1111 1111"
VALID_CARD_DASHED = "5500-0000-0000-0004"
BAD_CARD = "4111 1111 1111 1112"
VALID_IBAN = "GB82 WEST 1234 5698 7654 32"
VALID_IBAN_COMPACT = "DE89370400440532013000"
BAD_IBAN = "GB82 WEST 1234 5698 7654 33"
TEXTS = [
    None,
    "nothing to see here",
    f"card {VALID_CARD}",
    f"paid with {VALID_CARD_DASHED} yesterday",
    f"order {BAD_CARD}",
    f"order 1234567890123 then card {VALID_CARD}",  # an invalid and a valid candidate in one row
    f"account {VALID_IBAN}",
    f"iban {VALID_IBAN_COMPACT} and {BAD_IBAN}",
    f"iban {BAD_IBAN}",
    "ref 0000000000000000",
]


def _rows_reference(frame: pl.LazyFrame, name: str, kind: str) -> np.ndarray:
    matches = (
        frame.with_row_index("__row")
        .select("__row", pl.col(name).str.extract_all(pii.PATTERNS[kind]).alias("m"))
        .filter(pl.col("m").list.len() > 0)
        .collect()
    )
    check = pii.luhn_ok if kind == "card" else pii.iban_ok
    return np.array([row for row, found in matches.iter_rows() if any(check(m) for m in found)], dtype=np.int64)


@pytest.mark.parametrize("kind", ["card", "iban"])
@pytest.mark.parametrize("batch_rows", [100_000, 7])
def test_validated_pii_rows_by_batch_are_the_rows_of_all_candidates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, batch_rows: int
) -> None:
    monkeypatch.setattr(pii, "BATCH_ROWS", batch_rows)
    rng = np.random.default_rng(9)
    frame = _scan(tmp_path, pl.DataFrame({"note": [TEXTS[i] for i in rng.integers(0, len(TEXTS), 1_500)]}))
    with open_table(tmp_path / "typed.parquet") as table:  # read a slice of the file per batch
        found = pii._rows_with(SimpleNamespace(lazy=table.lazy, table=table), "note", kind)
    expected = _rows_reference(frame, "note", kind)
    assert found.dtype == np.int64
    assert np.array_equal(found, expected)
    assert 100 < len(expected) < 1_000  # valid and rejected candidates both occur


def _with_check_digit(body: str) -> str:
    """``body`` followed by the digit that makes it pass the Luhn check."""
    for last in "0123456789":
        if pii.luhn_ok(body + last):
            return body + last
    return body + "0"  # a body of one repeated digit: never valid


def test_luhn_in_polars_agrees_with_the_python_check() -> None:
    rng = np.random.default_rng(11)
    candidates = ["4111 1111 1111 1111", "5500-0000-0000-0004", "0000000000000000", "7777777777777", "1234567890123"]
    for _ in range(3_000):
        length = int(rng.integers(10, 22))
        digits = "".join(str(d) for d in rng.integers(0, 10, length))
        if 13 <= length <= 19 and rng.random() < 0.5:
            digits = _with_check_digit(digits[:-1])  # half of them valid
        if rng.random() < 0.3:
            digits = "0" * int(rng.integers(1, 4)) + digits[3:]  # leading zeros
        separator = str(rng.choice(["", " ", "-"]))
        candidates.append(separator.join(digits[i : i + 4] for i in range(0, len(digits), 4)))
    expected = [pii.luhn_ok(c) for c in candidates]
    found = pl.DataFrame({"m": candidates}).select(pii.luhn_valid(pl.col("m")))["m"].to_list()
    assert found == expected
    assert 500 < sum(expected) < 2_500  # valid and invalid candidates both occur


def test_hash_partitions_keep_equal_keys_together_in_stream_order(tmp_path: Path) -> None:
    from validations.engine.partitions import HashPartitions

    rng = np.random.default_rng(5)
    keys = rng.integers(0, 50, 1_000).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    frame = pl.DataFrame({"key": keys, "row": np.arange(1_000, dtype=np.int64), "value": rng.normal(size=1_000)})
    partitions = HashPartitions(tmp_path, "key", 7).add_all(frame.slice(i, 64) for i in range(0, 1_000, 64))
    parts = [partitions.read(k) for k in range(7)]
    assert list(tmp_path.iterdir()) == []  # each partition's file is gone once read
    found = [p for p in parts if p is not None]
    assert len(found) > 3 and sum(p.height for p in found) == 1_000
    for part in found:
        assert part["row"].is_sorted()  # stream order within a partition
        assert part.equals(frame.filter(pl.col("key") % 7 == part["key"][0] % 7))  # whole rows, all of them
