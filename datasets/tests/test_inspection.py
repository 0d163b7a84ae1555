"""Inspection in the worker: every format ends ready; every bad input ends failed, saying what is wrong."""

import gzip
import io

import polars as pl
import pytest
import zstandard

from datasets.models import Dataset
from datasets.services import dataset_inspect
from datasets.storage import LocalStorage
from datasets.tests.factories import DatasetFactory
from datasets.tests.helpers import CSV, sha256, upload

pytestmark = pytest.mark.django_db


def parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"x": list(range(500)), "label": ["a", "b"] * 250}).write_parquet(buffer)
    return buffer.getvalue()


def inspected(owner_client, raw_client, content: bytes, **fields) -> Dataset:
    return Dataset.objects.get(pk=upload(owner_client, raw_client, content, **fields))


@pytest.mark.parametrize(
    "fmt, content, rows, compression",
    [
        ("csv", CSV, 3, "none"),
        ("tsv", b"id\ttext\n1\thello\n2\tworld\n", 2, "none"),
        ("jsonl", b'{"id": 1, "meta": {"tags": ["a", "b"]}}\n{"id": 2, "meta": null}\n', 2, "none"),
        ("parquet", parquet_bytes(), 500, "none"),
        ("csv", gzip.compress(CSV, mtime=0), 3, "gzip"),
        ("csv", zstandard.ZstdCompressor().compress(CSV), 3, "zstd"),
    ],
)
def test_every_format_and_compression_becomes_ready(owner_client, raw_client, fmt, content, rows, compression):
    dataset = inspected(owner_client, raw_client, content, format=fmt)
    assert dataset.status == "ready", dataset.error
    assert dataset.row_count == rows and dataset.compression == compression
    assert dataset.sha256 == sha256(content)
    assert dataset.columns and all({"name", "dtype", "null_fraction", "distinct"} <= set(c) for c in dataset.columns)
    assert dataset.preview and len(dataset.preview) == min(rows, 100)


def test_nested_jsonl_values_are_kept_in_the_preview(owner_client, raw_client):
    dataset = inspected(owner_client, raw_client, b'{"id": 1, "meta": {"tags": ["a"]}}\n', format="jsonl")
    assert dataset.preview == [{"id": 1, "meta": {"tags": ["a"]}}]
    assert {c["name"]: c["dtype"] for c in dataset.columns}["meta"] == "nested"


def test_the_preview_stops_at_100_rows(owner_client, raw_client):
    content = b"n\n" + b"".join(f"{i}\n".encode() for i in range(250))
    dataset = inspected(owner_client, raw_client, content)
    assert dataset.row_count == 250 and len(dataset.preview) == 100


@pytest.mark.parametrize(
    "name, fmt, content, expected",
    [
        ("whitespace only", "csv", b"\n \n", "only whitespace"),
        ("compressed empty", "csv", gzip.compress(b"", mtime=0), "decompresses to nothing"),
        ("header only", "csv", b"id,name\n", "header but no data rows"),
        ("ragged rows", "csv", b"a,b\n1,2\n3\n4,5\n", "Line 3: the row has 1 fields but the header has 2"),
        ("invalid utf-8", "csv", b"a,b\n1,caf\xe9\n", "not valid UTF-8: line 2"),
        ("bad json line", "jsonl", b'{"a": 1}\n{"a": 2}\n{"a": \n', "Line 3: the line is not valid JSON"),
        ("truncated parquet", "parquet", parquet_bytes()[:300], "Parquet file is truncated"),
        ("csv declared as parquet", "parquet", CSV, "Declared parquet but the file looks like csv"),
        ("parquet declared as csv", "csv", parquet_bytes(), "Declared csv but the file looks like parquet"),
        ("json array", "jsonl", b'[{"a": 1}]\n', "JSON array"),
        ("truncated gzip", "csv", gzip.compress(CSV * 50, mtime=0)[:-30], "gzip stream is truncated"),
    ],
)
def test_bad_input_fails_with_a_message_naming_the_problem(owner_client, raw_client, name, fmt, content, expected):
    dataset = inspected(owner_client, raw_client, content, format=fmt)
    assert dataset.status == "failed"
    assert expected in dataset.error, dataset.error
    assert dataset.inspected_at is not None


def test_a_gzip_bomb_stops_at_the_decompressed_size_limit(owner_client, raw_client, settings):
    settings.DATASET_MAX_DECOMPRESSED_BYTES = 1_000_000
    bomb = gzip.compress(b"n\n" + b"0\n" * 5_000_000)
    assert len(bomb) < 50_000
    dataset = inspected(owner_client, raw_client, bomb)
    assert dataset.status == "failed"
    assert "decompresses to more than 1,000,000 bytes" in dataset.error and "bomb" in dataset.error


def test_an_empty_stored_file_fails(owner):
    dataset = DatasetFactory(owner=owner, status="processing", row_count=None, sha256="", columns=[], preview=[])
    path = LocalStorage().path_for(dataset.storage_key)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    dataset_inspect(dataset_id=dataset.pk)
    dataset.refresh_from_db()
    assert dataset.status == "failed" and "empty (0 bytes)" in dataset.error


def test_a_missing_stored_file_fails(owner):
    dataset = DatasetFactory(owner=owner, status="processing", row_count=None, sha256="", columns=[], preview=[])
    dataset_inspect(dataset_id=dataset.pk)
    dataset.refresh_from_db()
    assert dataset.status == "failed" and "missing" in dataset.error


def test_a_declared_sha256_that_differs_fails(owner_client, raw_client):
    dataset = inspected(owner_client, raw_client, CSV, sha256="ab" * 32)
    assert dataset.status == "failed"
    assert f"SHA-256 is {sha256(CSV)}, not the declared {'ab' * 32}" in dataset.error


def test_expected_rows_that_differ_fail(owner_client, raw_client):
    dataset = inspected(owner_client, raw_client, CSV, expected_rows=4)
    assert dataset.status == "failed" and "3 data rows, but expected_rows is 4" in dataset.error


def test_an_engine_crash_fails_the_dataset_instead_of_the_worker(owner_client, raw_client, monkeypatch):
    def explode(*args, **kwargs):
        raise MemoryError("boom")

    monkeypatch.setattr("validations.engine.io.inspect_file", explode)
    dataset = inspected(owner_client, raw_client, CSV)
    assert dataset.status == "failed" and "internal error" in dataset.error


def test_a_second_run_of_the_job_does_nothing(owner_client, raw_client, monkeypatch):
    dataset = inspected(owner_client, raw_client, CSV)
    monkeypatch.setattr("validations.engine.io.inspect_file", lambda *a, **k: pytest.fail("inspected twice"))
    dataset_inspect(dataset_id=dataset.pk)
    Dataset.objects.filter(pk=dataset.pk).update(status="processing")
    dataset_inspect(dataset_id=dataset.pk)  # claimed moments ago by a live worker: left alone


def test_web_modules_do_not_import_polars_or_the_engine():
    import subprocess
    import sys

    code = (
        "import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'synthos.settings.test'); "
        "django.setup(); import synthos.urls, datasets.api, datasets.views, datasets.services, datasets.selectors; "
        "bad = [m for m in sys.modules if m == 'polars' or m.startswith('validations.engine')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
