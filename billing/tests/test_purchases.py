import json
import threading
import time
import urllib.error
import urllib.request

import pytest
import stripe
from django.db import connections

from accounts.tests.test_api_auth import assert_envelope
from billing.models import CreditAccount, CreditPackage, CreditTransaction, Purchase, StripeEvent, TierChange
from billing.services import credits_charge
from billing.tests.conftest import WEBHOOK_SECRET, event, signed_headers

pytestmark = pytest.mark.django_db

WEBHOOK = "/api/v1/billing/stripe/webhook"


def starter() -> CreditPackage:
    # Seeded by a data migration; transactional tests flush it, so re-create it when gone.
    package, _ = CreditPackage.objects.get_or_create(
        name="Starter", defaults={"credits": 500, "price_cents": 4900, "currency": "usd", "sort_order": 10}
    )
    return package


def buy(client, package=None):
    return client.post("/api/v1/credits/purchase", {"package_id": (package or starter()).id}, format="json")


def paid_session(purchase: Purchase, **overrides) -> dict:
    return {
        "id": purchase.stripe_session_id,
        "object": "checkout.session",
        "payment_status": "paid",
        "status": "complete",
        "client_reference_id": purchase.id,
        "metadata": {"purchase_id": purchase.id},
        "payment_intent": f"pi_{purchase.id}",
        **overrides,
    }


def deliver(client, payload: dict, **headers):
    body = json.dumps(payload)
    return client.post(WEBHOOK, data=body, content_type="application/json", **(headers or signed_headers(body)))


def balance(user) -> int:
    return CreditAccount.objects.get(user=user).balance


# --- Checkout --------------------------------------------------------------------------------


def test_purchase_without_stripe_configured_is_a_503_that_says_so(owner_client, settings):
    settings.STRIPE_SECRET_KEY = ""
    error = assert_envelope(buy(owner_client), 503)
    assert "not configured" in error["message"]
    assert not Purchase.objects.exists()


def test_purchase_creates_a_checkout_session_for_the_package(owner_client, owner, stripe_api):
    response = buy(owner_client)
    assert response.status_code == 201, response.content
    body = response.json()
    purchase = Purchase.objects.get(pk=body["purchase_id"])
    assert body["session_id"] == purchase.stripe_session_id and body["checkout_url"].startswith(
        "https://checkout.stripe.com/"
    )
    (session_call,) = stripe_api.calls_to("/v1/checkout/sessions")
    params = session_call["params"]
    assert params["mode"] == "payment"
    assert params["line_items[0][price_data][unit_amount]"] == "4900"
    assert params["line_items[0][price_data][currency]"] == "usd"
    assert params["client_reference_id"] == purchase.id and params["metadata[purchase_id]"] == purchase.id
    assert params["success_url"].endswith(f"/credits/success/?purchase={purchase.id}")
    assert "/credits/cancel/" in params["cancel_url"]
    assert session_call["headers"]["Idempotency-Key"] == f"checkout-{purchase.id}"
    # The customer was created on localstripe over real HTTP, once per account.
    customer_id = CreditAccount.objects.get(user=owner).stripe_customer_id
    assert customer_id.startswith("cus_") and params["customer"] == customer_id
    assert (purchase.status, purchase.credits, purchase.price_cents) == ("pending", 500, 4900)
    assert balance(owner) == 100, "a checkout session grants nothing by itself"


def test_one_stripe_customer_per_account(owner_client, owner, stripe_api):
    buy(owner_client)
    buy(owner_client)
    assert len(stripe_api.calls_to("/v1/customers")) == 1
    assert len(stripe_api.calls_to("/v1/checkout/sessions")) == 2


def test_a_package_from_the_catalogue_uses_its_stripe_price(owner_client, stripe_api):
    package = starter()
    package.stripe_price_id = "price_123"
    package.save()
    buy(owner_client, package)
    params = stripe_api.calls_to("/v1/checkout/sessions")[0]["params"]
    assert params["line_items[0][price]"] == "price_123" and "line_items[0][price_data][unit_amount]" not in params


def test_an_unknown_or_retired_package_is_a_404_naming_the_field(owner_client, stripe_api):
    retired = CreditPackage.objects.create(name="Old", credits=5, price_cents=100, is_active=False)
    for package_id in ["pkg_nope", retired.id]:
        error = assert_envelope(
            owner_client.post("/api/v1/credits/purchase", {"package_id": package_id}, format="json"), 404
        )
        assert "package_id" in error["message"]
    assert stripe_api.requests == []


