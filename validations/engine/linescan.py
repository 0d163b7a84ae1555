"""A vectorised check that a CSV/TSV file without quotes is structurally clean.

Why: the precise scans in ``structure.py`` cost about as much as a whole Polars read (line-by-line
``count_matches`` in Polars, or the csv module). Most uploads are clean, so this first asks, in
constant memory (4 MB chunks, NumPy), only "is every line exactly as wide as the header, the file
valid UTF-8 and free of quotes and blank lines?". When the answer is not a plain yes it returns
None and the precise scan runs and names the lines, exactly as before.

Without quote characters a record is one physical line and its field count is its number of
separators + 1, so counting separators between newlines is exact.

per_line=False only compares the file's total of separators with width x lines, ~3x cheaper (no
positions, only counts, no decoding). Then a short row could hide behind a long one, so the caller
must read the file with Polars' ``truncate_ragged_lines=False``, which fails on any long row (with no
long row, equal totals leave no room for a short or blank one), and with ``encoding="utf8"``, which
fails on invalid UTF-8.

The validation runner does not wait for the totals: ``head_of`` reads the header and the first
chunk (a quote there sends the file to the precise scans at once), and ``digest_and_totals`` then
counts the totals in the same read that computes the file's SHA-256, in a thread while Polars reads
the file (hashlib and NumPy release the GIL). The reader checks the totals after its read and, when
they disagree, scans each line and reads again, as it does when the read itself fails.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHUNK = 4 * 2**20
# Totals are counted in chunks that stay in the CPU cache, read into one reused buffer (a new 4 MB
# bytes object per read costs page faults): measured 0.107 s vs 0.149 s on 231 MB.
TOTALS_CHUNK = 256 * 2**10
BOM = b"\xef\xbb\xbf"


class _Totals:
    """Separators, line ends and quotes counted over consecutive chunks of the data lines."""

    def __init__(self, separator: str, width: int) -> None:
        self.sep, self.width = ord(separator), width
        self.separators = self.lines = 0
        self.partial = self.quoted = False
        self._mask = np.empty(0, dtype=bool)

    def add(self, chunk: bytes | bytearray | memoryview) -> None:
        if not len(chunk):
            return
        data = np.frombuffer(chunk, dtype=np.uint8)
        if self._mask.size < data.size:
            self._mask = np.empty(data.size, dtype=bool)
        mask = self._mask[: data.size]
        self.quoted = self.quoted or bool(np.equal(data, 34, out=mask).any())  # '"'
        self.separators += int(np.count_nonzero(np.equal(data, self.sep, out=mask)))
        self.lines += int(np.count_nonzero(np.equal(data, 10, out=mask)))
        self.partial = data[-1] != 10

    def records(self) -> int | None:
        """Data records when the totals agree with the header's width, else None."""
        records = self.lines + int(self.partial)  # a last line without a line end
        return records if not self.quoted and self.separators == self.width * records else None


@dataclass
class Head:
    """What the background totals need from the file's first line (``head_of``)."""

    header: list[str]
    start: int  # byte offset of the first data line
    estimate: int  # data records extrapolated from the first chunk (a prediction only)


def _header(first: bytes) -> str | None:
    """The text of a header line the totals can check, or None (see ``clean_delimited``)."""
    try:
        text = first.removeprefix(BOM).decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        return None
    if not first.endswith(b"\n") or '"' in text or not text.strip():
        return None  # header only, quoted or blank: the precise scan knows these cases
    return text


def head_of(path: Path, *, separator: str) -> Head | None:
    """The header when the file can be checked by totals after its read: None when the header or
    the first chunk of data holds a quote (or the header is one the totals cannot check)."""
    with open(path, "rb") as handle:
        first = handle.readline()
        text = _header(first)
        if text is None or len(text.split(separator)) == 1:
            return None
        chunk = handle.read(CHUNK)
    if b'"' in chunk:
        return None
    size = path.stat().st_size - len(first)
    estimate = chunk.count(b"\n") * size // max(1, len(chunk))
    return Head(header=text.split(separator), start=len(first), estimate=estimate)


def digest_and_totals(path: Path, head: Head, *, separator: str) -> tuple[str, int | None]:
    """One read of the file: the SHA-256 of all its bytes, and its data records when its totals
    agree with the header (``clean_delimited(per_line=False)`` after ``head_of``), else None."""
    digest = hashlib.sha256()
    totals = _Totals(separator, len(head.header) - 1)
    buffer = bytearray(TOTALS_CHUNK)
    view = memoryview(buffer)
    position = 0
    with open(path, "rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            chunk = view[:size]
            digest.update(chunk)
            totals.add(chunk[max(0, head.start - position) :])
            position += size
    return digest.hexdigest(), totals.records()


def clean_delimited(path: Path, *, separator: str, per_line: bool = True) -> tuple[list[str], int] | None:
    """(header, data records) when the file is clean and has no quotes; otherwise None."""
    sep = ord(separator)
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        header_text = _header(handle.readline())
        if header_text is None:
            return None
        header = header_text.split(separator)
        if len(header) == 1:
            return None  # in a one-column file an empty line is a null value: leave it to csv
        width = len(header) - 1  # separators per line
        if not per_line:
            totals = _Totals(separator, width)
            buffer = bytearray(TOTALS_CHUNK)
            view = memoryview(buffer)
            while size := handle.readinto(buffer):
                totals.add(view[:size])
            found = totals.records()
            return None if found is None else (header, found)
        records = 0
        pending = 0  # separators on the line that continues into the next chunk
        partial = False  # bytes after the last newline seen (a line not yet ended)
        while chunk := handle.read(CHUNK):
            if b'"' in chunk:
                return None
            data = np.frombuffer(chunk, dtype=np.uint8)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return None
            newlines = np.flatnonzero(data == 10)
            separators = np.flatnonzero(data == sep)
            if newlines.size:
                # Separators before each newline, per line; the first line started in an earlier chunk.
                widths = np.diff(np.searchsorted(separators, newlines), prepend=0)
                widths[0] += pending
                if (widths != width).any():
                    return None  # a ragged or blank line (0 separators): let the precise scan say
                records += newlines.size
                pending = separators.size - int(np.searchsorted(separators, newlines[-1]))
                partial = bool(newlines[-1] != len(chunk) - 1)
            else:
                pending += separators.size
                partial = True
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return None
    if partial:  # a last line without a line end
        if pending != width:
            return None
        records += 1
    return header, records
