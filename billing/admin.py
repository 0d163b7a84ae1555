from django.contrib import admin

from billing.models import CreditPackage, CreditTransaction, TierChange


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
