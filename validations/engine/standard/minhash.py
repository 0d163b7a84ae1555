"""Vectorised MinHash over word shingles, LSH banding, verification and union-find clusters.

Why our own rather than datasketch: we need one vectorised pass over every document (datasketch
updates one MinHash object per document in Python) and exact verification of candidates; the
scheme is the same (Broder's MinHash, banded LSH).

Parameters, chosen from measured recall (bench/accuracy.py; 1,054 English prose paragraphs from
Python's own docstrings, each with 1, 3, 5, 8, 10, 12 and 15% of its words replaced) and from the
pairs of *distinct* paragraphs (319,600) that reach the threshold:

    shingle  threshold  recall at 1-10% / 12% / 15% changed   distinct pairs >= threshold
    word-2   0.5        1.00 / 1.00 / 0.93                    69
    word-3   0.5        >=0.93 / 0.57 / 0.13                  57
    word-3   0.4        1.00 / 0.98 / 0.79                    73
    word-5   0.5        0.12 at 10%, 0.91 at 5%               40

The distinct pairs above the threshold that we read were templated variants of one text (os's
"If dir_fd is not None..." paragraphs), i.e. real near-duplicates rather than false alarms, so we
take word 2-shingles at Jaccard >= 0.5: the only setting that keeps recall >= 0.93 across 1-15%.
LSH: 126 MinHash values in 42 bands of 3 rows; P(candidate) = 1-(1-J^3)^42 is 0.996 at J=0.5 and
0.04 at J=0.1, so banding loses almost nothing above the threshold and verification (exact
Jaccard of the shingle sets) sees few background pairs.

Speed (bench/speed.py): the 126 values come from one-permutation hashing with densification
(``_oph``; short texts densified in one step), one hash per shingle instead of 126; candidate pairs
are verified a block at a time with a sort (pair_verification.py) and joined as connected
components. Same recall/precision on labelled edits (validations/tests/engine/test_speed_equivalence.py),
~10x the previous throughput. The standard tier runs this search on its text column read in batches
(streamed_minhash.py), so that its memory does not grow with the rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

import numpy as np
import xxhash

from validations.engine.standard.pair_verification import _sorted_unique, clusters_of, linked_pairs
from validations.engine.standard.word_hashes import word_hashes

SHINGLE_WORDS = 2
THRESHOLD = 0.5
# Two short texts ("I love this product" / "... movie") share half their bigrams by construction;
# below SHORT_TEXT_SHINGLES shingles we only link texts at SHORT_THRESHOLD (pair_verification.py).
NUM_PERM = 126
BANDS = 42
ROWS_PER_BAND = NUM_PERM // BANDS
SEED = 20240611
# A shingle's hash: its word hashes as the digits of a polynomial in this odd base (uint64, wrapping).
SHINGLE_BASE = np.uint64(1099511628211)

_WORD = re.compile(r"\w+", re.UNICODE)
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def shingle_hashes(text: str | None, vocab: dict[str, int], k: int = SHINGLE_WORDS) -> np.ndarray:
    """Distinct 64-bit hashes of the word k-shingles of ``text`` (its words if shorter than k)."""
    if not text:
        return np.empty(0, dtype=np.uint64)
    ids = []
    for word in words(text):
        value = vocab.get(word)
        if value is None:
            value = vocab[word] = xxhash.xxh64_intdigest(word.encode())
        ids.append(value)
    if not ids:
        return np.empty(0, dtype=np.uint64)
    hashed = np.array(ids, dtype=np.uint64)
    if len(hashed) < k:
        k = len(hashed)
    # Polynomial combination of consecutive word hashes; uint64 arithmetic wraps on purpose.
    with np.errstate(over="ignore"):
        combined = np.zeros(len(hashed) - k + 1, dtype=np.uint64)
        for offset in range(k):
            combined = combined * SHINGLE_BASE + hashed[offset : len(hashed) - k + 1 + offset]
    return np.unique(combined)


def flat_shingles(texts: Sequence[str | None], k: int = SHINGLE_WORDS) -> tuple[np.ndarray, np.ndarray]:
    """(shingle hashes, owning text) for all texts at once: words hashed by ``word_hashes``, numpy combines.

    Same shingles as ``shingle_hashes`` up to the hash function (word k-shingles, or a text's
    words as one shingle when it has fewer than k), but not made unique; in text order.
    The shingle starting at every word of the flat word list is combined at once, then the starts
    too close to their text's end are dropped (one mask), which costs about half the per-word
    gathers of locating each text's starts first (200k texts of ~116 words: 6.7 s -> 2.9 s)."""
    words, lengths = word_hashes(texts)
    count = len(words)
    firsts = np.cumsum(lengths) - lengths  # each text's first word in the flat list
    full = lengths >= k
    short = np.flatnonzero((lengths > 0) & ~full)  # fewer words than k: all of them, one shingle
    if len(short):  # from the words as they are, before they are combined below
        starts = firsts[short]
        value = words[starts]
        with np.errstate(over="ignore"):
            for offset in range(1, k):
                longer = offset < lengths[short]
                value[longer] = value[longer] * SHINGLE_BASE + words[starts[longer] + offset]
    combined = _combined(words, k)
    # A text of L >= k words has shingles starting at its words 0..L-k: +1 at the first, -1 after the last.
    marks = np.zeros(count + 1, dtype=np.int8)
    marks[firsts[full]] = 1
    np.subtract.at(marks, firsts[full] + lengths[full] - k + 1, 1)
    keep = np.cumsum(marks[:count], dtype=np.int8) > 0
    if len(short):
        combined[starts] = value
        keep[starts] = True
    per_text = np.where(full, lengths - k + 1, np.minimum(lengths, 1))
    return combined[keep], np.repeat(np.arange(len(lengths), dtype=np.int32), per_text)


