"""The Datasets endpoints of API.md on local storage: every endpoint, its errors and tenant isolation."""

from datetime import datetime

import pytest
from django.utils import timezone

from datasets.models import Dataset
from datasets.storage import LocalStorage
from datasets.tests.factories import DatasetFactory
from datasets.tests.helpers import CSV, assert_envelope, create, local_put, sha256, upload

pytestmark = pytest.mark.django_db


# --- create ---------------------------------------------------------------------------------


def test_create_returns_an_awaiting_dataset_and_a_signed_put_url(owner_client, owner):
    response = create(owner_client, description="first try", expected_rows=3, compression="none")
    assert response.status_code == 201, response.content
    body = response.json()
    dataset = body["dataset"]
    assert dataset["id"].startswith("ds_") and len(dataset["id"]) == 23
    assert dataset["status"] == "awaiting_upload" and dataset["size_bytes"] == len(CSV)
    assert dataset["expected_rows"] == 3 and dataset["compression"] == "none" and dataset["description"] == "first try"
    upload_ = body["upload"]
    assert upload_["method"] == "PUT" and upload_["headers"] == {"Content-Length": str(len(CSV))}
    assert upload_["url"].startswith("http://testserver/datasets/upload/")
    expires_at = datetime.fromisoformat(upload_["expires_at"].replace("Z", "+00:00"))
    assert 3500 < (expires_at - timezone.now()).total_seconds() <= 3600
    stored = Dataset.objects.get(pk=dataset["id"])
    assert stored.owner == owner and stored.storage_key == f"datasets/{owner.pk}/{stored.pk}/train.csv"


def test_create_makes_the_stored_filename_safe(owner_client):
    response = create(owner_client, filename="../../etc/my data?.csv")
    stored = Dataset.objects.get(pk=response.json()["dataset"]["id"])
    assert stored.storage_key.endswith("/my_data.csv") and ".." not in stored.storage_key


def test_create_names_a_missing_field(owner_client):
    response = owner_client.post("/api/v1/datasets", {"name": "x", "format": "csv", "size_bytes": 3}, format="json")
    error = assert_envelope(response, 422)
    assert error["message"] == "Validation failed: filename is required."


@pytest.mark.parametrize(
    "field, value",
    [("format", "xlsx"), ("size_bytes", 0), ("compression", "bz2"), ("sha256", "abc"), ("expected_rows", -1)],
)
def test_create_refuses_bad_fields_with_422(owner_client, field, value):
    error = assert_envelope(create(owner_client, **{field: value}), 422)
    assert field in error["details"]
    assert not Dataset.objects.exists()


def test_create_refuses_a_file_over_the_limit_with_413_naming_the_s3_limit(owner_client, settings):
    error = assert_envelope(create(owner_client, size_bytes=5 * 1024**3 + 1), 413)
    assert "5 GB single-PUT limit" in error["message"] and "multipart" in error["message"]
    settings.MAX_UPLOAD_BYTES = 10
    assert_envelope(create(owner_client, size_bytes=11), 413)
    assert not Dataset.objects.exists()


