"""Outbound webhooks: endpoints, emitting events, delivering them with retries, disabling dead endpoints.

Other apps call one function, `event_emit(user=…, type=…, data=…)`. Each subscribed active
endpoint gets a delivery, attempted on commit by the worker (`webhook_attempt_task`). A failed
attempt schedules the next one at `next_attempt_at` (WEBHOOKS_RETRY_SCHEDULE_SECONDS after it); a
sweeper scheduled every minute queues the deliveries that are due. That keeps the retry state in
our table, not in the queue, so it survives a worker restart and shows in the dashboard.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from synthos.errors import Conflict, InvalidInput
from synthos.webhooks import emails
from synthos.webhooks.models import (
    PING,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from synthos.webhooks.transport import TargetRefused, post, resolve_target

logger = logging.getLogger(__name__)

MAX_ENDPOINTS_PER_USER = 20
# How long a claimed attempt may run before the sweeper treats its worker as dead.
CLAIM_SLACK_SECONDS = 60


# --- Signing -------------------------------------------------------------------------------------


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` — Stripe's scheme, so receivers know it."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_payload(event: WebhookEvent) -> dict:
    return {
        "id": event.id,
        "type": event.type,
        "created": event.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "data": event.data,
    }


def event_body(event: WebhookEvent) -> bytes:
    return json.dumps(event_payload(event), separators=(",", ":"), sort_keys=True, default=str).encode()


# --- Endpoints -----------------------------------------------------------------------------------


def _clean_events(events) -> list[str]:
    known = EventType.values
    if not isinstance(events, list | tuple) or not events:
        raise InvalidInput(
            f"Validation failed: events must list at least one event type: {', '.join(known)}.",
            details={"events": ["Choose at least one event type."]},
        )
    unknown = [str(event) for event in events if event not in known]
    if unknown:
        raise InvalidInput(
            f"Validation failed: events: unknown event type {unknown[0]!r}; known types: {', '.join(known)}.",
            details={"events": [f"Unknown event type {name!r}." for name in unknown]},
        )
    return [event for event in known if event in events]


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    try:
        resolve_target(url)
    except TargetRefused as refused:
        raise InvalidInput(f"Validation failed: url: {refused}", details={"url": [str(refused)]}) from None
    return url


def endpoint_create(*, owner, url: str, events, description: str = "") -> WebhookEndpoint:
    """Register a receiver; its secret (whsec_…) is generated here and shown once by the caller.

    Raises InvalidInput (422) for an unknown event type, a malformed URL or (in production
    settings) one that resolves to a private address; Conflict (409) past MAX_ENDPOINTS_PER_USER.
    """
    events = _clean_events(events)
    url = _clean_url(url)
    if WebhookEndpoint.objects.filter(owner=owner).count() >= MAX_ENDPOINTS_PER_USER:
        raise Conflict(f"An account can have at most {MAX_ENDPOINTS_PER_USER} webhook endpoints; delete one first.")
    return WebhookEndpoint.objects.create(owner=owner, url=url, events=events, description=description.strip())


def endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events=None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint. Re-activating one clears its failure record. Raises as endpoint_create."""
    fields = ["updated_at"]
    if url is not None:
        endpoint.url = _clean_url(url)
        fields.append("url")
    if events is not None:
        endpoint.events = _clean_events(events)
        fields.append("events")
    if description is not None:
        endpoint.description = description.strip()
        fields.append("description")
    if is_active is not None and is_active != endpoint.is_active:
        endpoint.is_active = is_active
        endpoint.failing_since = None
        endpoint.disabled_at = None if is_active else timezone.now()
        endpoint.disabled_reason = "" if is_active else "Disabled by you."
        fields += ["is_active", "failing_since", "disabled_at", "disabled_reason"]
    endpoint.save(update_fields=fields)
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint with its delivery log (pending retries stop)."""
    endpoint.delete()


# --- Emitting ------------------------------------------------------------------------------------


def _enqueue(delivery_id: str) -> None:
    async_task(
        "synthos.webhooks.tasks.webhook_attempt_task",
        delivery_id,
        q_options={"timeout": int(settings.WEBHOOKS_TIMEOUT_SECONDS) + 30, "task_name": f"webhook {delivery_id}"},
    )


def _deliver_on_commit(deliveries: list[WebhookDelivery]) -> None:
    ids = [delivery.pk for delivery in deliveries]
    # Robust: a lost enqueue is not the caller's failure; the sweeper picks the delivery up.
    transaction.on_commit(lambda: [_enqueue(delivery_id) for delivery_id in ids], robust=True)


@transaction.atomic
def event_emit(*, user, type: str, data: dict) -> WebhookEvent | None:
    """Record an event for `user` and, on commit, queue one delivery per subscribed active endpoint.

    `data` is the object's public representation (what the API returns for it), JSON-ready.
    Nothing is recorded when no endpoint subscribes (returns None). Raises ValueError for an
    event type that is not in EventType (a programming error, not user input).
    """
    if type not in EventType.values:
        raise ValueError(f"unknown webhook event type {type!r}")
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(owner=user, is_active=True).only("id", "events")
        if type in endpoint.events
    ]
    if not endpoints:
        return None
    event = WebhookEvent.objects.create(owner=user, type=type, data=data)
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=endpoint, event=event, next_attempt_at=now) for endpoint in endpoints]
    )
    _deliver_on_commit(deliveries)
    return event


@transaction.atomic
def endpoint_send_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a `ping` event to this endpoint (even one not subscribed to anything in particular).

    Raises Conflict (409) when the endpoint is disabled.
    """
    if not endpoint.is_active:
        raise Conflict("This endpoint is disabled; enable it before sending a test event.")
    event = WebhookEvent.objects.create(
        owner=endpoint.owner,
        type=PING,
        data={"endpoint_id": endpoint.id, "message": "A test event from Synthos: your endpoint is reachable."},
    )
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=event, next_attempt_at=timezone.now())
    _deliver_on_commit([delivery])
    return delivery


