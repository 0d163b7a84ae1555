"""django-q2 tasks: thin wrappers that call one service."""

from datasets import services


def dataset_inspect_task(dataset_id: str) -> None:
    services.dataset_inspect(dataset_id=dataset_id)


def dataset_cleanup_stale_uploads_task() -> int:
    return services.dataset_cleanup_stale_uploads()


def dataset_retention_task() -> int:
    return services.dataset_retention_sweep()
