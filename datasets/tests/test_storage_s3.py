"""The S3 backend against a real S3-compatible server process (moto's standalone server).

moto takes the presigned PUT over real HTTP but checks neither signatures nor expiry, so what
AWS enforces (the signed content length, the lifetime) is checked on the URL's parameters.
"""

import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest

from datasets.models import Dataset
from datasets.tests.helpers import CSV, assert_envelope, create, sha256

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def http_put(url: str, content: bytes, headers: dict) -> int:
    # urllib's default form content type makes moto's server parse (and drop) the body.
    headers = {"Content-Type": "application/octet-stream", **headers}
    request = urllib.request.Request(url, data=content, method="PUT", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_the_presigned_put_binds_the_size_and_expires(owner_client, s3, settings):
    upload = create(owner_client).json()["upload"]
    parts = urlsplit(upload["url"])
    query = parse_qs(parts.query)
    assert parts.netloc == urlsplit(settings.AWS_S3_ENDPOINT_URL).netloc
    assert parts.path.startswith(f"/{s3.bucket}/datasets/")
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == [str(settings.UPLOAD_URL_TTL_SECONDS)]
    assert "content-length" in query["X-Amz-SignedHeaders"][0].split(";")
    assert upload["headers"] == {"Content-Length": str(len(CSV))}


def test_upload_over_http_then_complete_inspect_and_download(owner_client, s3):
    body = create(owner_client, sha256=sha256(CSV)).json()
    dataset_id = body["dataset"]["id"]
    assert http_put(body["upload"]["url"], CSV, body["upload"]["headers"]) == 200
    key = Dataset.objects.get(pk=dataset_id).storage_key
    assert s3.head_object(Bucket=s3.bucket, Key=key)["ContentLength"] == len(CSV)

    assert owner_client.post(f"/api/v1/datasets/{dataset_id}/complete").status_code == 202
    dataset = Dataset.objects.get(pk=dataset_id)
    assert dataset.status == "ready", dataset.error
    assert dataset.row_count == 3 and dataset.sha256 == sha256(CSV)

    download = owner_client.get(f"/api/v1/datasets/{dataset_id}/download").json()
    assert download["method"] == "GET" and "X-Amz-Signature=" in download["url"]
    with urllib.request.urlopen(download["url"], timeout=10) as response:
        assert response.read() == CSV


def test_complete_without_an_object_is_a_409(owner_client, s3):
    dataset_id = create(owner_client).json()["dataset"]["id"]
    assert (
        "No file has been uploaded"
        in assert_envelope(owner_client.post(f"/api/v1/datasets/{dataset_id}/complete"), 409)["message"]
    )


def test_complete_checks_the_object_size_where_the_store_did_not(owner_client, s3):
    # AWS refuses a PUT whose length differs from the signed one; moto does not, so the check
    # at complete is what stops a wrong-size object there.
    body = create(owner_client).json()
    dataset = Dataset.objects.get(pk=body["dataset"]["id"])
    s3.put_object(Bucket=s3.bucket, Key=dataset.storage_key, Body=CSV + b"4,dan,0.9\n")
    assert_envelope(owner_client.post(f"/api/v1/datasets/{dataset.pk}/complete"), 422)
    assert Dataset.objects.get(pk=dataset.pk).status == "awaiting_upload"


def test_bad_input_from_s3_fails_with_the_engines_message(owner_client, s3):
    content = b"a,b\n1,2\n3\n"
    body = create(owner_client, content).json()
    http_put(body["upload"]["url"], content, body["upload"]["headers"])
    owner_client.post(f"/api/v1/datasets/{body['dataset']['id']}/complete")
    dataset = Dataset.objects.get(pk=body["dataset"]["id"])
    assert dataset.status == "failed" and "Line 3" in dataset.error


def test_delete_removes_the_object(owner_client, s3):
    body = create(owner_client).json()
    http_put(body["upload"]["url"], CSV, body["upload"]["headers"])
    key = Dataset.objects.get(pk=body["dataset"]["id"]).storage_key
    assert owner_client.delete(f"/api/v1/datasets/{body['dataset']['id']}").status_code == 204
    assert s3.list_objects_v2(Bucket=s3.bucket, Prefix=key).get("KeyCount") == 0


def test_the_local_upload_endpoint_is_closed_when_storage_is_s3(owner_client, s3, raw_client):
    from datasets.storage import upload_token_make

    dataset_id = create(owner_client).json()["dataset"]["id"]
    token = upload_token_make(dataset_id=dataset_id, size_bytes=len(CSV))
    response = raw_client.generic("PUT", f"/datasets/upload/{token}", data=CSV, content_type="text/csv")
    assert_envelope(response, 404)
