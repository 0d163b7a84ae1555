from django.conf import settings
from django.db import models
from django.utils import timezone

from synthos.ids import make_id


def new_transaction_id() -> str:
    return make_id("txn")


def new_package_id() -> str:
    return make_id("pkg")


def new_purchase_id() -> str:
    return make_id("pur")


class Tier(models.TextChoices):
    FREE = "free", "Free"
    PRO = "pro", "Pro"
    ENTERPRISE = "enterprise", "Enterprise"


class CreditAccount(models.Model):
    """An account's credit balance and tier. Changed only by billing.services, under a row lock."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="credit_account"
    )
    balance = models.IntegerField(default=0)
    owed = models.IntegerField(default=0, help_text="Credits a payment refund could not take back yet.")
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.FREE)
    stripe_customer_id = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(balance__gte=0), name="credit_balance_not_negative"),
            models.CheckConstraint(condition=models.Q(owed__gte=0), name="credit_owed_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.balance} credits ({self.tier})"


class TransactionKind(models.TextChoices):
    GRANT = "grant", "Grant"
    PURCHASE = "purchase", "Purchase"
    PURCHASE_REVERSAL = "purchase_reversal", "Purchase reversal"
    VALIDATION_CHARGE = "validation_charge", "Validation charge"
    REFUND = "refund", "Refund"
    WARRANTY_CHARGE = "warranty_charge", "Warranty charge"
    CLAIM_PAYOUT = "claim_payout", "Claim payout"
    ADJUSTMENT = "adjustment", "Adjustment"


class CreditTransaction(models.Model):
    """Append-only ledger: one row per balance change; the amounts sum to the balance."""

    id = models.CharField(primary_key=True, max_length=32, default=new_transaction_id, editable=False)
    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="transactions")
    kind = models.CharField(max_length=24, choices=TransactionKind.choices)
    amount = models.IntegerField()
    balance_after = models.IntegerField()
    reference = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="credit_txn_amount_not_zero"),
            models.CheckConstraint(condition=models.Q(balance_after__gte=0), name="credit_txn_balance_not_negative"),
        ]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d} → {self.balance_after}"


class CreditPackage(models.Model):
    """A credit package on sale. Staff edit these in the admin."""

    id = models.CharField(primary_key=True, max_length=32, default=new_package_id, editable=False)
    name = models.CharField(max_length=100)
    credits = models.PositiveIntegerField()
    price_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    stripe_price_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sort_order", "price_cents"]
        constraints = [
            models.CheckConstraint(condition=models.Q(credits__gt=0), name="package_credits_positive"),
            models.CheckConstraint(condition=models.Q(currency__regex=r"^[a-z]{3}$"), name="package_currency_iso"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.credits} credits)"


class TierChange(models.Model):
    """Audit record of a tier move (tiers move no credits, so they are not ledger entries)."""

    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.CharField(max_length=16, choices=Tier.choices)
    to_tier = models.CharField(max_length=16, choices=Tier.choices)
    reason = models.CharField(max_length=255)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.from_tier} → {self.to_tier}"


class PurchaseStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    EXPIRED = "expired", "Expired"
    FAILED = "failed", "Failed to start"
    REFUNDED = "refunded", "Refunded"


class Purchase(models.Model):
    """One Stripe Checkout Session for one package. Credits arrive only through the webhook."""

    id = models.CharField(primary_key=True, max_length=32, default=new_purchase_id, editable=False)
    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="purchases")
    package = models.ForeignKey(CreditPackage, on_delete=models.PROTECT, related_name="purchases")
    credits = models.PositiveIntegerField()
    price_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=PurchaseStatus.choices, default=PurchaseStatus.PENDING)
    stripe_session_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    refunded_cents = models.PositiveIntegerField(default=0)
    reversed_credits = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reversed_credits__lte=models.F("credits")), name="purchase_reversal_within_credits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.package.name if self.package_id else ''} ({self.status})"


class StripeEvent(models.Model):
    """Each Stripe event id, recorded once: a retried delivery finds its row and changes nothing."""

    id = models.CharField(primary_key=True, max_length=255)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"{self.id} ({self.type})"
