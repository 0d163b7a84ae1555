"""Reads of validations, always scoped to the user who owns them."""

from django.db import connections
from django.db.models import QuerySet

from synthos.errors import NotFound, choice_check
from synthos.owned_rows import OwnedRowQuery
from validations.models import Validation
from validations.summaries import SUMMARY_COLUMNS, SummaryRows, summary_values

# What a list row needs: the API summary's columns (never the report or the timings), plus what
# the dashboard list reads.
SUMMARY_FIELDS = (*SUMMARY_COLUMNS, "owner_id", "attempts")


# A hot read path (detail endpoints): SQL and converters prepared once (synthos.owned_rows).
_VALIDATION_OF_OWNER = OwnedRowQuery(Validation)


def validation_get_for_user(*, user, validation_id: str) -> Validation:
    """The user's validation; another account's (or no) validation raises NotFound (404), never 403."""
    validation = _VALIDATION_OF_OWNER.get(owner_id=user.pk, pk=validation_id)
    if validation is None:
        raise NotFound("Validation not found.")
    return validation


def validation_list_for_user(
    *, user, dataset_id: str | None = None, status: str | None = None, tier: str | None = None
) -> QuerySet[Validation]:
    """The user's validations, newest first, as summaries (the report is not loaded).

    Filters by dataset id, status and tier; raises InvalidInput (422) for an unknown status or tier.
    """
    validations = Validation.objects.filter(owner=user).only(*SUMMARY_FIELDS)
    for column, value in _list_filters(dataset_id=dataset_id, status=status, tier=tier).items():
        validations = validations.filter(**{column: value})
    return validations.order_by("-created_at", "-pk")


def _list_filters(*, dataset_id: str | None, status: str | None, tier: str | None) -> dict[str, str]:
    """The list's filters that are set; raises InvalidInput (422) for an unknown status or tier."""
    filters = {
        "dataset_id": dataset_id or None,
        "status": choice_check("status", status, Validation.Status.values),
        "tier": choice_check("tier", tier, Validation.Tier.values),
    }
    return {column: value for column, value in filters.items() if value}


def validation_summaries_for_user(
    *, user, dataset_id: str | None = None, status: str | None = None, tier: str | None = None
):
    """The API list's rows (validations.summaries.summary_from_values), newest first, for DRF's cursor
    paginator: on PostgreSQL SQL written once (SummaryRows), elsewhere a `.values()` queryset.

    Same filters and errors as validation_list_for_user."""
    if connections[Validation.objects.db].vendor != "postgresql":
        return summary_values(validation_list_for_user(user=user, dataset_id=dataset_id, status=status, tier=tier))
    return SummaryRows(owner_id=user.pk, **_list_filters(dataset_id=dataset_id, status=status, tier=tier))


def validation_active_exists_for_dataset(*, dataset_id: str) -> bool:
    """Whether a validation of (or against) this dataset is queued or running."""
    active = Validation.objects.filter(status__in=Validation.ACTIVE)
    return active.filter(dataset_id=dataset_id).exists() or active.filter(reference_dataset_id=dataset_id).exists()
