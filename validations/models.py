"""Validations: one paid run of the engine on a dataset, its progress, its report and its credits."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from synthos.ids import make_id


def new_validation_id() -> str:
    return make_id("val")


class ValidationTier(models.TextChoices):
    QUICK = "quick", "Quick scan"
    STANDARD = "standard", "Standard"
    COMPREHENSIVE = "comprehensive", "Comprehensive"


class ValidationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


class Validation(models.Model):
    Tier = ValidationTier
    Status = ValidationStatus

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELED)

    id = models.CharField(primary_key=True, max_length=32, default=new_validation_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="validations")
    # SET_NULL: a report outlives its dataset's file; the name is kept for the list.
    dataset = models.ForeignKey(
        "datasets.Dataset", null=True, blank=True, on_delete=models.SET_NULL, related_name="validations"
    )
    dataset_name = models.CharField(max_length=200)
    reference_dataset = models.ForeignKey(
        "datasets.Dataset", null=True, blank=True, on_delete=models.SET_NULL, related_name="reference_validations"
    )
    tier = models.CharField(max_length=16, choices=Tier.choices)
    target_column = models.CharField(max_length=255, blank=True, default="")
    text_column = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=64, default="queued")
    error = models.TextField(blank=True, default="")
    credits_charged = models.PositiveIntegerField(default=0)
    credits_refunded = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    quality_score = models.PositiveSmallIntegerField(null=True, blank=True)
    collapse_score = models.FloatField(null=True, blank=True)
    collapse_level = models.CharField(max_length=16, blank=True, default="")
    prediction = models.JSONField(null=True, blank=True)
    # Pipeline gate: the rules given at start (validations.gates) and their outcome once succeeded.
    fail_if = models.JSONField(default=dict, blank=True)
    gate = models.JSONField(null=True, blank=True)
    report = models.JSONField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at", "-id"], name="validation_owner_created"),
            models.Index(fields=["dataset", "status"], name="validation_dataset_status"),
            models.Index(fields=["status", "heartbeat_at"], name="validation_status_heartbeat"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100), name="validation_progress_range"
            ),
            models.CheckConstraint(condition=Q(status__in=ValidationStatus.values), name="validation_status_valid"),
            models.CheckConstraint(condition=Q(tier__in=ValidationTier.values), name="validation_tier_valid"),
            models.CheckConstraint(condition=~Q(stage=""), name="validation_stage_not_empty"),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(report__isnull=False), name="validation_succeeded_has_report"
            ),
            models.CheckConstraint(condition=~Q(status="failed") | ~Q(error=""), name="validation_failed_has_error"),
            models.CheckConstraint(
                condition=Q(credits_refunded__lte=models.F("credits_charged")), name="validation_refund_within_charge"
            ),
            models.CheckConstraint(
                condition=Q(quality_score__isnull=True) | Q(quality_score__lte=100), name="validation_quality_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} of {self.dataset_name} ({self.id})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds(), 1)
        return None


class IdempotencyKey(models.Model):
    """The first response to a POST /validations with an `Idempotency-Key`, replayed for 24 h."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key_unique")]

    def __str__(self) -> str:
        return f"{self.key} ({self.owner_id})"
