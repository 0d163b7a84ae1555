"""Settings → Webhooks pages: list and create (secret shown once), edit, delivery log, resend, test, delete."""

import pytest
from django.test import Client

from synthos.webhooks.models import WebhookDelivery, WebhookEndpoint
from synthos.webhooks.services import event_emit
from synthos.webhooks.tests.factories import make_endpoint

pytestmark = pytest.mark.django_db

LIST = "/accounts/settings/webhooks/"


@pytest.fixture
def browser(owner):
    client = Client()
    client.force_login(owner)
    return client


def test_creating_an_endpoint_shows_its_secret_once(browser, receiver, dev_targets):
    response = browser.post(LIST, {"url": receiver.url, "events": ["dataset.ready", "validation.failed"]})
    assert response.status_code == 302 and response["Location"] == LIST
    endpoint = WebhookEndpoint.objects.get()
    page = browser.get(LIST).content.decode()
    assert endpoint.secret in page and 'data-testid="new-webhook-secret"' in page and receiver.url in page
    assert endpoint.secret not in browser.get(LIST).content.decode()


def test_the_settings_tabs_link_to_webhooks(browser):
    page = browser.get("/accounts/settings/api-keys/").content.decode()
    assert f'href="{LIST}"' in page and "Webhooks" in page


def test_a_refused_url_is_shown_on_the_form(browser, production_targets):
    response = browser.post(LIST, {"url": "http://127.0.0.1/x", "events": ["dataset.ready"]})
    assert response.status_code == 200 and "public addresses" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_detail_page_shows_deliveries_with_resend_and_test_buttons(owner, browser, receiver, dev_targets):
    endpoint = make_endpoint(owner=owner, url=receiver.url)
    receiver.statuses = [500]
    event = event_emit(user=owner, type="dataset.ready", data={"id": "ds_1"})
    page = browser.get(f"{LIST}{endpoint.pk}/").content.decode()
    assert event.id in page and "#1 · 500" in page and "Pending" in page
    delivery = WebhookDelivery.objects.get()
    assert f"{LIST}{endpoint.pk}/deliveries/{delivery.pk}/resend/" in page and "Send test event" in page

    receiver.statuses = [200]
    response = browser.post(f"{LIST}{endpoint.pk}/deliveries/{delivery.pk}/resend/")
    assert response.status_code == 302 and WebhookDelivery.objects.filter(status="succeeded").count() == 1
    browser.post(f"{LIST}{endpoint.pk}/test/")
    assert receiver.received[-1].event["type"] == "ping"
    assert "Succeeded" in browser.get(f"{LIST}{endpoint.pk}/").content.decode()


def test_editing_disables_and_re_enables(owner, browser, dev_targets):
    endpoint = make_endpoint(owner=owner, url="http://127.0.0.1:9/")
    form = {"url": endpoint.url, "events": ["claim.decided"], "description": "ops"}
    assert browser.post(f"{LIST}{endpoint.pk}/", form).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.events == ["claim.decided"] and endpoint.is_active is False
    assert "disabled" in browser.get(f"{LIST}{endpoint.pk}/").content.decode()
    browser.post(f"{LIST}{endpoint.pk}/", {**form, "is_active": "on"})
    endpoint.refresh_from_db()
    assert endpoint.is_active is True


def test_deleting_asks_first(owner, browser):
    endpoint = make_endpoint(owner=owner, url="http://127.0.0.1:9/")
    assert "Delete this endpoint?" in browser.get(f"{LIST}{endpoint.pk}/delete/").content.decode()
    assert browser.post(f"{LIST}{endpoint.pk}/delete/").status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_another_accounts_endpoint_is_a_404(owner, outsider):
    endpoint = make_endpoint(owner=owner, url="http://127.0.0.1:9/")
    client = Client()
    client.force_login(outsider)
    for response in (
        client.get(f"{LIST}{endpoint.pk}/"),
        client.post(f"{LIST}{endpoint.pk}/test/"),
        client.post(f"{LIST}{endpoint.pk}/delete/"),
        client.post(f"{LIST}{endpoint.pk}/deliveries/whd_x/resend/"),
    ):
        assert response.status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_anonymous_visitors_are_sent_to_log_in():
    response = Client().get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
