"""Warranties fixtures: local storage in a temp MEDIA_ROOT, an eligible validation, warranties in
each state, and a queue that records claim-measuring jobs instead of running them."""

import pytest
from django.test import Client

from warranties import services
from warranties.tests.factories import eligible_validation, labelled_dataset


@pytest.fixture(autouse=True)
def local_storage(settings, tmp_path):
    settings.DATASET_STORAGE = "local"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def validation(owner):
    return eligible_validation(owner)


@pytest.fixture
def pending(owner, validation):
    return services.warranty_request(owner=owner, validation_id=validation.pk)


@pytest.fixture
def approved(pending, staff):
    return services.warranty_approve(warranty=pending, staff_user=staff)


@pytest.fixture
def holdout(owner):
    return labelled_dataset(owner, name="Fresh labelled rows", rows=200, seed=7)


@pytest.fixture
def queued(monkeypatch):
    """Record queued claim jobs instead of running them in-process; `.run_all()` runs them."""
    from warranties import jobs

    class Queue(list):
        def run_all(self):
            while self:
                jobs.claim_measure(claim_id=self.pop(0))

    queue = Queue()
    monkeypatch.setattr("warranties.services.async_task", lambda func, claim_id, **options: queue.append(claim_id))
    return queue


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def browser_client(owner):
    client = Client()
    client.force_login(owner)
    return client