def test_create_needs_authentication(anon_client):
    response = create(anon_client)
    assert_envelope(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_create_works_with_an_api_key(owner, anon_client):
    from accounts.services import api_key_create

    _, raw_key = api_key_create(user=owner, name="pipeline")
    anon_client.credentials(HTTP_X_API_KEY=raw_key)
    assert create(anon_client).status_code == 201


# --- complete -------------------------------------------------------------------------------


def test_the_full_flow_ends_ready_with_columns_preview_and_sha256(owner_client, raw_client, local_storage):
    dataset_id = upload(owner_client, raw_client, sha256=sha256(CSV), expected_rows=3)
    body = owner_client.get(f"/api/v1/datasets/{dataset_id}").json()
    assert body["status"] == "ready" and body["error"] == ""
    assert body["row_count"] == 3 and body["sha256"] == sha256(CSV) and body["compression"] == "none"
    assert body["columns"] == [
        {"name": "id", "dtype": "integer", "null_fraction": 0.0, "distinct": 3},
        {"name": "name", "dtype": "string", "null_fraction": 0.0, "distinct": 3},
        {"name": "score", "dtype": "float", "null_fraction": 0.333333, "distinct": 2},
    ]
    assert body["preview"][0] == {"id": 1, "name": "ann", "score": 0.5}
    assert body["uploaded_at"] and body["inspected_at"]
    stored = Dataset.objects.get(pk=dataset_id)
    assert (local_storage / stored.storage_key).read_bytes() == CSV


def test_complete_queues_the_inspection_task_on_commit(owner_client, raw_client, monkeypatch):
    queued = []
    monkeypatch.setattr("datasets.services.async_task", lambda *args: queued.append(args))
    created = create(owner_client).json()
    local_put(raw_client, created["upload"]["url"], CSV)
    response = owner_client.post(f"/api/v1/datasets/{created['dataset']['id']}/complete")
    assert response.status_code == 202
    assert response.json()["status"] == "processing"
    assert queued == [("datasets.tasks.dataset_inspect_task", created["dataset"]["id"])]


def test_complete_before_the_upload_is_a_409(owner_client):
    dataset_id = create(owner_client).json()["dataset"]["id"]
    error = assert_envelope(owner_client.post(f"/api/v1/datasets/{dataset_id}/complete"), 409)
    assert "No file has been uploaded" in error["message"]
    assert Dataset.objects.get(pk=dataset_id).status == "awaiting_upload"


def test_a_second_complete_is_a_409(owner_client, raw_client):
    dataset_id = upload(owner_client, raw_client)
    error = assert_envelope(owner_client.post(f"/api/v1/datasets/{dataset_id}/complete"), 409)
    assert "already ready" in error["message"]


def test_complete_checks_the_stored_size(owner_client, owner):
    dataset_id = create(owner_client).json()["dataset"]["id"]
    dataset = Dataset.objects.get(pk=dataset_id)
    path = LocalStorage().path_for(dataset.storage_key)
    path.parent.mkdir(parents=True)
    path.write_bytes(CSV + b"4,dan,0.1\n")
    error = assert_envelope(owner_client.post(f"/api/v1/datasets/{dataset_id}/complete"), 422)
    assert "bytes but size_bytes is" in error["message"]
    assert Dataset.objects.get(pk=dataset_id).status == "awaiting_upload"


def test_complete_of_another_accounts_dataset_is_a_404(owner_client, outsider_client, raw_client):
    created = create(owner_client).json()
    local_put(raw_client, created["upload"]["url"], CSV)
    assert_envelope(outsider_client.post(f"/api/v1/datasets/{created['dataset']['id']}/complete"), 404)
    assert Dataset.objects.get(pk=created["dataset"]["id"]).status == "awaiting_upload"


def test_complete_needs_authentication(anon_client, owner):
    dataset = DatasetFactory(owner=owner, status="awaiting_upload", row_count=None, sha256="")
    assert_envelope(anon_client.post(f"/api/v1/datasets/{dataset.pk}/complete"), 401)


# --- list -----------------------------------------------------------------------------------


def test_list_shows_only_my_datasets_newest_first_without_previews(owner_client, owner, outsider):
    older = DatasetFactory(owner=owner, name="older")
    newer = DatasetFactory(owner=owner, name="newer")
    Dataset.objects.filter(pk=older.pk).update(created_at=timezone.now() - timezone.timedelta(hours=1))
    DatasetFactory(owner=outsider, name="theirs")
    body = owner_client.get("/api/v1/datasets").json()
    assert [d["id"] for d in body["data"]] == [newer.pk, older.pk]
    assert "preview" not in body["data"][0] and body["data"][0]["columns"]
    assert body["next"] is None and body["previous"] is None


def test_list_filters_by_status_and_searches_names(owner_client, owner):
    DatasetFactory(owner=owner, name="Reviews 2024")
    DatasetFactory(owner=owner, name="Images", status="failed", error="bad", row_count=None)
    DatasetFactory(owner=owner, name="reviews draft", status="awaiting_upload", row_count=None, sha256="")
    names = lambda query: sorted(d["name"] for d in owner_client.get(f"/api/v1/datasets{query}").json()["data"])  # noqa: E731
    assert names("?status=failed") == ["Images"]
    assert names("?search=REVIEWS") == ["Reviews 2024", "reviews draft"]
    assert names("?search=reviews&status=ready") == ["Reviews 2024"]


def test_list_refuses_an_unknown_status(owner_client):
    error = assert_envelope(owner_client.get("/api/v1/datasets?status=done"), 422)
    assert "status" in error["details"]


def test_list_is_cursor_paginated(owner_client, owner):
    for _ in range(3):
        DatasetFactory(owner=owner)
    first = owner_client.get("/api/v1/datasets?limit=2").json()
    assert len(first["data"]) == 2 and first["next"]
    second = owner_client.get(first["next"]).json()
    assert len(second["data"]) == 1
    assert not {d["id"] for d in first["data"]} & {d["id"] for d in second["data"]}


def test_list_needs_authentication(anon_client):
    assert_envelope(anon_client.get("/api/v1/datasets"), 401)


# --- detail ---------------------------------------------------------------------------------


def test_detail_shows_schema_stats_and_the_stored_preview(owner_client, owner):
    dataset = DatasetFactory(owner=owner)
    body = owner_client.get(f"/api/v1/datasets/{dataset.pk}").json()
    assert body["id"] == dataset.pk and body["row_count"] == 3 and len(body["columns"]) == 2
    assert len(body["preview"]) == 30


def test_detail_of_another_accounts_dataset_is_a_404(outsider_client, owner):
    dataset = DatasetFactory(owner=owner)
    assert_envelope(outsider_client.get(f"/api/v1/datasets/{dataset.pk}"), 404)
    assert_envelope(outsider_client.get("/api/v1/datasets/ds_doesnotexist"), 404)


def test_detail_needs_authentication(anon_client, owner):
    assert_envelope(anon_client.get(f"/api/v1/datasets/{DatasetFactory(owner=owner).pk}"), 401)


def test_a_trailing_slash_is_tolerated_not_redirected(owner_client, owner):
    dataset = DatasetFactory(owner=owner)
    assert owner_client.get(f"/api/v1/datasets/{dataset.pk}/").status_code == 200


# --- preview --------------------------------------------------------------------------------


def test_preview_serves_20_rows_by_default_in_column_order(owner_client, owner):
    dataset = DatasetFactory(owner=owner, preview=[{"label": "x", "id": i} for i in range(30)])
    body = owner_client.get(f"/api/v1/datasets/{dataset.pk}/preview").json()
    assert body["columns"] == ["id", "label"]
    assert len(body["data"]) == 20 and list(body["data"][0]) == ["id", "label"]


def test_preview_takes_a_limit_up_to_100(owner_client, owner):
    dataset = DatasetFactory(owner=owner)
    assert len(owner_client.get(f"/api/v1/datasets/{dataset.pk}/preview?limit=5").json()["data"]) == 5
    error = assert_envelope(owner_client.get(f"/api/v1/datasets/{dataset.pk}/preview?limit=101"), 422)
    assert "limit" in error["details"]
    assert_envelope(owner_client.get(f"/api/v1/datasets/{dataset.pk}/preview?limit=0"), 422)


def test_preview_of_a_dataset_that_is_not_ready_is_a_409(owner_client, owner):
    dataset = DatasetFactory(owner=owner, status="processing", row_count=None, preview=[])
    assert "processing" in assert_envelope(owner_client.get(f"/api/v1/datasets/{dataset.pk}/preview"), 409)["message"]


def test_preview_of_another_accounts_dataset_is_a_404(outsider_client, owner):
    assert_envelope(outsider_client.get(f"/api/v1/datasets/{DatasetFactory(owner=owner).pk}/preview"), 404)


def test_preview_needs_authentication(anon_client, owner):
    assert_envelope(anon_client.get(f"/api/v1/datasets/{DatasetFactory(owner=owner).pk}/preview"), 401)


# --- download -------------------------------------------------------------------------------


def test_download_gives_a_signed_url_that_streams_the_file(owner_client, raw_client):
    dataset_id = upload(owner_client, raw_client)
    response = owner_client.get(f"/api/v1/datasets/{dataset_id}/download")
    assert response.status_code == 200
    body = response.json()
    assert body["method"] == "GET" and body["expires_at"]
    assert body["url"].startswith("http://testserver/datasets/file/")
    fetched = raw_client.get(body["url"].removeprefix("http://testserver"))
    assert fetched.status_code == 200 and b"".join(fetched.streaming_content) == CSV
    assert 'filename="train.csv"' in fetched["Content-Disposition"]


def test_a_tampered_download_url_is_refused(owner_client, raw_client):
    dataset_id = upload(owner_client, raw_client)
    url = owner_client.get(f"/api/v1/datasets/{dataset_id}/download").json()["url"]
    assert_envelope(raw_client.get(url.removeprefix("http://testserver")[:-2] + "xx"), 403)


def test_download_before_the_upload_is_a_409(owner_client):
    dataset_id = create(owner_client).json()["dataset"]["id"]
    assert_envelope(owner_client.get(f"/api/v1/datasets/{dataset_id}/download"), 409)


def test_download_of_another_accounts_dataset_is_a_404(outsider_client, owner):
    assert_envelope(outsider_client.get(f"/api/v1/datasets/{DatasetFactory(owner=owner).pk}/download"), 404)


def test_download_needs_authentication(anon_client, owner):
    assert_envelope(anon_client.get(f"/api/v1/datasets/{DatasetFactory(owner=owner).pk}/download"), 401)


# --- delete ---------------------------------------------------------------------------------


def test_delete_removes_the_dataset_and_its_file(owner_client, raw_client, local_storage):
    dataset_id = upload(owner_client, raw_client)
    folder = (local_storage / Dataset.objects.get(pk=dataset_id).storage_key).parent
    assert folder.is_dir()
    response = owner_client.delete(f"/api/v1/datasets/{dataset_id}")
    assert response.status_code == 204
    assert not Dataset.objects.filter(pk=dataset_id).exists() and not folder.exists()
    assert_envelope(owner_client.get(f"/api/v1/datasets/{dataset_id}"), 404)


def test_delete_is_refused_while_a_validation_runs(owner_client, owner, monkeypatch):
    dataset = DatasetFactory(owner=owner)
    monkeypatch.setattr("datasets.services._has_active_validations", lambda dataset: True)
    assert "validation" in assert_envelope(owner_client.delete(f"/api/v1/datasets/{dataset.pk}"), 409)["message"]
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_delete_of_another_accounts_dataset_is_a_404(outsider_client, owner):
    dataset = DatasetFactory(owner=owner)
    assert_envelope(outsider_client.delete(f"/api/v1/datasets/{dataset.pk}"), 404)
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_delete_needs_authentication(anon_client, owner):
    dataset = DatasetFactory(owner=owner)
    assert_envelope(anon_client.delete(f"/api/v1/datasets/{dataset.pk}"), 401)
    assert Dataset.objects.filter(pk=dataset.pk).exists()


# --- OpenAPI --------------------------------------------------------------------------------


def test_every_dataset_endpoint_is_in_the_openapi_schema(anon_client):
    import yaml

    schema = yaml.safe_load(anon_client.get("/api/v1/schema").content)
    paths = schema["paths"]
    assert set(paths["/api/v1/datasets"]) >= {"get", "post"}
    assert set(paths["/api/v1/datasets/{dataset_id}"]) >= {"get", "delete"}
    for suffix in ("complete", "preview", "download"):
        operations = paths[f"/api/v1/datasets/{{dataset_id}}/{suffix}"]
        assert all(op["tags"] == ["datasets"] for op in operations.values())
    create_op = paths["/api/v1/datasets"]["post"]
    assert create_op["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "DatasetCreatedOutput"
    )
