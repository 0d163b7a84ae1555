"""Validations: start (charge + queue), cancel, idempotent POSTs and staff re-runs.

The job itself (claim, run the engine, settle credits) and the sweeper live in `validations.jobs`;
web processes import this module, so it never imports the engine or Polars.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_q.tasks import async_task

from billing.models import TransactionKind
from billing.pricing import VALIDATION_COSTS
from billing.services import credits_adjust, credits_charge, credits_refund
from datasets.models import Dataset
from synthos.errors import Conflict, InvalidInput, NotFound
from validations.gates import gate_rules_parse
from validations.models import IdempotencyKey, Validation


def _owned_ready_dataset(*, owner, dataset_id: str, field: str) -> Dataset:
    dataset = Dataset.objects.filter(owner=owner, pk=dataset_id).defer("preview").first()
    if dataset is None:
        raise NotFound(f"{field}: no dataset {dataset_id!r} in your account.", details={field: ["Dataset not found."]})
    if dataset.status != Dataset.Status.READY:
        raise Conflict(
            f"{field}: the dataset {dataset.name!r} is {dataset.status}; a validation needs a ready dataset."
        )
    return dataset


def _check_column(dataset: Dataset, *, column: str, field: str) -> None:
    names = [entry["name"] for entry in dataset.columns]
    if column not in names:
        raise InvalidInput(
            f"Validation failed: {field}: the column {column!r} is not in {dataset.name!r}; "
            f"its columns are {', '.join(names)}.",
            details={field: [f"Unknown column {column!r}. Columns: {', '.join(names)}."]},
        )


def _enqueue(validation_id: str) -> None:
    async_task(
        "validations.tasks.validation_run_task",
        validation_id,
        q_options={"timeout": settings.Q_CLUSTER["timeout"], "task_name": f"validation {validation_id}"},
    )


@transaction.atomic
def validation_start(
    *,
    owner,
    dataset_id: str,
    tier: str,
    target_column: str = "",
    text_column: str = "",
    reference_dataset_id: str | None = None,
    fail_if: dict | None = None,
) -> Validation:
    """Create a queued validation, charge its price in the same transaction, queue the job on commit.

    `fail_if` holds pipeline gate rules (validations.gates); a bad rule is a 422 before any charge.

    Raises InvalidInput (422) for an unknown tier, a comprehensive run without target_column or an
    unknown column; NotFound (404, naming the field) for a dataset that is not the owner's; Conflict
    (409) for a dataset that is not ready; InsufficientCredits (402). Nothing is created or
    charged when it raises.
    """
    if tier not in VALIDATION_COSTS:
        raise InvalidInput(
            f"Validation failed: tier must be one of {', '.join(VALIDATION_COSTS)}.",
            details={"tier": [f"Unknown tier {tier!r}."]},
        )
    if tier == Validation.Tier.COMPREHENSIVE and not target_column:
        raise InvalidInput(
            "Validation failed: target_column is required for a comprehensive validation "
            "(the column the predicted model learns to predict).",
            details={"target_column": ["Required for the comprehensive tier."]},
        )
    gate_rules = gate_rules_parse(fail_if)
    dataset = _owned_ready_dataset(owner=owner, dataset_id=dataset_id, field="dataset_id")
    for field, column in (("target_column", target_column), ("text_column", text_column)):
        if column:
            _check_column(dataset, column=column, field=field)
    reference = None
    if reference_dataset_id:
        reference = _owned_ready_dataset(owner=owner, dataset_id=reference_dataset_id, field="reference_dataset_id")
    price = VALIDATION_COSTS[tier]
    validation = Validation(
        owner=owner,
        dataset=dataset,
        dataset_name=dataset.name,
        reference_dataset=reference,
        tier=tier,
        target_column=target_column,
        text_column=text_column,
        fail_if=gate_rules,
        credits_charged=price,
    )
    credits_charge(
        user=owner,
        amount=price,
        kind=TransactionKind.VALIDATION_CHARGE,
        reference=validation.pk,
        description=f"{validation.get_tier_display()} validation of {dataset.name}"[:255],
    )
    validation.save(force_insert=True)
    validation_id = validation.pk
    transaction.on_commit(lambda: _enqueue(validation_id))
    return validation


@transaction.atomic
def validation_cancel(*, validation: Validation) -> Validation:
    """Cancel a queued or running validation at once.

    A queued one is refunded in full; a running one is not (its job notices at the next stage
    boundary and discards its output). Raises Conflict (409) once the validation has finished.
    """
    now = timezone.now()
    stopped = dict(status=Validation.Status.CANCELED, canceled_at=now, finished_at=now)
    queued = Validation.objects.filter(pk=validation.pk, status=Validation.Status.QUEUED)
    if queued.update(credits_refunded=F("credits_charged"), **stopped):
        if validation.credits_charged:
            credits_refund(
                user=validation.owner,
                amount=validation.credits_charged,
                reference=validation.pk,
                description=f"Refund: validation {validation.pk} canceled before it started",
            )
    elif not Validation.objects.filter(pk=validation.pk, status=Validation.Status.RUNNING).update(**stopped):
        current = Validation.objects.filter(pk=validation.pk).values_list("status", flat=True).first()
        raise Conflict(f"The validation has already {current}; only a queued or running validation can be canceled.")
    validation.refresh_from_db()
    return validation


def refund_once(*, validation_id: str, amount: int, description: str) -> None:
    """Refund a validation's owner (call inside the atomic block whose conditional UPDATE won)."""
    if amount <= 0:
        return
    owner = Validation.objects.select_related("owner").only("owner").get(pk=validation_id).owner
    credits_refund(user=owner, amount=amount, reference=validation_id, description=description)


