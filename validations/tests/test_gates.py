"""Quality gates: parsing `fail_if` and evaluating it against a report (pure functions, no database)."""

import pytest

from synthos.errors import InvalidInput
from validations.gates import RULES, gate_evaluate, gate_rules_parse


def report(**overrides) -> dict:
    base = {
        "schema_version": 1,
        "tier": "comprehensive",
        "quality_score": 91,
        "collapse_risk": {"score": 0.12, "level": "low", "indicators": {}},
        "issues": [
            {"check": "exact_duplicates", "severity": "warning", "message": "1 duplicate"},
            {"check": "encoding", "severity": "info", "message": "ok"},
        ],
        "checks": {"label_noise": {"estimated_fraction": 0.02, "rows": []}},
        "prediction": {"metric": "accuracy", "expected": 0.9, "interval": [0.87, 0.93], "confidence": 0.9},
    }
    return {**base, **overrides}


def test_it_accepts_every_documented_rule_and_normalises_thresholds():
    rules = gate_rules_parse(
        {
            "quality_score_lt": "80",
            "collapse_level_gte": "Medium",
            "issues_error_gte": 1,
            "prediction_lower_lt": 0.85,
        }
    )
    assert rules == {
        "quality_score_lt": 80,
        "collapse_level_gte": "medium",
        "issues_error_gte": 1,
        "prediction_lower_lt": 0.85,
    }


def test_an_empty_or_missing_fail_if_is_no_gate():
    assert gate_rules_parse(None) == {} and gate_rules_parse({}) == {}
    assert gate_evaluate(rules={}, report=report()) == {"passed": True, "failed_rules": []}


def test_it_rejects_an_unknown_rule_listing_the_allowed_ones():
    with pytest.raises(InvalidInput) as raised:
        gate_rules_parse({"quality_below": 80})
    assert raised.value.status_code == 422
    assert raised.value.message.startswith("Validation failed: fail_if: Unknown rule 'quality_below'")
    for name in RULES:
        assert name in raised.value.message


@pytest.mark.parametrize(
    ("fail_if", "fragment"),
    [
        ({"quality_score_lt": 180}, "between 0 and 100"),
        ({"quality_score_lt": "eighty"}, "must be a number"),
        ({"quality_score_lt": True}, "must be a number"),
        ({"collapse_level_gte": "extreme"}, "low, medium, high"),
        ({"issues_error_gte": 0}, "at least 1"),
        ({"issues_error_gte": 1.5}, "whole number"),
        ({"prediction_lower_lt": 85}, "fractions: 0.85, not 85"),
        ({"collapse_score_gte": float("nan")}, "finite"),
    ],
)
def test_it_rejects_bad_thresholds_with_a_clear_message(fail_if, fragment):
    with pytest.raises(InvalidInput) as raised:
        gate_rules_parse(fail_if)
    assert fragment in raised.value.message and raised.value.details["fail_if"]


def test_it_reports_every_bad_rule_in_details():
    with pytest.raises(InvalidInput) as raised:
        gate_rules_parse({"nope": 1, "quality_score_lt": -1})
    assert len(raised.value.details["fail_if"]) == 2


def test_it_rejects_a_fail_if_that_is_not_an_object():
    with pytest.raises(InvalidInput, match="must be an object"):
        gate_rules_parse(["quality_score_lt", 80])


def test_a_clean_report_passes_all_rules():
    rules = gate_rules_parse(
        {"quality_score_lt": 80, "collapse_level_gte": "medium", "issues_error_gte": 1, "prediction_lower_lt": 0.85}
    )
    assert gate_evaluate(rules=rules, report=report()) == {"passed": True, "failed_rules": []}


def test_a_low_quality_score_fails_with_actual_and_threshold():
    result = gate_evaluate(rules={"quality_score_lt": 95}, report=report())
    assert result["passed"] is False
    assert result["failed_rules"] == [
        {
            "rule": "quality_score_lt",
            "threshold": 95,
            "actual": 91,
            "message": "quality_score_lt: quality score 91 is below 95",
        }
    ]


