"""The validation job: claiming, redelivery, cancel at a stage boundary, failures settled and refunded
exactly once, the attempts cap and the stale-heartbeat sweeper."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.tests.test_ledger import assert_ledger_matches
from validations import jobs
from validations.engine.errors import EngineInputError
from validations.models import Validation
from validations.services import validation_start
from validations.tests.helpers import balance, ledger, ready_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_validation(owner, dataset, queued):
    def make(tier="standard", **fields):
        validation = validation_start(owner=owner, dataset_id=dataset.pk, tier=tier, **fields)
        queued.clear()
        return validation

    return make


def run(validation) -> Validation:
    jobs.validation_run(validation_id=validation.pk)
    return Validation.objects.get(pk=validation.pk)


def test_a_redelivered_job_does_not_run_twice(owner, queued_validation, monkeypatch):
    validation = queued_validation("quick")
    assert run(validation).status == "succeeded"
    calls = []
    monkeypatch.setattr("validations.engine.runner.run_validation", lambda *a, **k: calls.append(1))
    again = run(validation)
    assert calls == [] and again.status == "succeeded" and again.attempts == 1
    assert ledger(owner, validation.pk) == [("validation_charge", -10)]


def test_a_redelivery_while_the_first_run_is_alive_stops_at_once(owner, queued_validation, monkeypatch):
    validation = queued_validation("quick")
    Validation.objects.filter(pk=validation.pk).update(status="running", attempts=1, heartbeat_at=timezone.now())
    calls = []
    monkeypatch.setattr("validations.engine.runner.run_validation", lambda *a, **k: calls.append(1))
    again = run(validation)
    assert calls == [] and again.status == "running" and again.attempts == 1


def test_a_redelivery_after_the_worker_died_takes_over_and_counts_the_attempt(owner, queued_validation):
    validation = queued_validation("quick")
    stale = timezone.now() - timedelta(minutes=10)
    Validation.objects.filter(pk=validation.pk).update(status="running", attempts=1, heartbeat_at=stale)
    again = run(validation)
    assert again.status == "succeeded" and again.attempts == 2
    assert ledger(owner, validation.pk) == [("validation_charge", -10)]


def test_after_max_attempts_it_gives_up_failed_and_refunded_once(owner, queued_validation, settings):
    settings.VALIDATION_MAX_ATTEMPTS = 3
    validation = queued_validation("standard")
    stale = timezone.now() - timedelta(minutes=10)
    Validation.objects.filter(pk=validation.pk).update(status="running", attempts=3, heartbeat_at=stale)
    failed = run(validation)
    assert failed.status == "failed" and failed.attempts == 3
    assert "started 3 times" in failed.error and "25 credits were refunded" in failed.error
    run(validation)
    jobs.validation_sweep()
    assert ledger(owner, validation.pk) == [("validation_charge", -25), ("refund", 25)]
    assert balance(owner) == 100
    assert_ledger_matches(owner)


def test_a_crash_on_our_side_fails_with_plain_english_and_refunds_once(owner, queued_validation, monkeypatch):
    validation = queued_validation("standard")

    def crash(*args, **kwargs):
        raise RuntimeError("polars exploded")

    monkeypatch.setattr("validations.engine.runner.run_validation", crash)
    failed = run(validation)
    assert failed.status == "failed" and "internal error" in failed.error and "polars" not in failed.error
    assert "25 credits were refunded" in failed.error and failed.credits_refunded == 25
    run(validation)
    assert ledger(owner, validation.pk) == [("validation_charge", -25), ("refund", 25)]
    assert_ledger_matches(owner)


def test_a_file_of_which_nothing_parses_is_a_failed_refunded_run(owner, queued_validation, monkeypatch):
    validation = queued_validation("quick")

    def unreadable(*args, **kwargs):
        raise EngineInputError("Line 1 is not valid CSV.")

    monkeypatch.setattr("validations.engine.runner.run_validation", unreadable)
    failed = run(validation)
    assert failed.status == "failed" and failed.error.startswith("Line 1 is not valid CSV.")
    assert balance(owner) == 100


def test_problems_in_the_data_are_findings_of_a_succeeded_run(owner, make_user, password, queued):
    content = b"id,text,label\n1,a,x\n1,a,x\n2,,y\n3,b,\n"
    dataset = ready_dataset(owner, content)
    validation = validation_start(owner=owner, dataset_id=dataset.pk, tier="quick")
    queued.clear()
    done = run(validation)
    assert done.status == "succeeded" and done.report["issues"]
    assert done.report["checks"]["exact_duplicates"]["count"] == 1


def test_a_missing_file_fails_and_refunds(owner, queued_validation, dataset, local_storage):
    validation = queued_validation("quick")
    import shutil

    shutil.rmtree(local_storage)
    failed = run(validation)
    assert failed.status == "failed" and "missing from storage" in failed.error
    assert balance(owner) == 100


def test_running_past_the_time_limit_fails_and_refunds(owner, queued_validation, settings):
    settings.VALIDATION_JOB_TIMEOUT_SECONDS = -1
    validation = queued_validation("quick")
    failed = run(validation)
    assert failed.status == "failed" and "time limit" in failed.error
    assert balance(owner) == 100


def test_a_run_canceled_midway_discards_its_output_and_keeps_the_charge(owner, queued_validation, monkeypatch):
    from validations.engine import runner
    from validations.services import validation_cancel

    validation = queued_validation("standard")
    real = runner.run_validation

    def cancel_during(path, **kwargs):
        progress = kwargs["progress"]

        def cancel_then_report(stage, percent):
            if stage == "missing":
                validation_cancel(validation=Validation.objects.get(pk=validation.pk))
            progress(stage, percent)

        return real(path, **{**kwargs, "progress": cancel_then_report})

    monkeypatch.setattr("validations.engine.runner.run_validation", cancel_during)
    canceled = run(validation)
    assert canceled.status == "canceled" and canceled.report is None and canceled.quality_score is None
    assert ledger(owner, validation.pk) == [("validation_charge", -25)]


def test_progress_is_written_as_the_engine_reports_it(owner, queued_validation, monkeypatch, settings):
    settings.VALIDATION_PROGRESS_WRITE_SECONDS = 0
    from validations.engine import runner

    seen = []
    real = runner.run_validation

    def watch(path, **kwargs):
        progress = kwargs["progress"]

        def spy(stage, percent):
            progress(stage, percent)
            row = Validation.objects.get(pk=validation.pk)
            seen.append((row.stage, row.progress, row.status))

        return real(path, **{**kwargs, "progress": spy})

    validation = queued_validation("quick")
    monkeypatch.setattr("validations.engine.runner.run_validation", watch)
    run(validation)
    assert "missing" in [stage for stage, *_ in seen]
    assert all(status == "running" and 0 <= progress <= 99 for _, progress, status in seen)
    assert [progress for _, progress, _ in seen] == sorted(progress for _, progress, _ in seen)


# TEST DOUBLE: the engine cannot make comprehensive reports yet (its TIERS are quick and standard),
# so this path is tested with the engine call replaced by one returning `prediction: None`.
def test_a_comprehensive_run_without_a_prediction_succeeds_and_refunds_25(owner, queued_validation, monkeypatch):
    from validations.engine import runner

    validation = queued_validation("comprehensive", target_column="label")
    real = runner.run_validation

    def no_prediction(path, **kwargs):
        report = real(path, **{**kwargs, "tier": "standard"})
        return {
            **report,
            "tier": "comprehensive",
            "prediction": None,
            "prediction_unavailable_reason": "The target is constant.",
        }

    monkeypatch.setattr("validations.engine.runner.TIERS", ("quick", "standard", "comprehensive"))
    monkeypatch.setattr("validations.engine.runner.run_validation", no_prediction)
    done = run(validation)
    assert done.status == "succeeded" and done.prediction is None and done.credits_refunded == 25
    assert ledger(owner, validation.pk) == [("validation_charge", -50), ("refund", 25)]
    run(validation)
    assert balance(owner) == 75
    assert_ledger_matches(owner)


def test_a_tier_the_engine_cannot_run_yet_fails_and_refunds(owner, queued_validation, monkeypatch):
    monkeypatch.setattr("validations.engine.runner.TIERS", ("quick", "standard"))
    validation = queued_validation("comprehensive", target_column="label")
    failed = run(validation)
    assert failed.status == "failed" and "not available yet" in failed.error
    assert balance(owner) == 100


# --- the sweeper --------------------------------------------------------------------------------


def test_the_sweeper_settles_a_run_whose_worker_died_once(owner, queued_validation):
    dead = queued_validation("standard")
    alive = queued_validation("quick")
    stale = timezone.now() - timedelta(minutes=10)
    Validation.objects.filter(pk=dead.pk).update(status="running", attempts=1, heartbeat_at=stale)
    Validation.objects.filter(pk=alive.pk).update(status="running", attempts=1, heartbeat_at=timezone.now())
    assert jobs.validation_sweep() == 1
    assert jobs.validation_sweep() == 0
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == "failed" and "stopped responding" in dead.error
    assert alive.status == "running"
    assert ledger(owner, dead.pk) == [("validation_charge", -25), ("refund", 25)]
    # The job comes back (django-q2 redelivers it) and finds nothing to do.
    assert run(dead).status == "failed"
    assert ledger(owner, dead.pk) == [("validation_charge", -25), ("refund", 25)]
    assert_ledger_matches(owner)


def test_the_sweeper_schedule_exists():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(func="validations.tasks.validation_sweep_task")
    assert schedule.schedule_type == "I" and schedule.minutes == 1 and schedule.repeats == -1
