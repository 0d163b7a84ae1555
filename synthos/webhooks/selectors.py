"""Reads for webhooks: an endpoint or delivery "for this user" (another account's is a 404)."""

from django.db.models import Prefetch, QuerySet

from synthos.errors import NotFound
from synthos.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

RECENT_ATTEMPTS_PER_DELIVERY = 10


def endpoint_list_for_user(*, user) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(owner=user)


def endpoint_get_for_user(*, user, endpoint_id: str) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(owner=user, pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("No webhook endpoint with this id in your account.")
    return endpoint


def delivery_list_for_endpoint(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """Newest first, with the event and the attempts (newest first) prefetched."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("-number")))
    )


def delivery_get_for_user(*, user, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.select_related("endpoint", "event")
        .filter(pk=delivery_id, endpoint_id=endpoint_id, endpoint__owner=user)
        .first()
    )
    if delivery is None:
        raise NotFound("No delivery with this id for this webhook endpoint in your account.")
    return delivery
