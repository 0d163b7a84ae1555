"""Small helpers for engine tests: write a file, run a tier, find issues by check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from validations.engine.runner import run_validation


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def validate(path: Path, tier: str = "quick", **options: Any) -> dict[str, Any]:
    return run_validation(path, tier=tier, **options)


def issues_of(report: dict[str, Any], check: str, severity: str | None = None) -> list[dict]:
    return [i for i in report["issues"] if i["check"] == check and (severity is None or i["severity"] == severity)]


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"
