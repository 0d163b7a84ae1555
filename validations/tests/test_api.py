"""The Validations endpoints of API.md: start, list, detail, report, cancel — errors, tenant isolation,
and the credits each one moves."""

import pytest

from billing.tests.test_ledger import assert_ledger_matches
from datasets.models import Dataset
from datasets.tests.helpers import assert_envelope
from validations.models import Validation
from validations.services import validation_start
from validations.tests.helpers import balance, ledger, ready_dataset, start

pytestmark = pytest.mark.django_db


# --- start --------------------------------------------------------------------------------------


def test_start_charges_the_tier_price_and_answers_202_queued(owner_client, owner, dataset, queued):
    response = start(owner_client, dataset.pk, "standard", target_column="label")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["id"].startswith("val_") and len(body["id"]) == 24
    assert body["status"] == "queued" and body["stage"] == "queued" and body["progress"] == 0
    assert body["tier"] == "standard" and body["dataset_id"] == dataset.pk and body["target_column"] == "label"
    assert body["credits_charged"] == 25 and "report" not in body
    assert balance(owner) == 75
    assert ledger(owner, body["id"]) == [("validation_charge", -25)]
    assert queued == [body["id"]]
    assert_ledger_matches(owner)


@pytest.mark.parametrize("tier, price", [("quick", 10), ("standard", 25), ("comprehensive", 50)])
def test_each_tier_costs_the_docs_price(owner_client, owner, dataset, queued, tier, price):
    response = start(owner_client, dataset.pk, tier, target_column="label")
    assert response.status_code == 202, response.content
    assert balance(owner) == 100 - price


def test_start_runs_the_job_on_commit_and_stores_the_engines_report(owner_client, owner, dataset):
    response = start(owner_client, dataset.pk, "quick")
    validation = Validation.objects.get(pk=response.json()["id"])
    assert validation.status == "succeeded", validation.error
    assert validation.progress == 100 and validation.stage == "done" and validation.attempts == 1
    assert validation.report["tier"] == "quick" and validation.report["dataset"]["rows"] == 61
    assert validation.quality_score == validation.report["quality_score"]
    assert validation.started_at and validation.finished_at and validation.timings["total"] >= 0
    assert balance(owner) == 90


def test_not_enough_credits_is_402_with_balance_and_price_and_creates_nothing(make_user, password, client_for, queued):
    poor = make_user(email="poor@example.com", password=password, balance=20)
    dataset = ready_dataset(poor)
    error = assert_envelope(start(client_for(poor), dataset.pk, "standard"), 402)
    assert "25 credits" in error["message"] and "balance is 20" in error["message"]
    assert not Validation.objects.exists() and queued == []
    assert balance(poor) == 20


def test_a_dataset_that_is_not_ready_is_409(owner_client, owner, queued):
    dataset = ready_dataset(owner, status=Dataset.Status.PROCESSING, sha256="", row_count=None)
    error = assert_envelope(start(owner_client, dataset.pk), 409)
    assert "processing" in error["message"]
    assert balance(owner) == 100 and not Validation.objects.exists()


def test_comprehensive_without_target_column_is_422_before_any_charge(owner_client, owner, dataset, queued):
    error = assert_envelope(start(owner_client, dataset.pk, "comprehensive"), 422)
    assert "target_column" in error["message"] and "target_column" in error["details"]
    assert balance(owner) == 100 and not Validation.objects.exists()


@pytest.mark.parametrize("field", ["target_column", "text_column"])
def test_an_unknown_column_is_422_naming_it_and_listing_the_real_ones(owner_client, owner, dataset, queued, field):
    error = assert_envelope(start(owner_client, dataset.pk, "standard", **{field: "labl"}), 422)
    assert "'labl'" in error["message"] and "id, text, label, score" in error["message"]
    assert field in error["details"]
    assert balance(owner) == 100


def test_missing_or_bad_fields_are_422(owner_client, dataset, queued):
    error = assert_envelope(owner_client.post("/api/v1/validations", {"tier": "quick"}, format="json"), 422)
    assert error["message"] == "Validation failed: dataset_id is required."
    error = assert_envelope(start(owner_client, dataset.pk, "deluxe"), 422)
    assert "tier" in error["details"]


def test_a_body_that_is_not_json_is_400(owner_client):
    response = owner_client.post("/api/v1/validations", "{nope", content_type="application/json")
    assert_envelope(response, 400)


