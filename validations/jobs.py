"""The validation job (worker side): claim, run the engine on the stored file, settle credits.

Every state change is a conditional UPDATE fenced by status and attempt number, so a redelivered
job, a stale worker that wakes up, a cancel and the sweeper can race without double-settling:
whoever changes the row settles the credits, in the same transaction; the others change nothing.
The engine is imported inside `validation_run` only: web processes never load it.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from contextlib import ExitStack
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from billing.pricing import VALIDATION_COSTS
from datasets.storage import get_storage
from validations.gates import gate_evaluate
from validations.models import Validation
from validations.services import idempotency_keys_expire, refund_once
from validations.summaries import validation_summary

logger = logging.getLogger(__name__)

RUNNING = Validation.Status.RUNNING
# Test-only hook: seconds to sleep at each stage boundary, so a test can kill a worker mid-run.
# Read from the environment (never a setting) and only ever set by the qcluster tests.
TEST_STAGE_SLEEP_ENV = "SYNTHOS_TEST_VALIDATION_STAGE_SLEEP"

INTERNAL_ERROR = (
    "Synthos could not finish this validation because of an internal error on our side; "
    "your {credits} credits were refunded. Support has the details — quote the validation id."
)


class _Stopped(Exception):
    """The validation was canceled or taken over by another attempt: drop everything."""


class _TimedOut(Exception):
    pass


def _stale_before():
    return timezone.now() - timedelta(seconds=settings.VALIDATION_HEARTBEAT_STALE_SECONDS)


def _claim(validation_id: str) -> int | None:
    """Take the validation for this run; returns its attempt number, or None if nothing to do."""
    now = timezone.now()
    queued = Validation.objects.filter(pk=validation_id, status=Validation.Status.QUEUED)
    if queued.update(
        status=RUNNING, attempts=F("attempts") + 1, heartbeat_at=now, started_at=now, stage="starting", progress=0
    ):
        return Validation.objects.values_list("attempts", flat=True).get(pk=validation_id)
    row = Validation.objects.filter(pk=validation_id, status=RUNNING).values("attempts", "heartbeat_at").first()
    if row is None:
        return None  # finished or canceled meanwhile: a redelivery has nothing to do
    stale_before = _stale_before()
    if row["heartbeat_at"] and row["heartbeat_at"] > stale_before:
        return None  # another worker is on it and alive
    if row["attempts"] >= settings.VALIDATION_MAX_ATTEMPTS:
        _settle_failed(
            validation_id,
            attempt=row["attempts"],
            error=(
                f"The validation was started {row['attempts']} times and the worker running it stopped each "
                "time (the file may be too large for the worker's memory); your {credits} credits were refunded."
            ),
        )
        return None
    # The worker that had it was killed: take it over, counting the attempt django-q2 does not.
    retaken = (
        Validation.objects.filter(pk=validation_id, status=RUNNING, attempts=row["attempts"])
        .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lte=stale_before))
        .update(attempts=F("attempts") + 1, heartbeat_at=now, stage="restarting", progress=0)
    )
    return row["attempts"] + 1 if retaken else None


def emit_validation_event(validation_id: str) -> None:
    """Tell the owner's webhook endpoints that a run finished (validation.succeeded / .failed)."""
    from synthos.webhooks.services import event_emit

    validation = Validation.objects.select_related("owner").get(pk=validation_id)
    event_emit(user=validation.owner, type=f"validation.{validation.status}", data=validation_summary(validation))


def _settle_failed(validation_id: str, *, error: str, attempt: int | None = None, condition: Q | None = None) -> bool:
    """running → failed with a plain-English error and a full refund, exactly once."""
    with transaction.atomic():
        rows = Validation.objects.filter(pk=validation_id, status=RUNNING)
        if attempt is not None:
            rows = rows.filter(attempts=attempt)
        if condition is not None:
            rows = rows.filter(condition)
        charged = Validation.objects.filter(pk=validation_id).values_list("credits_charged", flat=True).first() or 0
        changed = rows.update(
            status=Validation.Status.FAILED,
            error=error.replace("{credits}", str(charged)),
            finished_at=timezone.now(),
            credits_refunded=F("credits_charged"),
        )
        if changed:
            transaction.on_commit(lambda: emit_validation_event(validation_id), robust=True)
            refund_once(
                validation_id=validation_id, amount=charged, description=f"Refund: validation {validation_id} failed"
            )
    return bool(changed)


def _settle_succeeded(validation: Validation, *, attempt: int, report: dict) -> bool:
    collapse = report.get("collapse_risk") or {}
    prediction = report.get("prediction")
    refund = 0
    if validation.tier == Validation.Tier.COMPREHENSIVE and prediction is None:
        # No prediction was possible (e.g. a constant target): the run is worth a standard one.
        refund = VALIDATION_COSTS["comprehensive"] - VALIDATION_COSTS["standard"]
    now = timezone.now()
    with transaction.atomic():
        changed = Validation.objects.filter(pk=validation.pk, status=RUNNING, attempts=attempt).update(
            status=Validation.Status.SUCCEEDED,
            progress=100,
            stage="done",
            heartbeat_at=now,
            finished_at=now,
            report=report,
            timings=report.get("timings") or {},
            quality_score=report.get("quality_score"),
            collapse_score=collapse.get("score"),
            collapse_level=collapse.get("level") or "",
            prediction=prediction,
            gate=gate_evaluate(rules=validation.fail_if, report=report) if validation.fail_if else None,
            credits_refunded=refund,
        )
        if changed:
            transaction.on_commit(lambda: emit_validation_event(validation.pk), robust=True)
            refund_once(
                validation_id=validation.pk,
                amount=refund,
                description=f"Refund: validation {validation.pk} could make no prediction",
            )
    return bool(changed)


