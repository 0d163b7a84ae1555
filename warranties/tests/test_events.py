"""Outbound webhook events of the warranty and claim decisions."""

import pytest

from synthos.webhooks.models import WebhookEvent
from synthos.webhooks.tests.factories import make_endpoint
from warranties import services
from warranties.models import Claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(owner, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    return make_endpoint(owner=owner, url="http://127.0.0.1:9/hook")


def test_approving_emits_warranty_approved_with_the_terms(endpoint, owner, pending, staff):
    services.warranty_approve(warranty=pending, staff_user=staff)
    event = WebhookEvent.objects.get(owner=owner, type="warranty.approved")
    assert event.data["id"] == pending.id and event.data["status"] == "approved"
    assert event.data["guaranteed_value"] == pending.guaranteed_value and event.deliveries.count() == 1


def test_rejecting_emits_warranty_rejected_with_the_reason(endpoint, owner, pending, staff):
    services.warranty_reject(warranty=pending, staff_user=staff, reason="Prediction interval too wide.")
    event = WebhookEvent.objects.get(owner=owner, type="warranty.rejected")
    assert event.data["status"] == "rejected" and event.data["review_note"] == "Prediction interval too wide."


def test_a_claim_decision_emits_claim_decided(endpoint, owner, approved, staff, holdout, queued):
    claim = services.claim_submit(warranty=approved, holdout_dataset_id=holdout.pk)
    queued.run_all()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.MEASURED
    services.claim_reject(claim=claim, staff_user=staff, reason="Observed value is above the guarantee.")
    event = WebhookEvent.objects.get(owner=owner, type="claim.decided")
    assert event.data["id"] == claim.id and event.data["status"] == "rejected"
    assert event.data["observed_value"] == claim.observed_value


def test_no_endpoint_no_event(owner, pending, staff):
    services.warranty_approve(warranty=pending, staff_user=staff)
    assert not WebhookEvent.objects.exists()
