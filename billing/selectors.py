from django.db.models import QuerySet

from billing.models import CreditAccount, CreditPackage, CreditTransaction, Purchase, Tier


def credit_account_get(*, user) -> CreditAccount:
    account = CreditAccount.objects.filter(user=user).first()
    return account or CreditAccount(user=user)


def tier_for_user(*, user) -> str:
    """The account's tier; uses the account the authentication already joined in when it can."""
    try:
        return user.credit_account.tier
    except CreditAccount.DoesNotExist:
        return Tier.FREE


def transaction_list_for_user(*, user) -> QuerySet[CreditTransaction]:
    return CreditTransaction.objects.filter(account__user=user)


def package_list_active() -> QuerySet[CreditPackage]:
    return CreditPackage.objects.filter(is_active=True)


def purchase_list_for_user(*, user) -> QuerySet[Purchase]:
    return Purchase.objects.filter(account__user=user).select_related("package")


def purchase_get_for_user(*, user, purchase_id: str) -> Purchase | None:
    return Purchase.objects.filter(account__user=user, pk=purchase_id).select_related("package").first()
