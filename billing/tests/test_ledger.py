import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum

from billing import pricing
from billing.models import CreditAccount, CreditTransaction, TransactionKind
from billing.services import credits_adjust, credits_charge, credits_grant, credits_refund, welcome_grant
from synthos.errors import InsufficientCredits, InvalidInput


def ledger_sum(user) -> int:
    return CreditTransaction.objects.filter(account__user=user).aggregate(total=Sum("amount"))["total"] or 0


def assert_ledger_matches(user):
    account = CreditAccount.objects.get(user=user)
    assert account.balance == ledger_sum(user)
    latest = CreditTransaction.objects.filter(account=account).order_by("-created_at").first()
    if latest:
        assert latest.balance_after == account.balance


def test_the_price_table_matches_the_docs_page():
    assert pricing.VALIDATION_COSTS == {"quick": 10, "standard": 25, "comprehensive": 50}
    assert pricing.WARRANTY_REQUEST == 100


def test_grant_charge_refund_each_write_one_entry(make_user, password):
    user = make_user(email="ledger@example.com", password=password, balance=0)
    credits_grant(user=user, amount=50, reference="gift")
    charge = credits_charge(user=user, amount=25, kind=TransactionKind.VALIDATION_CHARGE, reference="val_1")
    credits_refund(user=user, amount=25, reference="val_1")
    kinds = list(
        CreditTransaction.objects.filter(account__user=user).order_by("created_at").values_list("kind", "amount")
    )
    assert kinds == [("grant", 50), ("validation_charge", -25), ("refund", 25)]
    assert charge.balance_after == 25
    assert CreditAccount.objects.get(user=user).balance == 50
    assert_ledger_matches(user)


def test_it_refuses_a_charge_larger_than_the_balance(make_user, password):
    user = make_user(email="short@example.com", password=password, balance=9)
    with pytest.raises(InsufficientCredits) as error:
        credits_charge(user=user, amount=10, kind=TransactionKind.VALIDATION_CHARGE)
    assert "costs 10 credits" in error.value.message and "balance is 9" in error.value.message
    assert CreditAccount.objects.get(user=user).balance == 9
    assert CreditTransaction.objects.filter(account__user=user).count() == 1
    assert_ledger_matches(user)


def test_the_database_itself_refuses_a_negative_balance(make_user, password):
    from django.db import IntegrityError, transaction

    user = make_user(email="neg@example.com", password=password, balance=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditAccount.objects.filter(user=user).update(balance=-1)


def test_welcome_grant_is_given_once(make_user, password, settings):
    settings.WELCOME_CREDITS = 100
    user = make_user(email="welcome@example.com", password=password, balance=0)
    assert welcome_grant(user=user).amount == 100
    assert welcome_grant(user=user) is None
    assert CreditAccount.objects.get(user=user).balance == 100


def test_adjustment_needs_a_reason_and_cannot_overdraw(make_user, staff, password):
    user = make_user(email="adj@example.com", password=password, balance=10)
    with pytest.raises(InvalidInput):
        credits_adjust(user=user, amount=5, reason=" ", staff_user=staff)
    with pytest.raises(InvalidInput):
        credits_adjust(user=user, amount=-11, reason="too much", staff_user=staff)
    entry = credits_adjust(user=user, amount=-4, reason="duplicate grant", staff_user=staff)
    assert (entry.kind, entry.amount, entry.created_by, entry.description) == (
        "adjustment",
        -4,
        staff,
        "duplicate grant",
    )
    assert_ledger_matches(user)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_charges_on_a_balance_for_seven_let_exactly_seven_through(make_user, password):
    user = make_user(email="race@example.com", password=password, balance=70)
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def charge():
        try:
            barrier.wait()
            credits_charge(user=user, amount=10, kind=TransactionKind.VALIDATION_CHARGE)
            result = "ok"
        except InsufficientCredits:
            result = "402"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=charge) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert connection.vendor == "postgresql"
    assert outcomes.count("ok") == 7 and outcomes.count("402") == 13
    assert CreditAccount.objects.get(user=user).balance == 0
    assert_ledger_matches(user)
    balances = CreditTransaction.objects.filter(account__user=user).values_list("balance_after", flat=True)
    assert min(balances) >= 0
