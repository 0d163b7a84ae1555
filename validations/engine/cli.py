"""Command-line entry: validate one file and print its report.

Exit codes: 0 with a report (whatever it found); 2 with ``{"error": {"message": ...}}`` on stdout
when the file cannot be read at all (nothing parses, corrupt compression, wrong declared format).
argparse's usage errors also exit 2, but print usage to stderr and no JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from validations.engine.errors import EngineInputError
from validations.engine.runner import TIERS, run_validation

EXIT_OK = 0
EXIT_UNREADABLE = 2


def build_parser(prog: str = "validate_file") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Validate a dataset file.")
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Shared with the Django management command so both accept the same options."""
    parser.add_argument("path", help="CSV, TSV, JSONL or Parquet file (optionally gzip/zstd)")
    parser.add_argument("--tier", choices=TIERS, default="quick")
    parser.add_argument("--target", help="label column (enables label checks)")
    parser.add_argument("--text-column", dest="text_column", help="text column (else detected)")
    parser.add_argument("--reference", help="reference dataset for collapse comparison")
    parser.add_argument(
        "--format", dest="output", choices=("json", "text"), default="json", help="output format of the report"
    )
    parser.add_argument(
        "--input-format",
        dest="input_format",
        choices=("csv", "tsv", "jsonl", "parquet"),
        help="declared input format (else sniffed from the content)",
    )
    parser.add_argument("--expected-rows", dest="expected_rows", type=int, help="row count the file should have")


def render_text(report: dict[str, Any]) -> str:
    dataset = report["dataset"]
    lines = [
        f"{dataset['format']} file, {dataset['rows']:,} rows, {len(dataset['columns'])} columns "
        f"— tier {report['tier']}, quality score {report['quality_score']}/100",
    ]
    risk = report.get("collapse_risk")
    if risk:
        lines.append(f"collapse risk: {risk['score']:.2f} ({risk['level']})")
    if not report["issues"]:
        lines.append("No issues found.")
    for item in report["issues"]:
        where = f" [{item['column']}]" if item["column"] else ""
        lines.append(f"{item['severity'].upper():8} {item['check']}{where}: {item['message']}")
    return "\n".join(lines) + "\n"


def execute(options: argparse.Namespace, out: TextIO) -> int:
    """Run one validation from parsed options; write the report (or error) to ``out``."""
    try:
        report = run_validation(
            options.path,
            tier=options.tier,
            fmt=options.input_format,
            target=options.target,
            text_column=options.text_column,
            reference=options.reference,
            expected_rows=options.expected_rows,
        )
    except EngineInputError as exc:
        out.write(json.dumps({"error": {"message": exc.message}}) + "\n")
        return EXIT_UNREADABLE
    if options.output == "text":
        out.write(render_text(report))
    else:
        out.write(json.dumps(report, ensure_ascii=False, allow_nan=False) + "\n")
    return EXIT_OK


def run_cli(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    options = build_parser().parse_args(argv)
    return execute(options, out or sys.stdout)


def main() -> None:
    sys.exit(run_cli())


if __name__ == "__main__":
    main()
