from synthos.webhooks.models import EventType, WebhookEndpoint


def make_endpoint(*, owner, url: str, events=None, **fields) -> WebhookEndpoint:
    """An endpoint written straight to the database (no URL check: tests choose the settings)."""
    return WebhookEndpoint.objects.create(owner=owner, url=url, events=events or list(EventType.values), **fields)
