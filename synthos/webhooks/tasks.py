"""django-q2 tasks: thin wrappers that call one service."""

from synthos.webhooks import services


def webhook_attempt_task(delivery_id: str) -> None:
    services.delivery_attempt(delivery_id=delivery_id)


def webhook_deliveries_due_task() -> int:
    return services.deliveries_due_sweep()
