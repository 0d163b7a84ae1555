"""Reads of warranties and claims, always scoped to the user who owns them."""

from django.db.models import Prefetch, QuerySet

from synthos.errors import NotFound
from warranties.models import Claim, Warranty


def warranty_get_for_user(*, user, warranty_id: str) -> Warranty:
    """The user's warranty with its claims; another account's (or no) warranty raises NotFound (404)."""
    claims = Prefetch("claims", queryset=Claim.objects.order_by("-created_at", "-id"))
    warranty = (
        Warranty.objects.filter(owner=user, pk=warranty_id)
        .select_related("validation")
        .prefetch_related(claims)
        .first()
    )
    if warranty is None:
        raise NotFound("Warranty not found.")
    return warranty


def warranty_list_for_user(*, user) -> QuerySet[Warranty]:
    """The user's warranties, newest first."""
    return Warranty.objects.filter(owner=user).order_by("-created_at", "-pk")


def warranty_for_validation(*, validation_id: str) -> Warranty | None:
    """The warranty on a validation, if one was requested."""
    return Warranty.objects.filter(validation_id=validation_id).first()


def claim_list_for_warranty(*, warranty: Warranty) -> QuerySet[Claim]:
    """A warranty's claims, newest first (the caller has already checked the warranty is the user's)."""
    return Claim.objects.filter(warranty=warranty).order_by("-created_at", "-pk")
