"""Quality gates: `fail_if` rules a pipeline attaches to a validation, and their evaluation.

Pure functions, no Django models: `gate_rules_parse` checks a `fail_if` dict (the 422 messages
list the allowed rules), `gate_evaluate` applies the rules to a report (schema_version 1) and
returns `{"passed", "failed_rules": [{"rule", "threshold", "actual", "message"}]}`.

A rule whose value the report does not have (no prediction on a standard run, no collapse risk
on a quick scan, or a comprehensive run that could make no prediction) FAILS, with a message
saying so. A gate is a promise the pipeline relies on: one that could not be checked must not
let the training run through silently. Ask for the tier that measures what the rule needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from synthos.errors import InvalidInput

COLLAPSE_LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class Rule:
    name: str
    help: str
    parse: Callable[[Any], Any]  # raises ValueError with a plain-English reason
    actual: Callable[[dict], Any]  # the report's value, or None when the report does not have it
    fails: Callable[[Any, Any], bool]  # (actual, threshold) -> the rule fails
    describe: Callable[[Any, Any], str]  # (actual, threshold) -> why it failed


def _number(value: Any, *, low: float | None = None, high: float | None = None, hint: str = "") -> float:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError("must be a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("must be a finite number")
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"between {low:g} and {high:g}" if low is not None and high is not None else f"at most {high:g}"
        raise ValueError(f"must be {bounds}{hint}")
    return int(number) if number.is_integer() else number


def _count(value: Any) -> int:
    number = _number(value)
    if not float(number).is_integer() or number < 1:
        raise ValueError("must be a whole number of at least 1")
    return int(number)


def _level(value: Any) -> str:
    level = str(value).strip().lower()
    if level not in COLLAPSE_LEVELS:
        raise ValueError(f"must be one of {', '.join(COLLAPSE_LEVELS)}")
    return level


def _issue_count(severity: str) -> Callable[[dict], int | None]:
    def count(report: dict) -> int | None:
        issues = report.get("issues")
        if not isinstance(issues, list):
            return None
        return sum(1 for issue in issues if isinstance(issue, dict) and issue.get("severity") == severity)

    return count


def _collapse(key: str) -> Callable[[dict], Any]:
    def value(report: dict) -> Any:
        collapse = report.get("collapse_risk")
        return collapse.get(key) if isinstance(collapse, dict) else None

    return value


def _prediction_lower(report: dict) -> float | None:
    prediction = report.get("prediction")
    interval = prediction.get("interval") if isinstance(prediction, dict) else None
    return interval[0] if isinstance(interval, list | tuple) and interval else None


def _prediction_expected(report: dict) -> float | None:
    prediction = report.get("prediction")
    return prediction.get("expected") if isinstance(prediction, dict) else None


def _label_noise(report: dict) -> float | None:
    noise = (report.get("checks") or {}).get("label_noise")
    return noise.get("estimated_fraction") if isinstance(noise, dict) else None


_FRACTION_HINT = " (metrics are fractions: 0.85, not 85)"

RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule(
            "quality_score_lt",
            "fail when the quality score (0–100) is below the value",
            lambda v: _number(v, low=0, high=100),
            lambda r: r.get("quality_score"),
            lambda actual, limit: actual < limit,
            lambda actual, limit: f"quality score {actual} is below {limit}",
        ),
        Rule(
            "collapse_level_gte",
            "fail when the collapse-risk level is at or above low|medium|high (standard tier and up)",
            _level,
            _collapse("level"),
            lambda actual, limit: COLLAPSE_LEVELS.index(actual) >= COLLAPSE_LEVELS.index(limit),
            lambda actual, limit: f"collapse risk level {actual} is {limit} or higher",
        ),
        Rule(
            "collapse_score_gte",
            "fail when the collapse-risk score (0–1) is at or above the value (standard tier and up)",
            lambda v: _number(v, low=0, high=1),
            _collapse("score"),
            lambda actual, limit: actual >= limit,
            lambda actual, limit: f"collapse risk score {actual} is {limit} or higher",
        ),
        Rule(
            "issues_error_gte",
            "fail when the report has at least this many error-level issues",
            _count,
            _issue_count("error"),
            lambda actual, limit: actual >= limit,
            lambda actual, limit: f"{actual} error-level issue(s) found; the gate allows fewer than {limit}",
        ),
        Rule(
            "issues_warning_gte",
            "fail when the report has at least this many warning-level issues",
            _count,
            _issue_count("warning"),
            lambda actual, limit: actual >= limit,
            lambda actual, limit: f"{actual} warning-level issue(s) found; the gate allows fewer than {limit}",
        ),
        Rule(
            "prediction_lower_lt",
            "fail when the predicted metric's 90% interval lower bound is below the value (comprehensive tier)",
            lambda v: _number(v, high=1, hint=_FRACTION_HINT),
            _prediction_lower,
            lambda actual, limit: actual < limit,
            lambda actual, limit: f"predicted metric lower bound {actual} is below {limit}",
        ),
        Rule(
            "prediction_expected_lt",
            "fail when the expected predicted metric is below the value (comprehensive tier)",
            lambda v: _number(v, high=1, hint=_FRACTION_HINT),
            _prediction_expected,
            lambda actual, limit: actual < limit,
            lambda actual, limit: f"expected predicted metric {actual} is below {limit}",
        ),
        Rule(
            "label_noise_gt",
            "fail when the estimated label-noise fraction (0–1) is above the value (standard tier, with a target)",
            lambda v: _number(v, low=0, high=1),
            _label_noise,
            lambda actual, limit: actual > limit,
            lambda actual, limit: f"estimated label noise {actual} is above {limit}",
        ),
    )
}

_MISSING = {
    "collapse_level_gte": "the report has no collapse risk (quick scans do not measure it; use standard or above)",
    "collapse_score_gte": "the report has no collapse risk (quick scans do not measure it; use standard or above)",
    "prediction_lower_lt": "the report has no prediction (only comprehensive runs with a target_column make one, "
    "and not when the target cannot be learned)",
    "prediction_expected_lt": "the report has no prediction (only comprehensive runs with a target_column make one, "
    "and not when the target cannot be learned)",
    "label_noise_gt": "the report has no label-noise estimate (standard tier and up, with a target_column)",
}


def allowed_rules_text() -> str:
    return ", ".join(RULES)


def gate_rules_parse(fail_if: Any) -> dict[str, Any]:
    """Check a `fail_if` object and return it with normalised thresholds (numbers, lower-case levels).

    Raises InvalidInput (422) naming every bad rule in `details["fail_if"]` and listing the
    allowed rules. An empty dict is valid (no gate).
    """
    if fail_if is None:
        return {}
    if not isinstance(fail_if, dict):
        raise InvalidInput(
            f'Validation failed: fail_if must be an object of rules, e.g. {{"quality_score_lt": 80}}. '
            f"Allowed rules: {allowed_rules_text()}.",
            details={"fail_if": ["Must be an object."]},
        )
    rules: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in fail_if.items():
        rule = RULES.get(name)
        if rule is None:
            problems.append(f"Unknown rule {name!r}; allowed rules: {allowed_rules_text()}.")
            continue
        try:
            rules[name] = rule.parse(value)
        except ValueError as error:
            problems.append(f"{name} {error} (got {value!r}).")
    if problems:
        raise InvalidInput(f"Validation failed: fail_if: {problems[0]}", details={"fail_if": problems})
    return rules


def gate_evaluate(*, rules: dict[str, Any], report: dict | None) -> dict:
    """Apply parsed rules to a report. A rule the report has no value for fails (see the module doc)."""
    report = report or {}
    failed: list[dict] = []
    for name, threshold in rules.items():
        rule = RULES[name]
        actual = rule.actual(report)
        if actual is None:
            reason = _MISSING.get(name, "the report has no value for it")
            failed.append({"rule": name, "threshold": threshold, "actual": None, "message": f"{name}: {reason}"})
        elif rule.fails(actual, threshold):
            failed.append(
                {
                    "rule": name,
                    "threshold": threshold,
                    "actual": actual,
                    "message": f"{name}: {rule.describe(actual, threshold)}",
                }
            )
    return {"passed": not failed, "failed_rules": failed}