class _Progress:
    """The engine's progress callback: writes progress at most about once a second and, at every
    stage boundary, stops the run if it was canceled, taken over or is past its time limit."""

    def __init__(self, validation_id: str, attempt: int):
        self.rows = Validation.objects.filter(pk=validation_id, status=RUNNING, attempts=attempt)
        self.started = time.monotonic()
        self.last_write = 0.0
        self.sleep = float(os.environ.get(TEST_STAGE_SLEEP_ENV) or 0)

    def __call__(self, stage: str, percent: int) -> None:
        if self.sleep:
            time.sleep(self.sleep)
        if time.monotonic() - self.started > settings.VALIDATION_JOB_TIMEOUT_SECONDS:
            raise _TimedOut
        now = time.monotonic()
        if now - self.last_write >= settings.VALIDATION_PROGRESS_WRITE_SECONDS:
            self.last_write = now
            still_ours = self.rows.update(
                stage=stage[:64] or "running", progress=max(0, min(int(percent), 99)), heartbeat_at=timezone.now()
            )
        else:
            still_ours = self.rows.exists()
        if not still_ours:
            raise _Stopped


class _Heartbeat:
    """A thread that keeps heartbeat_at fresh while one long engine check runs.

    Off for in-process (sync) queues: there is no separate worker that could die.
    """

    def __init__(self, validation_id: str, attempt: int):
        self.validation_id, self.attempt = validation_id, attempt
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name=f"heartbeat-{validation_id}")

    def _beat(self) -> None:
        try:
            while not self.stop.wait(settings.VALIDATION_HEARTBEAT_SECONDS):
                Validation.objects.filter(pk=self.validation_id, status=RUNNING, attempts=self.attempt).update(
                    heartbeat_at=timezone.now()
                )
        except Exception:
            logger.exception("validation %s: heartbeat failed", self.validation_id)
        finally:
            connection.close()

    def __enter__(self):
        if not settings.Q_CLUSTER.get("sync") and settings.VALIDATION_HEARTBEAT_SECONDS > 0:
            self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)


def _json_safe(value):
    """The report as stored JSON: numpy scalars become numbers, NaN and infinities become null."""
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _run_engine(validation: Validation, attempt: int) -> dict:
    from validations.engine.runner import TIERS, run_validation

    if validation.tier not in TIERS:
        raise _Unavailable(
            f"The {validation.tier} tier is not available yet; your {{credits}} credits were refunded. "
            f"Run a {' or '.join(TIERS)} validation meanwhile."
        )
    dataset, reference = validation.dataset, validation.reference_dataset
    if dataset is None:
        raise _Unavailable("The dataset was deleted before the validation ran; your {credits} credits were refunded.")
    storage = get_storage()
    with ExitStack() as stack, _Heartbeat(validation.pk, attempt):
        path = stack.enter_context(storage.local_copy(key=dataset.storage_key))
        reference_path = None
        if reference is not None:
            reference_path = stack.enter_context(storage.local_copy(key=reference.storage_key))
        report = run_validation(
            path,
            tier=validation.tier,
            fmt=dataset.format,
            target=validation.target_column or None,
            text_column=validation.text_column or None,
            reference=reference_path,
            expected_rows=dataset.expected_rows,
            progress=_Progress(validation.pk, attempt),
        )
    return json.loads(json.dumps(_json_safe(report)))


class _Unavailable(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def validation_run(*, validation_id: str) -> None:
    """Worker: run one validation end to end. Never raises; every outcome is settled on the row.

    Failures on our side (exceptions, the time limit, a file that nothing of parses) end as
    `failed` with a plain-English error and a full refund; a cancel or a takeover drops the output.
    """
    from validations.engine.errors import EngineInputError

    attempt = _claim(validation_id)
    if attempt is None:
        return
    validation = Validation.objects.select_related("dataset", "reference_dataset").get(pk=validation_id)
    try:
        report = _run_engine(validation, attempt)
    except _Stopped:
        logger.info("validation %s: canceled or taken over; output discarded", validation_id)
        return
    except _TimedOut:
        minutes = settings.VALIDATION_JOB_TIMEOUT_SECONDS // 60 or 1
        error = (
            f"The validation ran past its {minutes}-minute time limit and was stopped; "
            "your {credits} credits were refunded."
        )
    except EngineInputError as exc:
        error = f"{exc.message} Nothing in the file could be validated; your {{credits}} credits were refunded."
    except _Unavailable as exc:
        error = exc.message
    except FileNotFoundError:
        error = "The dataset's file is missing from storage; your {credits} credits were refunded."
    except Exception:
        logger.exception("validation %s: the job crashed", validation_id)
        error = INTERNAL_ERROR
    else:
        _settle_succeeded(validation, attempt=attempt, report=report)
        return
    _settle_failed(validation_id, attempt=attempt, error=error)


def validation_sweep() -> int:
    """Scheduled: settle validations whose worker died (running, heartbeat stale) as failed + refunded.

    Also forgets expired Idempotency-Keys. Returns how many validations it settled.
    """
    stale_before = _stale_before()
    condition = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale_before)
    stale = Validation.objects.filter(condition, status=RUNNING).values_list("pk", flat=True)
    settled = 0
    for validation_id in list(stale):
        settled += _settle_failed(
            validation_id,
            condition=condition,
            error=(
                "The worker running this validation stopped responding (it was restarted or ran out of "
                "memory); your {credits} credits were refunded. Start it again, or contact support if it repeats."
            ),
        )
    idempotency_keys_expire()
    return settled
