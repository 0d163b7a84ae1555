"""Staff view of validations, with a re-run action (normal price, or on the house with a reason)."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from synthos.errors import ApplicationError
from validations.forms import RerunForm
from validations.models import Validation
from validations.services import validation_rerun


@admin.register(Validation)
class ValidationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "owner",
        "dataset_name",
        "tier",
        "status",
        "progress",
        "duration",
        "credits_charged",
        "credits_refunded",
        "attempts",
        "created_at",
    )
    list_filter = ("status", "tier")
    search_fields = ("id", "dataset_name", "dataset__id", "owner__email")
    list_select_related = ("owner",)
    ordering = ("-created_at",)
    actions = ["rerun"]
    exclude = ("report",)
    readonly_fields = [field.name for field in Validation._meta.fields if field.name != "report"]

    def get_queryset(self, request):
        # The list never needs the reports.
        return super().get_queryset(request).defer("report")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="duration")
    def duration(self, validation: Validation) -> str:
        seconds = validation.duration_seconds
        return "—" if seconds is None else f"{seconds:.1f} s"

    @admin.action(description="Re-run selected validations (normal price, or on the house)")
    def rerun(self, request, queryset):
        form = RerunForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            started, refused = [], []
            for validation in queryset.select_related("owner"):
                try:
                    rerun = validation_rerun(
                        validation=validation,
                        staff_user=request.user,
                        on_the_house=form.cleaned_data["on_the_house"],
                        reason=form.cleaned_data["reason"],
                    )
                except ApplicationError as error:
                    refused.append(f"{validation.pk}: {error.message}")
                else:
                    started.append(rerun.pk)
            if started:
                self.message_user(request, f"Started {len(started)} re-run(s): {', '.join(started)}.", messages.SUCCESS)
            for problem in refused:
                self.message_user(request, problem, messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Re-run validations",
            "form": form,
            "validations": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "validations/admin_rerun.html", context)
