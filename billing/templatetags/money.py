from django import template

register = template.Library()

_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}


@register.filter
def price(cents: int, currency: str = "usd") -> str:
    """Integer cents as a price: 4900, "usd" → "$49.00"; unknown currencies get their code."""
    amount = f"{cents // 100:,}.{cents % 100:02d}"
    symbol = _SYMBOLS.get(currency.lower())
    return f"{symbol}{amount}" if symbol else f"{amount} {currency.upper()}"
