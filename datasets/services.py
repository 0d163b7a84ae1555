"""Datasets: create with upload instructions, complete, inspect (worker), delete, erase, clean up.

Web processes import this module, so Polars and the engine are imported only inside
`dataset_inspect`, which runs in the worker.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from datasets.models import Dataset
from datasets.storage import SignedRequest, get_storage, storage_key_for
from synthos.errors import Conflict, InvalidInput, PayloadTooLarge
from synthos.webhooks.services import event_emit

logger = logging.getLogger(__name__)

# S3 takes at most 5 GB in one PUT; bigger files need multipart uploads, which come later.
S3_SINGLE_PUT_LIMIT = 5 * 1024**3
STALE_UPLOAD_AGE = timedelta(days=1)
PREVIEW_ROWS = 100


def dataset_create(
    *,
    owner,
    name: str,
    filename: str,
    format: str,
    size_bytes: int,
    description: str = "",
    compression: str | None = None,
    expected_rows: int | None = None,
    sha256: str | None = None,
) -> tuple[Dataset, SignedRequest]:
    """Record a dataset awaiting its upload and sign the URL the client PUTs the file to.

    Raises PayloadTooLarge (413) above MAX_UPLOAD_BYTES, InvalidInput (422) for a bad name.
    """
    if size_bytes > settings.MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(
            f"The file is {size_bytes:,} bytes; the most one upload can be is "
            f"{settings.MAX_UPLOAD_BYTES:,} bytes. Files over S3's 5 GB single-PUT limit are not "
            "supported yet (multipart uploads are coming): split the file or compress it."
        )
    name = name.strip()
    if not name:
        raise InvalidInput("Validation failed: name is required.", details={"name": ["This field is required."]})
    dataset = Dataset(
        owner=owner,
        name=name,
        description=description,
        filename=filename,
        format=format,
        compression=compression or None,
        size_bytes=size_bytes,
        expected_rows=expected_rows,
        declared_sha256=(sha256 or "").lower(),
    )
    dataset.storage_key = storage_key_for(owner_id=owner.pk, dataset_id=dataset.pk, filename=filename)
    dataset.save(force_insert=True)
    return dataset, get_storage().upload_instructions(dataset=dataset)


def dataset_complete(*, dataset: Dataset) -> Dataset:
    """Check the uploaded object (exists, declared size), move to `processing`, queue inspection.

    Raises Conflict (409) when the dataset is not awaiting its upload (e.g. a second complete)
    or nothing has been uploaded yet; InvalidInput (422) when the stored size differs.
    """
    if dataset.status != Dataset.Status.AWAITING_UPLOAD:
        raise Conflict(f"The dataset is already {dataset.status}; complete is only for a dataset awaiting its upload.")
    stored = get_storage().stored_size(key=dataset.storage_key)
    if stored is None:
        raise Conflict("No file has been uploaded for this dataset yet: PUT it to the upload URL first.")
    if stored != dataset.size_bytes:
        raise InvalidInput(
            f"Validation failed: the uploaded file is {stored:,} bytes but size_bytes is {dataset.size_bytes:,}; "
            "upload the file again.",
            details={"size_bytes": [f"The stored file is {stored} bytes."]},
        )
    now = timezone.now()
    with transaction.atomic():
        claimed = Dataset.objects.filter(pk=dataset.pk, status=Dataset.Status.AWAITING_UPLOAD).update(
            status=Dataset.Status.PROCESSING, uploaded_at=now, updated_at=now
        )
        if not claimed:
            raise Conflict("The dataset has already been completed.")
        dataset_id = dataset.pk
        transaction.on_commit(lambda: async_task("datasets.tasks.dataset_inspect_task", dataset_id))
    dataset.refresh_from_db()
    return dataset


def _claim_inspection(dataset_id: str) -> bool:
    now = timezone.now()
    # A claim older than the queue's timeout belongs to a worker that was killed: take it over.
    stale = now - timedelta(seconds=settings.Q_CLUSTER["timeout"])
    with transaction.atomic():
        claimed = (
            Dataset.objects.filter(pk=dataset_id, status=Dataset.Status.PROCESSING)
            .exclude(inspection_claimed_at__gt=stale)
            .update(inspection_claimed_at=now)
        )
    return bool(claimed)


def _finish(dataset_id: str, **fields) -> None:
    now = timezone.now()
    with transaction.atomic():
        changed = Dataset.objects.filter(pk=dataset_id, status=Dataset.Status.PROCESSING).update(
            inspected_at=now, updated_at=now, **fields
        )
        if changed:
            transaction.on_commit(lambda: _emit_finished(dataset_id))


# The dataset's public fields (as GET /datasets/{id} shows them, without the preview) for webhooks.
_EVENT_FIELDS = (
    "id",
    "name",
    "description",
    "filename",
    "format",
    "compression",
    "size_bytes",
    "status",
    "error",
    "sha256",
    "row_count",
    "columns",
    "warnings",
    "created_at",
    "uploaded_at",
    "inspected_at",
)


def _emit_finished(dataset_id: str) -> None:
    """Tell the owner's webhook endpoints (dataset.ready / dataset.failed); never fails the inspection."""
    dataset = Dataset.objects.filter(pk=dataset_id).defer("preview").first()
    if dataset is None or not dataset.is_finished:
        return
    data = {field: getattr(dataset, field) for field in _EVENT_FIELDS}
    for field in ("created_at", "uploaded_at", "inspected_at"):
        data[field] = data[field].strftime("%Y-%m-%dT%H:%M:%S.%fZ") if data[field] else None
    try:
        event_emit(user=dataset.owner, type=f"dataset.{dataset.status}", data=data)
    except Exception:
        logger.exception("dataset %s: webhook event could not be recorded", dataset_id)


