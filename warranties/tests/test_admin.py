"""Staff in the admin: the warranty review page and its actions, the claim decision page and its."""

from datetime import timedelta

import pytest
from django.contrib.admin.utils import quote
from django.utils import timezone

from billing.tests.test_ledger import assert_ledger_matches
from validations.tests.helpers import balance, ledger
from warranties import services
from warranties.models import Claim, Warranty

pytestmark = pytest.mark.django_db


def approve_form(**overrides):
    return {
        "guaranteed_value": "0.77",
        "coverage_credits": "900",
        "expires_at": (timezone.now() + timedelta(days=60)).strftime("%Y-%m-%d %H:%M"),
        "conditions": "Logistic regression on the whole validated file; accuracy on fresh rows.",
        "note": "",
        **overrides,
    }


def measured(approved, holdout, queued) -> Claim:
    claim = services.claim_submit(warranty=approved, holdout_dataset_id=holdout.pk)
    queued.run_all()
    return Claim.objects.get(pk=claim.pk)


def test_the_review_page_shows_the_report_summary_prediction_and_terms(staff_client, pending):
    page = staff_client.get(f"/admin/warranties/warranty/{quote(pending.pk)}/change/").content.decode()
    assert "82 / 100" in page and "0.12 (low)" in page
    assert "0.840" in page and "0.790 – 0.880" in page and "90% interval" in page
    assert "n=25: 0.660" in page and "n=150: 0.810" in page
    assert 'id="warranty-approve-form"' in page and 'id="warranty-reject-form"' in page
    assert 'name="_save"' not in page


def test_staff_approve_with_edited_terms_and_the_customer_is_emailed(staff_client, pending, mailoutbox):
    response = staff_client.post(
        f"/admin/warranties/warranty/{quote(pending.pk)}/approve/", approve_form(), follow=True
    )
    assert "Warranty approved" in response.content.decode()
    warranty = Warranty.objects.get(pk=pending.pk)
    assert warranty.status == "approved" and (warranty.guaranteed_value, warranty.coverage_credits) == (0.77, 900)
    assert warranty.conditions.startswith("Logistic regression")
    assert len(mailoutbox) == 1 and "approved" in mailoutbox[0].subject


def test_bad_terms_are_refused_with_a_message(staff_client, pending):
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    response = staff_client.post(
        f"/admin/warranties/warranty/{quote(pending.pk)}/approve/", approve_form(expires_at=past), follow=True
    )
    assert "were not approved" in response.content.decode()
    assert Warranty.objects.get(pk=pending.pk).status == "pending_review"


def test_staff_reject_refunds_and_emails_the_reason(owner, staff_client, pending, mailoutbox):
    response = staff_client.post(
        f"/admin/warranties/warranty/{quote(pending.pk)}/reject/", {"reason": "The target leaks into x1."}, follow=True
    )
    assert "credits were refunded" in response.content.decode()
    assert Warranty.objects.get(pk=pending.pk).status == "rejected"
    assert ledger(owner, pending.pk) == [("warranty_charge", -100), ("refund", 100)]
    assert_ledger_matches(owner)
    assert len(mailoutbox) == 1 and "leaks into x1" in mailoutbox[0].body


def test_a_rejection_without_a_reason_changes_nothing(staff_client, pending):
    response = staff_client.post(f"/admin/warranties/warranty/{quote(pending.pk)}/reject/", {"reason": ""}, follow=True)
    assert "Give the customer a reason" in response.content.decode()
    assert Warranty.objects.get(pk=pending.pk).status == "pending_review"


def test_an_illegal_move_shows_a_clear_error(staff_client, approved):
    response = staff_client.post(
        f"/admin/warranties/warranty/{quote(approved.pk)}/reject/", {"reason": "Changed my mind."}, follow=True
    )
    assert "only a pending one can be rejected" in response.content.decode()
    assert Warranty.objects.get(pk=approved.pk).status == "approved"


def test_the_claim_page_shows_both_numbers_and_the_protocol(staff_client, approved, holdout, queued):
    claim = measured(approved, holdout, queued)
    page = staff_client.get(f"/admin/warranties/claim/{quote(claim.pk)}/change/").content.decode()
    assert f"{approved.guaranteed_value:.4f}" in page and f"{claim.observed_value:.4f}" in page
    assert claim.measurement["protocol"][:30] in page
    assert 'id="claim-approve-form"' in page


def test_approving_a_claim_twice_pays_once(owner, staff_client, approved, holdout, queued, mailoutbox):
    claim = measured(approved, holdout, queued)
    mailoutbox.clear()
    before = balance(owner)
    url = f"/admin/warranties/claim/{quote(claim.pk)}/approve/"
    first = staff_client.post(url, {"note": ""}, follow=True).content.decode()
    second = staff_client.post(url, {"note": ""}, follow=True).content.decode()
    assert "Claim approved" in first and "only a measured claim can be approved" in second
    assert balance(owner) == before + approved.coverage_credits
    assert ledger(owner, claim.pk) == [("claim_payout", approved.coverage_credits)]
    assert_ledger_matches(owner)
    assert Warranty.objects.get(pk=approved.pk).status == "claimed"
    assert len(mailoutbox) == 1


def test_staff_reject_a_claim_with_a_reason(staff_client, approved, holdout, queued, mailoutbox):
    claim = measured(approved, holdout, queued)
    mailoutbox.clear()
    staff_client.post(f"/admin/warranties/claim/{quote(claim.pk)}/reject/", {"reason": "Different source."})
    assert Claim.objects.get(pk=claim.pk).status == "rejected"
    assert Warranty.objects.get(pk=approved.pk).status == "approved"
    assert len(mailoutbox) == 1 and "Different source." in mailoutbox[0].body


def test_the_lists_and_non_staff(client, owner, staff_client, approved):
    assert staff_client.get("/admin/warranties/warranty/").status_code == 200
    assert staff_client.get("/admin/warranties/claim/").status_code == 200
    client.force_login(owner)
    response = client.post(f"/admin/warranties/warranty/{quote(approved.pk)}/reject/", {"reason": "x"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Warranty.objects.get(pk=approved.pk).status == "approved"