def _combined(words: np.ndarray, k: int) -> np.ndarray:
    """The polynomial combination of the k words starting at each word (uint64, wrapping on
    purpose); past the end, of fewer. For k = 2, in place, a cache-sized run at a time from the
    front (each run reads the next run's first word before that run changes): no second array of
    8 bytes per word (200k bench documents: 184 MB, 0.27 s of page faults)."""
    count = len(words)
    with np.errstate(over="ignore"):
        if k == 2:
            for start in range(0, count - 1, COMBINE_RUN):
                end = min(start + COMBINE_RUN, count - 1)
                following = words[start + 1 : end + 1].copy()
                head = words[start:end]
                head *= SHINGLE_BASE
                head += following
            return words
        combined = words.copy()
        for offset in range(1, k):
            head = combined[: count - offset]  # in place: a temporary per step costs its page faults
            head *= SHINGLE_BASE
            head += words[offset:]
        return combined


_EMPTY = np.uint32(0xFFFFFFFF)
_SHIFT = np.uint32(0x9E3779B1)  # odd: a value borrowed at probe t differs for each t
DENSIFY_CHUNK = 10_000  # texts densified at once: the probing's index arrays stay in cache (50k: ~1.4x slower)
# Texts with at most this many filled bins (of NUM_PERM) are densified in one step (``_densify_few``).
FEW_FILLED_BINS = 16
POSITION_RUN = 1 << 20  # positions added to a band's keys at once (``pairs_by_band``)
FEW_SLICE = 500_000  # (text, empty bin, filled bin) ranks compared at once by ``_densify_few``
COMBINE_RUN = 1 << 16  # words combined in place at once (``_combined``)


def _oph(values: np.ndarray, owner: np.ndarray, documents: int, bins: int) -> np.ndarray:
    """One-permutation MinHash signatures, shape (documents, bins), uint32 (``_oph_blocks`` laid
    end to end; the near-duplicate search takes the blocks' band keys and never holds them all)."""
    sigs = np.empty((documents, bins), dtype=np.uint32)
    for first, block in _oph_blocks(values, owner, documents, bins):
        sigs[first : first + len(block)] = block
    return sigs


