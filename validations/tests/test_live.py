"""On PostgreSQL: concurrent starts against one balance, concurrent idempotent retries, and a real
`manage.py qcluster` (ORM broker) running validations end to end — and being SIGKILLed mid-run.

The kill test slows the job down with the test-only environment variable
SYNTHOS_TEST_VALIDATION_STAGE_SLEEP (seconds to sleep at each engine stage boundary; read by
validations.jobs only when set, and set only for the qcluster these tests start).
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from billing.models import CreditTransaction
from billing.tests.test_ledger import assert_ledger_matches
from datasets.tests.helpers import local_put
from synthos.errors import InsufficientCredits
from synthos.tests.test_rate_limits_live import database_url
from validations import jobs, services
from validations.models import Validation
from validations.tests.helpers import balance, ledger, ledger_sum, ready_dataset, sample_csv

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def run_in_threads(count: int, target) -> list:
    barrier = threading.Barrier(count)
    outcomes: list = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            outcomes.append(target(index))
        except Exception as error:  # noqa: BLE001 - the test inspects every outcome
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_ten_concurrent_starts_on_a_balance_for_three_quick_scans(make_user, password, queued):
    user = make_user(email="three@example.com", password=password, balance=30)
    dataset = ready_dataset(user)
    outcomes = run_in_threads(
        10, lambda _: services.validation_start(owner=user, dataset_id=dataset.pk, tier="quick").pk
    )
    created = [outcome for outcome in outcomes if isinstance(outcome, str)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, InsufficientCredits)]
    assert len(created) == 3 and len(refused) == 7, outcomes
    assert Validation.objects.count() == 3 and sorted(queued) == sorted(created)
    assert balance(user) == 0 and ledger_sum(user) == 0
    assert CreditTransaction.objects.filter(account__user=user, kind="validation_charge").count() == 3
    assert_ledger_matches(user)


def test_concurrent_requests_with_one_idempotency_key_make_one_validation(owner, dataset, client_for, queued):
    body = {"dataset_id": dataset.pk, "tier": "standard"}

    def post(_):
        response = client_for(owner).post("/api/v1/validations", body, format="json", HTTP_IDEMPOTENCY_KEY="same")
        return response.status_code, response.json().get("id")

    outcomes = run_in_threads(5, post)
    assert {status for status, _ in outcomes} == {202}, outcomes
    assert len({validation_id for _, validation_id in outcomes}) == 1
    assert Validation.objects.count() == 1 and balance(owner) == 75


def test_a_cancel_racing_the_sweeper_refunds_once(owner, dataset, queued):
    from datetime import timedelta

    from django.utils import timezone

    validation = services.validation_start(owner=owner, dataset_id=dataset.pk, tier="standard")
    stale = timezone.now() - timedelta(minutes=10)
    Validation.objects.filter(pk=validation.pk).update(status="running", attempts=1, heartbeat_at=stale)

    def act(index):
        if index % 2:
            return jobs.validation_sweep()
        return services.validation_cancel(validation=Validation.objects.get(pk=validation.pk)).status

    run_in_threads(4, act)
    assert [kind for kind, _ in ledger(owner, validation.pk)].count("refund") <= 1
    assert_ledger_matches(owner)


# --- a real qcluster ----------------------------------------------------------------------------


@pytest.fixture
def qcluster(transactional_db, settings, local_storage, monkeypatch):
    """Start `manage.py qcluster` on the test database (ORM broker) and make this process enqueue
    into it instead of running tasks in-process. Yields a function that starts it with extra env."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    settings.VALIDATION_HEARTBEAT_SECONDS = 1
    settings.VALIDATION_HEARTBEAT_STALE_SECONDS = 3
    processes: list[subprocess.Popen] = []

    def start(**extra_env) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "synthos.settings.base",
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "CACHE_URL": "locmemcache://",
            "DATASET_STORAGE": "local",
            "MEDIA_ROOT": str(local_storage),
            "Q_WORKERS": "1",
            "VALIDATION_HEARTBEAT_SECONDS": "1",
            "VALIDATION_HEARTBEAT_STALE_SECONDS": "3",
            "LOG_LEVEL": "WARNING",
            **extra_env,
        }
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            start_new_session=True,  # its own process group: SIGKILL reaches the workers too
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def test_end_to_end_upload_complete_and_validate_each_tier_on_a_real_qcluster(
    owner, owner_client, raw_client, qcluster, settings
):
    from validations.engine.runner import TIERS, run_validation

    # Polling five times a second outruns the free tier's 60 a minute on a slow machine; the
    # throttle is tested elsewhere, here it must not decide the outcome.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "free": (6000, 100)}
    qcluster()
    content = sample_csv(200)
    created = owner_client.post(
        "/api/v1/datasets",
        {"name": "e2e", "filename": "e2e.csv", "format": "csv", "size_bytes": len(content)},
        format="json",
    ).json()
    assert local_put(raw_client, created["upload"]["url"], content).status_code == 200
    dataset_id = created["dataset"]["id"]
    assert owner_client.post(f"/api/v1/datasets/{dataset_id}/complete").status_code == 202
    wait_for(
        lambda: owner_client.get(f"/api/v1/datasets/{dataset_id}").json()["status"] == "ready",
        timeout=60,
        what="the worker to inspect the dataset",
    )
    spent = 0
    for tier in TIERS:
        response = owner_client.post(
            "/api/v1/validations", {"dataset_id": dataset_id, "tier": tier, "target_column": "label"}, format="json"
        )
        assert response.status_code == 202, response.content
        validation_id = response.json()["id"]
        body = wait_for(finished(owner_client, validation_id), timeout=120, what=f"the {tier} validation")
        assert body["status"] == "succeeded", body["error"]
        assert body["progress"] == 100 and body["stage"] == "done"
        stored = owner_client.get(f"/api/v1/validations/{validation_id}/report").json()
        local = Path(local_storage_path(dataset_id))
        expected = run_validation(local, tier=tier, fmt="csv", target="label")
        stored.pop("timings"), expected.pop("timings")
        assert stored == expected
        spent += {"quick": 10, "standard": 25, "comprehensive": 50}[tier]
    assert balance(owner) == 100 - spent
    assert_ledger_matches(owner)