# --- Idempotency-Key ------------------------------------------------------------------------------


def request_hash(body) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def idempotent_call(*, owner, key: str, body, call: Callable[[], tuple[int, dict]]) -> tuple[int, dict, bool]:
    """Run `call` once per (owner, key): a repeat with the same body gets the first response back.

    Returns (status, body, replayed). The key row is inserted first, in the same transaction as
    the call: a concurrent request with the same key waits on the unique index and then replays.
    A call that raises stores nothing, so the client may retry it with the same key.
    Raises InvalidInput (422) for a malformed key; Conflict (409) when the key was used with
    another body, or its first request is still in flight.
    """
    if not key or len(key) > 255 or not key.isprintable():
        raise InvalidInput("Validation failed: Idempotency-Key must be 1–255 printable characters.")
    digest = request_hash(body)
    expired_before = timezone.now() - timedelta(hours=settings.VALIDATION_IDEMPOTENCY_TTL_HOURS)
    with transaction.atomic():
        IdempotencyKey.objects.filter(owner=owner, key=key, created_at__lt=expired_before).delete()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(owner=owner, key=key, request_hash=digest)
        except IntegrityError:
            record = None
        if record is not None:
            status, response = call()
            record.response_status, record.response_body = status, response
            record.save(update_fields=["response_status", "response_body"])
            return status, response, False
        first = IdempotencyKey.objects.filter(owner=owner, key=key).first()
    if first is None or first.response_status is None:
        raise Conflict("A request with this Idempotency-Key is still being processed; retry in a moment.")
    if first.request_hash != digest:
        raise Conflict(
            "This Idempotency-Key was already used with a different request body; use a new key for a new request."
        )
    return first.response_status, first.response_body, True


def idempotency_keys_expire() -> int:
    expired_before = timezone.now() - timedelta(hours=settings.VALIDATION_IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=expired_before).delete()
    return deleted


# --- Staff ------------------------------------------------------------------------------------------


@transaction.atomic
def validation_rerun(*, validation: Validation, staff_user, on_the_house: bool = False, reason: str = "") -> Validation:
    """Start the same validation again for its owner at the normal price.

    On the house: a matching `adjustment` gives the price back, with the staff member's reason.
    Raises what validation_start raises (the dataset must still be ready, the owner must have the
    credits), and InvalidInput when an on-the-house re-run has no reason.
    """
    if on_the_house and not reason.strip():
        raise InvalidInput("Validation failed: an on-the-house re-run needs a reason.")
    if validation.dataset_id is None:
        raise Conflict("The dataset of this validation was deleted; it cannot be run again.")
    rerun = validation_start(
        owner=validation.owner,
        dataset_id=validation.dataset_id,
        tier=validation.tier,
        target_column=validation.target_column,
        text_column=validation.text_column,
        reference_dataset_id=validation.reference_dataset_id,
    )
    if on_the_house:
        credits_adjust(
            user=validation.owner,
            amount=rerun.credits_charged,
            reason=f"Re-run {rerun.pk} of {validation.pk} on the house: {reason.strip()}",
            staff_user=staff_user,
        )
    return rerun
