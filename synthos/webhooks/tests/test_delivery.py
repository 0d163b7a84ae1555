"""Delivering events: signatures checked by an independent receiver, retries after 500s and timeouts,
the attempt log, disabling after days of failures, SSRF at delivery time, resend, dataset events."""

import json
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from datasets.models import Dataset
from datasets.services import _finish
from datasets.tests.factories import DatasetFactory
from synthos.webhooks import services
from synthos.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from synthos.webhooks.tests.factories import make_endpoint

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def endpoint(owner, receiver, dev_targets):
    endpoint = make_endpoint(owner=owner, url=receiver.url)
    receiver.secret = endpoint.secret
    return endpoint


def emit(owner, type="validation.succeeded", **data):
    return services.event_emit(user=owner, type=type, data={"id": "val_x", **data})


def attempts(delivery) -> list[tuple]:
    return [
        (attempt.number, attempt.status_code, attempt.is_success)
        for attempt in WebhookAttempt.objects.filter(delivery=delivery).order_by("number")
    ]


def test_an_event_reaches_the_receiver_signed_with_the_endpoint_secret(owner, endpoint, receiver):
    event = emit(owner, quality_score=91)
    assert len(receiver.received) == 1
    received = receiver.received[0]
    assert received.signature_ok is True
    assert received.path == "/hooks/synthos"
    assert received.event == {
        "id": event.id,
        "type": "validation.succeeded",
        "created": event.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "data": {"id": "val_x", "quality_score": 91},
    }
    assert event.id.startswith("evt_")
    assert received.headers["Synthos-Event-Id"] == event.id
    assert received.headers["User-Agent"] == "Synthos-Webhooks/1"
    assert received.headers["Content-Type"] == "application/json"
    timestamp = int(received.headers["Synthos-Signature"].split(",")[0].removeprefix("t="))
    assert abs(time.time() - timestamp) < 60
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.status == "succeeded" and attempts(delivery) == [(1, 200, True)]


def test_a_receiver_with_another_secret_rejects_the_signature(owner, endpoint, receiver):
    receiver.secret = "whsec_not-the-right-one"
    emit(owner)
    assert receiver.received[0].signature_ok is False


def test_a_tampered_body_fails_the_receivers_check(owner, endpoint, receiver):
    from synthos.webhooks.tests.receiver import verify_signature

    emit(owner)
    received = receiver.received[0]
    tampered = received.body.replace(b"validation.succeeded", b"validation.failed")
    assert not verify_signature(secret=endpoint.secret, header=received.headers["Synthos-Signature"], body=tampered)


def test_only_active_endpoints_subscribed_to_the_type_get_the_event(owner, outsider, receiver, dev_targets):
    make_endpoint(owner=owner, url=receiver.url, events=["dataset.ready"])
    make_endpoint(owner=owner, url=receiver.url, is_active=False)
    make_endpoint(owner=outsider, url=receiver.url)
    assert emit(owner) is None
    assert receiver.received == [] and not WebhookEvent.objects.exists()
    with pytest.raises(ValueError):
        services.event_emit(user=owner, type="dataset.exploded", data={})


def test_500s_are_retried_on_the_schedule_with_every_attempt_logged(owner, endpoint, receiver, owner_client):
    receiver.statuses = [500, 502, 200]
    with freeze_time(START) as clock:
        event = emit(owner)
        delivery = WebhookDelivery.objects.get(event=event)
        assert delivery.status == "pending" and delivery.next_attempt_at == START + timedelta(seconds=60)
        assert services.deliveries_due_sweep() == 0  # not due yet
        clock.tick(timedelta(seconds=61))
        assert services.deliveries_due_sweep() == 1
        delivery.refresh_from_db()
        assert delivery.attempt_count == 2 and delivery.next_attempt_at == START + timedelta(seconds=61 + 300)
        clock.tick(timedelta(seconds=301))
        services.deliveries_due_sweep()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.next_attempt_at is None and delivery.last_status_code == 200
    assert attempts(delivery) == [(1, 500, False), (2, 502, False), (3, 200, True)]
    assert len(receiver.received) == 3 and {r.headers["Synthos-Event-Id"] for r in receiver.received} == {event.id}
    assert all(received.signature_ok for received in receiver.received)

    log = owner_client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries").json()["data"]
    assert len(log) == 1 and log[0]["status"] == "succeeded" and log[0]["event_type"] == "validation.succeeded"
    assert [(a["number"], a["status_code"], a["succeeded"]) for a in log[0]["attempts"]] == [
        (3, 200, True),
        (2, 502, False),
        (1, 500, False),
    ]
    first = log[0]["attempts"][2]
    assert first["error"] == "HTTP 500 is not a 2xx answer."
    assert first["response_excerpt"].startswith('{"received": true') and len(first["response_excerpt"]) == 1024
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None  # the success ended the run of failures


