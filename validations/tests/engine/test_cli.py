"""The CLI entry behind `manage.py validate_file`: report on stdout, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from validations.engine.cli import run_cli
from validations.tests.engine.helpers import write


def run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    code = run_cli(argv, out=out)
    return code, out.getvalue()


def test_it_prints_a_json_report_and_exits_0(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "a,y\n1,x\n2,z\n2,z\n")
    code, output = run([str(path), "--tier", "quick", "--target", "y", "--expected-rows", "3"])
    report = json.loads(output)
    assert code == 0 and report["schema_version"] == 1
    assert report["dataset"]["target"] == "y"
    assert report["checks"]["row_count"]["matches_expected"] is True
    assert report["checks"]["exact_duplicates"]["rows"] == [2]


def test_text_output_lists_issues(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "a,b\n1,2\n1,2\n3,4\n")
    code, output = run([str(path), "--format", "text"])
    assert code == 0
    assert output.startswith("csv file, 3 rows, 2 columns — tier quick, quality score")
    assert "exact_duplicates: 1 row (33.3%) repeats an earlier row" in output


def test_unreadable_file_exits_2_with_a_json_error(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.jsonl", '{"a": 1\n{"b": 2\n')
    code, output = run([str(path), "--input-format", "jsonl"])
    assert code == 2
    error = json.loads(output)["error"]
    assert "None of the 2 rows could be read" in error["message"]
    assert "line 1" in error["message"]


def test_empty_file_exits_2(tmp_path: Path) -> None:
    code, output = run([str(write(tmp_path, "e.csv", b""))])
    assert code == 2 and "empty" in json.loads(output)["error"]["message"]


def test_header_only_exits_0(tmp_path: Path) -> None:
    code, output = run([str(write(tmp_path, "h.csv", "a,b\n"))])
    assert code == 0 and json.loads(output)["dataset"]["rows"] == 0


def test_management_command_wraps_the_cli(tmp_path: Path) -> None:
    pytest.importorskip("django")
    from django.conf import settings

    if not settings.configured:
        pytest.skip("Django settings are not configured (run under pytest-django)")
    from django.core.management import call_command

    out = io.StringIO()
    call_command("validate_file", str(write(tmp_path, "d.csv", "a\n1\n1\n")), stdout=out)
    assert json.loads(out.getvalue())["checks"]["exact_duplicates"]["count"] == 1
    with pytest.raises(SystemExit) as info:
        call_command("validate_file", str(write(tmp_path, "e.csv", b"")), stdout=io.StringIO())
    assert info.value.code == 2


def test_unreadable_reference_is_named_in_the_error(tmp_path: Path) -> None:
    data = write(tmp_path, "d.csv", "a\n1\n2\n")
    reference = write(tmp_path, "r.csv", b"")
    code, output = run([str(data), "--tier", "standard", "--reference", str(reference)])
    assert code == 2
    assert json.loads(output)["error"]["message"].startswith("The reference dataset cannot be read")
