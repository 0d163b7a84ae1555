"""Outbound webhooks: a customer's endpoints, the events Synthos emitted, and every delivery attempt."""

import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from synthos.ids import make_id


class EventType(models.TextChoices):
    DATASET_READY = "dataset.ready", "Dataset ready"
    DATASET_FAILED = "dataset.failed", "Dataset failed"
    VALIDATION_SUCCEEDED = "validation.succeeded", "Validation succeeded"
    VALIDATION_FAILED = "validation.failed", "Validation failed"
    WARRANTY_APPROVED = "warranty.approved", "Warranty approved"
    WARRANTY_REJECTED = "warranty.rejected", "Warranty rejected"
    CLAIM_DECIDED = "claim.decided", "Claim decided"


# Sent only by "Send test event"; endpoints never subscribe to it.
PING = "ping"


def new_endpoint_id() -> str:
    return make_id("we")


def new_event_id() -> str:
    return make_id("evt")


def new_delivery_id() -> str:
    return make_id("whd")


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookEndpoint(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_endpoint_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    description = models.CharField(max_length=255, blank=True, default="")
    # Stored as-is, like Stripe's endpoint secrets: an HMAC can only be computed with the secret
    # itself, so a hash would be useless. It is shown in full once (at creation) and never in
    # lists; database access is protected like the rest of the customer's data.
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    is_active = models.BooleanField(default=True)
    # Start of the current run of failed attempts (null after any success); see WEBHOOKS_DISABLE_AFTER_DAYS.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "is_active"], name="webhook_endpoint_owner_active")]

    def __str__(self) -> str:
        return f"{self.url} ({self.id})"

    @property
    def secret_hint(self) -> str:
        return f"{self.secret[:10]}…"


class WebhookEvent(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_event_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_events")
    type = models.CharField(max_length=40)
    # DjangoJSONEncoder: callers may pass datetimes, Decimals and UUIDs as they are.
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} ({self.id})"


class WebhookDelivery(models.Model):
    """One event to one endpoint: attempted until it succeeds or the retry schedule runs out."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    id = models.CharField(primary_key=True, max_length=32, default=new_delivery_id, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    # The sweeper picks up pending deliveries once this has passed.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set by the worker that claims an attempt; a claim past this time belongs to a dead worker.
    locked_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "succeeded", "failed"]), name="webhook_delivery_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    is_success = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True, default="")  # at most RESPONSE_EXCERPT_BYTES
    error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_unique"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
