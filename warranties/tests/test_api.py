"""The warranty endpoints of API.md: request, list, read, file a claim, list claims."""

import pytest

from accounts.tests.test_api_auth import assert_envelope
from billing.pricing import COMPREHENSIVE_VALIDATION, WARRANTY_REQUEST
from billing.tests.test_ledger import assert_ledger_matches
from datasets.models import Dataset
from validations.engine.prediction.terms import default_coverage_credits
from validations.models import Validation
from validations.tests.helpers import balance, ledger
from warranties.models import Claim, Warranty
from warranties.tests.factories import PREDICTION, eligible_validation, labelled_dataset

pytestmark = pytest.mark.django_db


def request_warranty(client, validation_id):
    return client.post("/api/v1/warranties", {"validation_id": validation_id}, format="json")


def file_claim(client, warranty_id, holdout_id, **fields):
    return client.post(
        f"/api/v1/warranties/{warranty_id}/claims", {"holdout_dataset_id": holdout_id, **fields}, format="json"
    )


# --- POST /warranties -------------------------------------------------------------------------------


def test_it_requests_a_warranty_with_the_proposed_terms_and_charges_100_credits(owner, owner_client, validation):
    response = request_warranty(owner_client, validation.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"].startswith("war_") and body["status"] == "pending_review"
    assert body["validation_id"] == validation.pk
    assert body["metric"] == "accuracy" and body["guaranteed_value"] == pytest.approx(PREDICTION["interval"][0])
    # The engine's one coverage rule, applied to the prices in billing/pricing.py.
    assert body["coverage_credits"] == default_coverage_credits(
        validation_credits=COMPREHENSIVE_VALIDATION, warranty_credits=WARRANTY_REQUEST
    )
    assert "logistic regression" in body["conditions"] and "0.7900" in body["conditions"]
    assert body["expires_at"] and body["credits_charged"] == 100 and body["claims"] == []
    assert [step["status"] for step in body["timeline"]] == ["pending_review"]
    assert balance(owner) == 0
    assert ledger(owner, body["id"]) == [("warranty_charge", -100)]
    assert_ledger_matches(owner)


def test_the_warranty_expires_after_the_configured_validity(owner, owner_client, validation, settings):
    settings.WARRANTY_VALIDITY_DAYS = 30
    response = request_warranty(owner_client, validation.pk)
    warranty = Warranty.objects.get(pk=response.json()["id"])
    assert (warranty.expires_at - warranty.created_at).days == 30


def test_a_second_request_for_the_same_validation_is_a_conflict(owner, owner_client, validation):
    from billing.services import credits_grant

    credits_grant(user=owner, amount=100, reference="top-up")
    assert request_warranty(owner_client, validation.pk).status_code == 201
    assert_envelope(request_warranty(owner_client, validation.pk), 409)
    assert Warranty.objects.count() == 1 and balance(owner) == 100


def test_without_credits_it_answers_402_and_creates_nothing(make_user, password, client_for):
    poor = make_user(email="poor@example.com", password=password, balance=40)
    error = assert_envelope(request_warranty(client_for(poor), eligible_validation(poor).pk), 402)
    assert "100 credits" in error["message"]
    assert Warranty.objects.count() == 0 and balance(poor) == 40


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"tier": "standard"}, "comprehensive"),
        ({"status": "failed", "error": "boom", "report": None}, "failed"),
        ({"prediction": None}, "no prediction"),
        ({"prediction": {"metric": "accuracy", "expected": 0.8}}, "no interval"),
    ],
)
def test_an_ineligible_validation_is_422_with_the_reason(owner, owner_client, fields, reason):
    validation = eligible_validation(owner, **fields)
    error = assert_envelope(request_warranty(owner_client, validation.pk), 422)
    assert error["message"].startswith("Validation failed:") and reason in error["message"]
    assert "validation_id" in error["details"]
    assert Warranty.objects.count() == 0 and balance(owner) == 100


def test_a_running_validation_is_not_eligible(owner, owner_client):
    validation = eligible_validation(owner, status=Validation.Status.RUNNING, report=None, prediction=None)
    assert_envelope(request_warranty(owner_client, validation.pk), 422)


def test_another_accounts_validation_is_404_naming_the_field_and_charges_nothing(outsider, outsider_client, validation):
    error = assert_envelope(request_warranty(outsider_client, validation.pk), 404)
    assert "validation_id" in error["message"] and "validation_id" in error["details"]
    assert balance(outsider) == 100 and Warranty.objects.count() == 0


def test_an_unknown_validation_is_404(owner_client):
    error = assert_envelope(request_warranty(owner_client, "val_nope"), 404)
    assert "validation_id" in error["details"]


def test_a_missing_validation_id_is_422(owner_client):
    error = assert_envelope(owner_client.post("/api/v1/warranties", {}, format="json"), 422)
    assert "validation_id" in error["details"]


