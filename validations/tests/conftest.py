"""Validations fixtures: local storage in a temp MEDIA_ROOT, ready datasets with real files, a queue
that records jobs instead of running them, and a balance helper."""

import pytest
from django.test import Client

from validations.tests.helpers import ready_dataset


@pytest.fixture(autouse=True)
def local_storage(settings, tmp_path):
    settings.DATASET_STORAGE = "local"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def raw_client():
    return Client()


@pytest.fixture
def queued(monkeypatch):
    """Record queued validation jobs instead of running them in-process; `.run_all()` runs them."""
    from validations import jobs

    class Queue(list):
        def run_all(self):
            while self:
                jobs.validation_run(validation_id=self.pop(0))

    queue = Queue()
    monkeypatch.setattr(
        "validations.services.async_task", lambda func, validation_id, **options: queue.append(validation_id)
    )
    return queue


@pytest.fixture
def dataset(owner):
    return ready_dataset(owner)
