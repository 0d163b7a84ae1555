from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.shortcuts import redirect, render
from django.urls import path, reverse

from accounts.models import ApiKey, User
from accounts.services import api_key_revoke
from billing.models import Tier
from billing.services import credits_adjust, tier_change
from synthos.errors import ApplicationError


class AdjustCreditsForm(forms.Form):
    amount = forms.IntegerField(help_text="Signed: 50 adds credits, -50 takes them away.")
    reason = forms.CharField(max_length=255, help_text="Kept in the ledger entry.")


class ChangeTierForm(forms.Form):
    tier = forms.ChoiceField(choices=Tier.choices)
    reason = forms.CharField(max_length=255, help_text="Kept in the tier audit record.")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-created_at"]
    list_display = ["email", "full_name", "tier", "balance", "is_verified", "is_active", "is_staff", "created_at"]
    list_filter = ["is_staff", "is_active", "credit_account__tier"]
    search_fields = ["email", "full_name", "company", "id"]
    readonly_fields = ["id", "created_at", "last_login", "email_verified_at", "tier", "balance"]
    fieldsets = [
        (None, {"fields": ["id", "email", "password"]}),
        ("Profile", {"fields": ["full_name", "company"]}),
        ("Credits", {"fields": ["tier", "balance"]}),
        ("Status", {"fields": ["is_active", "email_verified_at", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["created_at", "last_login"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    change_form_template = "admin/accounts/user/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("credit_account")

    @admin.display(ordering="credit_account__tier")
    def tier(self, user):
        return getattr(getattr(user, "credit_account", None), "tier", "—")

    @admin.display(ordering="credit_account__balance")
    def balance(self, user):
        return getattr(getattr(user, "credit_account", None), "balance", 0)

    @admin.display(boolean=True, description="verified")
    def is_verified(self, user):
        return user.is_email_verified

    def get_urls(self):
        own = [
            path(
                "<str:user_id>/adjust-credits/",
                self.admin_site.admin_view(self.adjust_credits),
                name="accounts_user_adjust_credits",
            ),
            path(
                "<str:user_id>/change-tier/",
                self.admin_site.admin_view(self.change_tier),
                name="accounts_user_change_tier",
            ),
        ]
        return own + super().get_urls()

    def _staff_form_page(self, request, user_id, *, form_class, title, apply):
        user = self.get_object(request, user_id)
        if user is None or not self.has_change_permission(request, user):
            return redirect("admin:accounts_user_changelist")
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                message = apply(user, form.cleaned_data)
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, message)
                return redirect(reverse("admin:accounts_user_change", args=[user.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "subject": user,
            "opts": self.model._meta,
        }
        return render(request, "admin/accounts/user/staff_action.html", context)

    def adjust_credits(self, request, user_id):
        def apply(user, data):
            entry = credits_adjust(user=user, amount=data["amount"], reason=data["reason"], staff_user=request.user)
            return f"Adjusted {user.email} by {entry.amount:+d} credits; balance is now {entry.balance_after}."

        return self._staff_form_page(
            request, user_id, form_class=AdjustCreditsForm, title="Adjust credits", apply=apply
        )

    def change_tier(self, request, user_id):
        def apply(user, data):
            change = tier_change(user=user, to_tier=data["tier"], reason=data["reason"], changed_by=request.user)
            return f"{user.email} moved to {data['tier']}." if change else f"{user.email} is already {data['tier']}."

        return self._staff_form_page(request, user_id, form_class=ChangeTierForm, title="Change tier", apply=apply)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__email", "id"]
    readonly_fields = ["id", "user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected API keys")
    def revoke(self, request, queryset):
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} API key(s).", messages.SUCCESS)
