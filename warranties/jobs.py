"""The claim-measuring job (worker side): retrain the documented baseline on the validated file and
measure it on the customer's holdout.

Claimed with a conditional UPDATE (`submitted` → `measuring`) and settled with another
(`measuring` → `measured` | `failed`), so a redelivered job or a stale worker changes nothing twice.
The engine is imported inside `claim_measure` only: web processes never load it.
"""

from __future__ import annotations

import json
import logging
import math
from contextlib import ExitStack
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from datasets.storage import get_storage
from warranties.models import Claim

logger = logging.getLogger(__name__)

MEASURING = Claim.Status.MEASURING


class _Unmeasurable(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _claim_row(claim_id: str) -> int | None:
    """Take the claim for this run; returns its attempt number, or None if nothing to do."""
    changed = Claim.objects.filter(pk=claim_id, status=Claim.Status.SUBMITTED).update(
        status=MEASURING, attempts=F("attempts") + 1, started_at=timezone.now()
    )
    if not changed:
        return None
    return Claim.objects.values_list("attempts", flat=True).get(pk=claim_id)


def _settle(claim_id: str, *, attempt: int, **fields) -> bool:
    return bool(Claim.objects.filter(pk=claim_id, status=MEASURING, attempts=attempt).update(**fields))


def _finite(value) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise _Unmeasurable("The baseline produced no finite score on the holdout.")
    return value


def _measure(claim: Claim) -> dict:
    from validations.engine.prediction.holdout import measure_on_holdout

    validation = claim.warranty.validation
    train, holdout = validation.dataset, claim.holdout_dataset
    if train is None:
        raise _Unmeasurable("The validated file was deleted, so the baseline could not be trained again.")
    if holdout is None:
        raise _Unmeasurable("The holdout dataset was deleted before it could be measured.")
    storage = get_storage()
    with ExitStack() as stack:
        train_path = stack.enter_context(storage.local_copy(key=train.storage_key))
        holdout_path = stack.enter_context(storage.local_copy(key=holdout.storage_key))
        result = measure_on_holdout(
            train_path,
            holdout_path,
            target=validation.target_column,
            text_column=validation.text_column or None,
            # One format for both files when they share it; otherwise each is sniffed.
            fmt=train.format if train.format == holdout.format else None,
        )
    return json.loads(json.dumps(result, default=float))


def claim_measure(*, claim_id: str) -> None:
    """Worker: measure one claim end to end. Never raises; the outcome is settled on the row."""
    from validations.engine.errors import EngineInputError

    attempt = _claim_row(claim_id)
    if attempt is None:
        return
    claim = Claim.objects.select_related("warranty__validation__dataset", "holdout_dataset").get(pk=claim_id)
    try:
        result = _measure(claim)
        observed = _finite(result["observed_value"])
    except _Unmeasurable as exc:
        error = exc.message
    except EngineInputError as exc:
        error = f"{exc} Upload the holdout again in a readable format and file a new claim."
    except FileNotFoundError:
        error = "A file needed for the measurement is missing from storage. Contact support with the claim id."
    except (ValueError, KeyError) as exc:
        logger.warning("claim %s: could not be measured: %s", claim_id, exc)
        error = f"The holdout could not be measured: {exc}. Check it has the target column and labelled rows."
    except Exception:
        logger.exception("claim %s: the measuring job crashed", claim_id)
        error = "Synthos could not measure this claim because of an internal error on our side. Contact support."
    else:
        measurement = {key: result.get(key) for key in ("metric", "model", "n_train", "n_holdout", "protocol")}
        _settle(
            claim_id,
            attempt=attempt,
            status=Claim.Status.MEASURED,
            observed_value=observed,
            measurement=measurement,
            measured_at=timezone.now(),
        )
        return
    _settle(claim_id, attempt=attempt, status=Claim.Status.FAILED, error=error, measured_at=timezone.now())


def claims_sweep() -> int:
    """Scheduled: claims left `measuring` past the task timeout (their worker died) become `failed`,
    so the customer can file again. Returns how many."""
    stale_before = timezone.now() - timedelta(seconds=settings.Q_CLUSTER["timeout"] + 60)
    return Claim.objects.filter(status=MEASURING, started_at__lt=stale_before).update(
        status=Claim.Status.FAILED,
        error="The measurement stopped before it finished (the worker was restarted). File the claim again.",
        measured_at=timezone.now(),
    )
