"""Quick-scan checks on tiny files with known answers."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from validations.engine import fused, runner
from validations.engine.io import Table
from validations.engine.report import ROWS_CAP
from validations.engine.runner import run_validation
from validations.tests.engine.helpers import csv_text, issues_of, validate, write

QUICK_CHECKS = {
    "parse",
    "row_count",
    "missing",
    "exact_duplicates",
    "columns",
    "label_balance",
    "text_basics",
}
ISSUE_KEYS = {"check", "severity", "message", "column", "count", "fraction", "rows"}


def test_report_has_the_schema_v1_keys_and_every_quick_check(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", csv_text(["a", "b"], [[1, "x"], [2, "y"], [3, "z"]]))
    stages: list[tuple[str, int]] = []
    report = validate(path, progress=lambda stage, percent: stages.append((stage, percent)))
    assert report["schema_version"] == 1 and report["tier"] == "quick"
    assert {"schema_version", "tier", "dataset", "quality_score", "issues", "checks", "timings"} <= set(report)
    assert "collapse_risk" not in report
    assert set(report["checks"]) == QUICK_CHECKS
    assert report["dataset"]["rows"] == 3 and report["dataset"]["format"] == "csv"
    assert [c["name"] for c in report["dataset"]["columns"]] == ["a", "b"]
    assert set(report["dataset"]["columns"][0]) == {"name", "dtype", "null_fraction", "distinct"}
    assert report["quality_score"] == 100 and report["issues"] == []
    assert stages[0] == ("read", 0) and stages[-1] == ("done", 100)
    assert [s for s, _ in stages[1:-1]] == list(report["checks"])
    assert set(report["timings"]) >= {"read", "total"} | QUICK_CHECKS
    json.dumps(report, allow_nan=False)


def test_exact_duplicates_count_rows_repeating_an_earlier_row(tmp_path: Path) -> None:
    rows = [[1, "a"], [2, "b"], [1, "a"], [1, "a"], [1, "a"], [1, "a"], [2, "b"], [3, "c"]]
    report = validate(write(tmp_path, "d.csv", csv_text(["x", "y"], rows)))
    dup = report["checks"]["exact_duplicates"]
    assert dup["count"] == 5  # five copies of row 0 → 4, plus one repeat of row 1
    assert dup["rows"] == [2, 3, 4, 5, 6] and dup["repeats"] == [0, 0, 0, 0, 1]
    [found] = issues_of(report, "exact_duplicates")
    assert found["severity"] == "warning" and found["rows"] == [2, 3, 4, 5, 6]
    assert "drop the repeats" in found["message"]


def test_text_duplicates_ignore_case_punctuation_and_width(tmp_path: Path) -> None:
    texts = [
        "The quick brown fox jumps over the lazy dog today",
        "THE QUICK brown fox, jumps over the lazy dog today!",
        "Ｔｈｅ quick brown fox jumps over the lazy dog today",
        "Something else entirely that is also long enough",
    ]
    rows = [[i, f'"{t}"'] for i, t in enumerate(texts)]
    report = validate(write(tmp_path, "t.csv", csv_text(["id", "text"], rows)))
    text = report["checks"]["exact_duplicates"]["text"]
    assert text["column"] == "text" and text["rows"] == [1, 2] and text["repeats"] == [0, 0]
    assert report["checks"]["exact_duplicates"]["count"] == 0


def test_disguised_missing_tokens_and_sentinels_count_as_missing(tmp_path: Path) -> None:
    rows = [
        [i, v, s]
        for i, (v, s) in enumerate([("1.5", 10), ("NA", 12), ("?", 11), ("2.5", -999), ("n/a", 13), ("3", 14)])
    ]
    report = validate(write(tmp_path, "m.csv", csv_text(["id", "v", "s"], rows)))
    missing = report["checks"]["missing"]["columns"]
    assert missing["v"]["disguised_tokens"] == 3 and missing["v"]["missing_count"] == 3
    assert report["checks"]["parse"]["columns"]["v"] == "float"
    assert missing["s"]["sentinels"] == {"-999": 1} and missing["s"]["missing_count"] == 1
    assert any("in disguise" in i["message"] for i in issues_of(report, "missing", "warning"))
    assert any("-999" in i["message"] for i in issues_of(report, "missing", "warning"))


def test_a_real_large_value_is_not_a_sentinel(tmp_path: Path) -> None:
    rows = [[i, v] for i, v in enumerate([5000, 8000, 9999, 7000, 12000])]
    report = validate(write(tmp_path, "p.csv", csv_text(["id", "price"], rows)))
    assert report["checks"]["missing"]["columns"]["price"]["sentinels"] == {}


def test_all_null_rows_and_whitespace_cells(tmp_path: Path) -> None:
    content = "a,b,c\n1,x,y\n,,\n2,   ,z\n,,\n"
    report = validate(write(tmp_path, "n.csv", content))
    assert report["checks"]["missing"]["all_null_rows"]["rows"] == [1, 3]
    assert report["checks"]["missing"]["columns"]["b"]["blank_cells"] == 1


def test_mixed_type_column_lists_the_non_numeric_rows(tmp_path: Path) -> None:
    values = ["1", "2", "3", "abc", "5", "6", "seven", "8"]
    report = validate(write(tmp_path, "x.csv", csv_text(["v"], [[v] for v in values])))
    assert report["checks"]["parse"]["columns"]["v"] == "mixed"
    mixed = report["checks"]["parse"]["mixed_type_columns"]["v"]
    assert mixed["rows"] == [3, 6] and mixed["other_values"] == 2
    [found] = issues_of(report, "parse", "warning")
    assert "'abc'" in found["message"] and found["column"] == "v"


def test_ragged_rows_are_findings_with_line_numbers(tmp_path: Path) -> None:
    content = "a,b\n1,2\n3\n4,5\n6,7,8\n" + "".join(f"{i},{i}\n" for i in range(200))
    report = validate(write(tmp_path, "r.csv", content))
    parse = report["checks"]["parse"]
    assert parse["bad_line_count"] == 2
    assert [b["line"] for b in parse["bad_lines"]] == [3, 5]
    assert report["dataset"]["rows"] == 202
    assert report["checks"]["row_count"]["rows_in_file"] == 204
    [found] = issues_of(report, "parse", "warning")
    assert "line 3" in found["message"]


def test_bad_lines_past_the_sample_are_found_after_the_line_totals_matched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "SAMPLE_ROWS", 10)
    monkeypatch.setattr(fused, "SAMPLE_ROWS", 10)
    rechecks = []
    check_lines = Table.check_lines
    monkeypatch.setattr(Table, "check_lines", lambda table: rechecks.append(check_lines(table)) or rechecks[-1])
    n = 100_000  # more than the reader's first chunk: only the full read meets the bad lines
    lines = [f"{i},{i}".encode() for i in range(n)]
    lines[n - 150], lines[n - 100] = b"7,8,9", b"7"  # one field too many, one too few: the totals agree
    lines[n - 50] = b"\xff\xfe,1"
    path = tmp_path / "late.csv"
    path.write_bytes(b"a,b\n" + b"\n".join(lines) + b"\n")
    report = run_validation(path, tier="quick")
    assert rechecks == [True]
    parse = report["checks"]["parse"]
    assert [b["line"] for b in parse["bad_lines"]] == [n - 148, n - 98]
    assert parse["encoding_error_lines"] == [n - 48]
    assert report["dataset"]["rows"] == n - 2
    assert report["checks"]["exact_duplicates"]["count"] == 0


def test_row_count_against_declared_count(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", csv_text(["a"], [[1], [2], [3]]))
    assert issues_of(validate(path, expected_rows=3), "row_count") == []
    [found] = issues_of(validate(path, expected_rows=5), "row_count", "error")
    assert "3 data rows but 5 were declared" in found["message"]


def test_parquet_row_count_is_checked_against_metadata(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pl.DataFrame({"a": list(range(50)), "b": [float(i) for i in range(50)]}).write_parquet(path)
    report = validate(path)
    assert report["checks"]["row_count"]["metadata_rows"] == 50
    assert report["checks"]["row_count"]["rows_read"] == 50
    assert issues_of(report, "row_count") == []


def test_column_sanity(tmp_path: Path) -> None:
    rows = [[i, "k", "a" if i else "b", f"user{i}", i % 3] for i in range(150)]
    report = validate(write(tmp_path, "s.csv", csv_text(["id", "const", "rare", "uid", "g"], rows)))
    cols = report["checks"]["columns"]
    assert cols["constant"] == ["const"] and cols["almost_constant"] == ["rare"]
    assert cols["id_like"] == ["id", "uid"] and cols["high_cardinality"] == []
    assert [i["column"] for i in issues_of(report, "columns", "warning")] == ["const"]


@pytest.mark.parametrize("as_float", [False, True])
def test_a_count_target_is_a_quantity_not_an_imbalanced_label(tmp_path: Path, as_float: bool) -> None:
    # Doctor visits: 10 whole-number values (few enough to pass for classes), three of them seen once.
    visits = [0] * 90 + [1] * 40 + [2] * 25 + [3] * 15 + [4] * 8 + [5] * 6 + [6] * 4 + [9, 12, 15]
    rows = [[i % 5, float(v) if as_float else v] for i, v in enumerate(visits)]
    report = validate(write(tmp_path, "c.csv", csv_text(["f", "visits"], rows)), target="visits")
    assert report["checks"]["label_balance"]["task"] == "regression"
    assert issues_of(report, "label_balance", "warning") == []


def test_an_integer_label_whose_classes_all_repeat_stays_a_label(tmp_path: Path) -> None:
    labels = [1] * 60 + [2] * 30 + [3] * 8 + [4] * 2
    rows = [[i % 7, lab] for i, lab in enumerate(labels)]
    report = validate(write(tmp_path, "k.csv", csv_text(["f", "y"], rows)), target="y")
    balance = report["checks"]["label_balance"]
    assert balance["task"] == "classification" and balance["classes"] == {"1": 60, "2": 30, "3": 8, "4": 2}


def test_label_balance_flags_a_tiny_minority(tmp_path: Path) -> None:
    labels = ["a"] * 60 + ["b"] * 38 + ["c"] * 2
    rows = [[i % 7, lab] for i, lab in enumerate(labels)]
    report = validate(write(tmp_path, "l.csv", csv_text(["f", "y"], rows)), target="y")
    balance = report["checks"]["label_balance"]
    assert balance["task"] == "classification" and balance["classes"] == {"a": 60, "b": 38, "c": 2}
    assert balance["minority_share"] == pytest.approx(0.02)
    assert 0 < balance["normalized_entropy"] < 1
    [found] = issues_of(report, "label_balance", "warning")
    assert "'c'" in found["message"]


def test_balanced_labels_raise_nothing_and_missing_target_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", csv_text(["f", "y"], [[i, i % 2] for i in range(40)]))
    assert issues_of(validate(path, target="y"), "label_balance") == []
    [found] = issues_of(validate(path, target="nope"), "label_balance", "error")
    assert "'nope' is not in the file" in found["message"]


def test_encoding_damage_and_non_letter_texts(tmp_path: Path) -> None:
    texts = ["A normal sentence with plenty of real words in it"] * 8
    texts += ["The cafÃ© was closed when we arrived there at noon", "$$$ 123 456 789 ### @@@ !!! %%% 000"]
    rows = [[i, f'"{t}"'] for i, t in enumerate(texts)]
    report = validate(write(tmp_path, "e.csv", csv_text(["id", "body"], rows)))
    basics = report["checks"]["text_basics"]
    assert basics["column"] == "body"
    assert basics["encoding_damage"]["body"]["rows"] == [8]
    assert basics["mostly_non_letters"]["rows"] == [9]
    assert basics["length_chars"]["p50"] == len(texts[0])


def test_checks_rows_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import validations.engine.report as report_module

    monkeypatch.setattr(report_module, "ROWS_CAP", 3)
    path = write(tmp_path, "d.csv", csv_text(["a"], [[1]] * 10))
    dup = validate(path)["checks"]["exact_duplicates"]
    assert dup["count"] == 9 and dup["rows"] == [1, 2, 3] and dup["rows_truncated"] is True
    assert ROWS_CAP == 100_000


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("header.csv", "a,b,c\n"),
        ("blank.jsonl", '{"a": 1, "b": "x"}\n\n\n{"a": 2, "b": "y"}\n'),
        ("dupnames.csv", "a,a,b\n1,2,3\n4,5,6\n"),
        ("unicode.csv", "名前,été\n太郎,1\n花子,2\n"),
        ("bom.csv", '\ufeffid,text\r\n1,"line one\r\nline two"\r\n2,plain\r\n'),
        ("tabs.tsv", "a\tb\n1\tx\n2\ty\n"),
    ],
)
def test_odd_but_readable_files_give_a_report(tmp_path: Path, name: str, content: str) -> None:
    report = validate(write(tmp_path, name, content))
    assert set(report["checks"]) == QUICK_CHECKS
    assert all(set(i) == ISSUE_KEYS for i in report["issues"])
    assert all(len(i["rows"]) <= 20 and i["message"] for i in report["issues"])
    json.dumps(report, allow_nan=False)


def test_header_only_is_a_warning_not_an_error(tmp_path: Path) -> None:
    report = validate(write(tmp_path, "h.csv", "a,b\n"))
    assert report["dataset"]["rows"] == 0
    [found] = issues_of(report, "row_count", "warning")
    assert "no data rows" in found["message"]


def test_duplicated_column_names_are_a_finding(tmp_path: Path) -> None:
    report = validate(write(tmp_path, "d.csv", "a,a,b\n1,2,3\n4,5,6\n"))
    assert [c["name"] for c in report["dataset"]["columns"]] == ["a", "a__2", "b"]
    assert any("duplicated" in i["message"] for i in issues_of(report, "parse", "warning"))


def test_unknown_tier_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown tier"):
        run_validation(write(tmp_path, "d.csv", "a\n1\n"), tier="deluxe")


def test_jsonl_key_with_numbers_and_words_is_mixed_but_json_strings_stay_strings(tmp_path: Path) -> None:
    content = "".join(f'{{"v": {v}, "zip": "{z}"}}\n' for v, z in [("1", "007"), ("2", "010"), ('"two"', "123")])
    report = validate(write(tmp_path, "m.jsonl", content))
    assert report["checks"]["parse"]["columns"] == {"v": "mixed", "zip": "string"}
    assert report["checks"]["parse"]["mixed_type_columns"]["v"]["rows"] == [2]


def test_a_failing_check_does_not_sink_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "QUICK_CHECKS", [*runner.QUICK_CHECKS[:-1], ("text_basics", broken)])
    report = validate(write(tmp_path, "d.csv", "a\n1\n2\n"))
    assert report["checks"]["text_basics"] == {"error": "RuntimeError: boom"}
    [found] = issues_of(report, "text_basics", "info")
    assert "could not run" in found["message"] and "missing" in report["checks"]
    assert report["quality_score"] == 100


def test_row_indices_after_a_skipped_bad_line_are_file_data_rows(tmp_path: Path) -> None:
    content = "a,b\n1,x\n2\n3,y\n1,x\n"  # line 3 is ragged; the repeat is data row 3
    report = validate(write(tmp_path, "r.csv", content))
    assert report["checks"]["exact_duplicates"]["rows"] == [3]
    assert report["checks"]["exact_duplicates"]["repeats"] == [0]


def test_declared_csv_that_is_tsv_is_read_as_tsv_with_a_warning(tmp_path: Path) -> None:
    report = validate(write(tmp_path, "t.csv", "a\tb\n1\t2\n3\t4\n"), fmt="csv")
    assert report["dataset"]["format"] == "tsv"
    assert [c["name"] for c in report["dataset"]["columns"]] == ["a", "b"]
    [found] = issues_of(report, "parse", "warning")
    assert "Declared csv" in found["message"]


def test_quality_score_follows_the_documented_costs() -> None:
    from validations.engine.report import issue, quality_score

    assert quality_score([issue("a", "info", "m")]) == 100
    assert quality_score([issue("a", "error", "m")]) == 80
    assert quality_score([issue("a", "warning", "m", fraction=0.2)]) == 85
    assert quality_score([issue("a", "warning", "m", fraction=0.0)]) == 97
    assert quality_score([issue("a", "warning", "m")]) == 94
    assert quality_score([issue("a", "error", "m")] * 3) == 70  # one check costs at most 30
    assert quality_score([issue(str(i), "error", "m") for i in range(6)]) == 0


def test_jsonl_key_with_incompatible_types_is_read_as_text(tmp_path: Path) -> None:
    content = '{"a": {"x": 1}, "b": 1}\n{"a": 5, "b": 2}\n{"a": [1], "b": 3}\n'
    report = validate(write(tmp_path, "w.jsonl", content))
    assert report["dataset"]["rows"] == 3
    assert report["checks"]["parse"]["columns"] == {"a": "string", "b": "string"}
    assert any("incompatible JSON types" in i["message"] for i in issues_of(report, "parse"))


def test_a_skewed_target_is_a_balance_finding_not_an_almost_constant_column(tmp_path: Path) -> None:
    rows = [[i, 1 if i < 3 else 0] for i in range(1000)]
    report = validate(write(tmp_path, "f.csv", csv_text(["f", "fraud"], rows)), target="fraud")
    assert report["checks"]["columns"]["almost_constant"] == []
    assert issues_of(report, "label_balance", "warning")


def test_compressed_file_with_invalid_utf8_gives_a_report(tmp_path: Path) -> None:
    import zstandard

    raw = "a,b\n1,ok\n2,café\n".encode() + b"3,caf\xe9\n"
    path = write(tmp_path, "d.csv.zst", zstandard.ZstdCompressor().compress(raw))
    report = validate(path)
    assert report["dataset"]["compression"] == "zstd" and report["dataset"]["rows"] == 3
    assert report["checks"]["parse"]["encoding_error_lines"] == [4]
    assert report["checks"]["text_basics"]["encoding_damage"]["b"]["rows"] == [2]


def test_sample_distinct_counts_are_kept_with_the_sample_they_were_counted_on() -> None:
    from validations.engine.checks import columns
    from validations.engine.context import Context

    ctx = Context(table=Table.__new__(Table), rows=0, columns=[], tier="quick")
    ctx.sample = pl.DataFrame({"c": ["a", "b", None, "a"]})
    assert columns._sample_distinct(ctx, "c") == (2, 3)
    assert columns._sample_distinct(ctx, "c") == (2, 3)
    # A read that samples again (dtypes changed) must not see the first sample's counts.
    ctx.sample = pl.DataFrame({"c": ["a", "b", "c", "d", "e"]})
    assert columns._sample_distinct(ctx, "c") == (5, 5)
    assert columns._sample_distinct(ctx, "missing") == (0, 0)
