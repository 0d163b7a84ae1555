"""Where dataset files live: one small interface, two backends chosen by DATASET_STORAGE.

- `local` (embedded default): files under MEDIA_ROOT/datasets/. Uploads go to a Synthos endpoint
  (`datasets.views.upload_put`) through a signed, expiring token bound to one dataset and one size;
  downloads through another signed token (`datasets.views.download_file`).
- `s3`: any S3-compatible store; presigned PUT (content length signed in) and GET URLs from boto3.

Web code calls only `upload_instructions`, `download_instructions`, `stored_size` and `delete`;
the worker alone calls `local_copy`. Nothing here imports Polars or the engine.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_valid_filename

UPLOAD_SALT = "datasets.upload"
DOWNLOAD_SALT = "datasets.download"
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SignedRequest:
    """A URL the client calls directly; a relative URL is made absolute by the web layer."""

    url: str
    method: str
    headers: dict[str, str]
    expires_at: datetime


def storage_key_for(*, owner_id: str, dataset_id: str, filename: str) -> str:
    safe = get_valid_filename(Path(filename).name)[-120:] or "data"
    return f"datasets/{owner_id}/{dataset_id}/{safe}"


class DatasetStorage(Protocol):
    def upload_instructions(self, *, dataset) -> SignedRequest: ...

    def download_instructions(self, *, dataset) -> SignedRequest: ...

    def stored_size(self, *, key: str) -> int | None:
        """Size in bytes of the stored object, or None when nothing is stored under the key."""

    def local_copy(self, *, key: str):
        """Context manager yielding a local path with the file's bytes (worker only)."""

    def delete(self, *, key: str) -> None:
        """Remove the object (and anything half-uploaded beside it); a missing object is fine."""


def _ttl() -> timedelta:
    return timedelta(seconds=settings.UPLOAD_URL_TTL_SECONDS)


# --- Local disk ---------------------------------------------------------------------------------


def upload_token_make(*, dataset_id: str, size_bytes: int) -> str:
    return signing.TimestampSigner(salt=UPLOAD_SALT).sign_object({"d": dataset_id, "n": size_bytes})


def upload_token_read(token: str) -> tuple[str, int]:
    """(dataset id, declared size) of a valid token. Raises signing.SignatureExpired / BadSignature."""
    payload = signing.TimestampSigner(salt=UPLOAD_SALT).unsign_object(token, max_age=_ttl())
    return str(payload["d"]), int(payload["n"])


def download_token_make(*, dataset_id: str) -> str:
    return signing.TimestampSigner(salt=DOWNLOAD_SALT).sign_object({"d": dataset_id})


def download_token_read(token: str) -> str:
    payload = signing.TimestampSigner(salt=DOWNLOAD_SALT).unsign_object(token, max_age=_ttl())
    return str(payload["d"])


