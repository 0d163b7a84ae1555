"""The quick scan counts the line totals and the digest in one background read while Polars reads
the file (linescan.digest_and_totals, Table.settle): its reports must equal those of the synchronous
line check, also when the totals disagree only after the first chunk and the file is read again."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from validations.engine import io, linescan
from validations.engine.compression import file_sha256
from validations.engine.runner import run_validation

HEADER = "id,score,city,text,label"


def _rows(n: int) -> list[str]:
    return [
        f"{i},{i % 7}.5,city_{i % 5},word{i % 11} other words here for row {i % 97},{'ab'[i % 2]}" for i in range(n)
    ]


def _file(tmp_path: Path, name: str, lines: list[str], *, newline: str = "\n", bom: bool = False) -> Path:
    path = tmp_path / name
    body = newline.join([HEADER, *lines]) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + body.encode("utf-8", errors="surrogateescape"))
    return path


def _late(lines: list[str], at: int, line: str) -> list[str]:
    lines = list(lines)
    lines[at] = line
    return lines


CASES = {
    "clean": lambda rows: rows,
    "non_ascii_blank_null": lambda rows: _late(
        _late(rows, 200, "7,,city_1,Ｔｈｅ  café   naïve ,b"), 250, "8,1.5,, ,a"
    ),
    "late_quotes": lambda rows: _late(rows, 280, '9,2.5,city_2,"a, quoted ""text"" here",a'),
    "late_short_row": lambda rows: _late(rows, 290, "10,3.5,city_3"),
    "short_and_long_rows": lambda rows: _late(_late(rows, 260, "11,1.5,c,t,a,extra"), 270, "12,1.5,c,t"),
    "late_blank_line": lambda rows: _late(rows, 240, ""),
}


def _comparable(report: dict) -> str:
    report.pop("timings")
    return json.dumps(report, sort_keys=True)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_deferred_totals_give_the_synchronous_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, newline: str
) -> None:
    path = _file(tmp_path, "d.csv", CASES[case](_rows(300)), newline=newline, bom=newline == "\r\n")
    # The head read by linescan.head_of ends before the late lines: only the background pass sees them.
    monkeypatch.setattr(linescan, "CHUNK", 2_000)
    monkeypatch.setattr(linescan, "TOTALS_CHUNK", 777)
    calls: list[str] = []
    deferred = linescan.digest_and_totals
    monkeypatch.setattr(linescan, "digest_and_totals", lambda *a, **k: calls.append("deferred") or deferred(*a, **k))
    checks: list[str] = []
    recheck = io.Table.check_lines
    monkeypatch.setattr(io.Table, "check_lines", lambda self: checks.append("lines") or recheck(self))
    fast = run_validation(path, tier="quick", target="label")
    assert calls == ["deferred"]
    assert fast["dataset"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    if case in ("clean", "non_ascii_blank_null"):
        assert checks == []
    elif case != "short_and_long_rows":  # a long row in the sample fails its read: checked per line at once
        # Totals that disagree after a read that succeeded send it to the line-by-line scan.
        assert checks == ["lines"]
    monkeypatch.setattr(linescan, "head_of", lambda *a, **k: None)  # the synchronous line check
    calls.clear()
    slow = run_validation(path, tier="quick", target="label")
    assert calls == []
    assert _comparable(fast) == _comparable(slow)
    parse = fast["checks"]["parse"]
    if case == "late_short_row":
        assert parse["bad_line_count"] == 1 and parse["bad_lines"][0]["line"] == 292
    if case == "late_blank_line":
        assert parse["blank_line_count"] == 1
    if case == "short_and_long_rows":
        assert parse["bad_line_count"] == 2
    if case in ("clean", "non_ascii_blank_null", "late_quotes"):
        assert fast["checks"]["row_count"]["rows_in_file"] == fast["dataset"]["rows"] == 300


@pytest.mark.parametrize(
    ("content", "records"),
    [
        (b"a,b\n1,2\n3,4\n", 2),
        (b"a,b\r\n1,2\r\n3,4", 2),  # CRLF, no final line end
        (b"a,b\n1,2\n3\n", None),  # a short row
        (b'a,b\n1,"2"\n', None),  # quotes
        (b"a,b\n1,2\n\n", None),  # a blank line
        (b"a,b\n", 0),
    ],
)
@pytest.mark.parametrize("chunk", [1, 3, 5, 2**18])
def test_digest_and_totals_equal_the_digest_and_the_totals_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, records: int | None, chunk: int
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    monkeypatch.setattr(linescan, "TOTALS_CHUNK", chunk)
    first = content.split(b"\n")[0] + b"\n"
    head = linescan.Head(header=["a", "b"], start=len(first), estimate=0)
    assert linescan.digest_and_totals(path, head, separator=",") == (file_sha256(path), records)
    totals = linescan.clean_delimited(path, separator=",", per_line=False)
    assert (None if totals is None else totals[1]) == records


def test_a_quote_in_the_head_keeps_the_synchronous_check(tmp_path: Path) -> None:
    path = _file(tmp_path, "q.csv", _late(_rows(50), 3, '1,2.5,c,"x, y",a'))
    assert linescan.head_of(path, separator=",") is None
    head = linescan.head_of(_file(tmp_path, "c.csv", _rows(50)), separator=",")
    assert head is not None and head.header == HEADER.split(",") and head.start == len(HEADER) + 1
    assert head.estimate == 50
