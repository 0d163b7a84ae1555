"""The /api/v1/webhooks endpoints: CRUD, the one-time secret, errors, tenant isolation, SSRF at creation."""

import socket

import pytest

from synthos.webhooks.models import WebhookEndpoint
from synthos.webhooks.tests.factories import make_endpoint

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks"


def create(client, **body):
    return client.post(URL, {"url": "http://127.0.0.1:9/hook", "events": ["dataset.ready"], **body}, format="json")


def test_it_creates_an_endpoint_and_shows_the_secret_once(owner_client, dev_targets):
    response = create(owner_client, description=" CI hook ", events=["validation.failed", "dataset.ready"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"].startswith("we_") and body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    # Events come back in the documented order; the description is trimmed.
    assert body["events"] == ["dataset.ready", "validation.failed"] and body["description"] == "CI hook"
    assert body["is_active"] is True and body["failing_since"] is None
    assert body["secret_hint"] == body["secret"][:10] + "…"
    listed = owner_client.get(URL).json()
    assert [item["id"] for item in listed["data"]] == [body["id"]]
    assert "secret" not in listed["data"][0]
    assert "secret" not in owner_client.get(f"{URL}/{body['id']}").json()


def test_it_updates_events_description_and_re_enables(owner, owner_client, dev_targets):
    endpoint = make_endpoint(
        owner=owner, url="http://127.0.0.1:9/", is_active=False, disabled_reason="Every delivery failed for 3 days."
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since="2026-01-01T00:00:00Z")
    response = owner_client.patch(
        f"{URL}/{endpoint.pk}", {"events": ["claim.decided"], "description": "x", "is_active": True}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["events"] == ["claim.decided"] and body["is_active"] is True
    assert body["failing_since"] is None and body["disabled_reason"] == "" and body["disabled_at"] is None


def test_it_deletes_an_endpoint(owner, owner_client):
    endpoint = make_endpoint(owner=owner, url="http://127.0.0.1:9/")
    assert owner_client.delete(f"{URL}/{endpoint.pk}").status_code == 204
    assert owner_client.get(f"{URL}/{endpoint.pk}").status_code == 404
    assert not WebhookEndpoint.objects.exists()


def test_it_rejects_an_unknown_event_type_with_the_envelope(owner_client, dev_targets):
    response = create(owner_client, events=["dataset.ready", "dataset.exploded"])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"].startswith("Validation failed: events: unknown event type 'dataset.exploded'")
    assert "validation.succeeded" in error["message"] and error["request_id"] == response["X-Request-ID"]
    assert error["details"] == {"events": ["Unknown event type 'dataset.exploded'."]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"events": []}, "Validation failed: events must list at least one event type"),
        ({"url": "ftp://example.com/x"}, "Validation failed: url: The URL must start with https://"),
        ({"url": "http://user:pw@127.0.0.1/"}, "Validation failed: url: The URL must not contain a user name"),
        ({"url": "http:///nohost"}, "Validation failed: url: The URL has no host."),
    ],
)
def test_it_rejects_bad_input(owner_client, dev_targets, body, message):
    response = create(owner_client, **body)
    assert response.status_code == 422 and response.json()["error"]["message"].startswith(message)


def test_a_missing_url_is_a_422_naming_the_field(owner_client):
    response = owner_client.post(URL, {"events": ["dataset.ready"]}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "Validation failed: url is required."


def test_a_body_that_is_not_json_is_a_400(owner_client):
    response = owner_client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == 400


def test_anonymous_requests_get_401(anon_client, owner):
    endpoint = make_endpoint(owner=owner, url="http://127.0.0.1:9/")
    for response in (
        anon_client.get(URL),
        anon_client.post(URL, {}, format="json"),
        anon_client.get(f"{URL}/{endpoint.pk}/deliveries"),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == 401 and response["WWW-Authenticate"].startswith("Bearer")


def test_another_accounts_endpoint_is_a_404_everywhere(owner, outsider_client):
    endpoint = make_endpoint(owner=owner, url="http://127.0.0.1:9/")
    base = f"{URL}/{endpoint.pk}"
    responses = [
        outsider_client.get(base),
        outsider_client.patch(base, {"description": "mine now"}, format="json"),
        outsider_client.delete(base),
        outsider_client.get(f"{base}/deliveries"),
        outsider_client.post(f"{base}/test"),
        outsider_client.post(f"{base}/deliveries/whd_whatever/resend"),
    ]
    assert [response.status_code for response in responses] == [404] * 6
    assert responses[0].json()["error"]["message"] == "No webhook endpoint with this id in your account."
    assert outsider_client.get(URL).json()["data"] == []
    endpoint.refresh_from_db()
    assert endpoint.description == "" and WebhookEndpoint.objects.count() == 1


# --- SSRF at creation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.9/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://localhost:8000/hook",
    ],
)
def test_production_settings_refuse_private_and_loopback_receivers(owner_client, production_targets, url):
    response = create(owner_client, url=url)
    assert response.status_code == 422, url
    message = response.json()["error"]["message"]
    assert "private, loopback or reserved address" in message and "public addresses" in message
    assert not WebhookEndpoint.objects.exists()


def test_production_settings_refuse_a_hostname_with_any_private_answer(owner_client, production_targets, monkeypatch):
    answers = [("93.184.216.34", 443), ("10.0.0.7", 443)]
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *args, **kwargs: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", answer) for answer in answers],
    )
    response = create(owner_client, url="https://hooks.example.com/synthos")
    assert response.status_code == 422 and "10.0.0.7" in response.json()["error"]["message"]


def test_production_settings_accept_a_public_receiver(owner_client, production_targets, monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *args, **kwargs: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443))],
    )
    assert create(owner_client, url="https://hooks.example.com/synthos").status_code == 201


def test_an_unresolvable_host_is_refused(owner_client, dev_targets, monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    response = create(owner_client, url="https://nowhere.invalid/hook")
    assert response.status_code == 422 and "does not resolve" in response.json()["error"]["message"]


def test_development_settings_allow_loopback_receivers(owner_client, dev_targets):
    for url in ("http://127.0.0.1:8000/hook", "http://localhost:8000/hook", "http://[::1]:8000/hook"):
        assert create(owner_client, url=url).status_code == 201, url