class LocalStorage:
    def __init__(self, root: Path | None = None):
        self.root = Path(root or settings.MEDIA_ROOT)

    def path_for(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"storage key escapes the storage root: {key!r}")
        return path

    def upload_instructions(self, *, dataset) -> SignedRequest:
        token = upload_token_make(dataset_id=dataset.pk, size_bytes=dataset.size_bytes)
        return SignedRequest(
            url=reverse("datasets:upload_put", kwargs={"token": token}),
            method="PUT",
            headers={"Content-Length": str(dataset.size_bytes)},
            expires_at=timezone.now() + _ttl(),
        )

    def download_instructions(self, *, dataset) -> SignedRequest:
        token = download_token_make(dataset_id=dataset.pk)
        return SignedRequest(
            url=reverse("datasets:download_file", kwargs={"token": token}),
            method="GET",
            headers={},
            expires_at=timezone.now() + _ttl(),
        )

    def stored_size(self, *, key: str) -> int | None:
        try:
            return self.path_for(key).stat().st_size
        except FileNotFoundError:
            return None

    @contextmanager
    def local_copy(self, *, key: str) -> Iterator[Path]:
        path = self.path_for(key)
        if not path.is_file():
            raise FileNotFoundError(f"no stored file under {key}")
        yield path

    def delete(self, *, key: str) -> None:
        # The dataset's own folder holds the file and any half-written upload beside it.
        shutil.rmtree(self.path_for(key).parent, ignore_errors=True)

    def receive(self, *, key: str, stream, size_bytes: int) -> int:
        """Stream `size_bytes` from `stream` into place without ever holding more than a chunk.

        Writes to a temp file in the same folder and links it into place only when the byte count
        matches, so a refused or cut-off upload stores nothing. os.link refuses to overwrite, so of
        two racing uploads exactly one wins. Returns the bytes read; raises FileExistsError when a
        file is already stored, ValueError when the body is shorter or longer than declared.
        """
        final = self.path_for(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            raise FileExistsError(key)
        handle = tempfile.NamedTemporaryFile(dir=final.parent, prefix=".upload-", delete=False)
        received = 0
        try:
            with handle:
                while received <= size_bytes:
                    chunk = stream.read(min(CHUNK_BYTES, size_bytes + 1 - received))
                    if not chunk:
                        break
                    handle.write(chunk)
                    received += len(chunk)
            if received != size_bytes:
                raise ValueError(f"received {received} bytes, declared {size_bytes}")
            os.link(handle.name, final)
        finally:
            os.unlink(handle.name)
        return received


# --- S3 and S3-compatible stores ----------------------------------------------------------------


class S3Storage:
    def __init__(self):
        import boto3
        from botocore.config import Config

        self.bucket = settings.AWS_STORAGE_BUCKET_NAME
        self.client = boto3.client(
            "s3",
            endpoint_url=settings.AWS_S3_ENDPOINT_URL or None,
            aws_access_key_id=settings.AWS_ACCESS_KEY_ID or None,
            aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY or None,
            region_name=settings.AWS_S3_REGION_NAME or None,
            # SigV4 signs the headers we name (content-length); path style works with any
            # S3-compatible endpoint, virtual-host style only with real DNS.
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path" if settings.AWS_S3_ENDPOINT_URL else "auto"},
            ),
        )

    def upload_instructions(self, *, dataset) -> SignedRequest:
        ttl = _ttl()
        # ContentLength goes into X-Amz-SignedHeaders, so AWS refuses a PUT of any other size
        # (and an expired URL). moto's server checks neither the signature nor the expiry; the
        # tests check the URL's parameters instead, and use moto for the real HTTP round trip.
        url = self.client.generate_presigned_url(
            "put_object",
            Params={"Bucket": self.bucket, "Key": dataset.storage_key, "ContentLength": dataset.size_bytes},
            ExpiresIn=int(ttl.total_seconds()),
            HttpMethod="PUT",
        )
        return SignedRequest(
            url=url,
            method="PUT",
            headers={"Content-Length": str(dataset.size_bytes)},
            expires_at=timezone.now() + ttl,
        )

    def download_instructions(self, *, dataset) -> SignedRequest:
        ttl = _ttl()
        url = self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": dataset.storage_key,
                "ResponseContentDisposition": f'attachment; filename="{Path(dataset.storage_key).name}"',
            },
            ExpiresIn=int(ttl.total_seconds()),
            HttpMethod="GET",
        )
        return SignedRequest(url=url, method="GET", headers={}, expires_at=timezone.now() + ttl)

    def stored_size(self, *, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    @contextmanager
    def local_copy(self, *, key: str) -> Iterator[Path]:
        from boto3.s3.transfer import TransferConfig

        # Ranged GETs of 8 MB, a few at a time, straight into a temp file: memory stays flat.
        transfer = TransferConfig(multipart_chunksize=8 * CHUNK_BYTES, max_concurrency=4)
        with tempfile.TemporaryDirectory(prefix="synthos-dataset-") as tmp:
            path = Path(tmp) / Path(key).name
            self.client.download_file(self.bucket, key, str(path), Config=transfer)
            yield path

    def delete(self, *, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


_s3_clients: dict[tuple, S3Storage] = {}


def get_storage() -> LocalStorage | S3Storage:
    """The backend DATASET_STORAGE names (read on every call, so tests can switch it)."""
    if settings.DATASET_STORAGE == "s3":
        # Building a boto3 client takes tens of milliseconds: keep one per configuration.
        config = (
            settings.AWS_STORAGE_BUCKET_NAME,
            settings.AWS_S3_ENDPOINT_URL,
            settings.AWS_ACCESS_KEY_ID,
            settings.AWS_SECRET_ACCESS_KEY,
            settings.AWS_S3_REGION_NAME,
        )
        if config not in _s3_clients:
            _s3_clients[config] = S3Storage()
        return _s3_clients[config]
    return LocalStorage()
