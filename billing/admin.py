from django.contrib import admin
from django.utils.html import format_html

from billing.models import CreditAccount, CreditPackage, CreditTransaction, Purchase, StripeEvent, TierChange


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledger and audit rows are written by services only; staff read them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CreditTransaction)
class CreditTransactionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "kind", "amount", "balance_after", "reference", "created_by"]
    list_filter = ["kind"]
    search_fields = ["account__user__email", "reference", "id"]
    list_select_related = ["account__user", "created_by"]
    date_hierarchy = "created_at"


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "from_tier", "to_tier", "reason", "changed_by"]
    list_select_related = ["account__user", "changed_by"]


@admin.register(CreditPackage)
class CreditPackageAdmin(admin.ModelAdmin):
    list_display = ["name", "credits", "price_cents", "currency", "is_active", "sort_order", "stripe_price_id"]
    list_editable = ["is_active", "sort_order"]
    readonly_fields = ["id", "created_at"]


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "package", "credits", "price_cents", "currency", "status", "stripe_link"]
    list_filter = ["status", "package"]
    search_fields = ["id", "account__user__email", "stripe_session_id", "stripe_payment_intent_id"]
    list_select_related = ["account__user", "package"]
    readonly_fields = ["stripe_link"]

    @admin.display(description="Stripe")
    def stripe_link(self, purchase):
        if purchase.stripe_payment_intent_id:
            return format_html(
                '<a href="https://dashboard.stripe.com/payments/{}" target="_blank" rel="noopener">{}</a>',
                purchase.stripe_payment_intent_id,
                purchase.stripe_payment_intent_id,
            )
        return purchase.stripe_session_id or "—"


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "id", "type", "outcome"]
    list_filter = ["type"]
    search_fields = ["id", "outcome"]


@admin.register(CreditAccount)
class CreditAccountAdmin(ReadOnlyAdmin):
    """Balances and what is owed after refunds; changes go through the user page's staff actions."""

    list_display = ["user", "balance", "owed", "tier", "stripe_customer_id", "updated_at"]
    list_filter = ["tier"]
    ordering = ["-owed", "-balance"]
    search_fields = ["user__email", "stripe_customer_id"]
    list_select_related = ["user"]