def test_another_accounts_dataset_is_404_naming_the_field_and_charges_nothing(owner, outsider_client, outsider, queued):
    dataset = ready_dataset(owner)
    error = assert_envelope(start(outsider_client, dataset.pk), 404)
    assert "dataset_id" in error["message"] and "dataset_id" in error["details"]
    assert balance(outsider) == 100 and not Validation.objects.exists()


def test_another_accounts_reference_dataset_is_404_naming_the_field(owner, outsider_client, outsider, queued):
    mine = ready_dataset(outsider)
    theirs = ready_dataset(owner)
    error = assert_envelope(start(outsider_client, mine.pk, "standard", reference_dataset_id=theirs.pk), 404)
    assert "reference_dataset_id" in error["message"]
    assert balance(outsider) == 100 and not Validation.objects.exists()


def test_an_unknown_dataset_id_is_404(owner_client, queued):
    error = assert_envelope(start(owner_client, "ds_doesnotexist"), 404)
    assert "dataset_id" in error["message"]


def test_anonymous_requests_are_401_everywhere(anon_client, owner, queued):
    for method, path in [
        ("post", "/api/v1/validations"),
        ("get", "/api/v1/validations"),
        ("get", "/api/v1/validations/val_x"),
        ("get", "/api/v1/validations/val_x/report"),
        ("post", "/api/v1/validations/val_x/cancel"),
    ]:
        response = getattr(anon_client, method)(path, format="json")
        assert_envelope(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")


# --- read ---------------------------------------------------------------------------------------


def test_detail_shows_the_summary_and_the_full_report_once_succeeded(owner_client, dataset):
    validation_id = start(owner_client, dataset.pk, "standard").json()["id"]
    response = owner_client.get(f"/api/v1/validations/{validation_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "succeeded" and body["progress"] == 100 and body["stage"] == "done"
    assert body["report"]["tier"] == "standard" and body["quality_score"] == body["report"]["quality_score"]
    assert body["collapse_risk"] == {
        "score": body["report"]["collapse_risk"]["score"],
        "level": body["report"]["collapse_risk"]["level"],
    }
    assert body["prediction"] is None and body["created_at"].endswith("Z") and body["finished_at"]


def test_report_endpoint_returns_the_report_and_409_until_done(owner_client, dataset, queued):
    validation_id = start(owner_client, dataset.pk).json()["id"]
    error = assert_envelope(owner_client.get(f"/api/v1/validations/{validation_id}/report"), 409)
    assert "queued" in error["message"]
    queued.run_all()
    response = owner_client.get(f"/api/v1/validations/{validation_id}/report")
    assert response.status_code == 200 and response.json()["schema_version"] == 1
    assert response.json() == Validation.objects.get(pk=validation_id).report


def test_a_queued_validation_has_no_report_in_its_detail(owner_client, dataset, queued):
    validation_id = start(owner_client, dataset.pk).json()["id"]
    body = owner_client.get(f"/api/v1/validations/{validation_id}").json()
    assert body["status"] == "queued" and body["report"] is None and body["quality_score"] is None


def test_list_shows_summaries_newest_first_without_reports(owner_client, owner, dataset):
    first = start(owner_client, dataset.pk, "quick").json()["id"]
    second = start(owner_client, dataset.pk, "standard").json()["id"]
    response = owner_client.get("/api/v1/validations")
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["data"]] == [second, first]
    assert all("report" not in row for row in body["data"])
    assert body["data"][0]["quality_score"] is not None


def test_list_filters_by_dataset_status_and_tier(owner_client, owner, queued):
    one, two = ready_dataset(owner), ready_dataset(owner)
    a = start(owner_client, one.pk, "quick").json()["id"]
    b = start(owner_client, two.pk, "standard").json()["id"]
    owner_client.post(f"/api/v1/validations/{b}/cancel")

    def ids(query):
        response = owner_client.get(f"/api/v1/validations?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["data"]]

    assert ids(f"dataset={one.pk}") == [a]
    assert ids("status=canceled") == [b]
    assert ids("tier=quick") == [a]
    assert ids("status=queued&tier=quick") == [a]
    assert_envelope(owner_client.get("/api/v1/validations?status=done"), 422)


def test_list_is_cursor_paginated(owner_client, owner, dataset, queued):
    ids = [start(owner_client, dataset.pk).json()["id"] for _ in range(5)]
    page = owner_client.get("/api/v1/validations?limit=2").json()
    assert [row["id"] for row in page["data"]] == ids[::-1][:2] and page["next"]
    second = owner_client.get(page["next"]).json()
    assert [row["id"] for row in second["data"]] == ids[::-1][2:4]


def test_list_runs_a_constant_number_of_queries_whatever_the_page_size(
    owner_client, owner, dataset, queued, django_assert_num_queries
):
    for _ in range(3):
        validation_start(owner=owner, dataset_id=dataset.pk, tier="quick")
    # One query authenticates (the user with its credit account, for the throttle), one reads the page.
    with django_assert_num_queries(2):
        assert len(owner_client.get("/api/v1/validations?limit=2").json()["data"]) == 2
    queued.clear()
    for _ in range(7):
        validation_start(owner=owner, dataset_id=dataset.pk, tier="quick")
    with django_assert_num_queries(2):
        assert len(owner_client.get("/api/v1/validations?limit=50").json()["data"]) == 10


def test_another_accounts_validation_is_404_on_every_endpoint(owner_client, outsider_client, dataset, queued):
    validation_id = start(owner_client, dataset.pk).json()["id"]
    assert_envelope(outsider_client.get(f"/api/v1/validations/{validation_id}"), 404)
    assert_envelope(outsider_client.get(f"/api/v1/validations/{validation_id}/report"), 404)
    assert_envelope(outsider_client.post(f"/api/v1/validations/{validation_id}/cancel"), 404)
    assert outsider_client.get("/api/v1/validations").json()["data"] == []
    assert outsider_client.get(f"/api/v1/validations?dataset={dataset.pk}").json()["data"] == []
    assert Validation.objects.get(pk=validation_id).status == "queued"


# --- cancel -------------------------------------------------------------------------------------


def test_cancel_a_queued_validation_refunds_in_full(owner_client, owner, dataset, queued):
    validation_id = start(owner_client, dataset.pk, "standard").json()["id"]
    response = owner_client.post(f"/api/v1/validations/{validation_id}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "canceled" and response.json()["canceled_at"]
    assert balance(owner) == 100
    assert ledger(owner, validation_id) == [("validation_charge", -25), ("refund", 25)]
    queued.run_all()  # the job, delivered after the cancel, finds nothing to do
    validation = Validation.objects.get(pk=validation_id)
    assert validation.status == "canceled" and validation.attempts == 0 and validation.report is None
    assert_ledger_matches(owner)


def test_cancel_a_running_validation_does_not_refund(owner_client, owner, dataset, queued):
    validation_id = start(owner_client, dataset.pk, "standard").json()["id"]
    Validation.objects.filter(pk=validation_id).update(status="running", stage="outliers", attempts=1)
    response = owner_client.post(f"/api/v1/validations/{validation_id}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "canceled"
    assert balance(owner) == 75
    assert ledger(owner, validation_id) == [("validation_charge", -25)]


def test_cancel_a_finished_validation_is_409(owner_client, owner, dataset):
    validation_id = start(owner_client, dataset.pk).json()["id"]
    error = assert_envelope(owner_client.post(f"/api/v1/validations/{validation_id}/cancel"), 409)
    assert "succeeded" in error["message"]
    assert balance(owner) == 90


# --- the dataset-delete guard -------------------------------------------------------------------


@pytest.mark.parametrize("state", ["queued", "running"])
def test_deleting_a_dataset_with_an_active_validation_is_409(owner_client, owner, dataset, queued, state):
    validation_id = start(owner_client, dataset.pk).json()["id"]
    Validation.objects.filter(pk=validation_id).update(status=state)
    error = assert_envelope(owner_client.delete(f"/api/v1/datasets/{dataset.pk}"), 409)
    assert "validation" in error["message"]
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_deleting_a_dataset_keeps_its_finished_validations(owner_client, owner, dataset):
    validation_id = start(owner_client, dataset.pk).json()["id"]
    assert owner_client.delete(f"/api/v1/datasets/{dataset.pk}").status_code == 204
    validation = Validation.objects.get(pk=validation_id)
    assert validation.dataset_id is None and validation.dataset_name == dataset.name and validation.report
