"""The credit ledger. Every balance change locks the account row, checks, and writes one entry."""

from django.conf import settings
from django.db import transaction

from billing.models import CreditAccount, CreditTransaction, Tier, TierChange, TransactionKind
from synthos.errors import InsufficientCredits, InvalidInput


def credit_account_open(*, user) -> CreditAccount:
    """Create the user's credit account (free tier, zero balance) if it does not exist yet."""
    account, _ = CreditAccount.objects.get_or_create(user=user)
    return account


def account_lock(user) -> CreditAccount:
    """The user's credit account, row-locked until the transaction ends (call inside atomic)."""
    account = CreditAccount.objects.select_for_update().filter(user=user).first()
    return account or CreditAccount.objects.select_for_update().get(pk=credit_account_open(user=user).pk)


def ledger_post(account: CreditAccount, *, kind: str, amount: int, reference: str, description: str, created_by=None):
    """Apply a signed amount to a locked account and write its ledger entry (call inside atomic)."""
    account.balance += amount
    account.save(update_fields=["balance", "updated_at"])
    return CreditTransaction.objects.create(
        account=account,
        kind=kind,
        amount=amount,
        balance_after=account.balance,
        reference=reference[:100],
        description=description[:255],
        created_by=created_by,
    )


@transaction.atomic
def credits_grant(
    *, user, amount: int, kind: str = TransactionKind.GRANT, reference: str = "", description: str = "", created_by=None
) -> CreditTransaction:
    """Add credits (grants, purchases, payouts). Raises InvalidInput for a non-positive amount."""
    if amount <= 0:
        raise InvalidInput("Validation failed: a grant must be a positive number of credits.")
    account = account_lock(user)
    return ledger_post(
        account, kind=kind, amount=amount, reference=reference, description=description, created_by=created_by
    )


@transaction.atomic
def credits_charge(*, user, amount: int, kind: str, reference: str = "", description: str = "") -> CreditTransaction:
    """Take credits for an operation. Raises InsufficientCredits (402) and changes nothing if short.

    Call it inside the caller's transaction that creates the paid-for object, so both commit or
    neither does.
    """
    if amount <= 0:
        raise InvalidInput("Validation failed: a charge must be a positive number of credits.")
    account = account_lock(user)
    if account.balance < amount:
        raise InsufficientCredits(
            f"Not enough credits: this costs {amount} credits and your balance is {account.balance}. "
            "Buy credits from the dashboard or via POST /api/v1/credits/purchase.",
            details={"balance": account.balance, "price": amount},
        )
    return ledger_post(account, kind=kind, amount=-amount, reference=reference, description=description)


@transaction.atomic
def credits_refund(*, user, amount: int, reference: str, description: str = "") -> CreditTransaction:
    """Give back credits charged for an operation that did not deliver."""
    return credits_grant(
        user=user, amount=amount, kind=TransactionKind.REFUND, reference=reference, description=description
    )


@transaction.atomic
def credits_adjust(*, user, amount: int, reason: str, staff_user) -> CreditTransaction:
    """A staff correction, signed. Raises InvalidInput if it is zero, unexplained or overdraws."""
    if amount == 0:
        raise InvalidInput("Validation failed: an adjustment cannot be zero.")
    if not reason.strip():
        raise InvalidInput("Validation failed: an adjustment needs a reason.")
    account = account_lock(user)
    if account.balance + amount < 0:
        raise InvalidInput(
            f"Validation failed: the balance is {account.balance}; an adjustment of {amount} would make it negative."
        )
    return ledger_post(
        account,
        kind=TransactionKind.ADJUSTMENT,
        amount=amount,
        reference=f"staff:{staff_user.pk}" if staff_user else "",
        description=reason,
        created_by=staff_user,
    )


@transaction.atomic
def welcome_grant(*, user) -> CreditTransaction | None:
    """The credits a new account gets when its email is verified (WELCOME_CREDITS, once)."""
    account = account_lock(user)
    if settings.WELCOME_CREDITS <= 0 or account.transactions.filter(reference="welcome").exists():
        return None
    return ledger_post(
        account,
        kind=TransactionKind.GRANT,
        amount=settings.WELCOME_CREDITS,
        reference="welcome",
        description="Welcome credits",
    )


@transaction.atomic
def tier_change(*, user, to_tier: str, reason: str, changed_by=None) -> TierChange | None:
    """Move an account to another tier, keeping an audit record. Returns None if nothing changes."""
    if to_tier not in Tier.values:
        raise InvalidInput(f"Validation failed: unknown tier {to_tier!r}.")
    account = account_lock(user)
    if account.tier == to_tier:
        return None
    change = TierChange.objects.create(
        account=account, from_tier=account.tier, to_tier=to_tier, reason=reason, changed_by=changed_by
    )
    account.tier = to_tier
    account.save(update_fields=["tier", "updated_at"])
    return change
