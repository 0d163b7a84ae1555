"""Verification of near-duplicate candidates (minhash.py): the exact Jaccard similarity of each
candidate pair's shingle sets, and the clusters of the pairs that reach the threshold."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

# Short texts have few shingles, so one changed word moves their Jaccard a lot: a pair of texts
# with fewer than SHORT_TEXT_SHINGLES shingles is only linked at SHORT_THRESHOLD.
SHORT_TEXT_SHINGLES = 8
SHORT_THRESHOLD = 0.8
PAIR_BLOCK = 50_000  # pairs verified at once (200k bench documents: 1.65 s; 1.91 s in blocks of 200k)


def _sorted_unique(array: np.ndarray) -> np.ndarray:
    # np.unique on uint64 measured 50x slower than a plain sort here (numpy 2.x).
    array = np.sort(array)
    return array[np.r_[True, array[1:] != array[:-1]]] if len(array) else array


def _packed(high: np.ndarray, low: np.ndarray, low_bits: int) -> np.ndarray:
    """One sortable uint64 per (high, low): ``high`` above the top ``low_bits`` bits of ``low``."""
    top = high.astype(np.int64, copy=False).view(np.uint64)  # a view, not a copy: non-negative
    return (top << np.uint64(low_bits)) | (low >> np.uint64(64 - low_bits))


Parts = Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]]
Table = tuple[np.ndarray, np.ndarray, np.ndarray, int]  # ``shingle_table``


def table_bits(documents: int) -> int:
    """Bits of each shingle hash a table keeps: what 64 leaves once a text's position (< ``documents``)
    or a pair's index within a block (< PAIR_BLOCK) sits above them."""
    return 64 - max(documents, PAIR_BLOCK).bit_length()