def _oph_blocks(values: np.ndarray, owner: np.ndarray, documents: int, bins: int) -> Iterator[tuple[int, np.ndarray]]:
    """(first text, signatures of DENSIFY_CHUNK texts from it) by one-permutation MinHash (Li, Owen
    & Zhang 2012) with densification by random probing (after Shrivastava 2017): one hash per
    shingle picks its bin and its value, each bin keeps its minimum, and an empty bin j borrows from
    the first non-empty bin among j + c_1, j + c_2, ... (mod bins; c a fixed random order of
    1..bins-1), shifted by the probe's rank. Two texts agree in a bin with probability ~ their
    Jaccard similarity, as with ``bins`` independent permutations, for 1/bins of the hashing work on
    long texts. (Rotation densification, which borrows from the next bin to the right, made bands of
    short texts collide all or nothing: two 12-shingle texts with Jaccard 0.71 shared no band.)
    ``owner`` is in text order (as ``flat_shingles`` makes it). A block at a time, the bins' minima
    and the probing stay in cache and no signature matrix of the whole corpus is filled (1M short
    texts: 0.5 GB, 1.1 s of page faults for its fill alone); the yielded block is reused."""
    rng = np.random.default_rng(SEED)
    a1, a2 = (rng.integers(1, 2**63, size=2, dtype=np.uint64) | np.uint64(1)).tolist()
    b1, b2 = rng.integers(0, 2**63, size=2, dtype=np.uint64).tolist()
    probes = rng.permutation(np.arange(1, bins))
    # Band b takes bins b, b + BANDS, b + 2·BANDS rather than neighbours, so that a band's rows
    # are not borrowed from one source.
    band_order = None if bins % ROWS_PER_BAND else np.arange(bins).reshape(ROWS_PER_BAND, -1).T.ravel()
    bounds = np.searchsorted(owner, np.arange(0, documents + DENSIFY_CHUNK, DENSIFY_CHUNK))
    buffer = np.empty(min(documents, DENSIFY_CHUNK) * bins, dtype=np.uint32)
    for chunk, first in enumerate(range(0, documents, DENSIFY_CHUNK)):
        count = min(DENSIFY_CHUNK, documents - first)
        part = slice(bounds[chunk], bounds[chunk + 1])
        # In place: each new temporary of one value per shingle costs its page faults.
        with np.errstate(over="ignore"):
            slot = np.multiply(values[part], np.uint64(a1))
            slot += np.uint64(b1)
            slot >>= np.uint64(32)
            slot *= np.uint64(bins)
            slot >>= np.uint64(32)
            hashed = np.multiply(values[part], np.uint64(a2))
            hashed += np.uint64(b2)
            hashed >>= np.uint64(32)
            value = hashed.astype(np.uint32)
        cell = owner[part].astype(np.int64)
        cell -= first
        cell *= bins
        cell += slot.view(np.int64)  # slot < bins
        flat = buffer[: count * bins]
        flat.fill(_EMPTY)
        np.minimum.at(flat, cell, value)
        block = flat.reshape(count, bins)
        _densify(block, probes)
        if band_order is not None:
            block[:] = block[:, band_order]
        yield first, block


