from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import ApiKey, User


def api_key_list_for_user(*, user: User) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user=user).order_by("-created_at")


def api_key_get_for_user(*, user: User, key_id: str) -> ApiKey:
    """The user's own key; another account's key is a 404, as if it did not exist."""
    return get_object_or_404(ApiKey, pk=key_id, user=user)
