"""Buying credit packages: Checkout Sessions out, Stripe webhook events in.

Credits are granted only by a verified webhook event, once per Checkout Session, whatever the
number of retries, the order of events, or two deliveries racing (the event row and the
purchase row are both locked inside the transaction that grants).
"""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from billing import stripe_gateway
from billing.models import CreditAccount, CreditPackage, Purchase, PurchaseStatus, StripeEvent, Tier, TransactionKind
from billing.services import account_lock, credit_account_open, ledger_post, tier_change
from synthos.errors import BadRequest, Conflict, NotFound

logger = logging.getLogger(__name__)


class EventOutOfOrder(Conflict):
    """A non-2xx answer makes Stripe redeliver the event later, when it can be applied."""


def purchase_start(*, user, package_id: str) -> Purchase:
    """Create a Purchase and its Stripe Checkout Session; returns the purchase with checkout_url.

    Raises ServiceUnavailable (503) when Stripe is not configured or unreachable, NotFound (404)
    for an unknown or retired package. Stripe is called outside any DB transaction.
    """
    stripe_gateway.ensure_configured()
    package = CreditPackage.objects.filter(pk=package_id, is_active=True).first()
    if package is None:
        raise NotFound(
            "package_id does not name an active credit package.",
            details={"package_id": ["No active package with this id."]},
        )
    account = credit_account_open(user=user)
    purchase = Purchase.objects.create(
        account=account,
        package=package,
        credits=package.credits,
        price_cents=package.price_cents,
        currency=package.currency,
    )
    try:
        customer_id = account.stripe_customer_id or _customer_for(account, user)
        session_id, url = stripe_gateway.checkout_session_create(
            purchase_id=purchase.id,
            customer_id=customer_id,
            package=package,
            success_url=f"{settings.SITE_URL}{reverse('billing:purchase-success')}?purchase={purchase.id}",
            cancel_url=f"{settings.SITE_URL}{reverse('billing:purchase-cancel')}?purchase={purchase.id}",
        )
    except Exception:
        Purchase.objects.filter(pk=purchase.pk).update(status=PurchaseStatus.FAILED)
        raise
    Purchase.objects.filter(pk=purchase.pk).update(stripe_session_id=session_id, checkout_url=url)
    purchase.stripe_session_id, purchase.checkout_url = session_id, url
    return purchase


def _customer_for(account: CreditAccount, user) -> str:
    customer_id = stripe_gateway.customer_create(email=user.email, account_id=str(account.pk))
    # Stripe's idempotency key makes a concurrent second call return the same customer.
    CreditAccount.objects.filter(pk=account.pk, stripe_customer_id="").update(stripe_customer_id=customer_id)
    return customer_id


# --- Webhooks ---------------------------------------------------------------------------------


def stripe_webhook_receive(*, payload: bytes, signature: str | None) -> str:
    """Verify and apply one Stripe event; returns what was done (for the log and the response).

    Raises BadRequest (400) for a missing, wrong or stale signature; nothing changes then.
    """
    try:
        event = stripe_gateway.webhook_event_verify(payload=payload, signature=signature)
    except ValueError as error:
        logger.warning("stripe webhook refused: %s", error)
        raise BadRequest("Invalid Stripe signature.") from None
    try:
        with transaction.atomic():
            # Inserting the event id first: a concurrent delivery of the same event waits on the
            # unique key and then fails, so only one of them applies the event.
            record = StripeEvent.objects.create(id=event["id"], type=event["type"])
            outcome = _apply(event)
            record.outcome = outcome[:255]
            record.save(update_fields=["outcome"])
            return outcome
    except IntegrityError:
        return "duplicate event: already processed"


