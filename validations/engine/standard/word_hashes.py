"""64-bit hashes of the words of many texts at once, without making a string per word.

A word is a run of ``\\w`` characters of the text after NFKC and lower-casing (Unicode rules, as
Polars' ``str.extract_all(r"\\w+")`` finds them). Texts in plain ASCII — most of a corpus — are
tokenised on their bytes with numpy: NFKC leaves ASCII alone, lower-casing ASCII sets bit 5 of A-Z,
and ``\\w`` on ASCII is ``[0-9A-Za-z_]``. Other texts are normalised and tokenised by Polars and
their words rejoined with single spaces, which the byte pass then splits exactly (every byte of a
non-ASCII word character is >= 0x80, which the byte pass counts as a word byte). On the 200k
documents (23M words) of bench/speed.py this takes 1.6-1.9 s where tokenising with Polars and
hashing its word strings took 4.8 s: making a string per word was most of that. The bytes go
through in groups of about CHUNK_BYTES so that every temporary stays in cache (16 MB groups: 4.1 s).

A word's hash is ``word_hash``: its UTF-8 bytes read as little-endian 8-byte blocks (the last one
zero-padded), folded with a multiply-xorshift step after the length, then finalised (splitmix64).
Equal words hash alike whichever path found them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

CHUNK_BYTES = 1 << 18  # texts are hashed in groups of about this many bytes: temporaries stay small
_LENGTH_SEED = 0x9E3779B97F4A7C15
_FOLD = 0xFF51AFD7ED558CCD
_MASK = (1 << 64) - 1


def word_hash(word: str) -> int:
    """The hash of one (already normalised) word; the reference the vectorised pass must equal."""
    data = word.encode()
    value = (len(data) * _LENGTH_SEED) & _MASK
    for offset in range(0, len(data), 8):
        value = _fold_int(value ^ int.from_bytes(data[offset : offset + 8], "little"))
    return _finalise_int(value)


def _fold_int(value: int) -> int:
    value = (value * _FOLD) & _MASK
    return value ^ (value >> 33)


def _finalise_int(value: int) -> int:
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def _fold(values: np.ndarray) -> np.ndarray:
    values *= np.uint64(_FOLD)
    values ^= values >> np.uint64(33)
    return values


def _finalise(values: np.ndarray) -> np.ndarray:
    values ^= values >> np.uint64(30)
    values *= np.uint64(0xBF58476D1CE4E5B9)
    values ^= values >> np.uint64(27)
    values *= np.uint64(0x94D049BB133111EB)
    values ^= values >> np.uint64(31)
    return values


def prepared_texts(texts: Sequence[str | None]) -> list[str]:
    """Each text as the byte pass reads it: ASCII texts as they are (the caller's strings, not
    copies), others normalised, lower-cased and reduced to their words joined by single spaces; a
    missing text is empty."""
    prepared = [text or "" for text in texts]
    others = [i for i, text in enumerate(prepared) if not text.isascii()]
    if others:
        series = pl.Series("t", [prepared[i] for i in others], dtype=pl.String)
        words = series.str.normalize("NFKC").str.to_lowercase().str.extract_all(r"\w+").list.join(" ")
        for i, text in zip(others, words.to_list(), strict=True):
            prepared[i] = text
    return prepared


def chunk_bounds(sizes: np.ndarray, chunk_bytes: int | None = None) -> np.ndarray:
    """Text positions that cut texts of ``sizes`` bytes into runs of about ``chunk_bytes`` (CHUNK_BYTES)
    each: run i is texts bounds[i]..bounds[i + 1]."""
    chunk = chunk_bytes or CHUNK_BYTES
    bounds = np.searchsorted(np.cumsum(sizes), np.arange(chunk, sizes.sum() + chunk, chunk))
    return np.unique(np.r_[0, np.minimum(bounds + 1, len(sizes))])


def word_hashes(texts: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(every word's hash, in text order; each text's word count)."""
    prepared = prepared_texts(texts)
    # UTF-8 lengths, with the newline after each text.
    sizes = np.fromiter((len(t) if t.isascii() else len(t.encode()) for t in prepared), np.int64, len(prepared)) + 1
    bounds = chunk_bounds(sizes)
    # At most one word per two bytes: pages of the bound that no word reaches are never touched,
    # and the array is cut to size in place at the end (no second copy of 8 bytes per word).
    hashes = np.empty(int(sizes.sum()) // 2 + 1, dtype=np.uint64)
    counts = np.empty(len(prepared), dtype=np.int64)
    filled = 0
    for begin, end in zip(bounds[:-1], bounds[1:], strict=True):
        chunk_hashes, counts[begin:end] = _chunk(prepared[begin:end], sizes[begin:end])
        hashes[filled : filled + len(chunk_hashes)] = chunk_hashes
        filled += len(chunk_hashes)
    hashes.resize(filled, refcheck=False)
    return hashes, counts


def _chunk(texts: list[str], sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Word hashes and counts of texts whose UTF-8 lengths (plus one) are ``sizes``."""
    # One newline (not a word byte) after each text, so no word runs across two of them, and eight
    # zero bytes at the end, so every word's last 8-byte block can be read whole.
    data = bytearray(("\n".join(texts) + "\n").encode() + bytes(8))
    raw = np.frombuffer(data, dtype=np.uint8)[:-8]
    flags = np.zeros(len(raw) + 1, dtype=bool)  # a non-word byte before the first
    word = flags[1:]
    offset_code = raw - np.uint8(ord("A"))  # wraps: A-Z become 0-25
    np.less(offset_code, 26, out=word)
    raw |= word.view(np.uint8) << np.uint8(5)  # lower-cased in place: 'A' + 0x20 is 'a'
    np.subtract(raw, np.uint8(ord("a")), out=offset_code)
    np.less(offset_code, 26, out=word)
    np.subtract(raw, np.uint8(ord("0")), out=offset_code)
    word |= offset_code < 10
    word |= raw == ord("_")
    word |= raw >= 0x80
    starts, ends, first_word = byte_runs(flags, sizes)
    counts = np.diff(first_word)
    lengths = ends - starts
    # Every byte offset read as an unaligned little-endian 8-byte block.
    blocks = np.ndarray(shape=(len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
    first = blocks[starts] & _tail_masks(lengths)
    values = _fold(lengths.astype(np.uint64) * np.uint64(_LENGTH_SEED) ^ first)
    live, offset = np.flatnonzero(lengths > 8), 8
    while len(live):
        block = blocks[starts[live] + offset] & _tail_masks(lengths[live] - offset)
        values[live] = _fold(values[live] ^ block)
        offset += 8
        live = live[lengths[live] > offset]
    return _finalise(values), counts


def byte_runs(flags: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of set flags over texts joined with a separator byte after each (``sizes``: their byte
    lengths plus one): (run starts, run ends, each text's first run, then the run count). ``flags``
    holds an unset slot before the first byte, then one flag per byte; the separator is unset, so
    runs start and end where the flag changes, alternately, and never span two texts."""
    changes = np.flatnonzero(flags[1:] != flags[:-1])
    starts = changes[0::2]
    return starts, changes[1::2], np.searchsorted(starts, np.r_[0, np.cumsum(sizes)])


def _tail_masks(left: np.ndarray) -> np.ndarray:
    """Per block, the mask of its first min(left, 8) bytes (left >= 1)."""
    shift = np.uint64(64) - (np.minimum(left, 8).astype(np.uint64) << np.uint64(3))
    return np.uint64(_MASK) >> shift