def finished(client, validation_id: str):
    def check():
        body = client.get(f"/api/v1/validations/{validation_id}").json()
        return body if body["status"] in ("succeeded", "failed") else None

    return check


def local_storage_path(dataset_id: str) -> Path:
    from datasets.models import Dataset
    from datasets.storage import LocalStorage

    return LocalStorage().path_for(Dataset.objects.get(pk=dataset_id).storage_key)


def test_a_worker_killed_mid_run_ends_failed_and_refunded_once_after_the_sweeper(owner, owner_client, qcluster):
    dataset = ready_dataset(owner)
    process = qcluster(SYNTHOS_TEST_VALIDATION_STAGE_SLEEP="1")
    validation_id = services.validation_start(owner=owner, dataset_id=dataset.pk, tier="standard").pk
    wait_for(
        lambda: Validation.objects.filter(pk=validation_id, status="running").exclude(stage="starting").exists(),
        timeout=60,
        what="the worker to start the run",
    )
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert Validation.objects.get(pk=validation_id).status == "running"
    assert jobs.validation_sweep() == 0  # the heartbeat is still fresh: not yet
    time.sleep(4)  # > VALIDATION_HEARTBEAT_STALE_SECONDS
    assert jobs.validation_sweep() == 1
    assert jobs.validation_sweep() == 0
    validation = Validation.objects.get(pk=validation_id)
    assert validation.status == "failed" and "stopped responding" in validation.error
    assert ledger(owner, validation_id) == [("validation_charge", -25), ("refund", 25)]
    assert balance(owner) == 100
    # django-q2 hands the killed task out again later: that run finds it settled and does nothing.
    jobs.validation_run(validation_id=validation_id)
    assert ledger(owner, validation_id) == [("validation_charge", -25), ("refund", 25)]
    assert_ledger_matches(owner)
