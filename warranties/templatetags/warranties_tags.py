from django import template

from billing.pricing import WARRANTY_REQUEST

register = template.Library()


@register.simple_tag
def warranty_price() -> int:
    """What a warranty request costs, from billing/pricing.py (the one place prices live)."""
    return WARRANTY_REQUEST


_BADGES = {
    "pending_review": "pending",
    "approved": "paid",
    "claimed": "paid",
    "rejected": "failed",
    "expired": "expired",
    "submitted": "pending",
    "measuring": "pending",
    "measured": "pending",
    "failed": "failed",
}


@register.filter
def status_badge(status: str) -> str:
    """The badge style (from the shared stylesheet) for a warranty or claim status."""
    return _BADGES.get(status, "pending")
