"""`{% run_validation_form dataset %}`: the dataset page's "Run validation" card."""

from django import template

from validations.presentation import tier_cards

register = template.Library()


@register.inclusion_tag("validations/_run_form.html", takes_context=True)
def run_validation_form(context, dataset) -> dict:
    # nav_account is the lazily loaded credit account every dashboard page already has.
    account = context.get("nav_account")
    return {
        "dataset": dataset,
        "tiers": tier_cards(),
        "balance": account.balance if account is not None else None,
        "column_names": [column["name"] for column in dataset.columns],
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def percent(value) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f}%"
