"""Reads of datasets, always scoped to the user who owns them."""

from django.db.models import QuerySet

from datasets.models import Dataset
from synthos.errors import InvalidInput, NotFound
from synthos.owned_rows import OwnedRowQuery

# A hot read path (detail endpoints): SQL and converters prepared once (synthos.owned_rows).
_DATASET_OF_OWNER = OwnedRowQuery(Dataset)


def dataset_get_for_user(*, user, dataset_id: str) -> Dataset:
    """The user's dataset; another account's (or no) dataset raises NotFound (404), never 403."""
    dataset = _DATASET_OF_OWNER.get(owner_id=user.pk, pk=dataset_id)
    if dataset is None:
        raise NotFound("Dataset not found.")
    return dataset


def dataset_list_for_user(*, user, status: str | None = None, search: str | None = None) -> QuerySet[Dataset]:
    """The user's datasets, newest first, optionally by status and by a substring of the name.

    Raises InvalidInput (422) for an unknown status.
    """
    datasets = Dataset.objects.filter(owner=user)
    if status:
        if status not in Dataset.Status.values:
            raise InvalidInput(
                f"Validation failed: status must be one of {', '.join(Dataset.Status.values)}.",
                details={"status": [f"Unknown status {status!r}."]},
            )
        datasets = datasets.filter(status=status)
    if search:
        datasets = datasets.filter(name__icontains=search.strip())
    return datasets.order_by("-created_at", "-pk")
