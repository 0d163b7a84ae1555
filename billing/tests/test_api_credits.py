import pytest

from accounts.tests.test_api_auth import assert_envelope
from billing.models import CreditPackage, TransactionKind
from billing.services import credits_charge, credits_grant
from billing.tests.test_ledger import assert_ledger_matches

pytestmark = pytest.mark.django_db


def test_balance_shows_credits_and_tier(owner_client):
    assert owner_client.get("/api/v1/credits/balance").json() == {"balance": 100, "tier": "free", "owed": 0}


def test_packages_list_the_active_ones_with_exact_prices(owner_client):
    CreditPackage.objects.create(name="Retired", credits=1, price_cents=100, is_active=False)
    data = owner_client.get("/api/v1/credits/packages").json()["data"]
    assert [package["name"] for package in data] == ["Starter", "Team", "Scale"]
    starter = data[0]
    assert starter["price_cents"] == 4900 and starter["price"] == "49.00" and starter["currency"] == "usd"
    assert starter["id"].startswith("pkg_") and isinstance(starter["credits"], int)


def test_transactions_list_the_ledger_newest_first_with_cursor_pages(owner_client, owner):
    for index in range(4):
        credits_grant(user=owner, amount=10 + index, reference=f"gift-{index}")
    credits_charge(user=owner, amount=25, kind=TransactionKind.VALIDATION_CHARGE, reference="val_x")
    first = owner_client.get("/api/v1/credits/transactions?limit=2").json()
    assert [entry["amount"] for entry in first["data"]] == [-25, 13]
    assert set(first["data"][0]) == {"id", "kind", "amount", "balance_after", "reference", "description", "created"}
    assert first["data"][0]["balance_after"] == 100 + 10 + 11 + 12 + 13 - 25
    assert first["previous"] is None and "cursor=" in first["next"]
    second = owner_client.get(first["next"]).json()
    assert [entry["amount"] for entry in second["data"]] == [12, 11]
    assert_ledger_matches(owner)


def test_transactions_show_only_the_callers_ledger(owner_client, outsider):
    credits_grant(user=outsider, amount=77, reference="outsider-secret")
    references = [entry["reference"] for entry in owner_client.get("/api/v1/credits/transactions").json()["data"]]
    assert "outsider-secret" not in references and references == ["welcome"]


def test_credits_endpoints_need_authentication(anon_client):
    for path in ["/api/v1/credits/balance", "/api/v1/credits/packages", "/api/v1/credits/transactions"]:
        assert_envelope(anon_client.get(path), 401)


def test_an_api_key_reads_the_same_balance(owner, anon_client):
    from accounts.services import api_key_create

    _, raw_key = api_key_create(user=owner, name="ci")
    anon_client.credentials(HTTP_X_API_KEY=raw_key)
    assert anon_client.get("/api/v1/credits/balance").json()["balance"] == 100
