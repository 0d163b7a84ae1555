"""Dashboard pages for datasets: list, upload (start + complete), detail with its live partial, delete."""

import pytest

from datasets.models import Dataset
from datasets.tests.factories import DatasetFactory
from datasets.tests.helpers import CSV, local_put

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_client(client, owner):
    client.force_login(owner)
    return client


def test_pages_need_a_login(client, owner):
    dataset = DatasetFactory(owner=owner)
    for url in ("/datasets/", "/datasets/new/", f"/datasets/{dataset.pk}/", f"/datasets/{dataset.pk}/delete/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_list_shows_my_datasets_only_and_filters(browser_client, owner, outsider):
    DatasetFactory(owner=owner, name="Reviews")
    DatasetFactory(owner=owner, name="Images", status="failed", error="bad", row_count=None)
    DatasetFactory(owner=outsider, name="Secret")
    page = browser_client.get("/datasets/").content.decode()
    assert "Reviews" in page and "Images" in page and "Secret" not in page
    filtered = browser_client.get("/datasets/?status=failed").content.decode()
    assert "Images" in filtered and "Reviews" not in filtered
    assert "Reviews" in browser_client.get("/datasets/?search=rev").content.decode()


def test_upload_start_and_complete_take_the_session_with_csrf(owner, raw_client):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    form = {"name": "From the browser", "format": "csv", "filename": "b.csv", "size_bytes": len(CSV)}
    assert client.post("/datasets/new/start/", form).status_code == 403  # no CSRF token
    page = client.get("/datasets/new/")
    token = page.cookies["csrftoken"].value
    started = client.post("/datasets/new/start/", {**form, "csrfmiddlewaretoken": token})
    assert started.status_code == 201, started.content
    body = started.json()
    assert local_put(raw_client, body["upload"]["url"], CSV).status_code == 200
    completed = client.post(body["complete_url"], HTTP_X_CSRFTOKEN=token)
    assert completed.status_code == 202
    assert Dataset.objects.get(pk=body["dataset"]["id"]).status == "ready"


def test_upload_start_answers_form_errors_in_the_envelope(browser_client, settings):
    response = browser_client.post("/datasets/new/start/", {"name": "x", "format": "xls"})
    assert response.status_code == 422 and "format" in response.json()["error"]["details"]
    settings.MAX_UPLOAD_BYTES = 5
    response = browser_client.post(
        "/datasets/new/start/", {"name": "x", "format": "csv", "filename": "a.csv", "size_bytes": 6}
    )
    assert response.status_code == 413 and "multipart" in response.json()["error"]["message"]


def test_the_detail_page_shows_columns_and_preview_in_column_order(browser_client, owner):
    dataset = DatasetFactory(owner=owner, preview=[{"label": "zeta", "id": 7}])
    page = browser_client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert 'data-testid="columns-table"' in page and "label" in page
    assert page.index("<td>7</td>") < page.index("<td>zeta</td>")
    assert '<div class="grid grid--stats" data-live' not in page


def test_the_partial_polls_while_processing(browser_client, owner):
    dataset = DatasetFactory(owner=owner, status="processing", row_count=None, preview=[], columns=[])
    partial = browser_client.get(f"/datasets/{dataset.pk}/?partial=1").content.decode()
    assert "data-live" in partial and "<html" not in partial and "Processing" in partial


def test_a_failed_dataset_shows_its_error(browser_client, owner):
    dataset = DatasetFactory(owner=owner, status="failed", error="Line 3: the row has 1 fields.", row_count=None)
    assert "Line 3: the row has 1 fields." in browser_client.get(f"/datasets/{dataset.pk}/").content.decode()


def test_another_accounts_dataset_is_a_404_on_every_page(browser_client, outsider):
    dataset = DatasetFactory(owner=outsider)
    for url in (f"/datasets/{dataset.pk}/", f"/datasets/{dataset.pk}/delete/", f"/datasets/{dataset.pk}/download/"):
        assert browser_client.get(url).status_code == 404
    assert browser_client.post(f"/datasets/{dataset.pk}/delete/").status_code == 404
    assert browser_client.post(f"/datasets/{dataset.pk}/complete/").status_code == 404
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_delete_asks_for_confirmation_then_deletes(browser_client, owner):
    dataset = DatasetFactory(owner=owner)
    confirm = browser_client.get(f"/datasets/{dataset.pk}/delete/")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
    assert Dataset.objects.filter(pk=dataset.pk).exists()
    response = browser_client.post(f"/datasets/{dataset.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/datasets/"
    assert not Dataset.objects.filter(pk=dataset.pk).exists()


def test_download_redirects_the_browser_to_the_signed_url(browser_client, owner_client, raw_client):
    from datasets.tests.helpers import upload

    dataset_id = upload(owner_client, raw_client)
    response = browser_client.get(f"/datasets/{dataset_id}/download/")
    assert response.status_code == 302 and response["Location"].startswith("/datasets/file/")
