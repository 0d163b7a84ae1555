"""Every call Synthos makes to Stripe, in one place: outside DB transactions, with timeouts,
network retries and Stripe idempotency keys, so a retried call never creates a second object."""

import json

import stripe
from django.conf import settings

from synthos.errors import ServiceUnavailable

# Tests replace this factory with a recording client; production uses requests with a timeout.
http_client_factory = None


class StripeUnavailable(ServiceUnavailable):
    default_message = "Payments are temporarily unavailable. Please try again in a few minutes."


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def ensure_configured() -> None:
    """Raises ServiceUnavailable (503) saying so when no Stripe key is set."""
    if not is_configured():
        raise ServiceUnavailable(
            "Payments are not configured on this Synthos server (STRIPE_SECRET_KEY is not set), "
            "so credits cannot be bought here. Contact support."
        )


def _client() -> stripe.StripeClient:
    ensure_configured()
    http_client = (http_client_factory or _default_http_client)()
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, http_client=http_client, max_network_retries=2, base_addresses=base
    )


def _default_http_client() -> stripe.HTTPClient:
    return stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS)


def customer_create(*, email: str, account_id: str) -> str:
    """Create the Stripe customer of an account; returns its id."""
    try:
        customer = _client().v1.customers.create(
            params={"email": email, "metadata": {"synthos_account": account_id}},
            options={"idempotency_key": f"customer-{account_id}"},
        )
    except stripe.StripeError as error:
        raise StripeUnavailable() from error
    return customer.id


def checkout_session_create(
    *, purchase_id: str, customer_id: str, package, success_url: str, cancel_url: str
) -> tuple[str, str]:
    """Create a Checkout Session (mode payment) for one package; returns (session id, url)."""
    line_item = (
        {"price": package.stripe_price_id, "quantity": 1}
        if package.stripe_price_id
        else {
            "price_data": {
                "currency": package.currency,
                "unit_amount": package.price_cents,
                "product_data": {"name": f"Synthos credits — {package.name} ({package.credits} credits)"},
            },
            "quantity": 1,
        }
    )
    try:
        session = _client().v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "customer": customer_id,
                "line_items": [line_item],
                "client_reference_id": purchase_id,
                "metadata": {"purchase_id": purchase_id, "package_id": package.id},
                "payment_intent_data": {"metadata": {"purchase_id": purchase_id}},
                "success_url": success_url,
                "cancel_url": cancel_url,
            },
            options={"idempotency_key": f"checkout-{purchase_id}"},
        )
    except stripe.StripeError as error:
        raise StripeUnavailable() from error
    return session.id, session.url


def webhook_event_verify(*, payload: bytes, signature: str | None) -> dict:
    """Check the Stripe-Signature header against the endpoint secret; returns the event as a dict.

    Raises ValueError when the signature is missing, wrong or stale, or the body is not JSON.
    Without STRIPE_WEBHOOK_SECRET nothing verifies, so every delivery is refused.
    """
    if not settings.STRIPE_WEBHOOK_SECRET or not signature:
        raise ValueError("missing Stripe-Signature header or webhook secret")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"),
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        raise ValueError(str(error)) from error
    try:
        event = json.loads(payload)
    except json.JSONDecodeError as error:
        raise ValueError("body is not JSON") from error
    if not isinstance(event, dict) or "id" not in event or "type" not in event:
        raise ValueError("not a Stripe event")
    return event
