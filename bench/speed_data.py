"""Generated inputs of bench/speed.py, cached on disk: the 20-column table (CSV, written in
CHUNK_ROWS chunks so the generator is never the memory peak) and the JSONL corpus with planted
near-copies whose groups are the ground truth."""

from __future__ import annotations

import json
import time
from pathlib import Path

CHUNK_ROWS = 200_000
SEED = 7


def _vocabulary(rng, size: int) -> list[str]:
    syllables = ["ka", "lo", "mi", "ra", "tu", "ne", "so", "vi", "pe", "da", "ge", "fo", "ri", "an", "el"]
    seen: dict[str, None] = {}
    while len(seen) < size:
        picks, lengths = rng.integers(0, len(syllables), size=(size, 5)).tolist(), rng.integers(1, 6, size).tolist()
        for row, length in zip(picks, lengths, strict=True):
            seen.setdefault("".join(syllables[i] for i in row[:length]))
    return list(seen)[:size]


def _zipf(size: int):
    import numpy as np

    weights = 1.0 / np.arange(1, size + 1) ** 1.05
    return weights / weights.sum()


def _table_chunk(rng, rows: int, first: int, vocab: list[str]):
    import numpy as np
    import polars as pl

    def with_nulls(values, share: float):
        return pl.Series(values).scatter(np.flatnonzero(rng.random(rows) < share), None)

    words = rng.choice(len(vocab), size=(rows, 12), p=_zipf(len(vocab)))
    keep = np.arange(12)[None, :] < rng.integers(7, 13, size=(rows, 1))  # 7-12 words, ~10 on average
    word_cols = [
        pl.Series(f"w{j}", np.array(vocab)[words[:, j]]).scatter(np.flatnonzero(~keep[:, j]), None) for j in range(12)
    ]
    cities = np.array([f"city_{i}" for i in range(1000)])
    days = np.datetime64("2020-01-01") + rng.integers(0, 1800, rows).astype("timedelta64[D]")
    frame = pl.DataFrame(
        {
            "id": np.arange(first, first + rows),
            "age": rng.integers(18, 90, rows),
            "visits": rng.poisson(3, rows),
            "score_int": rng.integers(0, 1000, rows),
            "rooms": rng.integers(1, 9, rows),
            "price": with_nulls(np.round(rng.lognormal(10, 1, rows), 2), 0.02),
            "weight": with_nulls(rng.normal(70, 12, rows), 0.05),
            "height": with_nulls(rng.normal(170, 9, rows), 0.01),
            "ratio": with_nulls(rng.random(rows), 0.10),
            "temp": with_nulls(np.round(rng.normal(15, 8, rows), 2), 0.0),
            "income": with_nulls(np.round(rng.gamma(2, 20000, rows), 2), 0.20),
            "latency": with_nulls(rng.exponential(120, rows), 0.03),
            "color": rng.choice(["red", "green", "blue", "black", "white"], rows),
            "country": rng.choice([f"C{i:02d}" for i in range(50)], rows),
            "city": cities[rng.zipf(1.3, rows) % 1000],
            "segment": with_nulls(rng.choice(["retail", "smb", "enterprise", "public"], rows), 0.04),
            "status": rng.choice(["active", "inactive", "pending"], rows, p=[0.7, 0.2, 0.1]),
            "signup_date": days,
        }
    )
    text = pl.concat_str(word_cols, separator=" ", ignore_nulls=True).alias("text")
    label = pl.Series("label", rng.choice(["cat", "dog", "bird", "fish", "frog"], rows, p=[0.3, 0.25, 0.2, 0.15, 0.1]))
    return frame.with_columns(text, label)


def make_table(path: Path, rows: int) -> None:
    """A CSV of ``rows`` x 20 columns, written in chunks so the generator stays small in memory."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    vocab = _vocabulary(rng, 5000)
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as out:
        for first in range(0, rows, CHUNK_ROWS):
            chunk = _table_chunk(rng, min(CHUNK_ROWS, rows - first), first, vocab)
            chunk.write_csv(out, include_header=first == 0)
    partial.rename(path)


def _edit(ids, share: float, rng, vocab_size: int):
    copy = ids.copy()
    if share:
        positions = rng.choice(len(copy), size=max(1, round(share * len(copy))), replace=False)
        copy[positions] = rng.integers(0, vocab_size, len(positions))
    return copy


def make_corpus(path: Path, truth_path: Path, docs: int) -> None:
    """``docs`` JSONL documents (30-200 Zipf words); 10% of them are near-copies of another one.

    Copies replace 0% (exact), 1, 3, 5, 8 or 10% of their source's words; each source gets 1-3
    copies, scattered through the file. The ground truth is the list of groups (row indices)."""
    import numpy as np

    rng = np.random.default_rng(SEED + 1)
    vocab = np.array(_vocabulary(rng, 20_000))
    p = _zipf(len(vocab))
    copies_total = docs // 10
    originals = docs - copies_total
    bodies = [rng.choice(len(vocab), size=rng.integers(30, 201), p=p) for _ in range(originals)]
    groups: list[list[int]] = []
    sources = rng.choice(originals, size=copies_total, replace=False)
    made = 0
    for source in sources:
        if made >= copies_total:
            break
        group = [int(source)]
        for _ in range(min(int(rng.integers(1, 4)), copies_total - made)):
            share = float(rng.choice([0.0, 0.01, 0.03, 0.05, 0.08, 0.10]))
            bodies.append(_edit(bodies[source], share, rng, len(vocab)))
            group.append(len(bodies) - 1)
            made += 1
        groups.append(group)
    order = rng.permutation(len(bodies))  # position in the file of each body
    where = np.empty_like(order)
    where[order] = np.arange(len(order))
    with open(path.with_suffix(".partial"), "w", encoding="utf-8") as out:
        for body in order:
            out.write(json.dumps({"id": int(where[body]), "text": " ".join(vocab[bodies[body]])}) + "\n")
    path.with_suffix(".partial").rename(path)
    truth_path.write_text(json.dumps([sorted(int(where[m]) for m in g) for g in groups]))


def ensure_data(data_dir: Path, rows_list: list[int], docs: int, need_text: bool) -> dict:
    data_dir.mkdir(parents=True, exist_ok=True)
    files: dict = {"tables": {}, "corpus": None}
    for rows in rows_list:
        path = data_dir / f"table_{rows}.csv"
        if not path.exists():
            began = time.perf_counter()
            make_table(path, rows)
            print(
                f"(generated {path.name}: {path.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - began:.0f} s)"
            )
        files["tables"][rows] = path
    if need_text:
        path, truth = data_dir / f"corpus_{docs}.jsonl", data_dir / f"corpus_{docs}.truth.json"
        if not (path.exists() and truth.exists()):
            began = time.perf_counter()
            make_corpus(path, truth, docs)
            print(
                f"(generated {path.name}: {path.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - began:.0f} s)"
            )
        files["corpus"] = (path, truth)
    return files
