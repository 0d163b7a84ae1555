"""Rows split by hash partition in one pass over a stream of batches, for checks that group equal
hashes without holding every row, when reading their input again per partition would cost a pass
each (conflicting labels hash whole rows; exact duplicates instead filter their per-row hash file,
which is cheap to read, once per partition: duplicates.hash_parts).

Each batch's rows go, as fixed-size records, to the file of their partition (``key`` modulo the
number of partitions), appended in stream order; a partition is then read back alone, its rows in
stream order. Equal keys land in one partition, so a group never spans two. One read of the input
and one write and read of the records (a Polars sink of the hashes to one file, filtered per
partition, held ~2x more memory at 10M rows than at 1M).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import polars as pl


class HashPartitions:
    """``parts`` partition files in ``folder`` of the batches' rows by their column ``key`` (an
    unsigned integer hash); the batches' other columns ride along."""

    def __init__(self, folder: Path, key: str, parts: int) -> None:
        self.folder, self.key, self.parts = folder, key, max(1, parts)
        self.dtype: np.dtype | None = None

    def add(self, batch: pl.DataFrame) -> None:
        columns = {name: batch[name].to_numpy() for name in batch.columns}
        if self.dtype is None:
            self.dtype = np.dtype([(name, values.dtype) for name, values in columns.items()])
        records = np.empty(batch.height, dtype=self.dtype)
        for name, values in columns.items():
            records[name] = values
        part_of = records[self.key] % np.uint64(self.parts)
        # A stable sort of small integers is a radix sort in numpy (~10x a merge sort of uint64).
        order = np.argsort(part_of.astype(np.uint16) if self.parts <= 1 << 16 else part_of, kind="stable")
        records, part_of = records[order], part_of[order]
        cuts = np.flatnonzero(np.r_[True, part_of[1:] != part_of[:-1], True])
        for first, end in zip(cuts[:-1], cuts[1:], strict=True):
            with open(self._path(int(part_of[first])), "ab") as file:
                file.write(records[first:end].tobytes())

    def add_all(self, batches: Iterable[pl.DataFrame]) -> HashPartitions:
        for batch in batches:
            if batch.height:
                self.add(batch)
        return self

    def read(self, part: int) -> pl.DataFrame | None:
        """The rows of partition ``part`` in the order they were added (None when it has none); its
        file is removed."""
        path = self._path(part)
        if self.dtype is None or not path.exists():
            return None
        records = np.fromfile(path, dtype=self.dtype)
        path.unlink()
        return pl.DataFrame({name: records[name] for name in self.dtype.names or ()})

    def _path(self, part: int) -> Path:
        return self.folder / f"part{part}.bin"


__all__ = ["HashPartitions"]
