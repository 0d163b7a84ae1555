"""The near-duplicate search of minhash.py on a text column read in batches, in memory flat in its rows.

Why: held at once, the search's arrays grow with the texts. On 10M ~10-word texts the Python list of
the column alone took 1.3 GB, and the band keys (42 x 8 bytes per text) 3.4 GB; the standard tier
peaked at 8.5 GB there. And held together, the candidate pairs (34M at 10M short texts, against
1.7M at 1M: more texts, more chance collisions per text) and the shingles of every text in one took
another ~1 GB. Here:

1. each batch of texts is shingled and signed, then dropped: its band keys go to one file per
   band, its shingles to a file of their own (temporary files in ``work_dir``);
2. candidates are found one band at a time, each band's keys read back alone, and each pair is
   written to the file of its "cell": the batch of its first text and the batch of its second;
3. each batch's shingle table (the distinct shingles of its texts in some pair) is built once;
4. each cell's pairs, read back and made distinct, are verified with the tables of its two batches
   only, so neither the pairs nor the shingles held grow with the corpus
   (``pair_verification.linked_in_table``).

The result is the same as ``minhash.near_duplicate_clusters`` on the whole column: the same
shingles, signatures, band keys, candidates and verification, only held differently (tested with
batches of a few texts).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl

from validations.engine.standard.minhash import (
    _EMPTY,
    BANDS,
    NUM_PERM,
    SHINGLE_WORDS,
    THRESHOLD,
    _oph_blocks,
    band_keys,
    flat_shingles,
    pairs_by_band,
)
from validations.engine.standard.pair_verification import (
    Table,
    _sorted_unique,
    clusters_of,
    joined_tables,
    linked_in_table,
    shingle_table,
    table_bits,
)

# Texts shingled and signed per task of the thread pool: numpy and the word hashing release the GIL,
# so 2 threads signed 500k ~10-word texts in 1.66 s instead of 3.1; each task's band keys (42 x 8
# bytes a text) are held until written, so tasks stay small.
SIGN_TEXTS = 50_000


class _Spill:
    """The batches' band keys (a file per band) and shingles (two files per batch), where each batch
    starts, and which texts have a word (only those have bands)."""

    def __init__(self, folder: Path, pool: ThreadPoolExecutor | None = None) -> None:
        self.folder, self.pool = folder, pool
        self.documents = 0
        self.starts: list[int] = []
        self.shingle_counts: list[int] = []
        self.has_words: list[np.ndarray] = []
        self._bands = [open(folder / f"band{b}.u64", "wb") for b in range(BANDS)]  # noqa: SIM115 - closed by finish

    def add(self, offset: int, texts: Sequence[str | None], k: int) -> None:
        assert offset == self.documents, "batches must follow each other in text order"
        count = len(texts)
        pieces = [texts[start : start + SIGN_TEXTS] for start in range(0, count, SIGN_TEXTS)]
        signed = (
            self.pool.map(_signed, pieces, [k] * len(pieces)) if self.pool else map(_signed, pieces, [k] * len(pieces))
        )
        values_parts, owner_parts, words = [], [], []
        for start, (values, owner, keys, has_words) in zip(range(0, count, SIGN_TEXTS), signed, strict=True):
            for band, file in enumerate(self._bands):
                file.write(keys[band].tobytes())
            owner += np.int32(offset + start)
            values_parts.append(values)
            owner_parts.append(owner)
            words.append(has_words)
        batch = len(self.starts)
        values = np.concatenate(values_parts) if values_parts else np.empty(0, np.uint64)
        np.save(self.folder / f"values{batch}.npy", values)
        np.save(
            self.folder / f"owner{batch}.npy", np.concatenate(owner_parts) if owner_parts else np.empty(0, np.int32)
        )
        self.has_words.append(np.concatenate(words) if words else np.empty(0, bool))
        self.starts.append(offset)
        self.shingle_counts.append(len(values))
        self.documents += count

    def finish(self) -> np.ndarray:
        """The texts with a word (the ids of ``minhash.pairs_by_band``)."""
        for file in self._bands:
            file.close()
        return np.flatnonzero(np.concatenate(self.has_words)) if self.has_words else np.empty(0, np.int64)

    def bounds(self) -> np.ndarray:
        """Each batch's first position, then the number of texts."""
        return np.array([*self.starts, self.documents], dtype=np.int64)

    def tables(self, involved: np.ndarray) -> None:
        """Each batch's shingle table of its ``involved`` texts, saved in place of its shingles."""
        bounds = self.bounds()
        for batch in range(len(self.starts)):
            values_file, owner_file = self.folder / f"values{batch}.npy", self.folder / f"owner{batch}.npy"
            parts = [(np.load(values_file), np.load(owner_file))]
            count = int(bounds[batch + 1] - bounds[batch])
            vals, starts, _, _ = shingle_table(parts, self.shingle_counts[batch], int(bounds[batch]), count, involved)
            del parts
            values_file.unlink()
            owner_file.unlink()
            np.save(self.folder / f"table{batch}.npy", vals)
            np.save(self.folder / f"bounds{batch}.npy", np.append(starts, len(vals)))  # the last start's end

    def table(self, batch: int) -> Table:
        vals = np.load(self.folder / f"table{batch}.npy")
        bounds = np.load(self.folder / f"bounds{batch}.npy")
        return vals, bounds[:-1], np.diff(bounds), table_bits(self.documents)


