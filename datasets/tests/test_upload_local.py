"""The local backend's signed PUT endpoint: streams to disk, refuses without storing or using up the URL."""

import io
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from freezegun import freeze_time

from datasets.models import Dataset
from datasets.storage import LocalStorage, upload_token_make
from datasets.tests.helpers import CSV, assert_envelope, create, local_put

pytestmark = pytest.mark.django_db


@pytest.fixture
def created(owner_client):
    body = create(owner_client).json()
    body["stored"] = Dataset.objects.get(pk=body["dataset"]["id"])
    return body


def folder_files(dataset: Dataset) -> list[str]:
    folder = LocalStorage().path_for(dataset.storage_key).parent
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_put_stores_the_file_under_the_owner_and_dataset(created, raw_client, local_storage, owner):
    response = local_put(raw_client, created["upload"]["url"], CSV)
    assert response.status_code == 200
    dataset = created["stored"]
    path = local_storage / "datasets" / owner.pk / dataset.pk / "train.csv"
    assert path.read_bytes() == CSV
    assert folder_files(dataset) == ["train.csv"]  # no temp file left behind


def test_a_put_of_the_wrong_size_stores_nothing_and_leaves_the_url_usable(created, raw_client):
    error = assert_envelope(local_put(raw_client, created["upload"]["url"], CSV + b"extra\n"), 400)
    assert "declared" in error["message"]
    assert_envelope(local_put(raw_client, created["upload"]["url"], CSV[:-1]), 400)
    assert folder_files(created["stored"]) == []
    assert local_put(raw_client, created["upload"]["url"], CSV).status_code == 200


def test_an_expired_url_stores_nothing_and_works_again_within_its_lifetime(created, raw_client, settings):
    later = timezone.now() + timedelta(seconds=settings.UPLOAD_URL_TTL_SECONDS + 1)
    with freeze_time(later):
        error = assert_envelope(local_put(raw_client, created["upload"]["url"], CSV), 403)
    assert "expired" in error["message"]
    assert folder_files(created["stored"]) == []
    assert local_put(raw_client, created["upload"]["url"], CSV).status_code == 200


def test_a_tampered_url_stores_nothing_and_the_real_one_still_works(created, raw_client):
    url = created["upload"]["url"]
    token = url.rsplit("/", 1)[1]
    forged = upload_token_make(dataset_id=created["dataset"]["id"], size_bytes=10**9).split(":")[0]
    for bad in (url[:-3] + "abc", url.replace(token, forged + ":" + token.split(":", 1)[1])):
        error = assert_envelope(local_put(raw_client, bad, CSV), 403)
        assert "not valid" in error["message"]
    assert folder_files(created["stored"]) == []
    assert local_put(raw_client, url, CSV).status_code == 200


def test_a_second_upload_is_refused_and_keeps_the_first_file(created, raw_client):
    assert local_put(raw_client, created["upload"]["url"], CSV).status_code == 200
    other = CSV.replace(b"ann", b"zed")
    error = assert_envelope(local_put(raw_client, created["upload"]["url"], other), 409)
    assert "already been uploaded" in error["message"]
    assert LocalStorage().path_for(created["stored"].storage_key).read_bytes() == CSV
    assert folder_files(created["stored"]) == ["train.csv"]


def test_a_put_after_complete_is_refused(created, raw_client, owner_client):
    local_put(raw_client, created["upload"]["url"], CSV)
    owner_client.post(f"/api/v1/datasets/{created['dataset']['id']}/complete")
    assert_envelope(local_put(raw_client, created["upload"]["url"], CSV), 409)


def test_the_upload_endpoint_takes_only_put(created, raw_client):
    assert raw_client.post(created["upload"]["url"], CSV, content_type="text/csv").status_code == 405


def test_receive_streams_in_chunks_and_refuses_a_short_or_long_body(local_storage):
    storage = LocalStorage()

    class CountingStream(io.BytesIO):
        biggest = 0

        def read(self, size=-1):
            assert size != -1, "read the whole body at once"
            chunk = super().read(size)
            CountingStream.biggest = max(CountingStream.biggest, len(chunk))
            return chunk

    body = b"x" * (3 * 1024 * 1024 + 5)
    assert storage.receive(key="datasets/u/d/big.bin", stream=CountingStream(body), size_bytes=len(body)) == len(body)
    assert CountingStream.biggest <= 1024 * 1024
    for wrong in (body[:-1], body + b"y"):
        with pytest.raises(ValueError):
            storage.receive(key="datasets/u/e/big.bin", stream=io.BytesIO(wrong), size_bytes=len(body))
    assert list((local_storage / "datasets/u/e").iterdir()) == []


def test_storage_keys_cannot_escape_the_media_root():
    with pytest.raises(ValueError):
        LocalStorage().path_for("../outside.csv")


@pytest.mark.django_db(transaction=True)
def test_a_real_http_put_streams_to_disk_and_a_forged_one_is_refused(live_server, owner_client, local_storage):
    import urllib.error
    import urllib.request

    body = create(owner_client, CSV * 1000).json()
    path = urlsplit(body["upload"]["url"]).path
    url = live_server.url + path

    def put(target: str) -> int:
        request = urllib.request.Request(
            target, data=CSV * 1000, method="PUT", headers={"Content-Type": "application/octet-stream"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert put(url[:-4] + "AAAA") == 403
    assert put(url) == 200
    stored = Dataset.objects.get(pk=body["dataset"]["id"])
    assert LocalStorage().path_for(stored.storage_key).read_bytes() == CSV * 1000