def test_anonymous_callers_get_401_everywhere(anon_client, approved):
    for method, url in [
        ("get", "/api/v1/warranties"),
        ("post", "/api/v1/warranties"),
        ("get", f"/api/v1/warranties/{approved.pk}"),
        ("get", f"/api/v1/warranties/{approved.pk}/claims"),
        ("post", f"/api/v1/warranties/{approved.pk}/claims"),
    ]:
        response = getattr(anon_client, method)(url, {}, format="json")
        assert_envelope(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")


# --- GET /warranties, /warranties/{id} ---------------------------------------------------------------


def test_the_list_shows_only_my_warranties(owner_client, outsider_client, pending):
    body = owner_client.get("/api/v1/warranties").json()
    assert [row["id"] for row in body["data"]] == [pending.pk] and "claims" not in body["data"][0]
    assert outsider_client.get("/api/v1/warranties").json()["data"] == []


def test_the_detail_has_terms_timeline_and_claims(owner_client, approved, holdout, queued):
    file_claim(owner_client, approved.pk, holdout.pk)
    body = owner_client.get(f"/api/v1/warranties/{approved.pk}").json()
    assert body["status"] == "approved" and body["reviewed_at"]
    assert [step["status"] for step in body["timeline"]] == ["pending_review", "approved"]
    assert [claim["status"] for claim in body["claims"]] == ["submitted"]


def test_another_accounts_warranty_is_404(outsider_client, approved):
    assert_envelope(outsider_client.get(f"/api/v1/warranties/{approved.pk}"), 404)
    assert_envelope(outsider_client.get(f"/api/v1/warranties/{approved.pk}/claims"), 404)


# --- POST /warranties/{id}/claims ------------------------------------------------------------------


def test_a_claim_is_submitted_and_measured_on_the_holdout(owner_client, approved, holdout):
    response = file_claim(owner_client, approved.pk, holdout.pk, evidence="Our model got 0.70 in production.")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"].startswith("clm_") and body["holdout_dataset_id"] == holdout.pk
    assert body["evidence"] == "Our model got 0.70 in production."
    claim = Claim.objects.get(pk=body["id"])
    # The test queue runs in-process: by now the job has measured it.
    assert claim.status == Claim.Status.MEASURED and 0 <= claim.observed_value <= 1
    assert claim.measurement["n_holdout"] == 200 and claim.measurement["protocol"]
    listed = owner_client.get(f"/api/v1/warranties/{approved.pk}/claims").json()["data"]
    assert [row["id"] for row in listed] == [claim.pk] and listed[0]["observed_value"] == claim.observed_value


def test_a_claim_queues_one_measuring_job(owner_client, approved, holdout, queued):
    body = file_claim(owner_client, approved.pk, holdout.pk).json()
    assert body["status"] == "submitted" and queued == [body["id"]]


def test_one_open_claim_at_a_time(owner_client, approved, holdout, queued):
    assert file_claim(owner_client, approved.pk, holdout.pk).status_code == 201
    error = assert_envelope(file_claim(owner_client, approved.pk, holdout.pk), 409)
    assert "open claim" in error["message"] and Claim.objects.count() == 1


def test_a_claim_on_a_pending_warranty_is_a_conflict(owner_client, pending, holdout):
    assert_envelope(file_claim(owner_client, pending.pk, holdout.pk), 409)


def test_a_claim_on_an_expired_warranty_is_a_conflict(owner_client, approved, holdout):
    from django.utils import timezone

    Warranty.objects.filter(pk=approved.pk).update(expires_at=timezone.now())
    error = assert_envelope(file_claim(owner_client, approved.pk, holdout.pk), 409)
    assert "expired" in error["message"] and Claim.objects.count() == 0


def test_a_holdout_that_is_not_ready_is_a_conflict(owner, owner_client, approved):
    processing = labelled_dataset(owner, status=Dataset.Status.PROCESSING, sha256="", row_count=None)
    assert_envelope(file_claim(owner_client, approved.pk, processing.pk), 409)


def test_the_validated_file_itself_is_not_a_holdout(owner_client, approved):
    error = assert_envelope(file_claim(owner_client, approved.pk, approved.validation.dataset_id), 422)
    assert "holdout_dataset_id" in error["details"]


def test_a_holdout_without_the_target_column_is_422(owner, owner_client, approved):
    other = labelled_dataset(owner, columns=[{"name": "x1", "dtype": "float", "null_fraction": 0, "distinct": 9}])
    assert_envelope(file_claim(owner_client, approved.pk, other.pk), 422)


def test_another_accounts_holdout_is_404_naming_the_field(outsider, owner_client, approved):
    theirs = labelled_dataset(outsider)
    error = assert_envelope(file_claim(owner_client, approved.pk, theirs.pk), 404)
    assert "holdout_dataset_id" in error["details"] and Claim.objects.count() == 0


def test_an_outsider_cannot_claim_on_my_warranty_even_with_their_own_holdout(outsider, outsider_client, approved):
    assert_envelope(file_claim(outsider_client, approved.pk, labelled_dataset(outsider).pk), 404)


def test_a_claim_without_a_holdout_is_422(owner_client, approved):
    error = assert_envelope(owner_client.post(f"/api/v1/warranties/{approved.pk}/claims", {}, format="json"), 422)
    assert "holdout_dataset_id" in error["details"]


def test_the_schema_documents_the_warranty_endpoints(owner_client):
    paths = owner_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert {"/api/v1/warranties", "/api/v1/warranties/{warranty_id}", "/api/v1/warranties/{warranty_id}/claims"} <= set(
        paths
    )
