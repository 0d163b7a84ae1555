import json

import pytest
from django.urls import reverse

from billing.models import CreditAccount, Purchase
from billing.tests.conftest import event, signed_headers
from billing.tests.test_purchases import WEBHOOK, paid_session, starter

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_session(client, owner):
    client.force_login(owner)
    return client


def test_buy_redirects_to_stripe_checkout(owner_session, stripe_api):
    response = owner_session.post(reverse("billing:buy"), {"package_id": starter().id})
    purchase = Purchase.objects.get()
    assert response.status_code == 302 and response["Location"] == purchase.checkout_url
    assert purchase.checkout_url.startswith("https://checkout.stripe.com/")


def test_without_stripe_the_credits_page_says_payments_are_off(owner_session, settings):
    settings.STRIPE_SECRET_KEY = ""
    page = owner_session.get(reverse("billing:credits")).content.decode()
    assert "Payments are not configured" in page and 'action="/credits/buy/"' not in page
    response = owner_session.post(reverse("billing:buy"), {"package_id": starter().id}, follow=True)
    assert "not configured" in response.content.decode() and not Purchase.objects.exists()


def test_the_success_page_waits_for_the_webhook_then_shows_the_credits(owner_session, owner, stripe_api, client):
    owner_session.post(reverse("billing:buy"), {"package_id": starter().id})
    purchase = Purchase.objects.get()
    url = f"{reverse('billing:purchase-success')}?purchase={purchase.id}"
    assert "credits arrive in a moment" in owner_session.get(url).content.decode()
    body = json.dumps(event("checkout.session.completed", paid_session(purchase)))
    client.post(WEBHOOK, data=body, content_type="application/json", **signed_headers(body))
    partial = owner_session.get(url + "&partial=1").content.decode()
    assert "500 credits added" in partial and "600" in partial


def test_another_accounts_purchase_is_not_shown(owner_session, outsider, stripe_api, client_for):
    client_for(outsider).post("/api/v1/credits/purchase", {"package_id": starter().id}, format="json")
    purchase = Purchase.objects.get()
    page = owner_session.get(f"{reverse('billing:purchase-success')}?purchase={purchase.id}").content.decode()
    assert "could not find that purchase" in page


def test_the_credits_page_lists_purchases_with_receipts(owner_session, stripe_api, client):
    owner_session.post(reverse("billing:buy"), {"package_id": starter().id})
    purchase = Purchase.objects.get()
    body = json.dumps(event("checkout.session.completed", paid_session(purchase)))
    client.post(WEBHOOK, data=body, content_type="application/json", **signed_headers(body))
    page = owner_session.get(reverse("billing:credits")).content.decode()
    assert purchase.id in page and f"pi_{purchase.id}" in page and "$49.00" in page and "Paid" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_buying_in_the_browser_lands_on_checkout_and_the_webhook_adds_the_credits(
    live_server, page, owner, password, stripe_api
):
    import urllib.request

    import stripe

    from billing.tests.conftest import WEBHOOK_SECRET

    starter()
    page.route("https://checkout.stripe.com/**", lambda route: route.fulfill(status=200, body="Stripe Checkout (test)"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=email]", owner.email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/credits/")
    page.click("[data-testid=buy-starter]")
    page.wait_for_url("https://checkout.stripe.com/**")
    purchase = Purchase.objects.get()
    assert page.url == purchase.checkout_url

    payload = json.dumps(event("checkout.session.completed", paid_session(purchase)))
    request = urllib.request.Request(
        f"{live_server.url}{WEBHOOK}",
        data=payload.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET),
        },
    )
    assert urllib.request.urlopen(request, timeout=30).status == 200

    page.goto(f"{live_server.url}/credits/")
    assert page.inner_text("[data-testid=credits-balance]").strip() == "600"
    assert "Pro" in page.inner_text(".tier")
    assert CreditAccount.objects.get(user=owner).tier == "pro"


def test_staff_see_purchases_and_stripe_events_read_only(client, staff, owner_session, stripe_api):
    owner_session.post(reverse("billing:buy"), {"package_id": starter().id})
    client.force_login(staff)
    assert client.get(reverse("admin:billing_purchase_changelist")).status_code == 200
    assert client.get(reverse("admin:billing_stripeevent_changelist")).status_code == 200
    assert client.get(reverse("admin:billing_creditaccount_changelist")).status_code == 200
    assert client.get(reverse("admin:billing_purchase_add")).status_code == 403
