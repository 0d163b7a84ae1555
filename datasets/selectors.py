"""Reads of datasets, always scoped to the user who owns them."""

from django.db.models import QuerySet

from datasets.models import Dataset
from synthos.errors import InvalidInput, NotFound


def dataset_get_for_user(*, user, dataset_id: str) -> Dataset:
    """The user's dataset; another account's (or no) dataset raises NotFound (404), never 403."""
    dataset = Dataset.objects.filter(owner=user, pk=dataset_id).first()
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