def test_the_threshold_itself_passes_a_lt_rule():
    assert gate_evaluate(rules={"quality_score_lt": 91}, report=report())["passed"] is True


@pytest.mark.parametrize(
    ("level", "threshold", "passed"),
    [
        ("low", "medium", True),
        ("medium", "medium", False),
        ("high", "medium", False),
        ("low", "low", False),
        ("medium", "high", True),
    ],
)
def test_collapse_levels_are_ordered_low_medium_high(level, threshold, passed):
    result = gate_evaluate(
        rules={"collapse_level_gte": threshold}, report=report(collapse_risk={"score": 0.5, "level": level})
    )
    assert result["passed"] is passed


def test_error_issues_are_counted_by_severity():
    issues = [{"severity": "error"}, {"severity": "error"}, {"severity": "warning"}]
    result = gate_evaluate(rules={"issues_error_gte": 2, "issues_warning_gte": 2}, report=report(issues=issues))
    assert [rule["rule"] for rule in result["failed_rules"]] == ["issues_error_gte"]
    assert result["failed_rules"][0]["actual"] == 2


def test_a_low_prediction_lower_bound_fails():
    result = gate_evaluate(rules={"prediction_lower_lt": 0.9}, report=report())
    assert result["failed_rules"][0]["actual"] == 0.87 and not result["passed"]


def test_a_missing_prediction_fails_a_prediction_rule_with_a_clear_message():
    result = gate_evaluate(rules={"prediction_lower_lt": 0.5}, report=report(prediction=None))
    assert result["passed"] is False
    failed = result["failed_rules"][0]
    assert failed["actual"] is None and "no prediction" in failed["message"]


def test_a_quick_scan_without_collapse_risk_fails_a_collapse_rule():
    result = gate_evaluate(rules={"collapse_level_gte": "high"}, report=report(collapse_risk=None))
    assert not result["passed"] and "standard or above" in result["failed_rules"][0]["message"]


def test_other_rules_read_their_values():
    rules = {"collapse_score_gte": 0.1, "prediction_expected_lt": 0.95, "label_noise_gt": 0.01}
    result = gate_evaluate(rules=rules, report=report())
    assert {rule["rule"] for rule in result["failed_rules"]} == set(rules)


def test_a_missing_report_fails_every_rule():
    result = gate_evaluate(rules={"quality_score_lt": 10}, report=None)
    assert not result["passed"] and result["failed_rules"][0]["actual"] is None


@pytest.mark.parametrize(
    "variant",
    [
        {},
        {"quality_score": 40},
        {"collapse_risk": {"score": 0.8, "level": "high"}},
        {"collapse_risk": None, "prediction": None},
        {"issues": [{"severity": "error"}] * 3},
        {"checks": {}},
    ],
)
def test_the_cli_fallback_gate_agrees_with_the_server(variant):
    """client/synthos_client/gates.py evaluates the same rules when the server returns no `gate`."""
    from synthos_client.gates import RULES as CLIENT_RULES
    from synthos_client.gates import evaluate

    assert set(CLIENT_RULES) == set(RULES)
    rules = gate_rules_parse(
        {
            "quality_score_lt": 80,
            "collapse_level_gte": "medium",
            "collapse_score_gte": 0.5,
            "issues_error_gte": 1,
            "issues_warning_gte": 2,
            "prediction_lower_lt": 0.85,
            "prediction_expected_lt": 0.8,
            "label_noise_gt": 0.1,
        }
    )
    server = gate_evaluate(rules=rules, report=report(**variant))
    client = evaluate(rules, report(**variant))
    assert client["passed"] == server["passed"]
    assert [(r["rule"], r["actual"]) for r in client["failed_rules"]] == [
        (r["rule"], r["actual"]) for r in server["failed_rules"]
    ]
