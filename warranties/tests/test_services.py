"""The warranty and claim state machines: who may move them where, what it costs, who is told."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.tests.test_ledger import assert_ledger_matches
from synthos.errors import Conflict, InvalidInput, PermissionDeniedError
from validations.tests.helpers import balance, ledger
from warranties import jobs, services
from warranties.models import Claim, Warranty
from warranties.tests.factories import eligible_validation

pytestmark = pytest.mark.django_db


def measured_claim(warranty, holdout, queued) -> Claim:
    claim = services.claim_submit(warranty=warranty, holdout_dataset_id=holdout.pk)
    queued.run_all()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.MEASURED
    return claim


# --- Review ----------------------------------------------------------------------------------------


def test_approve_with_edited_terms_emails_the_customer(pending, staff, mailoutbox):
    expires_at = timezone.now() + timedelta(days=45)
    warranty = services.warranty_approve(
        warranty=pending,
        staff_user=staff,
        guaranteed_value=0.75,
        coverage_credits=800,
        expires_at=expires_at,
        conditions="Logistic regression on the whole file; accuracy on at least 100 fresh rows.",
        note="Lowered the floor a little for the small file.",
    )
    warranty.refresh_from_db()
    assert warranty.status == "approved" and warranty.reviewed_by == staff and warranty.reviewed_at
    assert (warranty.guaranteed_value, warranty.coverage_credits, warranty.expires_at) == (0.75, 800, expires_at)
    assert warranty.proposed_terms["guaranteed_value"] == pytest.approx(0.79)
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [pending.owner.email]
    assert "approved" in mailoutbox[0].subject and "0.750" in mailoutbox[0].body and "800 credits" in mailoutbox[0].body
    assert "Lowered the floor" in mailoutbox[0].body and "0.750" in mailoutbox[0].alternatives[0][0]


def test_approve_refuses_terms_that_make_no_sense(pending, staff):
    with pytest.raises(InvalidInput):
        services.warranty_approve(warranty=pending, staff_user=staff, guaranteed_value=1.4)
    with pytest.raises(InvalidInput):
        services.warranty_approve(warranty=pending, staff_user=staff, expires_at=timezone.now() - timedelta(days=1))
    assert Warranty.objects.get(pk=pending.pk).status == "pending_review"


def test_reject_refunds_the_request_and_emails_the_reason(owner, pending, staff, mailoutbox):
    assert balance(owner) == 0
    services.warranty_reject(warranty=pending, staff_user=staff, reason="The file is too small to warrant.")
    pending.refresh_from_db()
    assert pending.status == "rejected" and pending.credits_refunded == 100
    assert ledger(owner, pending.pk) == [("warranty_charge", -100), ("refund", 100)]
    assert balance(owner) == 100
    assert_ledger_matches(owner)
    assert len(mailoutbox) == 1 and "too small to warrant" in mailoutbox[0].body and "100 credits" in mailoutbox[0].body


def test_reject_needs_a_reason(pending, staff):
    with pytest.raises(InvalidInput):
        services.warranty_reject(warranty=pending, staff_user=staff, reason="  ")


@pytest.mark.parametrize("first", ["approve", "reject"])
def test_a_reviewed_warranty_cannot_be_reviewed_again(owner, pending, staff, first, mailoutbox):
    if first == "approve":
        services.warranty_approve(warranty=pending, staff_user=staff)
    else:
        services.warranty_reject(warranty=pending, staff_user=staff, reason="No.")
    with pytest.raises(Conflict):
        services.warranty_approve(warranty=pending, staff_user=staff)
    with pytest.raises(Conflict):
        services.warranty_reject(warranty=pending, staff_user=staff, reason="No again.")
    assert len(mailoutbox) == 1
    assert_ledger_matches(owner)
    assert len(ledger(owner, pending.pk)) == (1 if first == "approve" else 2)


def test_only_staff_review(owner, pending):
    with pytest.raises(PermissionDeniedError):
        services.warranty_approve(warranty=pending, staff_user=owner)


# --- Expiry ----------------------------------------------------------------------------------------


def test_the_expiry_task_expires_only_approved_warranties_past_their_date(owner, approved):
    from billing.services import credits_grant
    from warranties.tasks import warranties_expire_task

    credits_grant(user=owner, amount=100, reference="top-up")
    pending = services.warranty_request(owner=owner, validation_id=eligible_validation(owner).pk)

    assert warranties_expire_task() == 0
    Warranty.objects.filter(pk__in=[approved.pk, pending.pk]).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert warranties_expire_task() == 1
    approved.refresh_from_db()
    assert approved.status == "expired" and approved.expired_at
    assert [step["status"] for step in approved.timeline] == ["pending_review", "approved", "expired"]
    assert Warranty.objects.get(pk=pending.pk).status == "pending_review"
    assert warranties_expire_task() == 0


def test_the_schedules_exist_after_migrate():
    from django_q.models import Schedule

    funcs = set(Schedule.objects.values_list("func", flat=True))
    assert {"warranties.tasks.warranties_expire_task", "warranties.tasks.claims_sweep_task"} <= funcs


def test_an_expired_warranty_cannot_be_claimed(approved, holdout):
    Warranty.objects.filter(pk=approved.pk).update(status="expired", expired_at=timezone.now())
    with pytest.raises(Conflict):
        services.claim_submit(warranty=approved, holdout_dataset_id=holdout.pk)


# --- Claims ----------------------------------------------------------------------------------------


def test_approving_a_claim_pays_the_coverage_once_and_emails(owner, approved, staff, holdout, queued, mailoutbox):
    claim = measured_claim(approved, holdout, queued)
    mailoutbox.clear()
    before = balance(owner)
    services.claim_approve(claim=claim, staff_user=staff, note="Confirmed.")
    with pytest.raises(Conflict):
        services.claim_approve(claim=claim, staff_user=staff)
    claim.refresh_from_db()
    approved.refresh_from_db()
    assert (
        claim.status == "approved" and claim.payout_credits == approved.coverage_credits and claim.decided_by == staff
    )
    assert approved.status == "claimed" and approved.claimed_at
    assert ledger(owner, claim.pk) == [("claim_payout", approved.coverage_credits)]
    assert balance(owner) == before + approved.coverage_credits
    assert_ledger_matches(owner)
    assert len(mailoutbox) == 1 and f"{approved.coverage_credits} credits" in mailoutbox[0].subject


def test_a_claim_filed_twice_pays_once(owner, approved, staff, holdout, queued):
    claim = measured_claim(approved, holdout, queued)
    with pytest.raises(Conflict):
        services.claim_submit(warranty=approved, holdout_dataset_id=holdout.pk)
    services.claim_approve(claim=claim, staff_user=staff)
    with pytest.raises(Conflict):
        services.claim_submit(warranty=approved, holdout_dataset_id=holdout.pk)
    payouts = [kind for kind, _ in ledger(owner, claim.pk)]
    assert payouts == ["claim_payout"] and Claim.objects.count() == 1


def test_a_stale_copy_of_an_approved_claim_cannot_pay_again(owner, approved, staff, holdout, queued):
    claim = measured_claim(approved, holdout, queued)
    stale = Claim.objects.get(pk=claim.pk)
    services.claim_approve(claim=claim, staff_user=staff)
    with pytest.raises(Conflict):
        services.claim_approve(claim=stale, staff_user=staff)
    assert len(ledger(owner, claim.pk)) == 1


def test_rejecting_a_claim_emails_the_reason_and_keeps_the_warranty(approved, staff, holdout, queued, mailoutbox):
    claim = measured_claim(approved, holdout, queued)
    mailoutbox.clear()
    services.claim_reject(claim=claim, staff_user=staff, reason="The holdout is from another source.")
    claim.refresh_from_db()
    approved.refresh_from_db()
    assert claim.status == "rejected" and approved.status == "approved"
    assert len(mailoutbox) == 1 and "another source" in mailoutbox[0].body
    with pytest.raises(Conflict):
        services.claim_approve(claim=claim, staff_user=staff)
    # The warranty is still in force: another claim may be filed.
    assert services.claim_submit(warranty=approved, holdout_dataset_id=holdout.pk).status == "submitted"


def test_a_claim_not_yet_measured_cannot_be_decided(approved, staff, holdout, queued):
    claim = services.claim_submit(warranty=approved, holdout_dataset_id=holdout.pk)
    with pytest.raises(Conflict):
        services.claim_approve(claim=claim, staff_user=staff)
    with pytest.raises(Conflict):
        services.claim_reject(claim=claim, staff_user=staff, reason="Too early.")


def test_a_measured_claim_can_still_be_paid_after_the_warranty_expired(owner, approved, staff, holdout, queued):
    claim = measured_claim(approved, holdout, queued)
    Warranty.objects.filter(pk=approved.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    services.warranties_expire()
    services.claim_approve(claim=claim, staff_user=staff)
    assert Warranty.objects.get(pk=approved.pk).status == "claimed"


def test_the_sweeper_fails_a_claim_whose_worker_died(approved, holdout, queued, settings):
    claim = services.claim_submit(warranty=approved, holdout_dataset_id=holdout.pk)
    long_ago = timezone.now() - timedelta(seconds=settings.Q_CLUSTER["timeout"] + 120)
    Claim.objects.filter(pk=claim.pk).update(status="measuring", started_at=long_ago, attempts=1)
    assert jobs.claims_sweep() == 1
    claim.refresh_from_db()
    assert claim.status == "failed" and "File the claim again" in claim.error


# --- Deletion --------------------------------------------------------------------------------------


def test_closing_the_account_erases_the_datasets_and_keeps_the_warranty_record(
    owner, owner_client, password, approved, holdout, queued
):
    claim = services.claim_submit(warranty=approved, holdout_dataset_id=holdout.pk)
    response = owner_client.delete("/api/v1/auth/me", {"password": password}, format="json")
    assert response.status_code in (200, 204), response.content
    claim.refresh_from_db()
    assert claim.holdout_dataset is None and claim.holdout_dataset_name == holdout.name
    assert Warranty.objects.filter(pk=approved.pk).exists()


def test_deleting_a_user_deletes_their_warranties_and_claims(owner, approved, holdout, queued):
    services.claim_submit(warranty=approved, holdout_dataset_id=holdout.pk)
    owner.delete()
    assert Warranty.objects.count() == 0 and Claim.objects.count() == 0


def test_a_warranted_validation_cannot_be_deleted_on_its_own(approved):
    from django.db.models import RestrictedError

    with pytest.raises(RestrictedError):
        approved.validation.delete()


def test_a_holdout_under_200_rows_is_not_evidence(approved, owner):
    from warranties.tests.factories import labelled_dataset

    small = labelled_dataset(owner, name="Too few rows", rows=150, seed=3)
    with pytest.raises(InvalidInput) as error:
        services.claim_submit(warranty=approved, holdout_dataset_id=small.pk)
    assert "150 rows" in error.value.message and "at least 200" in error.value.message
    assert not Claim.objects.exists()
