"""Checks: each module exposes ``run(ctx) -> (payload, issues)``; the runner decides the order."""

from __future__ import annotations

from typing import Any

CheckResult = tuple[dict[str, Any], list[dict[str, Any]]]
