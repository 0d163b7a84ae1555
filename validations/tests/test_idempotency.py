"""Idempotency-Key on POST /validations: the first response replayed for 24 h, charged once."""

from datetime import timedelta

import pytest

from datasets.tests.helpers import assert_envelope
from validations.models import IdempotencyKey, Validation
from validations.tests.helpers import balance, ledger_sum, ready_dataset

pytestmark = pytest.mark.django_db


def post(client, body, key):
    return client.post("/api/v1/validations", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_key_and_body_returns_the_first_response_and_charges_once(owner_client, owner, dataset, queued):
    body = {"dataset_id": dataset.pk, "tier": "standard"}
    first = post(owner_client, body, "retry-me-1")
    second = post(owner_client, body, "retry-me-1")
    assert first.status_code == second.status_code == 202
    assert second.json() == first.json() and second["Idempotent-Replayed"] == "true"
    assert Validation.objects.count() == 1 and queued == [first.json()["id"]]
    assert balance(owner) == 75 and ledger_sum(owner) == 75


def test_the_same_key_with_another_body_is_409(owner_client, owner, dataset, queued):
    post(owner_client, {"dataset_id": dataset.pk, "tier": "quick"}, "key-2")
    error = assert_envelope(post(owner_client, {"dataset_id": dataset.pk, "tier": "standard"}, "key-2"), 409)
    assert "Idempotency-Key" in error["message"] and "different request body" in error["message"]
    assert Validation.objects.count() == 1 and balance(owner) == 90


def test_a_key_is_per_account(owner_client, outsider_client, owner, outsider, dataset, queued):
    theirs = ready_dataset(outsider)
    assert post(owner_client, {"dataset_id": dataset.pk, "tier": "quick"}, "shared").status_code == 202
    assert post(outsider_client, {"dataset_id": theirs.pk, "tier": "quick"}, "shared").status_code == 202
    assert balance(owner) == 90 and balance(outsider) == 90


def test_a_refused_request_stores_nothing_so_the_key_can_be_retried(make_user, password, client_for, queued):
    poor = make_user(email="poor@example.com", password=password, balance=5)
    dataset = ready_dataset(poor)
    client = client_for(poor)
    body = {"dataset_id": dataset.pk, "tier": "quick"}
    assert_envelope(post(client, body, "after-top-up"), 402)
    assert not IdempotencyKey.objects.exists()
    from billing.services import credits_grant

    credits_grant(user=poor, amount=10, reference="top-up")
    assert post(client, body, "after-top-up").status_code == 202
    assert balance(poor) == 5


def test_a_key_older_than_24_hours_starts_a_new_validation(owner_client, owner, dataset, queued):
    body = {"dataset_id": dataset.pk, "tier": "quick"}
    first = post(owner_client, body, "old-key").json()
    IdempotencyKey.objects.update(created_at=IdempotencyKey.objects.get().created_at - timedelta(hours=25))
    second = post(owner_client, body, "old-key").json()
    assert second["id"] != first["id"] and balance(owner) == 80


def test_a_malformed_key_is_422(owner_client, dataset, queued):
    assert_envelope(post(owner_client, {"dataset_id": dataset.pk, "tier": "quick"}, "x" * 256), 422)