def test_purchase_needs_authentication(anon_client):
    assert_envelope(anon_client.post("/api/v1/credits/purchase", {"package_id": "x"}, format="json"), 401)


def test_purchases_list_only_the_callers_own(owner_client, outsider_client, stripe_api):
    buy(owner_client)
    assert len(owner_client.get("/api/v1/credits/purchases").json()["data"]) == 1
    assert outsider_client.get("/api/v1/credits/purchases").json()["data"] == []


# --- Webhook: grants ---------------------------------------------------------------------------


@pytest.fixture
def pending_purchase(owner_client, stripe_api) -> Purchase:
    return Purchase.objects.get(pk=buy(owner_client).json()["purchase_id"])


def test_a_paid_session_grants_the_credits_once_and_makes_the_account_pro(client, owner, pending_purchase):
    response = deliver(client, event("checkout.session.completed", paid_session(pending_purchase)))
    assert response.status_code == 200 and response.json()["outcome"] == "granted 500 credits"
    assert balance(owner) == 600
    entry = CreditTransaction.objects.get(account__user=owner, kind="purchase")
    assert (entry.amount, entry.reference) == (500, pending_purchase.id)
    pending_purchase.refresh_from_db()
    assert (
        pending_purchase.status == "paid" and pending_purchase.stripe_payment_intent_id == f"pi_{pending_purchase.id}"
    )
    account = CreditAccount.objects.get(user=owner)
    assert account.tier == "pro"
    assert TierChange.objects.get(account=account).to_tier == "pro"


def test_ten_replays_of_one_event_grant_once(client, owner, pending_purchase):
    payload = event("checkout.session.completed", paid_session(pending_purchase), event_id="evt_replayed")
    outcomes = [deliver(client, payload).json()["outcome"] for _ in range(10)]
    assert outcomes[0] == "granted 500 credits" and set(outcomes[1:]) == {"duplicate event: already processed"}
    assert balance(owner) == 600 and StripeEvent.objects.filter(pk="evt_replayed").count() == 1


def test_a_second_event_for_the_same_session_grants_nothing_more(client, owner, pending_purchase):
    deliver(client, event("checkout.session.completed", paid_session(pending_purchase), event_id="evt_a"))
    again = deliver(
        client, event("checkout.session.async_payment_succeeded", paid_session(pending_purchase), event_id="evt_b")
    )
    assert again.json()["outcome"] == "already granted" and balance(owner) == 600


def test_an_unpaid_completed_session_grants_nothing_until_payment_succeeds(client, owner, pending_purchase):
    unpaid = deliver(
        client, event("checkout.session.completed", paid_session(pending_purchase, payment_status="unpaid"))
    )
    assert unpaid.json()["outcome"] == "session completed but not paid yet" and balance(owner) == 100
    deliver(client, event("checkout.session.async_payment_succeeded", paid_session(pending_purchase)))
    assert balance(owner) == 600


def test_an_expired_session_marks_the_purchase_expired(client, owner, pending_purchase):
    session = {"id": pending_purchase.stripe_session_id, "object": "checkout.session", "status": "expired"}
    assert deliver(client, event("checkout.session.expired", session)).json()["outcome"] == "purchase expired"
    pending_purchase.refresh_from_db()
    assert pending_purchase.status == "expired" and balance(owner) == 100


def test_the_success_redirect_grants_nothing(client, owner, pending_purchase):
    client.force_login(owner)
    client.get(f"/credits/success/?purchase={pending_purchase.id}")
    assert balance(owner) == 100


def test_an_enterprise_account_stays_enterprise_after_buying(client, owner, pending_purchase):
    from billing.services import tier_change

    tier_change(user=owner, to_tier="enterprise", reason="contract")
    deliver(client, event("checkout.session.completed", paid_session(pending_purchase)))
    assert CreditAccount.objects.get(user=owner).tier == "enterprise"


# --- Webhook: signatures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "tamper",
    ["body", "signature", "stale", "missing", "other_secret"],
)
def test_a_bad_signature_is_a_400_and_grants_nothing(client, owner, pending_purchase, tamper):
    payload = json.dumps(event("checkout.session.completed", paid_session(pending_purchase)))
    headers = signed_headers(payload)
    if tamper == "body":
        payload = payload.replace('"paid"', '"paid" ', 1)
    elif tamper == "signature":
        headers["HTTP_STRIPE_SIGNATURE"] = headers["HTTP_STRIPE_SIGNATURE"][:-4] + "0000"
    elif tamper == "stale":
        headers = signed_headers(payload, timestamp=int(time.time()) - 3600)
    elif tamper == "missing":
        headers = {}
    elif tamper == "other_secret":
        headers = signed_headers(payload, secret="whsec_someone_else")
    response = client.post(WEBHOOK, data=payload, content_type="application/json", **headers)
    assert_envelope(response, 400)
    assert balance(owner) == 100 and not StripeEvent.objects.exists()


