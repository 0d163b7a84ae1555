"""Abandoned uploads, retention, account erasure and the schedules that run them."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from django_q.models import Schedule

from datasets import tasks
from datasets.models import Dataset
from datasets.storage import LocalStorage
from datasets.tests.factories import DatasetFactory
from datasets.tests.helpers import CSV, create, local_put, upload

pytestmark = pytest.mark.django_db


def age(dataset_id: str, **delta) -> None:
    Dataset.objects.filter(pk=dataset_id).update(created_at=timezone.now() - timedelta(**delta))


def test_uploads_left_waiting_for_a_day_are_deleted_with_any_partial_file(owner_client, raw_client):
    stale = create(owner_client).json()
    local_put(raw_client, stale["upload"]["url"], CSV)  # uploaded but never completed
    stale_id = stale["dataset"]["id"]
    fresh_id = create(owner_client).json()["dataset"]["id"]
    ready_id = upload(owner_client, raw_client)
    age(stale_id, hours=25)
    age(ready_id, days=3)
    folder = LocalStorage().path_for(Dataset.objects.get(pk=stale_id).storage_key).parent
    assert folder.exists()

    assert tasks.dataset_cleanup_stale_uploads_task() == 1
    assert set(Dataset.objects.values_list("pk", flat=True)) == {fresh_id, ready_id}
    assert not folder.exists()


def test_retention_is_off_by_default(owner):
    dataset = DatasetFactory(owner=owner)
    age(dataset.pk, days=4000)
    assert tasks.dataset_retention_task() == 0
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_retention_deletes_datasets_and_files_older_than_the_setting(owner_client, raw_client, settings):
    settings.DATASET_RETENTION_DAYS = 30
    old_id = upload(owner_client, raw_client)
    new_id = upload(owner_client, raw_client)
    age(old_id, days=31)
    old_file = LocalStorage().path_for(Dataset.objects.get(pk=old_id).storage_key)
    assert tasks.dataset_retention_task() == 1
    assert list(Dataset.objects.values_list("pk", flat=True)) == [new_id]
    assert not old_file.exists()


def test_closing_the_account_erases_its_datasets_and_files(owner_client, raw_client, owner, outsider, password):
    mine = upload(owner_client, raw_client)
    theirs = DatasetFactory(owner=outsider)
    my_folder = LocalStorage().path_for(Dataset.objects.get(pk=mine).storage_key).parent
    response = owner_client.delete("/api/v1/auth/me", {"password": password}, format="json")
    assert response.status_code == 204
    assert not Dataset.objects.filter(owner=owner).exists() and not my_folder.exists()
    assert Dataset.objects.filter(pk=theirs.pk).exists()


def test_the_schedules_are_created_once_however_often_migrations_run():
    migration = importlib.import_module("datasets.migrations.0002_schedules")
    migration.create_schedules(apps, None)
    migration.create_schedules(apps, None)
    schedules = Schedule.objects.filter(func__startswith="datasets.tasks.")
    assert sorted(schedules.values_list("func", flat=True)) == [
        "datasets.tasks.dataset_cleanup_stale_uploads_task",
        "datasets.tasks.dataset_retention_task",
    ]
