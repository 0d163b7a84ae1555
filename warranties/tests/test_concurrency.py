"""Double clicks and retries at the same instant: one wins, the other is a Conflict, money moves once."""

import threading

import pytest
from django.db import connection

from billing.tests.test_ledger import assert_ledger_matches
from synthos.errors import Conflict
from validations.tests.helpers import ledger
from warranties import services
from warranties.models import Claim, Warranty

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(call) -> list[str]:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        try:
            barrier.wait()
            call()
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_two_simultaneous_requests_for_one_validation_charge_once(owner, validation):
    from billing.services import credits_grant

    credits_grant(user=owner, amount=100, reference="top-up")
    assert race(lambda: services.warranty_request(owner=owner, validation_id=validation.pk)) == ["conflict", "ok"]
    warranty = Warranty.objects.get()
    assert ledger(owner, warranty.pk) == [("warranty_charge", -100)]
    assert_ledger_matches(owner)


def test_two_simultaneous_claim_approvals_pay_once(owner, approved, staff, holdout, queued, mailoutbox):
    claim = services.claim_submit(warranty=approved, holdout_dataset_id=holdout.pk)
    queued.run_all()
    claim = Claim.objects.get(pk=claim.pk)
    assert race(lambda: services.claim_approve(claim=claim, staff_user=staff)) == ["conflict", "ok"]
    assert ledger(owner, claim.pk) == [("claim_payout", approved.coverage_credits)]
    assert_ledger_matches(owner)


def test_two_simultaneous_claims_on_one_warranty_open_one(owner, approved, holdout, queued):
    assert race(lambda: services.claim_submit(warranty=approved, holdout_dataset_id=holdout.pk)) == ["conflict", "ok"]
    assert Claim.objects.count() == 1
