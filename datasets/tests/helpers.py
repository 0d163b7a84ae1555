"""Shared steps of the upload flow, as a client would take them."""

import hashlib
from urllib.parse import urlsplit

CSV = b"id,name,score\n1,ann,0.5\n2,bob,\n3,cy,0.7\n"


def assert_envelope(response, code: int) -> dict:
    assert response.status_code == code, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["error"]["request_id"] == response["X-Request-ID"]
    return body["error"]


def create(client, content: bytes = CSV, **fields):
    body = {"name": "Training set", "filename": "train.csv", "format": "csv", "size_bytes": len(content), **fields}
    return client.post("/api/v1/datasets", body, format="json")


def local_put(raw_client, url: str, content: bytes):
    """PUT through Django's test client to the local upload endpoint (path of the signed URL)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return raw_client.generic("PUT", path, data=content, content_type="application/octet-stream")


def upload(client, raw_client, content: bytes = CSV, **fields) -> str:
    """Create, PUT and complete a dataset on local storage; returns its id (inspection ran inline)."""
    created = create(client, content, **fields)
    assert created.status_code == 201, created.content
    body = created.json()
    assert local_put(raw_client, body["upload"]["url"], content).status_code == 200
    completed = client.post(f"/api/v1/datasets/{body['dataset']['id']}/complete")
    assert completed.status_code == 202, completed.content
    return body["dataset"]["id"]


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