def _densify(block: np.ndarray, probes: np.ndarray) -> None:
    """Fill the empty bins of the texts of ``block`` that have a shingle (see ``_oph_blocks``)."""
    bins = block.shape[1]
    # The block's bins twice over, side by side: the bin j + offset (mod bins) of a row is then
    # at j + offset of its doubled row, with no wrap to compute at every probe.
    doubled = np.concatenate([block, block], axis=1)
    original = doubled[:, :bins]
    empty = original == _EMPTY
    empty[empty.all(axis=1)] = False  # texts without shingles stay empty
    filled = bins - empty.sum(axis=1)
    few = filled <= FEW_FILLED_BINS
    _densify_few(block, original, filled, few & (filled < bins), probes)
    empty[few] = False
    cells = np.flatnonzero(empty)  # flat indices into the block: one gather per probe
    sources = cells + cells // bins * bins  # the same bins' flat indices into the doubled block
    flat_doubled, flat_block = doubled.ravel(), block.reshape(-1)
    with np.errstate(over="ignore"):
        for rank, offset in enumerate(probes, start=1):
            if not len(cells):
                break
            borrowed = flat_doubled[sources + offset]
            hit = borrowed != _EMPTY
            flat_block[cells[hit]] = borrowed[hit] + np.uint32(rank) * _SHIFT
            miss = ~hit
            cells, sources = cells[miss], sources[miss]