def test_without_a_webhook_secret_every_delivery_is_refused(client, owner, pending_purchase, settings):
    payload = json.dumps(event("checkout.session.completed", paid_session(pending_purchase)))
    headers = signed_headers(payload)
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert_envelope(client.post(WEBHOOK, data=payload, content_type="application/json", **headers), 400)
    assert balance(owner) == 100


# --- Webhook: refunds ----------------------------------------------------------------------------


def refund_event(purchase: Purchase, amount_refunded: int, event_id: str) -> dict:
    charge = {
        "id": f"ch_{purchase.id}",
        "object": "charge",
        "payment_intent": f"pi_{purchase.id}",
        "amount": purchase.price_cents,
        "amount_refunded": amount_refunded,
        "metadata": {"purchase_id": purchase.id},
    }
    return event("charge.refunded", charge, event_id=event_id)


def test_a_refund_takes_the_credits_back(client, owner, pending_purchase):
    deliver(client, event("checkout.session.completed", paid_session(pending_purchase)))
    deliver(client, refund_event(pending_purchase, 4900, "evt_refund"))
    assert balance(owner) == 100
    reversal = CreditTransaction.objects.get(account__user=owner, kind="purchase_reversal")
    assert reversal.amount == -500
    assert CreditAccount.objects.get(user=owner).owed == 0


def test_a_partial_then_full_refund_reverses_in_proportion(client, owner, pending_purchase):
    deliver(client, event("checkout.session.completed", paid_session(pending_purchase)))
    deliver(client, refund_event(pending_purchase, 2450, "evt_half"))
    assert balance(owner) == 350
    deliver(client, refund_event(pending_purchase, 4900, "evt_full"))
    assert balance(owner) == 100


def test_credits_already_spent_are_owed_and_settled_from_the_next_purchase(
    client, owner, owner_client, pending_purchase
):
    deliver(client, event("checkout.session.completed", paid_session(pending_purchase)))
    credits_charge(user=owner, amount=550, kind="validation_charge", reference="val_spent")
    deliver(client, refund_event(pending_purchase, 4900, "evt_refund"))
    account = CreditAccount.objects.get(user=owner)
    assert (account.balance, account.owed) == (0, 450)
    second = Purchase.objects.get(pk=buy(owner_client).json()["purchase_id"])
    deliver(client, event("checkout.session.completed", paid_session(second)))
    account.refresh_from_db()
    assert (account.balance, account.owed) == (50, 0)
    settle = CreditTransaction.objects.filter(account=account, kind="purchase_reversal").order_by("-created_at").first()
    assert settle.amount == -450 and settle.reference == second.id


def test_a_refund_that_overtakes_its_payment_is_refused_until_the_payment_lands(client, owner, pending_purchase):
    early = deliver(client, refund_event(pending_purchase, 4900, "evt_early_refund"))
    assert_envelope(early, 409)
    assert not StripeEvent.objects.filter(pk="evt_early_refund").exists()
    deliver(client, event("checkout.session.completed", paid_session(pending_purchase)))
    assert deliver(client, refund_event(pending_purchase, 4900, "evt_early_refund")).status_code == 200
    assert balance(owner) == 100


# --- Live endpoint, real HTTP ---------------------------------------------------------------------


def post_live(url: str, payload: str) -> int:
    headers = {
        "Content-Type": "application/json",
        "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET),
    }
    request = urllib.request.Request(url, data=payload.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    finally:
        connections.close_all()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_of_one_event_grant_once(live_server, owner, owner_client, stripe_api):
    purchase = Purchase.objects.get(pk=buy(owner_client).json()["purchase_id"])
    payload = json.dumps(event("checkout.session.completed", paid_session(purchase), event_id="evt_race"))
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def send():
        barrier.wait()
        statuses.append(post_live(f"{live_server.url}{WEBHOOK}", payload))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
    assert balance(owner) == 600
    assert CreditTransaction.objects.filter(account__user=owner, kind="purchase").count() == 1
