"""Reading datasets: format sniffing, inspection, and the one way the checks read a file.

Every reader goes through ``open_table`` so inspection (datasets worker, issue 3) and validation
see the same rows. Text formats get one streaming structural pass (``structure.py``) that pins
bad lines to line numbers; the data itself is read by Polars lazily with the streaming engine, so
memory stays bounded on files larger than RAM. Compressed files are decompressed streaming into a
temporary file with a size limit (see ``compression.py``). For validation, text formats are then
written once to a typed temporary Parquet file (``Table.materialize``), so the checks' many passes
read columns instead of parsing text again.

Header only: ``inspect_file`` returns rows=0 with a warning (a dataset record must not fail on it),
and validation reports it as a finding. Only a file of which nothing parses raises.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from validations.engine import linescan, structure
from validations.engine.batches import iter_batches
from validations.engine.compression import decompress_to, file_sha256, sniff_compression
from validations.engine.errors import EngineInputError
from validations.engine.schema import (
    TextProfile,
    dtype_name,
    profile_text_columns,
    typed_expr,
)
from validations.engine.summary import column_summary, json_safe, read_summary

# Row groups a Parquet scan decodes ahead (read at each query; an operator's setting wins). Polars 2.1
# prefetches up to 128: a pass over the typed file of 10M rows held ~430 MB against ~190 MB at 1M.
# 4 keeps both cores fed (the same pass: 2.7 s, against 3.0 s with the default).
os.environ.setdefault("POLARS_ROW_GROUP_PREFETCH_SIZE", "4")

__all__ = [
    "EngineInputError",
    "Table",
    "column_summary",
    "inspect_file",
    "iter_batches",
    "json_safe",
    "open_table",
    "read_summary",
    "sniff_compression",
    "sniff_format",
]

FORMATS = ("csv", "tsv", "jsonl", "parquet")
PARQUET_MAGIC = b"PAR1"
DEFAULT_MAX_DECOMPRESSED = 50 * 2**30
SNIFF_BYTES = 64 * 1024


def sniff_format(path: str | Path) -> str:
    """Return csv, tsv, jsonl or parquet from the (uncompressed) content, never from the name."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head:
        raise EngineInputError("The file is empty (0 bytes); upload a file with a header and rows.")
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace").lstrip()
    if not text:
        raise EngineInputError("The file contains only whitespace; there is no data to read.")
    if text[0] == "{":
        return "jsonl"
    if text[0] == "[":
        raise EngineInputError(
            "The file is a JSON array; Synthos reads JSON Lines (one JSON object per line) — "
            "convert it, e.g. with `jq -c '.[]'`."
        )
    first_line = text.splitlines()[0]
    return "tsv" if first_line.count("\t") > first_line.count(",") else "csv"


def _check_declared(declared: str | None, sniffed: str, warnings: list[str]) -> str:
    if declared is None or declared == sniffed:
        return sniffed
    if declared not in FORMATS:
        raise EngineInputError(f"Unknown format {declared!r}; use one of {', '.join(FORMATS)}.")
    if {declared, sniffed} <= {"csv", "tsv"}:
        # A separator mix-up is common and harmless once noticed: read what the file really is.
        warnings.append(f"Declared {declared} but the header is separated like {sniffed}; read as {sniffed}.")
        return sniffed
    raise EngineInputError(
        f"Declared {declared} but the file looks like {sniffed}; upload it again with the right format."
    )


