"""Datasets fixtures: local storage in a temp MEDIA_ROOT by default; `s3` switches to the moto server."""

import uuid

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def local_storage(settings, tmp_path):
    settings.DATASET_STORAGE = "local"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def s3(settings, moto_server):
    """DATASET_STORAGE=s3 against the moto server, with a fresh bucket; yields a boto3 client."""
    import boto3

    settings.DATASET_STORAGE = "s3"
    settings.AWS_STORAGE_BUCKET_NAME = f"synthos-test-{uuid.uuid4().hex[:12]}"
    settings.AWS_S3_ENDPOINT_URL = moto_server
    settings.AWS_ACCESS_KEY_ID = "testing"
    settings.AWS_SECRET_ACCESS_KEY = "testing"
    settings.AWS_S3_REGION_NAME = "us-east-1"
    client = boto3.client(
        "s3",
        endpoint_url=moto_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=settings.AWS_STORAGE_BUCKET_NAME)
    client.bucket = settings.AWS_STORAGE_BUCKET_NAME
    return client


@pytest.fixture
def raw_client():
    """A client with no credentials at all, as a storage PUT arrives."""
    return Client()
