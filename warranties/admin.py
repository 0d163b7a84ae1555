"""Staff side of warranties: a review page per warranty (the validation's report summary, the
prediction evidence, the proposed terms) with approve (terms editable) and reject (refunded), and a
decision page per claim (guaranteed vs observed, the protocol) with approve (pays once) and reject."""

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from synthos.errors import ApplicationError
from warranties import services
from warranties.forms import ClaimApproveForm, ReasonForm, WarrantyApproveForm
from warranties.models import Claim, Warranty


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Rows change only through the services' actions on the page, never by editing fields."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field for field in self.fields or []]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        # The admin's URLs carry the primary key quoted ("_" becomes "_5F"); ours do too.
        extra_context.update(self.review_context(request, unquote(object_id)))
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    def review_context(self, request, object_id) -> dict:
        return {}

    def _run(self, request, object_id: str, action, success: str):
        obj = self.get_object(request, unquote(object_id))
        opts = self.model._meta
        if obj is None or not self.has_change_permission(request, obj):
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        try:
            action(obj)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, success)
        return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)]))


class ClaimInline(admin.TabularInline):
    model = Claim
    fields = ["id", "status", "holdout_dataset_name", "observed_value", "payout_credits", "created_at"]
    readonly_fields = fields
    show_change_link = True
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Warranty)
class WarrantyAdmin(_ReadOnlyAdmin):
    list_display = [
        "id",
        "owner",
        "status",
        "metric",
        "guaranteed_value",
        "coverage_credits",
        "expires_at",
        "created_at",
    ]
    list_filter = ["status", "metric"]
    search_fields = ["id", "owner__email", "validation__id"]
    list_select_related = ["owner"]
    ordering = ["-created_at"]
    fields = [
        "id",
        "owner",
        "validation",
        "status",
        "metric",
        "guaranteed_value",
        "coverage_credits",
        "expires_at",
        "conditions",
        "proposed_terms",
        "credits_charged",
        "credits_refunded",
        "reviewed_by",
        "reviewed_at",
        "review_note",
        "created_at",
        "claimed_at",
        "expired_at",
    ]
    inlines = [ClaimInline]
    change_form_template = "admin/warranties/warranty/change_form.html"

    def get_urls(self):
        own = [
            path(
                "<str:object_id>/approve/",
                self.admin_site.admin_view(require_POST(self.approve_view)),
                name="warranties_warranty_approve",
            ),
            path(
                "<str:object_id>/reject/",
                self.admin_site.admin_view(require_POST(self.reject_view)),
                name="warranties_warranty_reject",
            ),
        ]
        return own + super().get_urls()

    def review_context(self, request, object_id) -> dict:
        warranty = self.get_object(request, object_id)
        if warranty is None:
            return {}
        validation = warranty.validation
        return {
            "validation": validation,
            "prediction": validation.prediction or {},
            "approve_form": WarrantyApproveForm(
                initial={
                    "guaranteed_value": warranty.guaranteed_value,
                    "coverage_credits": warranty.coverage_credits,
                    "expires_at": warranty.expires_at,
                    "conditions": warranty.conditions,
                }
            ),
            "reject_form": ReasonForm(),
        }

    def approve_view(self, request, object_id: str):
        form = WarrantyApproveForm(request.POST)
        if not form.is_valid():
            errors = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
            messages.error(request, f"The terms were not approved — {errors}")
            return redirect(reverse("admin:warranties_warranty_change", args=[object_id]))
        data = form.cleaned_data
        return self._run(
            request,
            object_id,
            lambda warranty: services.warranty_approve(warranty=warranty, staff_user=request.user, **data),
            "Warranty approved; the customer has been emailed.",
        )

    def reject_view(self, request, object_id: str):
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Give the customer a reason before rejecting.")
            return redirect(reverse("admin:warranties_warranty_change", args=[object_id]))
        return self._run(
            request,
            object_id,
            lambda warranty: services.warranty_reject(
                warranty=warranty, staff_user=request.user, reason=form.cleaned_data["reason"]
            ),
            "Warranty rejected; the credits were refunded and the customer has been emailed.",
        )


@admin.register(Claim)
class ClaimAdmin(_ReadOnlyAdmin):
    list_display = ["id", "warranty", "owner", "status", "observed_value", "guaranteed_value", "created_at"]
    list_filter = ["status"]
    search_fields = ["id", "warranty__id", "warranty__owner__email"]
    list_select_related = ["warranty__owner"]
    ordering = ["-created_at"]
    fields = [
        "id",
        "warranty",
        "status",
        "holdout_dataset",
        "holdout_dataset_name",
        "evidence",
        "observed_value",
        "measurement",
        "error",
        "attempts",
        "created_at",
        "started_at",
        "measured_at",
        "decided_by",
        "decided_at",
        "decision_note",
        "payout_credits",
    ]
    change_form_template = "admin/warranties/claim/change_form.html"

    @admin.display(description="owner")
    def owner(self, claim):
        return claim.warranty.owner

    @admin.display(description="guaranteed")
    def guaranteed_value(self, claim):
        return claim.warranty.guaranteed_value

    def get_urls(self):
        own = [
            path(
                "<str:object_id>/approve/",
                self.admin_site.admin_view(require_POST(self.approve_view)),
                name="warranties_claim_approve",
            ),
            path(
                "<str:object_id>/reject/",
                self.admin_site.admin_view(require_POST(self.reject_view)),
                name="warranties_claim_reject",
            ),
        ]
        return own + super().get_urls()

    def review_context(self, request, object_id) -> dict:
        claim = self.get_object(request, object_id)
        if claim is None:
            return {}
        warranty = claim.warranty
        shortfall = None if claim.observed_value is None else warranty.guaranteed_value - claim.observed_value
        return {
            "claim": claim,
            "warranty": warranty,
            "shortfall": shortfall,
            "falls_short": shortfall is not None and shortfall > 0,
            "approve_form": ClaimApproveForm(),
            "reject_form": ReasonForm(),
        }

    def approve_view(self, request, object_id: str):
        form = ClaimApproveForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        return self._run(
            request,
            object_id,
            lambda claim: services.claim_approve(claim=claim, staff_user=request.user, note=note),
            "Claim approved; the coverage was paid as credits and the customer has been emailed.",
        )

    def reject_view(self, request, object_id: str):
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Give the customer a reason before rejecting.")
            return redirect(reverse("admin:warranties_claim_change", args=[object_id]))
        return self._run(
            request,
            object_id,
            lambda claim: services.claim_reject(
                claim=claim, staff_user=request.user, reason=form.cleaned_data["reason"]
            ),
            "Claim rejected; the customer has been emailed the reason.",
        )
