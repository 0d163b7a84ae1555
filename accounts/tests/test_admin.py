import pytest
from django.urls import reverse

from accounts.models import ApiKey
from accounts.services import api_key_create
from billing.models import CreditAccount, CreditTransaction, TierChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_staff_adjust_credits_with_a_ledger_entry_naming_them(staff_client, owner, staff):
    url = reverse("admin:accounts_user_adjust_credits", args=[owner.pk])
    response = staff_client.post(url, {"amount": "-30", "reason": "double welcome grant"})
    assert response.status_code == 302
    entry = CreditTransaction.objects.filter(account__user=owner, kind="adjustment").get()
    assert (entry.amount, entry.balance_after, entry.created_by, entry.description) == (
        -30,
        70,
        staff,
        "double welcome grant",
    )
    assert CreditAccount.objects.get(user=owner).balance == 70


def test_an_adjustment_that_would_overdraw_shows_an_error_and_changes_nothing(staff_client, owner):
    url = reverse("admin:accounts_user_adjust_credits", args=[owner.pk])
    response = staff_client.post(url, {"amount": "-500", "reason": "oops"})
    assert response.status_code == 200 and "would make it negative" in response.content.decode()
    assert CreditAccount.objects.get(user=owner).balance == 100


def test_staff_change_a_tier_with_an_audit_record_and_no_ledger_entry(staff_client, owner, staff):
    url = reverse("admin:accounts_user_change_tier", args=[owner.pk])
    assert staff_client.post(url, {"tier": "enterprise", "reason": "contract #12"}).status_code == 302
    assert CreditAccount.objects.get(user=owner).tier == "enterprise"
    change = TierChange.objects.get(account__user=owner)
    assert (change.from_tier, change.to_tier, change.changed_by, change.reason) == (
        "free",
        "enterprise",
        staff,
        "contract #12",
    )
    assert not CreditTransaction.objects.filter(account__user=owner, kind="adjustment").exists()


def test_staff_revoke_api_keys_from_the_admin(staff_client, owner):
    api_key, _ = api_key_create(user=owner, name="leaked")
    response = staff_client.post(
        reverse("admin:accounts_apikey_changelist"), {"action": "revoke", "_selected_action": [api_key.pk]}
    )
    assert response.status_code == 302
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is not None


def test_the_ledger_is_read_only_in_the_admin(staff_client, owner):
    entry = CreditTransaction.objects.filter(account__user=owner).first()
    assert staff_client.get(reverse("admin:billing_credittransaction_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:billing_credittransaction_add")).status_code == 403
    assert (
        staff_client.post(
            reverse("admin:billing_credittransaction_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert CreditTransaction.objects.filter(pk=entry.pk).exists()


def test_the_user_list_and_page_render_with_tier_and_balance(staff_client, owner):
    listing = staff_client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "owner@example.com" in listing
    page = staff_client.get(reverse("admin:accounts_user_change", args=[owner.pk])).content.decode()
    assert "Adjust credits" in page and "Change tier" in page


def test_customers_cannot_reach_the_admin_actions(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("admin:accounts_user_adjust_credits", args=[owner.pk]), {"amount": "1000", "reason": "x"}
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert CreditAccount.objects.get(user=owner).balance == 100