@dataclass
class Table:
    """An opened dataset: a typed lazy frame plus what the structural pass found."""

    format: str
    compression: str
    sha256: str
    read_path: Path
    columns: list[str]
    original_columns: list[str]
    dtypes: dict[str, str]
    text_profiles: dict[str, TextProfile]
    structure: structure.StructureScan | None
    metadata_rows: int | None
    warnings: list[str] = field(default_factory=list)
    work_dir: Path | None = None  # temporary files of this table live here until it is closed
    # Columns the CSV reader parses as numbers itself (see fused.py); the others are read as text.
    native: dict[str, pl.DataType] = field(default_factory=dict)
    _raw: pl.LazyFrame | None = None
    _text_raw: pl.LazyFrame | None = None  # every CSV/TSV cell as text
    _typed: pl.LazyFrame | None = None
    # Reopens the file with every line checked; set while only the totals were (tolerant callers).
    _recheck: Callable[[], Table] | None = None
    # The background pass of ``open_table(defer_lines=True)``: (sha256, records or None).
    _pending: Future | None = None

    def settle(self) -> bool:
        """Wait for the background pass of ``open_table(defer_lines=True)``, if any: the digest, and
        the exact records; False when the line totals disagree (``check_lines``, read again)."""
        if self._pending is None:
            return True
        self.sha256, records = self._pending.result()
        self._pending = None
        if records is None:
            return False
        assert self.structure is not None
        self.structure.records = records
        return True

    def check_lines(self) -> bool:
        """After a read failed: when only the totals of the lines were checked, scan each line,
        leave the bad ones out (findings) and become that table; False when there is nothing to redo."""
        if self._recheck is None:
            return False
        self.settle()
        fresh = self._recheck()
        fresh.sha256 = self.sha256  # of the stored file, computed once
        for item in fields(self):
            setattr(self, item.name, getattr(fresh, item.name))
        return True

    def raw_lazy(self) -> pl.LazyFrame:
        """The frame as read (CSV/TSV cells as text except ``native`` columns; once materialised,
        text columns as read)."""
        assert self._raw is not None
        return self._typed if self._typed is not None else self._raw

    def typed(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """``frame`` (as read) with inferred types applied (disguised-missing tokens become null)."""
        casts = [typed_expr(name, self.dtypes[name]) for name in self.text_profiles if name not in self.native]
        return frame.with_columns(casts) if casts else frame

    @property
    def reads_parquet(self) -> bool:
        """Whether ``lazy()`` reads Parquet: the upload, or the typed file of ``materialize``."""
        return self._typed is not None or self.format == "parquet"

    def lazy(self) -> pl.LazyFrame:
        """The frame with inferred types applied (disguised-missing tokens become null)."""
        if self._typed is not None:
            return self._typed
        return self.typed(self.raw_lazy())

    def materialize(self, directory: Path | None = None) -> None:
        """Write the typed frame once to Parquet, streaming, so that every later pass reads only
        the columns it needs instead of parsing the text again (the standard checks make many
        passes). Costs one pass and a temporary file about the size of the data compressed."""
        directory = directory or self.work_dir
        if self.format == "parquet" or not self.columns or directory is None or self._typed is not None:
            return
        target = directory / "typed.parquet"
        try:
            self.lazy().sink_parquet(target, compression="lz4")
        except pl.exceptions.PolarsError:
            return  # e.g. a column type Parquet cannot hold: keep reading the text
        self._typed = pl.scan_parquet(target)

    def row_map(self, rows: np.ndarray) -> np.ndarray:
        """Map indices among parsed rows to 0-based data rows of the file (skipped bad lines)."""
        rows = np.asarray(rows, dtype=np.int64)
        return self.structure.row_map(rows) if self.structure else rows


def _unique_names(names: list[str]) -> tuple[list[str], list[str]]:
    seen: dict[str, int] = {}
    result: list[str] = []
    duplicated: list[str] = []
    for position, name in enumerate(names):
        base = name if name.strip() else f"column_{position + 1}"
        if base in seen:
            seen[base] += 1
            duplicated.append(name)
            base = f"{base}__{seen[base]}"
        seen.setdefault(base, 1)
        result.append(base)
    return result, duplicated


def _scan_text(
    path: Path,
    fmt: str,
    work: Path,
    *,
    strict: bool,
    warnings: list[str],
    per_line: bool,
    head: linescan.Head | None = None,
) -> tuple[pl.LazyFrame, structure.StructureScan, list[str]]:
    if fmt == "jsonl":
        scan = structure.scan_jsonl(path, strict=strict)
    elif head is not None:
        # The totals are counted in the background (Table.settle): only an estimate of the rows so far.
        scan = structure.StructureScan(header=head.header, records=head.estimate, lines_checked=False)
    else:
        # per_line=False leaves a long row to the reader, which then fails on it (see linescan.py).
        scan = structure.scan_delimited(path, separator=separator_of(fmt), strict=strict, per_line=per_line)
    if scan.records and not scan.good_records:
        first = scan.bad[0]
        raise EngineInputError(
            f"None of the {scan.records:,} rows could be read; the first problem is on line "
            f"{first.line}: {first.reason}."
        )
    read_path = path
    with open(path, "rb") as handle:
        has_bom = handle.read(3) == b"\xef\xbb\xbf"  # Polars' JSON reader rejects a BOM
    if scan.needs_clean_copy or scan.encoding_error_count or (fmt == "jsonl" and has_bom):
        read_path = work / f"clean.{fmt}"
        structure.write_clean(path, read_path, scan, fmt=fmt)
    if fmt == "jsonl":
        if scan.good_records == 0:
            return pl.LazyFrame(), scan, []
        # Full-file schema inference: a key that first appears late must not be dropped.
        lf = pl.scan_ndjson(read_path, infer_schema_length=None)
        try:
            names = lf.collect_schema().names()
        except pl.exceptions.PolarsError:
            # A key holding e.g. an object on one line and a number on another has no common
            # type: read every key as JSON text rather than fail the whole file.
            names = structure.jsonl_keys(read_path)
            lf = pl.scan_ndjson(read_path, schema=dict.fromkeys(names, pl.String))
            warnings.append("Some keys hold values of incompatible JSON types; all keys were read as text.")
        return lf, scan, names
    header = scan.header or []
    names, duplicated = _unique_names(header)
    if duplicated:
        warnings.append(f"Duplicated column names renamed: {', '.join(sorted(set(duplicated)))}.")
    lf = pl.scan_csv(
        read_path,
        separator="\t" if fmt == "tsv" else ",",
        infer_schema=False,
        new_columns=names,
        encoding="utf8-lossy" if scan.lines_checked else "utf8",
        truncate_ragged_lines=scan.lines_checked,
    )
    return lf, scan, header


def profile_columns(lf: pl.LazyFrame, fmt: str, *, rows: int | None = None) -> dict[str, TextProfile]:
    """Type inference for the String columns of a text format (all rows, or the first ``rows``)."""
    schema = lf.collect_schema()
    text_names = [n for n in schema.names() if fmt != "parquet" and schema[n] == pl.String]
    engine = "streaming"
    if rows is not None and text_names:
        # Read the sample once into memory: the profile makes two passes over it.
        lf, engine = lf.select(text_names).head(rows).collect().lazy(), "in-memory"
    profiles = profile_text_columns(lf, text_names, engine=engine)
    if fmt == "jsonl":
        # JSON already typed its values: a string stays a string ("007" is not 7), but a key
        # holding numbers on some lines and words on others is reported as mixed.
        for profile in profiles.values():
            profile.dtype = "mixed" if profile.dtype == "mixed" else "string"
    return profiles


def _open_data(
    path: Path, fmt: str, work: Path, strict: bool, warnings: list[str], per_line: bool, head: linescan.Head | None
) -> tuple[pl.LazyFrame, structure.StructureScan | None, list[str], int | None]:
    if fmt == "parquet":
        lf, original = _scan_parquet(path)
        return lf, None, original, lf.select(pl.len()).collect().item()
    lf, scan, original = _scan_text(path, fmt, work, strict=strict, warnings=warnings, per_line=per_line, head=head)
    return lf, scan, original, None


def _load(
    data_path: Path,
    fmt: str,
    work: Path,
    *,
    strict: bool,
    warnings: list[str],
    profile_rows: int | None,
    per_line: bool,
    head: linescan.Head | None = None,
    **known: Any,
) -> Table:
    """The table of a decompressed file; ``known`` are the Table fields known before reading."""
    try:
        lf, scan, original, metadata_rows = _open_data(data_path, fmt, work, strict, warnings, per_line, head)
        try:
            profiles = profile_columns(lf, fmt, rows=profile_rows)
        except pl.exceptions.PolarsError:
            if not strict and scan is not None and not scan.lines_checked:
                # Only the totals were checked: a long row or bad UTF-8 in the sample; scan each line.
                return _load(
                    data_path,
                    fmt,
                    work,
                    strict=strict,
                    warnings=warnings,
                    profile_rows=profile_rows,
                    per_line=True,
                    **known,
                )
            rescan_lines(scan, data_path, fmt)
            raise
    except pl.exceptions.PolarsError as exc:
        detail = str(exc).strip().split("\n")[0]
        raise EngineInputError(f"The file could not be read as {fmt}: {detail}.") from exc
    schema = lf.collect_schema()
    names = schema.names()
    dtypes = {n: profiles[n].dtype if n in profiles else dtype_name(schema[n]) for n in names}
    table = Table(
        format=fmt,
        read_path=data_path,
        columns=names,
        original_columns=original,
        dtypes=dtypes,
        text_profiles=profiles,
        structure=scan,
        metadata_rows=metadata_rows,
        warnings=warnings,
        work_dir=work,
        _raw=lf,
        _text_raw=lf,
        **known,
    )
    if not strict and scan is not None and not scan.lines_checked:
        initial = list(warnings)
        table._recheck = lambda: _load(
            data_path,
            fmt,
            work,
            strict=False,
            warnings=list(initial),
            profile_rows=profile_rows,
            per_line=True,
            **known,
        )
    return table


@contextmanager
def open_table(
    path: str | Path,
    *,
    declared_format: str | None = None,
    compression: str | None = None,
    strict: bool = False,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED,
    materialize: bool = False,
    profile_rows: int | None = None,
    defer_lines: bool = False,
) -> Iterator[Table]:
    """Open a dataset for reading; temp files live until the ``with`` block ends.

    materialize=True converts text formats to a typed temporary Parquet file first (for callers
    that read the data many times, like the validation runner).

    strict=True raises EngineInputError at the first bad line (inspection); strict=False keeps bad
    lines as findings and reads the rest (validation). Raises EngineInputError when nothing parses.

    profile_rows=N infers the text columns' dtypes from the first N rows only: the dtypes are then
    candidates that the caller must confirm on the whole file (see ``inspection.py``).

    defer_lines=True (tolerant sampling callers that read the whole file next): the line totals of
    an uncompressed CSV/TSV are counted with the digest while the caller reads (see linescan.py),
    who then calls ``Table.settle``, and ``Table.check_lines`` and reads again when it is False.
    """
    path = Path(path)
    if not path.is_file():
        raise EngineInputError(f"The file {path} does not exist.")
    if path.stat().st_size == 0:
        raise EngineInputError("The file is empty (0 bytes); upload a file with a header and rows.")
    warnings: list[str] = []
    sniffed_compression = sniff_compression(path)
    if compression and compression != sniffed_compression:
        warnings.append(f"Declared {compression} compression but the file is {sniffed_compression}.")
    with tempfile.TemporaryDirectory(prefix="synthos-engine-") as tmp, ThreadPoolExecutor(1) as pool:
        work = Path(tmp)
        head = None
        if sniffed_compression == "none":
            data_path = path
            fmt = _check_declared(declared_format, sniff_format(data_path), warnings)
            if defer_lines and not strict and profile_rows is not None and fmt in ("csv", "tsv"):
                head = linescan.head_of(path, separator=separator_of(fmt))
            # hashlib releases the GIL: the digest is computed while the structure is checked (or, with
            # the deferred totals, while the caller reads the file). The future holds (sha256, data
            # records or None where they were not counted), as for a decompressed file below.
            if head is None:
                hashing = pool.submit(lambda: (file_sha256(path), None))
            else:
                hashing = pool.submit(linescan.digest_and_totals, path, head, separator=separator_of(fmt))
        else:
            data_path, hashing = work / "decompressed", Future()
            digest = decompress_to(path, data_path, compression=sniffed_compression, max_bytes=max_decompressed_bytes)
            hashing.set_result((digest, None))
            if data_path.stat().st_size == 0:
                raise EngineInputError("The file decompresses to nothing (0 bytes).")
            fmt = _check_declared(declared_format, sniff_format(data_path), warnings)
        # Sampling callers confirm what they read on the whole file, so they too count only the
        # totals of the lines first (~5x cheaper than checking each line's width): when their read
        # fails they call Table.check_lines, which scans each line and reads the good ones.
        table = _load(
            data_path,
            fmt,
            work,
            strict=strict,
            warnings=warnings,
            profile_rows=profile_rows,
            per_line=not strict and profile_rows is None,
            head=head,
            compression=sniffed_compression,
            sha256="",
        )
        if head is not None and table.structure is not None and not table.structure.lines_checked:
            table._pending = hashing
        else:
            table.sha256 = hashing.result()[0]
        if materialize:
            table.materialize(work)
        try:
            yield table
        except (pl.exceptions.PolarsError, EngineInputError):
            rescan_lines(table.structure, data_path, fmt)
            raise


def separator_of(fmt: str) -> str:
    return "\t" if fmt == "tsv" else ","


def rescan_lines(scan: structure.StructureScan | None, path: Path, fmt: str) -> None:
    """After a failed read of a file whose line widths were not checked one by one, raise the
    precise error (line number) when a ragged row or invalid UTF-8 caused it; otherwise return."""
    if scan is not None and not scan.lines_checked:
        structure.scan_delimited(path, separator=separator_of(fmt), strict=True)


def _scan_parquet(path: Path) -> tuple[pl.LazyFrame, list[str]]:
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 4))
        tail = handle.read(4)
    if size < 12 or tail != PARQUET_MAGIC:
        raise EngineInputError(
            "The Parquet file is truncated or corrupt (its footer is missing); the upload was "
            "probably cut off — upload the file again."
        )
    try:
        lf = pl.scan_parquet(path)
        names = lf.collect_schema().names()
    except pl.exceptions.PolarsError as exc:
        raise EngineInputError(f"The Parquet file cannot be read: {exc}".split("\n")[0]) from exc
    return lf, names


def inspect_file(
    path: str | Path,
    *,
    declared_format: str,
    compression: str | None = None,
    preview_rows: int = 100,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED,
) -> dict[str, Any]:
    """Inspect an uploaded dataset for the datasets worker (see ``inspection.inspect_file``)."""
    from validations.engine import inspection  # it builds on this module

    return inspection.inspect_file(
        path,
        declared_format=declared_format,
        compression=compression,
        preview_rows=preview_rows,
        max_decompressed_bytes=max_decompressed_bytes,
    )
