"""Datasets: one uploaded file, its upload state and what inspection found in it."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from synthos.ids import make_id


def new_dataset_id() -> str:
    return make_id("ds")


class Dataset(models.Model):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        TSV = "tsv", "TSV"
        JSONL = "jsonl", "JSON Lines"
        PARQUET = "parquet", "Parquet"

    class Compression(models.TextChoices):
        NONE = "none", "None"
        GZIP = "gzip", "gzip"
        ZSTD = "zstd", "zstd"

    class Status(models.TextChoices):
        AWAITING_UPLOAD = "awaiting_upload", "Awaiting upload"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    id = models.CharField(primary_key=True, max_length=32, default=new_dataset_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    filename = models.CharField(max_length=255)
    format = models.CharField(max_length=16, choices=Format.choices)
    # Null (not ""): "not declared, sniff it" differs from a declared "none"; set at inspection.
    compression = models.CharField(max_length=8, choices=Compression.choices, null=True, blank=True)  # noqa: DJ001
    size_bytes = models.BigIntegerField()
    declared_sha256 = models.CharField(max_length=64, blank=True, default="")
    expected_rows = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING_UPLOAD)
    error = models.TextField(blank=True, default="")
    storage_key = models.CharField(max_length=512)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    row_count = models.BigIntegerField(null=True, blank=True)
    columns = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    # Set by the worker that claims the inspection; a stale claim means that worker died.
    inspection_claimed_at = models.DateTimeField(null=True, blank=True)
    inspected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="dataset_owner_created"),
            models.Index(fields=["status", "created_at"], name="dataset_status_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(size_bytes__gt=0), name="dataset_size_positive"),
            models.CheckConstraint(
                condition=Q(expected_rows__isnull=True) | Q(expected_rows__gte=0),
                name="dataset_expected_rows_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(row_count__isnull=True) | Q(row_count__gte=0), name="dataset_row_count_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(format__in=["csv", "tsv", "jsonl", "parquet"]), name="dataset_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(compression__isnull=True) | Q(compression__in=["none", "gzip", "zstd"]),
                name="dataset_compression_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["awaiting_upload", "processing", "ready", "failed"]),
                name="dataset_status_valid",
            ),
            models.CheckConstraint(condition=~Q(status="failed") | ~Q(error=""), name="dataset_failed_has_error"),
            models.CheckConstraint(
                condition=~Q(status="ready") | (Q(row_count__isnull=False) & ~Q(sha256="")),
                name="dataset_ready_has_facts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FAILED)