def test_a_delivery_gives_up_after_the_last_scheduled_retry(owner, endpoint, receiver, settings):
    settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS = [60, 120]
    receiver.statuses = [500]
    with freeze_time(START) as clock:
        delivery = WebhookDelivery.objects.get(event=emit(owner))
        for _ in range(3):
            clock.tick(timedelta(seconds=121))
            services.deliveries_due_sweep()
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.next_attempt_at is None
    assert attempts(delivery) == [(1, 500, False), (2, 500, False), (3, 500, False)]


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt_then_retried(owner, endpoint, receiver, settings):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.3
    receiver.delay_seconds = 1.5
    with freeze_time(START, tick=True) as clock:
        delivery = WebhookDelivery.objects.get(event=emit(owner))
        first = WebhookAttempt.objects.get(delivery=delivery)
        assert first.status_code is None and first.error == "Timed out after 0.3 s."
        assert delivery.status == "pending" and delivery.next_attempt_at is not None
        receiver.delay_seconds = 0
        clock.tick(timedelta(seconds=61))
        services.deliveries_due_sweep()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and attempts(delivery) == [(1, None, False), (2, 200, True)]


def test_an_endpoint_failing_for_days_is_disabled_and_its_owner_emailed(
    owner, endpoint, receiver, settings, mailoutbox
):
    settings.WEBHOOKS_DISABLE_AFTER_DAYS = 3
    receiver.statuses = [500]
    with freeze_time(START) as clock:
        emit(owner)
        endpoint.refresh_from_db()
        assert endpoint.failing_since == START and endpoint.is_active
        clock.tick(timedelta(days=2, hours=23))
        emit(owner)  # still inside the window
        endpoint.refresh_from_db()
        assert endpoint.is_active and mailoutbox == []
        clock.tick(timedelta(hours=2))
        emit(owner)
    endpoint.refresh_from_db()
    assert endpoint.is_active is False and endpoint.disabled_at is not None
    assert endpoint.disabled_reason == "Every delivery failed for 3 days."
    assert not WebhookDelivery.objects.filter(endpoint=endpoint, status="pending").exists()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [owner.email] and "disabled" in mail.subject
    assert endpoint.url in mail.body and f"/accounts/settings/webhooks/{endpoint.pk}/" in mail.body
    assert mail.alternatives[0][1] == "text/html" and endpoint.url in mail.alternatives[0][0]
    # Disabled: further events are not sent, and the sweeper leaves it alone.
    sent = len(receiver.received)
    assert emit(owner) is None and services.deliveries_due_sweep() == 0 and len(receiver.received) == sent


def test_a_success_in_between_restarts_the_failure_window(owner, endpoint, receiver, settings, mailoutbox):
    receiver.statuses = [500, 200, 500]
    with freeze_time(START) as clock:
        emit(owner)
        clock.tick(timedelta(days=2))
        emit(owner)  # 200
        clock.tick(timedelta(days=2))
        emit(owner)  # 500 again: a new run of failures starts now
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.failing_since == START + timedelta(days=4) and mailoutbox == []


# --- SSRF at delivery time -----------------------------------------------------------------------


