"""Dashboard pages for validations: the run form on the dataset page, the live page and its report,
the list, cancel, the JSON download — and the staff re-run action in the admin."""

import json

import pytest

from billing.tests.test_ledger import assert_ledger_matches
from validations.models import Validation
from validations.presentation import collapse_bars, gauge, learning_curve, sorted_issues
from validations.services import validation_start
from validations.tests.helpers import balance, ledger, ready_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_client(client, owner):
    client.force_login(owner)
    return client


def test_pages_need_a_login(client, owner, dataset, queued):
    validation = validation_start(owner=owner, dataset_id=dataset.pk, tier="quick")
    for url in ("/validations/", f"/validations/{validation.pk}/", f"/validations/{validation.pk}/report.json"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_dataset_page_offers_the_tiers_with_prices_balance_and_columns(browser_client, dataset):
    page = browser_client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert 'data-testid="run-validation"' in page
    for price in ("10 credits", "25 credits", "50 credits"):
        assert price in page
    assert "near-duplicates" in page and "training-outcome prediction" in page
    assert 'data-testid="run-balance">100<' in page
    assert '<option value="label">label</option>' in page and '<option value="text">text</option>' in page


def test_a_dataset_that_is_not_ready_has_no_run_form(browser_client, owner):
    dataset = ready_dataset(owner, status="processing", sha256="", row_count=None)
    assert 'data-testid="run-validation"' not in browser_client.get(f"/datasets/{dataset.pk}/").content.decode()


def test_running_from_the_dataset_page_charges_and_shows_the_report(browser_client, owner, dataset):
    response = browser_client.post(
        f"/validations/start/{dataset.pk}/", {"tier": "standard", "target_column": "label", "text_column": ""}
    )
    validation = Validation.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/validations/{validation.pk}/"
    assert balance(owner) == 75
    page = browser_client.get(response["Location"]).content.decode()
    assert 'data-testid="quality-score"' in page and 'data-testid="collapse-risk"' in page
    assert 'data-testid="issues"' in page and 'data-testid="report-columns"' in page
    assert 'data-testid="collapse-chart"' in page and "Download JSON" in page
    assert f"/help/new/?validation={validation.pk}" in page
    # Issues are listed most severe first.
    severities = [issue["severity"] for issue in sorted_issues(validation.report)]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)


def test_a_start_error_goes_back_to_the_dataset_page_with_the_message(browser_client, owner, dataset):
    response = browser_client.post(f"/validations/start/{dataset.pk}/", {"tier": "comprehensive"}, follow=True)
    assert "target_column is required" in response.content.decode()
    assert not Validation.objects.exists() and balance(owner) == 100


def test_another_accounts_dataset_or_validation_is_a_404_page(browser_client, outsider, queued):
    theirs = ready_dataset(outsider)
    assert browser_client.post(f"/validations/start/{theirs.pk}/", {"tier": "quick"}).status_code == 404
    validation = validation_start(owner=outsider, dataset_id=theirs.pk, tier="quick")
    assert browser_client.get(f"/validations/{validation.pk}/").status_code == 404
    assert browser_client.post(f"/validations/{validation.pk}/cancel/").status_code == 404
    assert browser_client.get(f"/validations/{validation.pk}/report.json").status_code == 404


def test_the_live_partial_shows_stage_and_progress_while_running(browser_client, owner, dataset, queued):
    validation = validation_start(owner=owner, dataset_id=dataset.pk, tier="standard")
    Validation.objects.filter(pk=validation.pk).update(status="running", stage="outliers", progress=57)
    partial = browser_client.get(f"/validations/{validation.pk}/?partial=1").content.decode()
    assert "data-live" in partial and "outliers" in partial and 'aria-valuenow="57"' in partial
    assert "width: 57%" in partial and "<html" not in partial
    page = browser_client.get(f"/validations/{validation.pk}/").content.decode()
    assert 'data-testid="cancel-validation"' in page and "js/validation.js" in page