def _apply(event: dict) -> str:
    obj = event.get("data", {}).get("object", {})
    kind = event["type"]
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        if obj.get("payment_status") != "paid":
            return "session completed but not paid yet"
        return _session_paid(obj)
    if kind == "checkout.session.expired":
        updated = Purchase.objects.filter(stripe_session_id=obj.get("id"), status=PurchaseStatus.PENDING).update(
            status=PurchaseStatus.EXPIRED
        )
        return "purchase expired" if updated else "no pending purchase for this session"
    if kind == "charge.refunded":
        return _charge_refunded(obj)
    return f"ignored {kind}"


def _purchase_for_session(session: dict) -> Purchase | None:
    purchase_id = (session.get("metadata") or {}).get("purchase_id") or session.get("client_reference_id")
    queryset = Purchase.objects.select_for_update().select_related("account__user", "package")
    return queryset.filter(pk=purchase_id).first() or queryset.filter(stripe_session_id=session.get("id")).first()


def _session_paid(session: dict) -> str:
    purchase = _purchase_for_session(session)
    if purchase is None:
        logger.error("paid checkout session %s matches no purchase", session.get("id"))
        return "no purchase for this session"
    if purchase.status in (PurchaseStatus.PAID, PurchaseStatus.REFUNDED):
        return "already granted"
    user = purchase.account.user
    account = account_lock(user)
    ledger_post(
        account,
        kind=TransactionKind.PURCHASE,
        amount=purchase.credits,
        reference=purchase.id,
        description=f"Bought {purchase.package.name}",
    )
    if account.owed:
        settled = min(account.owed, account.balance)
        account.owed -= settled
        ledger_post(
            account,
            kind=TransactionKind.PURCHASE_REVERSAL,
            amount=-settled,
            reference=purchase.id,
            description="Settles credits owed from an earlier refunded payment",
        )
        account.save(update_fields=["owed"])
    purchase.status = PurchaseStatus.PAID
    purchase.paid_at = timezone.now()
    purchase.stripe_session_id = session.get("id") or purchase.stripe_session_id
    purchase.stripe_payment_intent_id = session.get("payment_intent") or ""
    purchase.save(update_fields=["status", "paid_at", "stripe_session_id", "stripe_payment_intent_id"])
    if account.tier == Tier.FREE:
        tier_change(user=user, to_tier=Tier.PRO, reason=f"Purchased {purchase.package.name} ({purchase.id})")
    return f"granted {purchase.credits} credits"


def _charge_refunded(charge: dict) -> str:
    purchase = (
        Purchase.objects.select_for_update()
        .select_related("account__user")
        .filter(
            stripe_payment_intent_id=charge.get("payment_intent") or "-",
            status__in=[PurchaseStatus.PAID, PurchaseStatus.REFUNDED],
        )
        .first()
    )
    if purchase is None:
        purchase_id = (charge.get("metadata") or {}).get("purchase_id")
        if Purchase.objects.filter(pk=purchase_id or "-", status=PurchaseStatus.PENDING).exists():
            # The refund overtook the payment event. Refuse it (nothing is recorded, the
            # transaction rolls back) so Stripe delivers it again after the payment.
            raise EventOutOfOrder("charge.refunded arrived before its payment was recorded; retry later.")
        return "no paid purchase for this charge"
    refunded_cents = min(int(charge.get("amount_refunded") or 0), purchase.price_cents)
    due = purchase.credits * refunded_cents // purchase.price_cents - purchase.reversed_credits
    if due <= 0:
        return "nothing more to reverse"
    account = account_lock(purchase.account.user)
    taken = min(due, account.balance)
    if taken:
        ledger_post(
            account,
            kind=TransactionKind.PURCHASE_REVERSAL,
            amount=-taken,
            reference=purchase.id,
            description="Payment refunded",
        )
    if due > taken:
        account.owed += due - taken
        account.save(update_fields=["owed"])
    purchase.reversed_credits += due
    purchase.refunded_cents = refunded_cents
    purchase.status = PurchaseStatus.REFUNDED
    purchase.save(update_fields=["reversed_credits", "refunded_cents", "status"])
    return f"reversed {taken} credits, {due - taken} owed"
