"""Reader behaviour: sniffing, inspection results, and precise errors for unreadable input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import zstandard

from validations.engine.io import (
    EngineInputError,
    inspect_file,
    iter_batches,
    open_table,
    sniff_compression,
    sniff_format,
)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_it_sniffs_formats_from_content_not_name(tmp_path: Path) -> None:
    parquet = tmp_path / "data.csv"
    pl.DataFrame({"a": [1]}).write_parquet(parquet)
    assert sniff_format(parquet) == "parquet"
    assert sniff_format(write(tmp_path, "x.txt", "a\tb\n1\t2\n")) == "tsv"
    assert sniff_format(write(tmp_path, "y.txt", "a,b\n1,2\n")) == "csv"
    assert sniff_format(write(tmp_path, "z.txt", '\n{"a": 1}\n')) == "jsonl"


def test_it_sniffs_compression_from_magic_bytes(tmp_path: Path) -> None:
    assert sniff_compression(write(tmp_path, "a.gz", gzip.compress(b"a\n1\n"))) == "gzip"
    zst = zstandard.ZstdCompressor().compress(b"a\n1\n")
    assert sniff_compression(write(tmp_path, "a.csv", zst)) == "zstd"
    assert sniff_compression(write(tmp_path, "b.gz", "a\n1\n")) == "none"


def test_it_inspects_a_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "id,score,name\n1,0.5,ann\n2,NA,bob\n3,1.5,\n")
    result = inspect_file(path, declared_format="csv", preview_rows=2)
    assert result["format"] == "csv" and result["compression"] == "none"
    assert result["rows"] == 3
    by_name = {c["name"]: c for c in result["columns"]}
    assert by_name["id"]["dtype"] == "integer" and by_name["id"]["distinct"] == 3
    assert by_name["score"]["dtype"] == "float"
    assert by_name["score"]["null_fraction"] == pytest.approx(1 / 3, abs=1e-5)
    assert by_name["name"]["null_fraction"] == pytest.approx(1 / 3, abs=1e-5)
    assert result["preview"] == [
        {"id": 1, "score": 0.5, "name": "ann"},
        {"id": 2, "score": None, "name": "bob"},
    ]
    assert len(result["sha256"]) == 64
    json.dumps(result)


def test_it_hashes_the_stored_compressed_bytes(tmp_path: Path) -> None:
    import hashlib

    raw = gzip.compress(b"a,b\n1,2\n3,4\n")
    path = write(tmp_path, "d.csv.gz", raw)
    result = inspect_file(path, declared_format="csv")
    assert result["compression"] == "gzip" and result["rows"] == 2
    assert result["sha256"] == hashlib.sha256(raw).hexdigest()


def test_it_reads_zstd_jsonl_with_blank_lines(tmp_path: Path) -> None:
    raw = zstandard.ZstdCompressor().compress(b'{"a": 1}\n\n{"a": 2, "b": "x"}\n')
    result = inspect_file(write(tmp_path, "d.jsonl.zst", raw), declared_format="jsonl")
    assert result["compression"] == "zstd" and result["rows"] == 2
    assert [c["name"] for c in result["columns"]] == ["a", "b"]
    assert any("blank" in w for w in result["warnings"])


def test_it_reads_parquet_with_json_safe_preview(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pl.DataFrame({"x": [1.0, float("nan")], "t": ["a", None]}).write_parquet(path)
    result = inspect_file(path, declared_format="parquet")
    assert result["rows"] == 2
    assert result["preview"][1] == {"x": None, "t": None}


def test_header_only_is_zero_rows_with_a_warning(tmp_path: Path) -> None:
    result = inspect_file(write(tmp_path, "h.csv", "a,b\n"), declared_format="csv")
    assert result["rows"] == 0 and [c["name"] for c in result["columns"]] == ["a", "b"]
    assert any("no data rows" in w for w in result["warnings"])


def test_it_reads_bom_crlf_quoted_multiline_and_unicode_duplicated_names(tmp_path: Path) -> None:
    content = '\ufeffnom,nom,été\r\n1,"multi\r\nline, cell",x\r\n2,y,z\r\n'.encode()
    result = inspect_file(write(tmp_path, "o.csv", content), declared_format="csv")
    assert result["rows"] == 2
    assert [c["name"] for c in result["columns"]] == ["nom", "nom__2", "été"]
    assert result["preview"][0]["nom__2"] == "multi\r\nline, cell"
    assert any("Duplicated column names" in w for w in result["warnings"])


@pytest.mark.parametrize(
    ("name", "content", "declared", "needle"),
    [
        ("empty.csv", b"", "csv", "empty"),
        ("ragged.csv", b"a,b,c\n1,2,3\n4,5\n", "csv", "Line 3"),
        ("utf8.csv", b"a,b\n1,ok\n2,caf\xe9\n", "csv", "line 3, byte 6"),
        ("bad.jsonl", b'{"a": 1}\n{"a": 2}\n{"a": \n', "jsonl", "Line 3"),
        ("array.jsonl", b'{"a": 1}\n[1, 2]\n', "jsonl", "not an object"),
        ("wrong.csv", b"PAR1" + b"\x00" * 20 + b"PAR1", "csv", "declared csv but the file looks"),
        ("text.jsonl", b"just words\nmore words\n", "jsonl", "looks like csv"),
        ("jsonarr.json", b'[{"a": 1}]', "jsonl", "JSON array"),
        ("quote.csv", b'a,b\n1,"unclosed\n', "csv", "Line 2"),
    ],
)
def test_bad_input_raises_a_precise_error(
    tmp_path: Path, name: str, content: bytes, declared: str, needle: str
) -> None:
    with pytest.raises(EngineInputError) as info:
        inspect_file(write(tmp_path, name, content), declared_format=declared)
    assert needle.lower() in str(info.value).lower()


def test_truncated_parquet_raises(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pl.DataFrame({"a": list(range(1000))}).write_parquet(path)
    cut = write(tmp_path, "cut.parquet", path.read_bytes()[:-30])
    with pytest.raises(EngineInputError, match="truncated"):
        inspect_file(cut, declared_format="parquet")


def test_truncated_gzip_raises(tmp_path: Path) -> None:
    raw = gzip.compress(b"a,b\n" + b"1,2\n" * 10_000)
    with pytest.raises(EngineInputError, match="truncated"):
        inspect_file(write(tmp_path, "t.csv.gz", raw[: len(raw) // 2]), declared_format="csv")


def test_gzip_bomb_stops_at_the_limit(tmp_path: Path) -> None:
    bomb = gzip.compress(b"a\n" + b"0\n" * 5_000_000)
    path = write(tmp_path, "bomb.csv.gz", bomb)
    with pytest.raises(EngineInputError, match="decompresses to more than 1,000,000 bytes"):
        inspect_file(path, declared_format="csv", max_decompressed_bytes=1_000_000)


def test_tolerant_open_skips_bad_lines_and_maps_rows_back(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "a,b\n0,x\n1\n2,y\n3,z,extra\n4,w\n")
    with open_table(path, strict=False) as table:
        assert table.structure is not None
        assert [(b.line, b.record) for b in table.structure.bad] == [(3, 1), (5, 3)]
        frame = table.lazy().collect()
        assert frame["a"].to_list() == [0, 2, 4]
        assert table.row_map(np.arange(3)).tolist() == [0, 2, 4]


def test_nothing_parses_is_an_error_even_when_tolerant(tmp_path: Path) -> None:
    path = write(tmp_path, "n.jsonl", '{"a": 1\n{"b": \n')
    with pytest.raises(EngineInputError, match="None of the 2 rows"):
        with open_table(path, declared_format="jsonl", strict=False):
            pass


def test_iter_batches_streams_all_rows_in_order(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", "a\n" + "".join(f"{i}\n" for i in range(2500)))
    with open_table(path) as table:
        batches = list(iter_batches(table, batch_size=1000))
    values = pl.concat(batches)["a"].to_list()
    assert values == list(range(2500)) and max(len(b) for b in batches) <= 1000


@pytest.mark.parametrize(
    "content",
    [
        "a,b\n1,2\n\n3\n4,5,6\n7,8\n",
        "\ufeffa,b\r\n1,2\r\n\r\n3\r\n7,8",
        "a\tb\tc\n1\t2\t3\n4\t5\n",
    ],
)
def test_fast_line_scan_agrees_with_the_csv_module_scan(tmp_path: Path, content: str) -> None:
    from validations.engine import structure

    path = write(tmp_path, "f.csv", content)
    separator = "\t" if "\t" in content else ","
    fast = structure.fast_scan_delimited(path, separator=separator, strict=False)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        slow = structure._scan_delimited_lines(handle, structure.StructureScan(), separator, strict=False)
    assert fast is not None
    assert (fast.header, fast.records, fast.bad_count, fast.blank_lines) == (
        slow.header,
        slow.records,
        slow.bad_count,
        slow.blank_lines,
    )
    assert [(b.line, b.record, b.reason) for b in fast.bad] == [(b.line, b.record, b.reason) for b in slow.bad]


def test_fast_line_scan_leaves_quoted_files_to_the_csv_module(tmp_path: Path) -> None:
    from validations.engine import structure

    path = write(tmp_path, "q.csv", 'a,b\n1,"x,y"\n')
    assert structure.fast_scan_delimited(path, separator=",", strict=False) is None
    with open_table(path) as table:
        assert table.lazy().collect()["b"].to_list() == ["x,y"]


def test_parquet_with_corrupt_pages_raises_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    pl.DataFrame({"a": list(range(5000)), "b": [f"v{i}" for i in range(5000)]}).write_parquet(path, compression="zstd")
    raw = bytearray(path.read_bytes())
    # Random bytes inside the data pages, footer intact. (Parquet pages carry no checksum here, so
    # some damage decodes silently into wrong values; this damage is detectable.)
    for start in (4, 50, 2000):
        damaged = bytearray(raw)
        damaged[start : start + 300] = np.random.default_rng(0).integers(0, 256, 300, dtype=np.uint8).tobytes()
        broken = write(tmp_path, f"broken{start}.parquet", bytes(damaged))
        with pytest.raises(EngineInputError, match="could not be read as parquet"):
            inspect_file(broken, declared_format="parquet")


def test_jsonl_scan_finds_bad_and_blank_lines(tmp_path: Path) -> None:
    from validations.engine import structure

    content = '{"a": 1}\n\n{"a": \n[1, 2]\n  \n{"a": "x,\\"y\\""}\n{"a": NaN}\n{"b": 3}\n'
    path = write(tmp_path, "f.jsonl", content)
    assert structure.fast_scan_jsonl(path, strict=False) is None  # bad lines: the Python scan names them
    scan = structure.scan_jsonl(path, strict=False)
    assert [(b.line, b.record) for b in scan.bad] == [(3, 1), (4, 2), (7, 4)]
    assert scan.blank_lines == [2, 5] and scan.records == 6 and scan.bad_count == 3
    assert scan.bad[1].reason == "the line is a JSON list, not an object"
    with open_table(path, declared_format="jsonl") as table:
        assert table.lazy().collect().to_dicts() == [
            {"a": "1", "b": None},
            {"a": 'x,"y"', "b": None},
            {"a": None, "b": 3},
        ]
        assert table.row_map(np.arange(3)).tolist() == [0, 3, 5]


def test_fast_jsonl_scan_counts_blank_lines_of_a_good_file(tmp_path: Path) -> None:
    from validations.engine import structure

    path = write(tmp_path, "g.jsonl", '{"a": 1}\r\n\r\n{"a": 2}\n   \n{"a": 3}')
    fast = structure.fast_scan_jsonl(path, strict=True)
    assert fast is not None and fast.records == 3 and fast.blank_lines == [2, 4] and fast.bad == []


def test_jsonl_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.jsonl", '\ufeff{"a": 1}\r\n{"a": 2}\r\n')
    result = inspect_file(path, declared_format="jsonl")
    assert result["rows"] == 2 and result["preview"] == [{"a": 1}, {"a": 2}]


@pytest.mark.parametrize("source", ["parquet", "materialized-csv", "csv"])
def test_iter_batches_with_a_filter_keeps_every_kept_row_and_its_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    frame = pl.DataFrame({"a": list(range(2500)), "s": [f"t{i % 7}" for i in range(2500)]})
    path = tmp_path / ("b.parquet" if source == "parquet" else "b.csv")
    frame.write_parquet(path) if source == "parquet" else frame.write_csv(path)
    calls: list[int] = []
    streamed = pl.LazyFrame.collect_batches
    monkeypatch.setattr(pl.LazyFrame, "collect_batches", lambda self, **kw: calls.append(1) or streamed(self, **kw))
    with open_table(path, materialize=source != "csv") as table:
        assert table.reads_parquet == (source != "csv")
        batches = list(
            iter_batches(
                table,
                batch_size=300,
                row_index="row",
                select=lambda lf: lf.filter(pl.col("s") == "t3").select("row", "a"),
            )
        )
    kept = pl.concat(batches)
    assert kept["a"].to_list() == [i for i in range(2500) if i % 7 == 3]
    assert kept["row"].to_list() == kept["a"].to_list()
    # From Parquet each batch is a query over its own slice (9 slices of 300 rows): no streaming
    # query runs ahead of the consumer; a plain CSV is streamed by one query.
    assert (len(batches), len(calls)) == ((9, 0) if source != "csv" else (len(batches), 1))