def _densify_few(
    block: np.ndarray, original: np.ndarray, filled: np.ndarray, rows: np.ndarray, probes: np.ndarray
) -> None:
    """``_oph``'s densification, for the texts with few filled bins (short texts), in one step:
    an empty bin j borrows from the filled bin f whose offset (f - j) mod bins comes first in
    ``probes``, as the probing finds it, but compared over the m filled bins at once instead of
    probing ~bins/m times (100k texts of 4-8 words: 7.3 s -> 1.5 s for ``_oph``). Same values.
    The ranks of the offsets (f - j) over every bin j, for a filled bin f, are one row of a small
    table (``windows``, a window of the doubled ranks), so the (filled, text, bin) keys are row copies
    with no index arithmetic, and a text's whole row is computed (a filled bin finds itself at
    offset 0, rank 0) and stored at once, with no scatter into its empty bins: 300k texts of ~10
    words, 1.6 -> 0.65 s (uint16 keys with the place in their low bits, as before)."""
    bins = block.shape[1]
    rank_of = np.zeros(bins, dtype=np.int64)
    rank_of[probes] = np.arange(1, bins)
    # Indexed by (f - j) + bins, so no modulo; shifted above the filled bin's place among the text's
    # m filled bins, one integer whose minimum gives both (uint16 while bins <= 256).
    doubled = np.r_[rank_of, rank_of].astype(np.uint16 if bins <= 256 else np.uint64)
    for m in np.unique(filled[rows]):
        # Texts with m filled bins, in slices whose keys stay in cache.
        members = np.flatnonzero(rows & (filled == m))
        step = max(1, FEW_SLICE // int(m * bins))
        bits = max(1, int(m - 1).bit_length())
        windows = _offset_ranks(doubled << doubled.dtype.type(bits), bins)
        place = np.arange(m, dtype=doubled.dtype)
        for start in range(0, len(members), step):
            part = members[start : start + step]
            source = original[part]
            is_filled = source != _EMPTY
            full = np.nonzero(is_filled)[1].reshape(len(part), m)  # row-major: each row's m columns
            # (filled, text, bin): the minimum over the first axis is an elementwise one of contiguous slices.
            keys = windows[full.T]
            keys |= place[:, None, None]
            best = np.minimum.reduce(keys, axis=0)
            # The chosen filled bin's value, by its place among the row's m filled values (also row-major).
            chosen = (best & ((1 << bits) - 1)).astype(np.intp)
            chosen += np.arange(0, len(part) * m, m)[:, None]
            row = (best >> bits).astype(np.uint32)
            with np.errstate(over="ignore"):
                row *= _SHIFT
                row += source[is_filled].take(chosen)
            block[part] = row


def _offset_ranks(doubled: np.ndarray, bins: int) -> np.ndarray:
    """Row f, column j: ``doubled[f + bins - j]``, the rank of the offset (f - j) mod bins (a window
    of the reversed doubled ranks, copied once: bins x bins values)."""
    reversed_windows = np.lib.stride_tricks.sliding_window_view(doubled[::-1], bins)
    return np.ascontiguousarray(reversed_windows[bins - 1 :: -1][:bins])


def signatures(shingles: Sequence[np.ndarray], num_perm: int = NUM_PERM) -> np.ndarray:
    """MinHash signatures, shape (documents, num_perm), uint32; empty documents get all-max rows.

    One-permutation hashing with densification (``_oph``): the work is one multiply per shingle
    and a minimum per bin, whatever num_perm."""
    lengths = np.array([len(s) for s in shingles], dtype=np.int64)
    values = np.concatenate(list(shingles)) if len(shingles) else np.empty(0, dtype=np.uint64)
    owner = np.repeat(np.arange(len(shingles)), lengths)
    return _oph(values.astype(np.uint64), owner, len(shingles), num_perm)


def candidate_pairs(sigs: np.ndarray, bands: int = BANDS) -> np.ndarray:
    """Pairs (i, j), i < j, sharing at least one band; each bucket links its members to its first."""
    ids = np.flatnonzero(sigs[:, 0] != _EMPTY)  # a text without words has no bands
    kept = sigs if len(ids) == len(sigs) else sigs[ids]
    return pairs_in_bands(np.ascontiguousarray(band_keys(kept, bands).T), ids)


def band_keys(sigs: np.ndarray, bands: int = BANDS) -> np.ndarray:
    """One 64-bit key per text and band, shape (texts, bands): a polynomial mix of the band's rows
    (wrapping), scrambled so that its top bits depend on every value. Sorting keys is ~10x faster
    than sorting the rows as byte strings; a key collision only adds a pair that verification drops."""
    rows = sigs.shape[1] // bands
    blocks = sigs[:, : bands * rows].reshape(len(sigs), bands, rows)
    keys = np.zeros((len(sigs), bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in range(rows):
            keys *= np.uint64(0x100000001B3)
            keys += blocks[:, :, column]
        keys *= np.uint64(0x9E3779B97F4A7C15)
        keys ^= keys >> np.uint64(29)
    return keys


def pairs_in_bands(keys: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``candidate_pairs`` from band keys laid band by band (shape (bands, texts)) of the texts ``ids``."""
    packed = packed_pairs_in_bands(keys, ids)
    return np.stack([packed >> np.uint64(32), packed & np.uint64(0xFFFFFFFF)], axis=1).astype(np.int64)


def packed_pairs_in_bands(keys: Sequence[np.ndarray], ids: np.ndarray) -> np.ndarray:
    """``pairs_in_bands`` as sorted distinct uint64, (i << 32) | j for the pair i < j (np.unique over
    rows sorts them as byte strings): each band's pairs (``pairs_by_band``) merged into those found
    so far, so a pair met in several bands is held once."""
    found = np.empty(0, dtype=np.uint64)
    for pairs in pairs_by_band(keys, ids):
        # Merged by insertion, which copies the pairs found so far once (a sort of the two joined
        # held three copies of them at once).
        at = np.searchsorted(found, pairs)
        fresh = pairs[(at == len(found)) | (found[np.minimum(at, len(found) - 1)] != pairs)] if len(found) else pairs
        found = np.insert(found, np.searchsorted(found, fresh), fresh)
    return found


def pairs_by_band(keys: Sequence[np.ndarray], ids: np.ndarray, *, in_place: bool = False) -> Iterator[np.ndarray]:
    """Each band's pairs as sorted distinct uint64 (i << 32) | j: every text of a bucket of equal keys
    with the bucket's first text (i < j). ``keys[band]`` (the keys of the texts ``ids``) is read one
    band at a time; with ``in_place`` each band's keys array is overwritten (the caller reads each
    band afresh). At 10M texts a band's keys take 80 MB, and every further array as long as them
    another 80, so the band's work holds only its keys and a flag per text."""
    if not len(ids):  # no text has a word
        return
    # Each key's top bits above its text's position, sorted as one uint64 (numpy's vectorised sort:
    # ~5x faster than an argsort): buckets of equal (truncated) keys, each in position order.
    position_bits = max(1, int(len(ids) - 1).bit_length())
    low = np.uint64((1 << position_bits) - 1)
    for band in range(len(keys)):
        packed = keys[band]
        if in_place:
            packed &= ~low
        else:
            packed = packed & ~low
        for start in range(0, len(packed), POSITION_RUN):
            packed[start : start + POSITION_RUN] |= np.arange(
                start, min(start + POSITION_RUN, len(packed)), dtype=np.uint64
            )
        packed.sort()
        # A bucket starts where two neighbours differ above the position bits (their XOR exceeds
        # ``low``), computed a run at a time so that no temporary is as long as the keys.
        starts_bucket = np.empty(len(packed), dtype=bool)
        starts_bucket[0] = True
        for start in range(0, len(packed) - 1, POSITION_RUN):
            end = min(start + POSITION_RUN, len(packed) - 1)
            np.greater(packed[start + 1 : end + 1] ^ packed[start:end], low, out=starts_bucket[start + 1 : end + 1])
        members = np.flatnonzero(~starts_bucket)  # texts after their bucket's first: few of them
        if not len(members):
            continue
        # A member's bucket starts at the last start before it; only the starts of buckets of two
        # or more texts are searched (all starts: another array as long as the keys).
        heads = np.flatnonzero(starts_bucket[:-1] & ~starts_bucket[1:])
        first = (packed[heads[np.searchsorted(heads, members, side="right") - 1]] & low).view(np.int64)
        second = (packed[members] & low).view(np.int64)
        del packed
        # A bucket's first text comes before its members in position order, so i < j already.
        yield _sorted_unique((ids[first].astype(np.uint64) << np.uint64(32)) | ids[second].astype(np.uint64))


def _bucket_candidates(values: np.ndarray, owner: np.ndarray, documents: int) -> np.ndarray:
    """``candidate_pairs(_oph(...))`` a block of signatures at a time: only the band keys of the
    whole corpus are held, band by band (1M short texts: 336 MB instead of 504 MB of signatures,
    and no transposition of all keys)."""
    keys = np.empty((BANDS, documents), dtype=np.uint64)
    words = np.empty(documents, dtype=bool)
    for first, block in _oph_blocks(values, owner, documents, NUM_PERM):
        keys[:, first : first + len(block)] = band_keys(block).T
        words[first : first + len(block)] = block[:, 0] != _EMPTY
    ids = np.flatnonzero(words)
    return pairs_in_bands(keys if len(ids) == documents else keys[:, ids], ids)


def jaccard(left: np.ndarray, right: np.ndarray) -> float:
    """Exact Jaccard similarity of two shingle arrays (repeats ignored)."""
    left, right = np.unique(left), np.unique(right)
    if not len(left) and not len(right):
        return 1.0
    shared = len(np.intersect1d(left, right, assume_unique=True))
    return shared / (len(left) + len(right) - shared)


def near_duplicate_clusters(
    texts: Sequence[str | None], *, threshold: float = THRESHOLD, k: int = SHINGLE_WORDS
) -> tuple[list[list[int]], int]:
    """Clusters (lists of positions, first = earliest) of texts with verified Jaccard >= threshold.

    Returns (clusters with 2+ members sorted by first member, number of verified pairs). Candidate
    pairs come from LSH bands of one-permutation MinHash signatures; every candidate is verified
    with the exact Jaccard of its shingle sets (vectorised), and verified pairs are joined into
    clusters as connected components.
    """
    documents = len(texts)
    values, owner = flat_shingles(texts, k)
    pairs = _bucket_candidates(values, owner, documents)
    packed = (pairs[:, 0].astype(np.uint64) << np.uint64(32)) | pairs[:, 1].astype(np.uint64)
    return clusters_of(linked_pairs(lambda: [(values, owner)], len(values), documents, packed, threshold), documents)