@transaction.atomic
def delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Deliver the same event (same id, so receivers can de-duplicate) again, as a new delivery
    with its own retry schedule. Raises Conflict (409) when the endpoint is disabled."""
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        raise Conflict("This endpoint is disabled; enable it before resending.")
    resent = WebhookDelivery.objects.create(endpoint=endpoint, event=delivery.event, next_attempt_at=timezone.now())
    _deliver_on_commit([resent])
    return resent


# --- Delivering (worker) -------------------------------------------------------------------------


def _claim(delivery_id: str) -> bool:
    now = timezone.now()
    lock = now + timedelta(seconds=settings.WEBHOOKS_TIMEOUT_SECONDS + CLAIM_SLACK_SECONDS)
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=lock)
    )
    return bool(claimed)


def delivery_attempt(*, delivery_id: str) -> None:
    """Worker: make one attempt of a due delivery, log it, and settle or schedule the next one.

    Claimed with a conditional UPDATE, so a duplicate task (or the sweeper racing a retry) makes
    no second attempt. The HTTP call runs outside any transaction. Never raises for a receiver's
    failure: that is logged as the attempt's outcome.
    """
    if not _claim(delivery_id):
        return
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=WebhookDelivery.Status.FAILED, next_attempt_at=None, locked_until=None
        )
        return
    body = event_body(delivery.event)
    timestamp = int(time.time())
    outcome = post(
        endpoint.url,
        body=body,
        headers={
            "Synthos-Signature": signature_header(secret=endpoint.secret, timestamp=timestamp, body=body),
            "Synthos-Event-Id": delivery.event.id,
            "Synthos-Event-Type": delivery.event.type,
            "Synthos-Delivery-Id": delivery.id,
        },
        timeout=settings.WEBHOOKS_TIMEOUT_SECONDS,
    )
    _record_attempt(delivery, outcome)


def _record_attempt(delivery: WebhookDelivery, outcome) -> None:
    schedule = settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS
    now = timezone.now()
    number = delivery.attempt_count + 1
    disabled = False
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            is_success=outcome.is_success,
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error or ("" if outcome.is_success else f"HTTP {outcome.status_code} is not a 2xx answer."),
        )
        if outcome.is_success:
            status, next_attempt_at = WebhookDelivery.Status.SUCCEEDED, None
        elif number <= len(schedule):
            status, next_attempt_at = WebhookDelivery.Status.PENDING, now + timedelta(seconds=schedule[number - 1])
        else:
            status, next_attempt_at = WebhookDelivery.Status.FAILED, None
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=status,
            attempt_count=F("attempt_count") + 1,
            next_attempt_at=next_attempt_at,
            locked_until=None,
            last_status_code=outcome.status_code,
            updated_at=now,
        )
        endpoints = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
        if outcome.is_success:
            endpoints.exclude(failing_since=None).update(failing_since=None)
        else:
            endpoints.filter(failing_since=None).update(failing_since=now)
            disabled = _disable_if_failing_too_long(delivery.endpoint_id, now=now)
    if disabled:
        logger.warning("webhook endpoint %s disabled after failing for days", delivery.endpoint_id)


def _disable_if_failing_too_long(endpoint_id: str, *, now) -> bool:
    days = settings.WEBHOOKS_DISABLE_AFTER_DAYS
    cutoff = now - timedelta(days=days)
    reason = f"Every delivery failed for {days} days."
    disabled = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True, failing_since__lte=cutoff).update(
        is_active=False, disabled_at=now, disabled_reason=reason, updated_at=now
    )
    if not disabled:
        return False
    WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED, next_attempt_at=None, locked_until=None
    )
    transaction.on_commit(lambda: emails.send_endpoint_disabled(endpoint_id=endpoint_id), robust=True)
    return True


def deliveries_due_sweep() -> int:
    """Scheduled every minute: queue an attempt for every pending delivery whose time has come
    (retries, and first attempts whose task was lost). Returns how many were queued."""
    now = timezone.now()
    due = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
    for delivery_id in due:
        _enqueue(delivery_id)
    return len(due)
