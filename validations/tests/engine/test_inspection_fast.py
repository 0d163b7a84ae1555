"""Inspection's fast paths (sampled dtypes confirmed in one pass, vectorised line check) and their
fallbacks: the result and the error messages must be those of the exact reader."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from validations.engine import inspection, linescan, structure
from validations.engine.io import EngineInputError, inspect_file, open_table, read_summary


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def rows_text(n: int, *, at: int | None = None, line: str = "", header: str = "id,n,f,s") -> str:
    """A clean 4-column CSV with ``line`` replacing data row ``at`` (1-based line at + 2)."""
    rows = [line if i == at else f"{i},{i * 3},{i / 7:.3f},w{i % 13}" for i in range(n)]
    return header + "\n" + "\n".join(rows) + "\n"


def exact(path: Path, fmt: str = "csv") -> tuple[int, list[dict]]:
    with open_table(path, declared_format=fmt, strict=True) as table:
        return read_summary(table)


@pytest.fixture
def small_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inspection, "SAMPLE_ROWS", 50)


@pytest.mark.parametrize(
    ("late", "column", "dtype"),
    [
        ("999,NA,1.0,x", "n", "integer"),  # a missing-value token after the sample
        ("999,2.5,1.0,x", "n", "float"),  # a float in a column sampled as integers
        ("999,abc,1.0,x", "n", "mixed"),  # a word in a column sampled as integers
        ("999, 7 ,1.0,x", "n", "integer"),  # padded number
        ("999,3,nan,x", "f", "float"),  # "nan" is a missing-value token, not a NaN value
        ("999,3, 2.5 ,x", "f", "float"),  # padded float
    ],
)
def test_a_late_surprise_gives_the_exact_readers_answer(
    tmp_path: Path, small_sample: None, late: str, column: str, dtype: str
) -> None:
    path = write(tmp_path, "d.csv", rows_text(400, at=300, line=late))
    result = inspect_file(path, declared_format="csv")
    rows, columns = exact(path)
    assert result["rows"] == rows == 400 and result["columns"] == columns
    assert {c["name"]: c["dtype"] for c in columns}[column] == dtype


@pytest.mark.parametrize(
    ("header", "rows", "dtype"),
    [
        ("id,e", [f"{i}," if i < 100 else f"{i},{i}" for i in range(300)], "integer"),
        ("id,e", [f"{i}," for i in range(300)], "empty"),
        ("id,b", [f"{i},{'true' if i % 2 else 'FALSE'}" for i in range(300)], "boolean"),
        ("id,b", [f"{i},true" if i < 200 else f"{i},yes" for i in range(300)], "string"),
        ("id,b", [f"{i},{i}" if i % 50 else f"{i},NA" for i in range(300)], "integer"),
    ],
)
def test_sampled_candidates_that_need_the_whole_file_are_confirmed(
    tmp_path: Path, small_sample: None, header: str, rows: list[str], dtype: str
) -> None:
    path = write(tmp_path, "d.csv", header + "\n" + "\n".join(rows) + "\n")
    result = inspect_file(path, declared_format="csv")
    assert (result["rows"], result["columns"]) == exact(path)
    assert result["columns"][1]["dtype"] == dtype


def test_a_clean_file_is_summarised_without_the_exact_profile(
    tmp_path: Path, small_sample: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "d.csv", rows_text(500))
    monkeypatch.setattr(inspection, "exact_profiles", lambda table: pytest.fail("fell back"))
    result = inspect_file(path, declared_format="csv")
    assert result["rows"] == 500
    assert [c["dtype"] for c in result["columns"]] == ["integer", "integer", "float", "string"]
    assert result["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_only_the_string_or_mixed_label_comes_from_the_sample(tmp_path: Path, small_sample: None) -> None:
    # Words in the sample, numbers after it: the exact reader says "mixed"; both keep the text.
    rows = [f"{i},word{i}" if i < 60 else f"{i},{i}" for i in range(300)]
    path = write(tmp_path, "d.csv", "id,m\n" + "\n".join(rows) + "\n")
    result = inspect_file(path, declared_format="csv")
    rows_exact, columns = exact(path)
    assert result["columns"][1]["dtype"] == "string" and columns[1]["dtype"] == "mixed"
    assert result["columns"][1]["null_fraction"] == columns[1]["null_fraction"]
    assert result["columns"][1]["distinct"] == columns[1]["distinct"]


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("7,1", "Line 250002: the row has 2 fields but the header has 4"),
        ("7,1,2,3,4", "Line 250002: the row has 5 fields but the header has 4"),
    ],
)
def test_a_ragged_row_deep_in_a_large_file_names_its_line(tmp_path: Path, line: str, needle: str) -> None:
    # ~7 MB: the bad line is past the first 4 MB chunk of the line check and far past the sample.
    path = write(tmp_path, "big.csv", rows_text(300_000, at=250_000, line=line))
    with pytest.raises(EngineInputError, match=needle):
        inspect_file(path, declared_format="csv")


@pytest.mark.parametrize("at", [5, 700])  # inside and after the sample
@pytest.mark.parametrize("words", [False, True])  # numbers are parsed natively, words are not
def test_a_short_and_a_long_row_do_not_cancel_out(tmp_path: Path, small_sample: None, at: int, words: bool) -> None:
    # The line check only compares total widths; the long row must be caught by the read.
    rows = rows_text(1000).splitlines()
    if words:
        rows[1:] = [f"a{i},b{i},c{i},d{i}" for i in range(1000)]
    rows[at], rows[at + 1] = "x,2,3,4,5", "y,2,3"
    path = write(tmp_path, "c.csv", "\n".join(rows) + "\n")
    assert linescan.clean_delimited(path, separator=",", per_line=False) is not None
    with pytest.raises(EngineInputError, match=f"Line {at + 1}: the row has 5 fields"):
        inspect_file(path, declared_format="csv")
    with open_table(path, strict=False) as table:  # validation checks every line
        assert table.structure is not None and table.structure.bad_count == 2


def test_a_blank_line_deep_in_the_file_is_skipped_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", rows_text(300_000, at=250_000, line="  "))
    result = inspect_file(path, declared_format="csv")
    assert result["rows"] == 299_999
    assert "1 blank lines were skipped." in result["warnings"]


def test_invalid_utf8_past_the_first_chunk_names_line_and_byte(tmp_path: Path) -> None:
    content = rows_text(300_000).encode().replace(b"\n250000,", b"\n250000\xff,", 1)
    path = write(tmp_path, "u.csv", content)
    with pytest.raises(EngineInputError, match="line 250002, byte 7"):
        inspect_file(path, declared_format="csv")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("a,b\n1,2\n3,4\n", (["a", "b"], 2)),
        ("\ufeffa,b\r\n1,2\r\n3,4", (["a", "b"], 2)),  # BOM, CRLF, no final line end
        ("a\tb\n1\t2\n", None),  # wrong separator: every line is one field
        ("a,b\n1,2\n\n3,4\n", None),  # blank line
        ("a,b\n1,2\n3,4\n\n", None),  # trailing blank line
        ('a,b\n1,"x"\n', None),  # quotes
        ("a,b\n1\n2,3,4\n", None),  # a short and a long row
        ("a\n1\n\n", None),  # one column: an empty line is a null value
        ("a,b\n", (["a", "b"], 0)),
    ],
)
def test_line_check_is_clean_only_when_the_precise_scan_finds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, expected: tuple | None
) -> None:
    path = write(tmp_path, "l.csv", content)
    for chunk in (3, 5, 4 * 2**20):  # lines and separators split across chunks
        monkeypatch.setattr(linescan, "CHUNK", chunk)
        assert linescan.clean_delimited(path, separator=",") == expected
        totals_only = (["a", "b"], 2) if content == "a,b\n1\n2,3,4\n" else expected  # they cancel out
        assert linescan.clean_delimited(path, separator=",", per_line=False) == totals_only
    if expected is not None:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            slow = structure._scan_delimited_lines(handle, structure.StructureScan(), ",", strict=False)
        assert (slow.header, slow.records, slow.bad_count, slow.blank_lines) == (*expected, 0, [])


def test_line_check_rejects_invalid_utf8_split_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "s.csv", "a,b\n1,é\n".encode() + b"2,\xc3\n")
    monkeypatch.setattr(linescan, "CHUNK", 3)
    assert linescan.clean_delimited(path, separator=",") is None
    # Totals only: left to the reader's strict UTF-8 (inspection then re-scans to name the line).
    assert linescan.clean_delimited(path, separator=",", per_line=False) == (["a", "b"], 2)
    with pytest.raises(EngineInputError, match="line 3, byte 3"):
        inspect_file(path, declared_format="csv")
