"""The near-duplicate search of minhash.py on a text column read in batches, in memory flat in its rows.

Why: held at once, the search's arrays grow with the texts. On 10M ~10-word texts the Python list of
the column alone took 1.3 GB, and the band keys (42 x 8 bytes per text) 3.4 GB; the standard tier
peaked at 8.5 GB there. Here each batch of texts is shingled and signed, then dropped. Its band keys
go to one file per band and its shingles to a file of their own (temporary files in ``work_dir``).
Candidates are then found one band at a time, each band's keys read back alone. Verification reads
back the shingles of the texts in some candidate pair, a batch at a time, and keeps only the pairs
that reach the threshold (``pair_verification.linked_pairs``).

The result is the same as ``minhash.near_duplicate_clusters`` on the whole column: the same
shingles, signatures, band keys, candidates and verification, only held differently (tested with
batches of a few texts).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
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
    packed_pairs_in_bands,
)
from validations.engine.standard.pair_verification import clusters_of, linked_pairs


class _Spill:
    """The batches' band keys (a file per band) and shingles (two files per batch), and which texts
    have a word (only those have bands)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.documents = 0
        self.batches = 0
        self.shingles_total = 0
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
        np.save(self.folder / f"values{self.batches}.npy", values)
        np.save(self.folder / f"owner{self.batches}.npy", owner)
        self.has_words.append(words)
        self.documents += count
        self.shingles_total += len(values)
        self.batches += 1

    def finish(self) -> np.ndarray:
        """The texts with a word (the ids of ``minhash.packed_pairs_in_bands``)."""
        for file in self._bands:
            file.close()
        return np.flatnonzero(np.concatenate(self.has_words)) if self.has_words else np.empty(0, np.int64)

    def shingles(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for batch in range(self.batches):
            yield np.load(self.folder / f"values{batch}.npy"), np.load(self.folder / f"owner{batch}.npy")


class _BandKeys:
    """The band keys laid band by band, as ``minhash.packed_pairs_in_bands`` reads them: one band read from
    its file at a time, keeping the texts ``ids``."""

    def __init__(self, folder: Path, ids: np.ndarray, documents: int) -> None:
        self.folder, self.ids, self.documents = folder, ids, documents

    def __len__(self) -> int:
        return BANDS

    def __getitem__(self, band: int) -> np.ndarray:
        keys = np.fromfile(self.folder / f"band{band}.u64", dtype=np.uint64)
        return keys if len(self.ids) == self.documents else keys[self.ids]


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
        documents = spill.documents
        pairs = packed_pairs_in_bands(_BandKeys(spill.folder, ids, documents), ids)
        return clusters_of(linked_pairs(spill.shingles, spill.shingles_total, documents, pairs, threshold), documents)


__all__ = ["streamed_clusters"]