def test_cancel_from_the_page_refunds_a_queued_run(browser_client, owner, dataset, queued):
    validation = validation_start(owner=owner, dataset_id=dataset.pk, tier="standard")
    response = browser_client.post(f"/validations/{validation.pk}/cancel/", follow=True)
    assert "25 credits refunded" in response.content.decode()
    assert Validation.objects.get().status == "canceled" and balance(owner) == 100


def test_the_report_downloads_as_json(browser_client, owner, dataset):
    validation = validation_start(owner=owner, dataset_id=dataset.pk, tier="quick")
    response = browser_client.get(f"/validations/{validation.pk}/report.json")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert json.loads(response.content) == Validation.objects.get().report


def test_the_list_shows_my_validations_with_status_badges_and_filters(browser_client, owner, outsider, queued):
    mine = ready_dataset(owner, name="Reviews")
    theirs = ready_dataset(outsider, name="Secret")
    a = validation_start(owner=owner, dataset_id=mine.pk, tier="quick")
    validation_start(owner=outsider, dataset_id=theirs.pk, tier="quick")
    page = browser_client.get("/validations/").content.decode()
    assert a.pk in page and "Reviews" in page and "Secret" not in page
    assert "badge--val-queued" in page
    assert a.pk not in browser_client.get("/validations/?status=succeeded").content.decode()
    assert a.pk in browser_client.get(f"/validations/?dataset={mine.pk}").content.decode()


def test_a_failed_run_shows_its_error(browser_client, owner, dataset, monkeypatch):
    monkeypatch.setattr("validations.engine.runner.run_validation", lambda *a, **k: 1 / 0)
    validation = validation_start(owner=owner, dataset_id=dataset.pk, tier="quick")
    page = browser_client.get(f"/validations/{validation.pk}/").content.decode()
    assert 'data-testid="validation-error"' in page and "10 credits were refunded" in page


def test_the_charts_are_computed_from_the_report():
    assert gauge(80, maximum=100, good_high=True)["tone"] == "good"
    assert gauge(0.9, maximum=1, good_high=False)["tone"] == "poor"
    report = {
        "collapse_risk": {"score": 0.5, "level": "medium", "indicators": {"mattr": 0.4}},
        "checks": {
            "collapse": {
                "components": {"gzip_ratio": -0.4, "mattr": 1.6},
                "features": {"mattr": 0.4, "gzip_ratio": 0.3},
                "drivers": ["mattr"],
            }
        },
    }
    bars = collapse_bars(report)
    # Strongest push first; a push towards "human" draws an empty bar.
    assert [bar["name"] for bar in bars] == ["mattr", "gzip ratio"] and bars[0]["is_driver"]
    assert [bar["tone"] for bar in bars] == ["high", "low"] and bars[1]["px"] == 0 and bars[1]["y"] == 24
    assert bars[0]["value"] == 0.4 and bars[0]["px"] == 0.8 * 300
    curve = learning_curve(
        {
            "expected": 0.8,
            "interval": [0.75, 0.85],
            "learning_curve": [{"n": 100, "score": 0.6}, {"n": 1000, "score": 0.7}, {"n": 10000, "score": 0.78}],
        }
    )
    assert len(curve["dots"]) == 3 and curve["interval"]["height"] > 0 and curve["expected"]
    assert learning_curve(None) is None


# --- admin --------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def rerun(staff_client, validation, **form):
    return staff_client.post(
        "/admin/validations/validation/",
        {"action": "rerun", "_selected_action": [validation.pk], "apply": "1", **form},
    )


def test_the_admin_lists_validations_with_duration_and_credits(staff_client, owner, dataset):
    validation = validation_start(owner=owner, dataset_id=dataset.pk, tier="quick")
    page = staff_client.get("/admin/validations/validation/").content.decode()
    assert validation.pk in page and owner.email in page and " s<" in page
    assert staff_client.get(f"/admin/validations/validation/{validation.pk}/change/").status_code == 200


