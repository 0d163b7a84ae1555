from django.contrib import admin
from django.template.defaultfilters import filesizeformat

from datasets.models import Dataset


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "owner", "status", "size", "format", "row_count", "created_at", "short_error")
    list_filter = ("status", "format")
    search_fields = ("id", "name", "filename", "owner__email")
    list_select_related = ("owner",)
    ordering = ("-created_at",)
    fields = (
        "id",
        "owner",
        "name",
        "description",
        "status",
        "error",
        "filename",
        "format",
        "compression",
        "size_bytes",
        "declared_sha256",
        "sha256",
        "expected_rows",
        "row_count",
        "storage_key",
        "columns",
        "warnings",
        "created_at",
        "updated_at",
        "uploaded_at",
        "inspected_at",
    )
    # File facts come from the upload and the worker; staff may only rename or describe.
    readonly_fields = tuple(f for f in fields if f not in ("name", "description"))

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="size", ordering="size_bytes")
    def size(self, dataset: Dataset) -> str:
        return filesizeformat(dataset.size_bytes)

    @admin.display(description="error")
    def short_error(self, dataset: Dataset) -> str:
        return dataset.error[:80]