def _result_problem(dataset: Dataset, result: dict) -> str | None:
    if result["rows"] == 0:
        return "The file has a header but no data rows; upload a file with at least one row."
    if dataset.declared_sha256 and result["sha256"] != dataset.declared_sha256:
        return (
            f"The uploaded file's SHA-256 is {result['sha256']}, not the declared {dataset.declared_sha256}; "
            "the file changed or was corrupted on the way — upload it again."
        )
    if dataset.expected_rows is not None and result["rows"] != dataset.expected_rows:
        return f"The file has {result['rows']:,} data rows, but expected_rows is {dataset.expected_rows:,}."
    return None


def dataset_inspect(*, dataset_id: str) -> None:
    """Worker: read the stored file with the engine's reader and record what it found.

    Claims the dataset with a conditional UPDATE (a second run of the same job stops at once).
    Any problem with the file ends as `failed` with a plain-English error; nothing is raised.
    """
    from validations.engine.io import EngineInputError, inspect_file

    if not _claim_inspection(dataset_id):
        return
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is None:
        return
    try:
        with get_storage().local_copy(key=dataset.storage_key) as path:
            result = inspect_file(
                path,
                declared_format=dataset.format,
                compression=dataset.compression,
                preview_rows=PREVIEW_ROWS,
                max_decompressed_bytes=settings.DATASET_MAX_DECOMPRESSED_BYTES,
            )
    except EngineInputError as error:
        _finish(dataset_id, status=Dataset.Status.FAILED, error=error.message)
        return
    except FileNotFoundError:
        _finish(dataset_id, status=Dataset.Status.FAILED, error="The uploaded file is missing from storage.")
        return
    except Exception:
        logger.exception("dataset %s: inspection crashed", dataset_id)
        _finish(
            dataset_id,
            status=Dataset.Status.FAILED,
            error="Synthos could not inspect this file because of an internal error; support has the details.",
        )
        return
    facts = {
        "sha256": result["sha256"],
        "row_count": result["rows"],
        "columns": result["columns"],
        "preview": result["preview"],
        "warnings": result["warnings"],
        "compression": result["compression"],
    }
    problem = _result_problem(dataset, result)
    if problem:
        _finish(dataset_id, status=Dataset.Status.FAILED, error=problem, **facts)
    else:
        _finish(dataset_id, status=Dataset.Status.READY, error="", **facts)


def _has_active_validations(dataset: Dataset) -> bool:
    """Whether a validation of this dataset is queued or running (asks the validations selector)."""
    from validations.selectors import validation_active_exists_for_dataset

    return validation_active_exists_for_dataset(dataset_id=dataset.pk)


def dataset_delete(*, dataset: Dataset, force: bool = False) -> None:
    """Delete the dataset and its stored file.

    Raises Conflict (409) while a validation of it is queued or running, unless `force`
    (account erasure, retention).
    """
    if not force and _has_active_validations(dataset):
        raise Conflict("A validation of this dataset is queued or running; cancel it or wait for it to finish.")
    # The object first: a failed delete leaves the record, so the file is never orphaned.
    get_storage().delete(key=dataset.storage_key)
    Dataset.objects.filter(pk=dataset.pk).delete()


def dataset_erase_all_for_user(*, user) -> int:
    """Delete every dataset of a closing account, files included. Returns how many."""
    datasets = list(Dataset.objects.filter(owner=user))
    for dataset in datasets:
        dataset_delete(dataset=dataset, force=True)
    return len(datasets)


def dataset_cleanup_stale_uploads() -> int:
    """Delete datasets left awaiting their upload for more than a day (with any partial file)."""
    cutoff = timezone.now() - STALE_UPLOAD_AGE
    stale = list(Dataset.objects.filter(status=Dataset.Status.AWAITING_UPLOAD, created_at__lt=cutoff))
    for dataset in stale:
        dataset_delete(dataset=dataset, force=True)
    return len(stale)


def dataset_retention_sweep() -> int:
    """Delete datasets older than DATASET_RETENTION_DAYS (off when unset). Returns how many."""
    days = settings.DATASET_RETENTION_DAYS
    if not days:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    for dataset in Dataset.objects.filter(created_at__lt=cutoff).exclude(status=Dataset.Status.PROCESSING):
        if _has_active_validations(dataset):
            continue
        dataset_delete(dataset=dataset)
        deleted += 1
    return deleted
