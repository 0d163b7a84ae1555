"""`--fail-if RULE=VALUE` parsing, and the client-side gate used when the server returns no `gate`.

The rules and their meaning mirror the server's (validations/gates.py in the Synthos repository;
a test checks both agree). A rule the report has no value for fails: a gate that could not be
checked must not let a training run through.
"""

from __future__ import annotations

from typing import Any

LEVELS = ("low", "medium", "high")

RULES = {
    "quality_score_lt": "quality score (0-100) below VALUE",
    "collapse_level_gte": "collapse-risk level at or above low|medium|high",
    "collapse_score_gte": "collapse-risk score (0-1) at or above VALUE",
    "issues_error_gte": "at least VALUE error-level issues",
    "issues_warning_gte": "at least VALUE warning-level issues",
    "prediction_lower_lt": "predicted metric's interval lower bound below VALUE",
    "prediction_expected_lt": "expected predicted metric below VALUE",
    "label_noise_gt": "estimated label-noise fraction above VALUE",
}


class GateError(ValueError):
    pass


def _value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text.strip().lower()


def parse_fail_if(items: list[str]) -> dict[str, Any]:
    """["quality_score_lt=80", "collapse_level_gte=medium"] -> {"quality_score_lt": 80, ...}."""
    rules: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not value.strip():
            raise GateError(f"--fail-if takes RULE=VALUE, e.g. quality_score_lt=80 (got {item!r})")
        if name not in RULES:
            raise GateError(f"unknown --fail-if rule {name!r}; allowed rules: {', '.join(RULES)}")
        parsed = _value(value)
        if name == "collapse_level_gte" and parsed not in LEVELS:
            raise GateError(f"collapse_level_gte must be one of {', '.join(LEVELS)} (got {value!r})")
        if name != "collapse_level_gte" and isinstance(parsed, str):
            raise GateError(f"{name} must be a number (got {value!r})")
        rules[name] = parsed
    return rules


def _actual(name: str, report: dict) -> Any:
    collapse = report.get("collapse_risk") if isinstance(report.get("collapse_risk"), dict) else {}
    prediction = report.get("prediction") if isinstance(report.get("prediction"), dict) else {}
    issues = report.get("issues") if isinstance(report.get("issues"), list) else None
    if name == "quality_score_lt":
        return report.get("quality_score")
    if name == "collapse_level_gte":
        return collapse.get("level")
    if name == "collapse_score_gte":
        return collapse.get("score")
    if name in ("issues_error_gte", "issues_warning_gte"):
        severity = "error" if name == "issues_error_gte" else "warning"
        return (
            None if issues is None else sum(1 for i in issues if isinstance(i, dict) and i.get("severity") == severity)
        )
    if name == "prediction_lower_lt":
        interval = prediction.get("interval")
        return interval[0] if isinstance(interval, list) and interval else None
    if name == "prediction_expected_lt":
        return prediction.get("expected")
    if name == "label_noise_gt":
        noise = (report.get("checks") or {}).get("label_noise")
        return noise.get("estimated_fraction") if isinstance(noise, dict) else None
    return None


def _fails(name: str, actual: Any, threshold: Any) -> bool:
    if name == "collapse_level_gte":
        return LEVELS.index(actual) >= LEVELS.index(threshold)
    if name.endswith("_lt"):
        return actual < threshold
    if name.endswith("_gte"):
        return actual >= threshold
    return actual > threshold  # _gt


def evaluate(rules: dict[str, Any], report: dict | None) -> dict:
    """{"passed", "failed_rules": [{"rule", "threshold", "actual", "message"}]} — as the server's `gate`."""
    report = report or {}
    failed = []
    for name, threshold in rules.items():
        actual = _actual(name, report)
        if actual is None:
            failed.append(
                {"rule": name, "threshold": threshold, "actual": None, "message": f"{name}: the report has no value"}
            )
        elif _fails(name, actual, threshold):
            failed.append(
                {
                    "rule": name,
                    "threshold": threshold,
                    "actual": actual,
                    "message": f"{name}: {actual} fails the gate ({RULES[name].replace('VALUE', str(threshold))})",
                }
            )
    return {"passed": not failed, "failed_rules": failed}