def _signed(texts: Sequence[str | None], k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(shingle hashes, their texts' positions among ``texts``, band keys laid band by band, which
    texts have a word) of some texts: a text's shingles and keys do not depend on the others."""
    values, owner = flat_shingles(texts, k)
    keys = np.empty((BANDS, len(texts)), dtype=np.uint64)
    words = np.zeros(len(texts), dtype=bool)
    for first, block in _oph_blocks(values, owner, len(texts), NUM_PERM):
        keys[:, first : first + len(block)] = band_keys(block).T
        words[first : first + len(block)] = block[:, 0] != _EMPTY
    return values, owner, keys, words


class _BandKeys:
    """The band keys laid band by band, as ``minhash.pairs_by_band`` reads them: one band read from
    its file at a time, keeping the texts ``ids``."""

    def __init__(self, folder: Path, ids: np.ndarray, documents: int) -> None:
        self.folder, self.ids, self.documents = folder, ids, documents

    def __len__(self) -> int:
        return BANDS

    def __getitem__(self, band: int) -> np.ndarray:
        keys = np.fromfile(self.folder / f"band{band}.u64", dtype=np.uint64)
        return keys if len(self.ids) == self.documents else keys[self.ids]


def _spread_pairs(spill: _Spill, ids: np.ndarray) -> tuple[np.ndarray, set[tuple[int, int]]]:
    """Every band's pairs appended to the file of their cell: (batch of the first text, batch of the
    second), pairs{first}_{second}.u64. Returns which texts are in some pair, and the cells with pairs.
    (Grouped by the first text's batch alone, the first batches held most pairs, since a bucket's
    first text is its earliest: verification peaked at 939 MB over 10M texts, against 458 MB by cell.)"""
    bounds = spill.bounds()
    batches = len(bounds) - 1
    involved = np.zeros(spill.documents, dtype=bool)
    cells: set[tuple[int, int]] = set()
    for pairs in pairs_by_band(_BandKeys(spill.folder, ids, spill.documents), ids):
        first = (pairs >> np.uint64(32)).view(np.int64)
        second = (pairs & np.uint64(0xFFFFFFFF)).view(np.int64)
        involved[first] = True
        involved[second] = True
        cell = (np.searchsorted(bounds, first, side="right") - 1) * batches
        cell += np.searchsorted(bounds, second, side="right") - 1
        order = np.argsort(cell, kind="stable")
        cell, pairs = cell[order], pairs[order]
        cuts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1], True])
        for start, end in zip(cuts[:-1], cuts[1:], strict=True):
            key = divmod(int(cell[start]), batches)
            cells.add(key)
            with open(spill.folder / f"pairs{key[0]}_{key[1]}.u64", "ab") as file:
                file.write(pairs[start:end].tobytes())
    return involved, cells


def _linked_in_cells(spill: _Spill, cells: set[tuple[int, int]], threshold: float) -> np.ndarray:
    """The linked pairs, verified a cell at a time with the shingle tables of its two batches only
    (the other batch's texts follow the first batch's in the joined table). The cells of one first
    batch share its table and are verified on the spill's threads (numpy's sorts release the GIL)."""
    bounds = spill.bounds()
    linked = [np.empty((0, 2), dtype=np.int64)]
    for batch in sorted({first for first, _ in cells}):
        own = spill.table(batch)
        first = int(bounds[batch])
        count = int(bounds[batch + 1]) - first

        def verified(other: int, batch: int = batch, own: Table = own, first: int = first, count: int = count):  # noqa: ANN202
            path = spill.folder / f"pairs{batch}_{other}.u64"
            pairs = _sorted_unique(np.fromfile(path, dtype=np.uint64))  # a pair met in several bands, once
            path.unlink()
            if other == batch:
                return linked_in_table(own, pairs, threshold, (first, first))
            table = joined_tables(own, spill.table(other))
            return linked_in_table(table, pairs, threshold, (first, int(bounds[other]) - count))

        others = sorted(other for first_batch, other in cells if first_batch == batch)
        linked += list(spill.pool.map(verified, others) if spill.pool else map(verified, others))
    return np.concatenate(linked)


def pool_threads() -> int:
    """Threads that sign a batch's texts and verify cells: as many as Polars uses."""
    return pl.thread_pool_size()


def streamed_clusters(
    batches: Iterable[tuple[int, Sequence[str | None]]],
    work_dir: Path | None,
    *,
    threshold: float = THRESHOLD,
    k: int = SHINGLE_WORDS,
) -> tuple[list[list[int]], int]:
    """``minhash.near_duplicate_clusters`` of the texts given as (position of the first, texts)
    batches in order, with its temporary files in ``work_dir`` (the system's when None)."""
    with tempfile.TemporaryDirectory(prefix="near-dup-", dir=work_dir) as folder:
        threads = pool_threads()
        pool = ThreadPoolExecutor(threads) if threads > 1 else None
        spill = _Spill(Path(folder), pool)
        try:
            try:
                for offset, texts in batches:
                    spill.add(offset, texts, k)
            finally:
                ids = spill.finish()
            involved, cells = _spread_pairs(spill, ids)
            del ids
            spill.tables(involved)
            del involved
            return clusters_of(_linked_in_cells(spill, cells, threshold), spill.documents)
        finally:
            if pool is not None:
                pool.shutdown()


__all__ = ["streamed_clusters"]
