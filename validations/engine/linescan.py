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
"""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np

CHUNK = 4 * 2**20
BOM = b"\xef\xbb\xbf"


def clean_delimited(path: Path, *, separator: str, per_line: bool = True) -> tuple[list[str], int] | None:
    """(header, data records) when the file is clean and has no quotes; otherwise None."""
    sep = ord(separator)
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        first = handle.readline()
        try:
            header_line = decoder.decode(first.removeprefix(BOM))
        except UnicodeDecodeError:
            return None
        header_text = header_line.rstrip("\r\n")
        if not first.endswith(b"\n") or '"' in header_text or not header_text.strip():
            return None  # header only, quoted or blank: the precise scan knows these cases
        header = header_text.split(separator)
        if len(header) == 1:
            return None  # in a one-column file an empty line is a null value: leave it to csv
        width = len(header) - 1  # separators per line
        records = 0
        pending = 0  # separators on the line that continues into the next chunk
        partial = False  # bytes after the last newline seen (a line not yet ended)
        total = 0  # separators in data lines (per_line=False)
        while chunk := handle.read(CHUNK):
            if b'"' in chunk:
                return None
            data = np.frombuffer(chunk, dtype=np.uint8)
            if not per_line:
                total += int(np.count_nonzero(data == sep))
                records += int(np.count_nonzero(data == 10))
                partial = chunk[-1:] != b"\n"
                continue
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
    if not per_line:
        records += int(partial)  # a last line without a line end
        return (header, records) if total == width * records else None
    if partial:  # a last line without a line end
        if pending != width:
            return None
        records += 1
    return header, records
