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
from pathlib import Path

import numpy as np

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


class _Spill:
    """The batches' band keys (a file per band) and shingles (two files per batch), where each batch
    starts, and which texts have a word (only those have bands)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.documents = 0
        self.starts: list[int] = []
        self.shingle_counts: list[int] = []
        self.has_words: list[np.ndarray] = []
        self._bands = [open(folder / f"band{b}.u64", "wb") for b in range(BANDS)]  # noqa: SIM115 - closed by finish

    def add(self, offset: int, texts: Sequence[str | None], k: int) -> None:
        assert offset == self.documents, "batches must follow each other in text order"
        count = len(texts)
        values, owner = flat_shingles(texts, k)
        words = np.zeros(count, dtype=bool)
        for first, block in _oph_blocks(values, owner, count, NUM_PERM):
            keys = np.ascontiguousarray(band_keys(block).T)
            for band, file in enumerate(self._bands):
                file.write(keys[band].tobytes())
            words[first : first + len(block)] = block[:, 0] != _EMPTY
        owner += np.int32(offset)
        batch = len(self.starts)
        np.save(self.folder / f"values{batch}.npy", values)
        np.save(self.folder / f"owner{batch}.npy", owner)
        self.has_words.append(words)
        self.starts.append(offset)
        self.shingle_counts.append(len(values))
        self.documents += count

    def finish(self) -> np.ndarray:
        """The texts with a word (the ids of ``minhash.pairs_by_band``; int32 when positions fit, since
        they are held through the band pass: 40 MB at 10M texts instead of 80)."""
        for file in self._bands:
            file.close()
        ids = np.flatnonzero(np.concatenate(self.has_words)) if self.has_words else np.empty(0, np.int64)
        return ids.astype(np.int32) if self.documents < 2**31 else ids

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
    for pairs in pairs_by_band(_BandKeys(spill.folder, ids, spill.documents), ids, in_place=True):
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
    (the other batch's texts follow the first batch's in the joined table)."""
    bounds = spill.bounds()
    linked = [np.empty((0, 2), dtype=np.int64)]
    own_batch, own = -1, None
    for batch, other in sorted(cells):
        path = spill.folder / f"pairs{batch}_{other}.u64"
        pairs = _sorted_unique(np.fromfile(path, dtype=np.uint64))  # a pair met in several bands, once
        path.unlink()
        if batch != own_batch:
            own_batch, own = batch, spill.table(batch)
        assert own is not None
        first = int(bounds[batch])
        if other == batch:
            table, shift = own, (first, first)
        else:
            count = int(bounds[batch + 1]) - first
            table, shift = joined_tables(own, spill.table(other)), (first, int(bounds[other]) - count)
        linked.append(linked_in_table(table, pairs, threshold, shift))
    return np.concatenate(linked)


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
        spill = _Spill(Path(folder))
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


__all__ = ["streamed_clusters"]
