from django.contrib import admin

from synthos.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "url", "is_active", "failing_since", "disabled_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["id", "url", "owner__email"]
    # The signing secret never appears in the admin.
    exclude = ["secret"]
    readonly_fields = ["id", "owner", "failing_since", "disabled_at", "created_at", "updated_at"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "is_success", "status_code", "duration_ms", "error", "response_excerpt", "created_at"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "endpoint", "event", "status", "attempt_count", "next_attempt_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["id", "event__id", "endpoint__id", "endpoint__owner__email"]
    readonly_fields = [
        "id",
        "endpoint",
        "event",
        "status",
        "attempt_count",
        "next_attempt_at",
        "locked_until",
        "last_status_code",
        "created_at",
        "updated_at",
    ]
    inlines = [WebhookAttemptInline]

    def has_add_permission(self, request) -> bool:
        return False