def pair_jaccard(
    values: np.ndarray, owner: np.ndarray, documents: int, pairs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Jaccard of every candidate pair, and the smaller shingle-set size of each (what
    ``linked_pairs`` decides on; the tests compare it with the exact Jaccard).

    Only the shingles of texts in some pair are looked at: each pair's two sets are laid side by
    side and a value seen twice within one pair is a shared shingle. Sorting one packed uint64 per
    (text or pair, shingle) is ~10x faster than a two-key sort; it keeps the top 64 - log2(n) bits
    of each shingle hash (>= 36), so two different shingles of a pair merge with odds < 2^-26."""
    if not len(pairs):
        return np.empty(0), np.empty(0, dtype=np.int64)
    table = shingle_table([(values, owner)], len(values), 0, documents, _involved(documents, [pairs]))
    found = [_block_jaccard(table, pairs[i : i + PAIR_BLOCK]) for i in range(0, len(pairs), PAIR_BLOCK)]
    return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])


def linked_pairs(parts: Parts, shingles: int, documents: int, packed: np.ndarray, threshold: float) -> np.ndarray:
    """The candidate pairs (``packed`` as (i << 32) | j) whose Jaccard reaches the threshold (at least
    SHORT_THRESHOLD when the smaller set has fewer than SHORT_TEXT_SHINGLES shingles), as (n, 2)
    rows; ``parts`` and ``shingles``: see ``shingle_table``."""
    if not len(packed):
        return np.empty((0, 2), dtype=np.int64)
    blocks = (_unpacked(packed[first : first + PAIR_BLOCK]) for first in range(0, len(packed), PAIR_BLOCK))
    table = shingle_table(parts(), shingles, 0, documents, _involved(documents, blocks))
    return linked_in_table(table, packed, threshold)


def linked_in_table(table: Table, packed: np.ndarray, threshold: float, shift: tuple[int, int] = (0, 0)) -> np.ndarray:
    """``linked_pairs`` of the pairs ``packed`` whose texts' rows in ``table`` are their positions
    minus ``shift`` (first text, second text). Verified a block of PAIR_BLOCK pairs at a time:
    only the linked pairs are kept, so memory does not grow with the candidates (10M short texts
    have 34M, mostly background collisions)."""
    linked = [np.empty((0, 2), dtype=np.int64)]
    for first in range(0, len(packed), PAIR_BLOCK):
        pairs = _unpacked(packed[first : first + PAIR_BLOCK])
        similarity, smaller = _block_jaccard(table, pairs - np.array(shift))
        needed = np.where(smaller < SHORT_TEXT_SHINGLES, max(threshold, SHORT_THRESHOLD), threshold)
        linked.append(pairs[similarity >= needed])
    return np.concatenate(linked)


def _involved(documents: int, blocks: Iterable[np.ndarray]) -> np.ndarray:
    """Which of the ``documents`` texts are in some pair of the (n, 2) arrays ``blocks`` (packed
    candidates are unpacked a block at a time, so no unpacked copy of them all is made)."""
    involved = np.zeros(documents, dtype=bool)
    for pairs in blocks:
        involved[pairs.ravel()] = True
    return involved


def _unpacked(packed: np.ndarray) -> np.ndarray:
    return np.stack([packed >> np.uint64(32), packed & np.uint64(0xFFFFFFFF)], axis=1).astype(np.int64)


def shingle_table(
    parts: Iterable[tuple[np.ndarray, np.ndarray]], shingles: int, first: int, count: int, involved: np.ndarray
) -> Table:
    """(distinct shingle values of each ``involved`` text among the ``count`` texts from position
    ``first``, laid text after text; each of these texts' start and size there, both indexed by
    position - ``first``; the bits kept of each value, ``table_bits``). ``parts`` yields (shingle
    hashes, owning text's position) of these texts in text order, each part's texts after the
    previous part's (as a text column read in batches makes them), and ``shingles`` is their total.
    ``involved`` is indexed by position (the corpus's texts). Each part's packed values lie above
    the previous part's (the text is in the top bits), so sorting each part alone gives the same
    array as sorting them all together; the starts are searched among the packed values
    themselves, so no array of their texts is made."""
    low_bits = table_bits(len(involved))
    # Filled part after part: its untouched end takes no memory (np.empty), where joining the
    # parts at the end held them twice.
    vals = np.empty(shingles, dtype=np.uint64)
    filled = 0
    for values, owner in parts:
        keep = involved[owner]
        part = _sorted_unique(_packed(owner[keep] - first, values[keep], low_bits))
        vals[filled : filled + len(part)] = part
        filled += len(part)
    vals = vals[:filled]
    bounds = np.searchsorted(vals, np.arange(count + 1, dtype=np.uint64) << np.uint64(low_bits))
    vals &= np.uint64((1 << low_bits) - 1)
    return vals, bounds[:-1], np.diff(bounds), low_bits


def joined_tables(left: Table, right: Table) -> Table:
    """One table of the texts of ``left`` followed by those of ``right`` (same bits)."""
    assert left[3] == right[3]
    return (
        np.concatenate([left[0], right[0]]),
        np.concatenate([left[1], right[1] + len(left[0])]),
        np.concatenate([left[2], right[2]]),
        left[3],
    )


def _block_jaccard(table: Table, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    vals, starts, sizes, low_bits = table
    shared = _shared_shingles(vals, starts, sizes, pairs, low_bits)
    left, right = sizes[pairs[:, 0]], sizes[pairs[:, 1]]
    union = left + right - shared
    similarity = np.where(union > 0, shared / np.maximum(union, 1), 1.0)
    return similarity, np.minimum(left, right)


def _shared_shingles(
    vals: np.ndarray, starts: np.ndarray, sizes: np.ndarray, pairs: np.ndarray, low_bits: int
) -> np.ndarray:
    """How many shingles each pair's two texts share. Each text's values are sorted and distinct (a
    segment of one sorted array), so with the pair's index above them the first texts' values of
    all pairs form one sorted array and the second texts' another; a stable sort of the two joined
    merges two sorted runs in linear time, and a value met twice in a row is a shared shingle of that
    pair. (Searching one array in the other cost ~2.4x more; sorting both laid side by side ~7x.)"""

    def laid(side: int) -> np.ndarray:
        segment_start, segment_size = starts[pairs[:, side]], sizes[pairs[:, side]]
        offsets = np.cumsum(segment_size) - segment_size
        gather = np.repeat(segment_start - offsets, segment_size) + np.arange(int(segment_size.sum()))
        pair_of = np.repeat(np.arange(len(pairs), dtype=np.int64).view(np.uint64), segment_size)
        return (pair_of << np.uint64(low_bits)) | vals[gather]

    merged = np.sort(np.concatenate([laid(0), laid(1)]), kind="stable")
    shared = merged[1:][merged[1:] == merged[:-1]]
    return np.bincount((shared >> np.uint64(low_bits)).view(np.int64), minlength=len(pairs))


def clusters_of(linked: np.ndarray, documents: int) -> tuple[list[list[int]], int]:
    """(connected components of the ``linked`` pairs with 2+ texts, first = earliest, sorted by
    their first text; the number of linked pairs). The graph holds only the linked texts (renumbered
    in position order): over all ``documents`` its arrays took ~200 MB at 10M texts."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not len(linked):
        return [], 0
    assert linked.max() < documents
    texts, ends = np.unique(linked, return_inverse=True)
    ends = ends.reshape(linked.shape)
    graph = coo_matrix((np.ones(len(linked)), (ends[:, 0], ends[:, 1])), shape=(len(texts), len(texts)))
    _, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    ordered = labels[order]
    bounds = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1], True])
    clusters = [
        texts[order[start:end]].tolist() for start, end in zip(bounds[:-1], bounds[1:], strict=True) if end - start > 1
    ]
    clusters.sort(key=lambda cluster: cluster[0])
    return clusters, len(linked)