def test_a_staff_rerun_charges_the_normal_price(staff_client, owner, dataset):
    first = validation_start(owner=owner, dataset_id=dataset.pk, tier="standard")
    assert rerun(staff_client, first).status_code == 302
    second = Validation.objects.exclude(pk=first.pk).get()
    assert second.status == "succeeded" and balance(owner) == 50
    assert ledger(owner, second.pk) == [("validation_charge", -25)]


def test_a_staff_rerun_on_the_house_writes_a_matching_adjustment_with_the_reason(staff_client, owner, staff, dataset):
    from billing.models import CreditTransaction

    first = validation_start(owner=owner, dataset_id=dataset.pk, tier="standard")
    assert rerun(staff_client, first, on_the_house="on", reason="engine bug #12").status_code == 302
    adjustment = CreditTransaction.objects.get(account__user=owner, kind="adjustment")
    assert adjustment.amount == 25 and adjustment.created_by == staff and "engine bug #12" in adjustment.description
    assert balance(owner) == 75
    assert_ledger_matches(owner)


def test_an_on_the_house_rerun_needs_a_reason(staff_client, owner, dataset):
    first = validation_start(owner=owner, dataset_id=dataset.pk, tier="quick")
    response = rerun(staff_client, first, on_the_house="on", reason="")
    assert response.status_code == 200 and "Say why" in response.content.decode()
    assert Validation.objects.count() == 1 and balance(owner) == 90


def test_the_rerun_action_asks_first(staff_client, owner, dataset):
    first = validation_start(owner=owner, dataset_id=dataset.pk, tier="quick")
    response = staff_client.post("/admin/validations/validation/", {"action": "rerun", "_selected_action": [first.pk]})
    assert response.status_code == 200 and "on the house" in response.content.decode()
    assert Validation.objects.count() == 1


def test_a_comprehensive_report_shows_the_prediction_and_its_learning_curve(browser_client, owner, dataset, queued):
    validation = validation_start(owner=owner, dataset_id=dataset.pk, tier="comprehensive", target_column="label")
    prediction = {
        "metric": "accuracy",
        "model": "logistic regression",
        "expected": 0.81,
        "interval": [0.78, 0.84],
        "confidence": 0.9,
        "learning_curve": [{"n": 50, "score": 0.62}, {"n": 200, "score": 0.74}, {"n": 800, "score": 0.79}],
    }
    report = {
        "schema_version": 1,
        "tier": "comprehensive",
        "quality_score": 70,
        "issues": [],
        "checks": {},
        "dataset": {"rows": 61, "columns": [], "format": "csv"},
        "prediction": prediction,
    }
    Validation.objects.filter(pk=validation.pk).update(
        status="succeeded", stage="done", progress=100, report=report, prediction=prediction, quality_score=70
    )
    page = browser_client.get(f"/validations/{validation.pk}/").content.decode()
    assert 'data-testid="learning-curve"' in page and "accuracy 0.810" in page and "0.780 – 0.840" in page
    assert "<polyline" in page and "curve__interval" in page


def test_a_comprehensive_run_without_prediction_says_why_and_what_was_refunded(browser_client, owner, dataset, queued):
    validation = validation_start(owner=owner, dataset_id=dataset.pk, tier="comprehensive", target_column="label")
    report = {
        "schema_version": 1,
        "tier": "comprehensive",
        "quality_score": 70,
        "issues": [],
        "checks": {},
        "dataset": {"rows": 61, "columns": [], "format": "csv"},
        "prediction": None,
        "prediction_reason": "the target column is constant",
    }
    Validation.objects.filter(pk=validation.pk).update(
        status="succeeded", stage="done", progress=100, report=report, credits_refunded=25
    )
    page = browser_client.get(f"/validations/{validation.pk}/").content.decode()
    assert "No prediction could be made: the target column is constant" in page and "25 credits were refunded" in page
