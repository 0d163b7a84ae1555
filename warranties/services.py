"""Writes of warranties and claims: request (charged), staff review, expiry, claims and payouts.

The warranty's state machine: `pending_review` → `approved` | `rejected` (refunded); `approved` →
`claimed` (an approved claim paid out) | `expired` (past expires_at). The claim's: `submitted` →
`measuring` → `measured` | `failed` (the worker's side, warranties/jobs.py); `measured` →
`approved` (paid once) | `rejected`. Anything else is a Conflict (409). Every move locks the rows
it reads and changes them with a conditional UPDATE, so double clicks and retries change nothing
twice; emails and jobs go out on commit.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from billing.models import TransactionKind
from billing.pricing import COMPREHENSIVE_VALIDATION, WARRANTY_REQUEST
from billing.services import credits_charge, credits_grant, credits_refund
from datasets.models import Dataset
from synthos.errors import Conflict, InvalidInput, NotFound, PermissionDeniedError
from validations.models import Validation
from warranties import emails, events
from warranties.models import Claim, Warranty

METRIC_RANGES = {"accuracy": (0.0, 1.0), "r2": (float("-inf"), 1.0)}


# --- Requesting ------------------------------------------------------------------------------------


def warranty_ineligibility_reason(*, validation: Validation) -> str | None:
    """Why this validation cannot be warranted (a sentence), or None if it can."""
    if validation.tier != Validation.Tier.COMPREHENSIVE:
        return "only a comprehensive validation makes the prediction a warranty backs; run one first."
    if validation.status != Validation.Status.SUCCEEDED:
        return f"the validation is {validation.status}; a warranty needs a succeeded one."
    if not validation.prediction:
        return "the validation could make no prediction, so there is nothing to warrant."
    if not {"metric", "interval"} <= set(validation.prediction):
        return "the validation's prediction has no interval (it predates warranties); run it again."
    return None


def warranty_terms_propose(*, validation: Validation) -> dict:
    """The terms the engine proposes for this validation's prediction:
    {metric, guaranteed_value, coverage_credits, conditions, validity_days}."""
    # Imported here: the engine is the worker's library; a web process loads only this helper.
    from validations.engine.prediction.terms import default_coverage_credits, propose_terms

    # The coverage rule lives in the engine's terms helper; the prices it multiplies live in pricing.py.
    coverage = default_coverage_credits(validation_credits=COMPREHENSIVE_VALIDATION, warranty_credits=WARRANTY_REQUEST)
    return propose_terms(
        validation.prediction, validity_days=settings.WARRANTY_VALIDITY_DAYS, coverage_credits=coverage
    )


@transaction.atomic
def warranty_request(*, owner, validation_id: str) -> Warranty:
    """Requests a warranty on the owner's validation, charging WARRANTY_REQUEST credits with it.

    Raises NotFound (404, naming validation_id) for another account's or no validation,
    InvalidInput (422) when it is not eligible, Conflict (409) when it already has a warranty,
    InsufficientCredits (402) when the balance is short; nothing is created or charged then.
    """
    # The lock makes a second, concurrent request for the same validation wait and then see the first.
    validation = Validation.objects.select_for_update().filter(owner=owner, pk=validation_id).first()
    if validation is None:
        raise NotFound(
            f"Not found: validation_id {validation_id!r} is not a validation in your account.",
            details={"validation_id": ["Validation not found."]},
        )
    reason = warranty_ineligibility_reason(validation=validation)
    if reason:
        raise InvalidInput(f"Validation failed: {reason}", details={"validation_id": [reason]})
    if Warranty.objects.filter(validation=validation).exists():
        raise Conflict("This validation already has a warranty; open it from GET /api/v1/warranties.")
    terms = warranty_terms_propose(validation=validation)
    now = timezone.now()
    warranty = Warranty(
        owner=owner,
        validation=validation,
        metric=terms["metric"],
        guaranteed_value=terms["guaranteed_value"],
        coverage_credits=terms["coverage_credits"],
        conditions=terms["conditions"],
        expires_at=now + timedelta(days=terms.get("validity_days") or settings.WARRANTY_VALIDITY_DAYS),
        proposed_terms=terms,
        credits_charged=WARRANTY_REQUEST,
        created_at=now,
    )
    credits_charge(
        user=owner,
        amount=WARRANTY_REQUEST,
        kind=TransactionKind.WARRANTY_CHARGE,
        reference=warranty.id,
        description=f"Warranty request on validation {validation.pk}",
    )
    try:
        with transaction.atomic():
            warranty.save(force_insert=True)
    except IntegrityError:
        raise Conflict("This validation already has a warranty; open it from GET /api/v1/warranties.")
    return warranty


# --- Staff review ----------------------------------------------------------------------------------


def _require_staff(user) -> None:
    if not getattr(user, "is_staff", False):
        raise PermissionDeniedError("Only staff can review warranties and claims.")


def _locked_warranty(warranty: Warranty) -> Warranty:
    return Warranty.objects.select_for_update().select_related("owner", "validation").get(pk=warranty.pk)


def _check_terms(*, metric: str, guaranteed_value: float, coverage_credits: int, expires_at) -> None:
    low, high = METRIC_RANGES.get(metric, (float("-inf"), float("inf")))
    errors = {}
    if not low <= guaranteed_value <= high:
        errors["guaranteed_value"] = [f"{metric} cannot be {guaranteed_value}."]
    if coverage_credits <= 0:
        errors["coverage_credits"] = ["Coverage must be a positive number of credits."]
    if expires_at <= timezone.now():
        errors["expires_at"] = ["The expiry must be in the future."]
    if errors:
        raise InvalidInput("Validation failed: " + " ".join(m for ms in errors.values() for m in ms), details=errors)


@transaction.atomic
def warranty_approve(
    *,
    warranty: Warranty,
    staff_user,
    guaranteed_value: float | None = None,
    coverage_credits: int | None = None,
    expires_at=None,
    conditions: str | None = None,
    note: str = "",
) -> Warranty:
    """Staff approve a pending warranty, with the terms as proposed or as edited; the customer is
    emailed on commit. Raises Conflict (409) unless pending review, InvalidInput (422) for bad terms."""
    _require_staff(staff_user)
    warranty = _locked_warranty(warranty)
    if warranty.status != Warranty.Status.PENDING_REVIEW:
        raise Conflict(f"This warranty is {warranty.get_status_display().lower()}; only a pending one can be approved.")
    warranty.guaranteed_value = warranty.guaranteed_value if guaranteed_value is None else guaranteed_value
    warranty.coverage_credits = warranty.coverage_credits if coverage_credits is None else coverage_credits
    warranty.expires_at = expires_at or warranty.expires_at
    warranty.conditions = (conditions or "").strip() or warranty.conditions
    _check_terms(
        metric=warranty.metric,
        guaranteed_value=warranty.guaranteed_value,
        coverage_credits=warranty.coverage_credits,
        expires_at=warranty.expires_at,
    )
    warranty.status = Warranty.Status.APPROVED
    warranty.reviewed_by, warranty.reviewed_at, warranty.review_note = staff_user, timezone.now(), note.strip()
    warranty.save()
    transaction.on_commit(lambda: events.warranty_decided_emit(warranty.pk), robust=True)
    transaction.on_commit(lambda: emails.send_warranty_approved(warranty=warranty), robust=True)
    return warranty


@transaction.atomic
def warranty_reject(*, warranty: Warranty, staff_user, reason: str) -> Warranty:
    """Staff reject a pending warranty with a reason; its credits are refunded and the customer is
    emailed on commit. Raises Conflict (409) unless pending review, InvalidInput (422) without a reason."""
    _require_staff(staff_user)
    if not (reason or "").strip():
        raise InvalidInput("Validation failed: a rejection needs a reason.", details={"reason": ["Required."]})
    warranty = _locked_warranty(warranty)
    if warranty.status != Warranty.Status.PENDING_REVIEW:
        raise Conflict(f"This warranty is {warranty.get_status_display().lower()}; only a pending one can be rejected.")
    warranty.status = Warranty.Status.REJECTED
    warranty.reviewed_by, warranty.reviewed_at, warranty.review_note = staff_user, timezone.now(), reason.strip()
    warranty.credits_refunded = warranty.credits_charged
    warranty.save()
    if warranty.credits_charged:
        credits_refund(
            user=warranty.owner,
            amount=warranty.credits_charged,
            reference=warranty.id,
            description=f"Refund: warranty {warranty.id} rejected",
        )
    transaction.on_commit(lambda: events.warranty_decided_emit(warranty.pk), robust=True)
    transaction.on_commit(lambda: emails.send_warranty_rejected(warranty=warranty), robust=True)
    return warranty


def warranties_expire() -> int:
    """Scheduled: approved warranties past their expiry become `expired`. Returns how many."""
    now = timezone.now()
    return Warranty.objects.filter(status=Warranty.Status.APPROVED, expires_at__lte=now).update(
        status=Warranty.Status.EXPIRED, expired_at=now
    )


# --- Claims ----------------------------------------------------------------------------------------


def _enqueue_measurement(claim_id: str) -> None:
    async_task(
        "warranties.tasks.claim_measure_task",
        claim_id,
        q_options={"timeout": settings.Q_CLUSTER["timeout"], "task_name": f"claim {claim_id}"},
    )


def _holdout_for(*, warranty: Warranty, holdout_dataset_id: str) -> Dataset:
    holdout = Dataset.objects.filter(owner=warranty.owner, pk=holdout_dataset_id).first()
    if holdout is None:
        raise NotFound(
            f"Not found: holdout_dataset_id {holdout_dataset_id!r} is not a dataset in your account.",
            details={"holdout_dataset_id": ["Dataset not found."]},
        )
    if holdout.status != Dataset.Status.READY:
        raise Conflict(f"The holdout dataset is {holdout.status}; it must be ready (uploaded and inspected).")
    validation = warranty.validation
    if validation.dataset_id is None:
        raise Conflict("The validated file was deleted, so the baseline cannot be trained again to measure a claim.")
    if holdout.pk == validation.dataset_id:
        message = "the holdout must be fresh labelled rows, not the validated file itself."
        raise InvalidInput(f"Validation failed: {message}", details={"holdout_dataset_id": [message]})
    from validations.engine.prediction.terms import MIN_HOLDOUT_ROWS

    if (holdout.row_count or 0) < MIN_HOLDOUT_ROWS:
        message = (
            f"the holdout has {holdout.row_count or 0} rows; a claim needs at least {MIN_HOLDOUT_ROWS} "
            "fresh labelled rows to be evidence (see the warranty's conditions)."
        )
        raise InvalidInput(f"Validation failed: {message}", details={"holdout_dataset_id": [message]})
    column_names = {column.get("name") for column in holdout.columns or []}
    if column_names and validation.target_column not in column_names:
        message = f"the holdout has no {validation.target_column!r} column (the warranty's target)."
        raise InvalidInput(f"Validation failed: {message}", details={"holdout_dataset_id": [message]})
    return holdout


@transaction.atomic
def claim_submit(*, warranty: Warranty, holdout_dataset_id: str, evidence: str = "") -> Claim:
    """Files a claim on an approved, unexpired warranty; the measuring job is queued on commit.

    Raises NotFound (404, naming holdout_dataset_id) for another account's or no dataset, Conflict
    (409) when the warranty cannot be claimed, the dataset is not ready or a claim is already open,
    InvalidInput (422) when the holdout cannot measure the warranty's target.
    """
    warranty = _locked_warranty(warranty)
    if warranty.status != Warranty.Status.APPROVED or warranty.expires_at <= timezone.now():
        state = "expired" if warranty.status == Warranty.Status.APPROVED else warranty.get_status_display().lower()
        raise Conflict(f"This warranty is {state}; claims can be made only on an approved, unexpired warranty.")
    holdout = _holdout_for(warranty=warranty, holdout_dataset_id=holdout_dataset_id)
    if warranty.claims.filter(status__in=Claim.OPEN).exists():
        raise Conflict("This warranty already has an open claim; wait for its decision before filing another.")
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                warranty=warranty,
                holdout_dataset=holdout,
                holdout_dataset_name=holdout.name,
                evidence=(evidence or "").strip(),
            )
    except IntegrityError:
        raise Conflict("This warranty already has an open claim; wait for its decision before filing another.")
    claim_id = claim.pk
    transaction.on_commit(lambda: _enqueue_measurement(claim_id))
    return claim


def _locked_claim(claim: Claim) -> tuple[Warranty, Claim]:
    # Warranty first, then claim: every path takes them in this order, so two never deadlock.
    warranty = _locked_warranty(claim.warranty)
    return warranty, Claim.objects.select_for_update().get(pk=claim.pk)


@transaction.atomic
def claim_approve(*, claim: Claim, staff_user, note: str = "") -> Claim:
    """Staff approve a measured claim: the warranty's coverage is paid once, as credits (ledger
    `claim_payout`), the warranty becomes `claimed` and the customer is emailed on commit.

    Raises Conflict (409) unless the claim is measured and its warranty approved (or expired since
    the claim was filed); a second approval (double click, retry) changes and pays nothing.
    """
    _require_staff(staff_user)
    warranty, claim = _locked_claim(claim)
    if claim.status != Claim.Status.MEASURED:
        raise Conflict(f"This claim is {claim.get_status_display().lower()}; only a measured claim can be approved.")
    now = timezone.now()
    paid = Warranty.objects.filter(
        pk=warranty.pk, status__in=[Warranty.Status.APPROVED, Warranty.Status.EXPIRED]
    ).update(status=Warranty.Status.CLAIMED, claimed_at=now)
    decided = Claim.objects.filter(pk=claim.pk, status=Claim.Status.MEASURED).update(
        status=Claim.Status.APPROVED,
        decided_by=staff_user,
        decided_at=now,
        decision_note=(note or "").strip(),
        payout_credits=warranty.coverage_credits,
    )
    if not (paid and decided):
        raise Conflict(f"The warranty is {warranty.get_status_display().lower()}; it cannot pay out.")
    credits_grant(
        user=warranty.owner,
        amount=warranty.coverage_credits,
        kind=TransactionKind.CLAIM_PAYOUT,
        reference=claim.pk,
        description=f"Warranty {warranty.pk}: claim {claim.pk} approved",
    )
    claim.refresh_from_db()
    transaction.on_commit(lambda: events.claim_decided_emit(claim.pk), robust=True)
    transaction.on_commit(lambda: emails.send_claim_approved(claim=claim), robust=True)
    return claim


@transaction.atomic
def claim_reject(*, claim: Claim, staff_user, reason: str) -> Claim:
    """Staff reject a measured claim with a reason, emailed to the customer on commit; the warranty
    stays approved until it expires. Raises Conflict (409) unless measured, InvalidInput without a reason."""
    _require_staff(staff_user)
    if not (reason or "").strip():
        raise InvalidInput("Validation failed: a rejection needs a reason.", details={"reason": ["Required."]})
    _, claim = _locked_claim(claim)
    if claim.status != Claim.Status.MEASURED:
        raise Conflict(f"This claim is {claim.get_status_display().lower()}; only a measured claim can be rejected.")
    claim.status = Claim.Status.REJECTED
    claim.decided_by, claim.decided_at, claim.decision_note = staff_user, timezone.now(), reason.strip()
    claim.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    transaction.on_commit(lambda: events.claim_decided_emit(claim.pk), robust=True)
    transaction.on_commit(lambda: emails.send_claim_rejected(claim=claim), robust=True)
    return claim
