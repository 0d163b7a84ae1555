from django.urls import reverse

from synthos.email import send_templated_email
from synthos.webhooks.models import WebhookEndpoint


def send_endpoint_disabled(*, endpoint_id: str) -> None:
    """Tell the owner that an endpoint was disabled after failing for days (text + HTML)."""
    endpoint = WebhookEndpoint.objects.select_related("owner").filter(pk=endpoint_id).first()
    if endpoint is None:
        return
    send_templated_email(
        to=endpoint.owner.email,
        subject="Synthos disabled a webhook endpoint that kept failing",
        template="webhook_disabled",
        context={
            "user": endpoint.owner,
            "endpoint": endpoint,
            "endpoint_path": reverse("webhooks:detail", args=[endpoint.pk]),
        },
    )
