from django.utils.functional import SimpleLazyObject

from billing.selectors import credit_account_get


def nav_account(request) -> dict:
    """The signed-in user's credit account for the top bar, queried only if a template reads it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_account": SimpleLazyObject(lambda: credit_account_get(user=user))}