def test_a_loopback_receiver_is_refused_at_delivery_in_production(owner, endpoint, receiver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    delivery = WebhookDelivery.objects.get(event=emit(owner))
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert receiver.received == [] and attempt.status_code is None
    assert attempt.error.startswith("Refused: The host '127.0.0.1' resolves to 127.0.0.1")


def test_a_hostname_rebound_to_loopback_after_registration_is_refused(
    owner, owner_client, receiver, production_targets, monkeypatch
):
    port = receiver.server.server_address[1]
    answer = {"ip": "93.184.216.34"}
    real_getaddrinfo = socket.getaddrinfo

    def fake_getaddrinfo(host, *args, **kwargs):
        if host == "hooks.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer["ip"], port))]
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    response = owner_client.post(
        "/api/v1/webhooks", {"url": f"http://hooks.example.com:{port}/h", "events": ["dataset.ready"]}, format="json"
    )
    assert response.status_code == 201
    answer["ip"] = "127.0.0.1"  # the attacker's DNS now points at the internal network
    event = services.event_emit(user=owner, type="dataset.ready", data={})
    attempt = WebhookAttempt.objects.get(delivery__event=event)
    assert "resolves to 127.0.0.1" in attempt.error and receiver.received == []


# --- Resend and test events ----------------------------------------------------------------------


def test_resend_delivers_the_same_event_again_as_a_new_delivery(owner, endpoint, receiver, owner_client):
    event = emit(owner)
    delivery = WebhookDelivery.objects.get(event=event)
    response = owner_client.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/resend")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["id"] != delivery.pk and body["event_id"] == event.id and body["status"] == "succeeded"
    assert [r.headers["Synthos-Event-Id"] for r in receiver.received] == [event.id, event.id]
    assert all(received.signature_ok for received in receiver.received)


def test_resend_to_a_disabled_endpoint_is_a_409(owner, endpoint, owner_client):
    delivery = WebhookDelivery.objects.get(event=emit(owner))
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    response = owner_client.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/resend")
    assert response.status_code == 409 and "disabled" in response.json()["error"]["message"]


def test_a_delivery_of_another_endpoint_cannot_be_resent_through_mine(owner, endpoint, owner_client, receiver):
    other = make_endpoint(owner=owner, url=receiver.url)
    delivery = WebhookDelivery.objects.filter(endpoint=other, event=emit(owner)).get()
    response = owner_client.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/resend")
    assert response.status_code == 404


def test_send_test_event_pings_the_endpoint(owner, endpoint, receiver, owner_client):
    response = owner_client.post(f"/api/v1/webhooks/{endpoint.pk}/test")
    assert response.status_code == 202 and response.json()["event_type"] == "ping"
    received = receiver.received[0]
    assert received.event["type"] == "ping" and received.event["data"]["endpoint_id"] == endpoint.pk
    assert received.signature_ok is True


def test_a_second_attempt_of_the_same_delivery_is_not_made_twice(owner, endpoint, receiver):
    delivery = WebhookDelivery.objects.get(event=emit(owner))
    services.delivery_attempt(delivery_id=delivery.pk)  # already succeeded: the claim fails
    assert len(receiver.received) == 1


# --- Dataset events (datasets.services._finish) ----------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "type"),
    [
        ({"status": Dataset.Status.READY, "error": ""}, "dataset.ready"),
        ({"status": Dataset.Status.FAILED, "error": "The file has a header but no data rows."}, "dataset.failed"),
    ],
)
def test_a_finished_inspection_emits_a_dataset_event(owner, endpoint, receiver, fields, type):
    dataset = DatasetFactory(owner=owner, status=Dataset.Status.PROCESSING)
    _finish(dataset.pk, **fields)
    assert len(receiver.received) == 1
    event = receiver.received[0].event
    assert event["type"] == type and receiver.received[0].signature_ok
    data = event["data"]
    assert data["id"] == dataset.pk and data["status"] == fields["status"] and data["error"] == fields["error"]
    assert data["row_count"] == 3 and data["columns"][0]["name"] == "id" and "preview" not in data
    assert json.dumps(data)  # plain JSON values only
    _finish(dataset.pk, **fields)  # no longer processing: nothing changes, nothing is sent
    assert len(receiver.received) == 1


def test_event_data_may_carry_datetimes_and_decimals(owner, endpoint, receiver):
    from decimal import Decimal

    emit(owner, finished_at=START, price=Decimal("49.00"))
    data = receiver.received[0].event["data"]
    assert data["finished_at"] == "2026-03-02T09:00:00Z" and data["price"] == "49.00"
