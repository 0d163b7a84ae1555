"""Pipeline wiring of validations: `fail_if` gates on start and the outbound validation events."""

import pytest

from datasets.tests.helpers import assert_envelope
from synthos.webhooks.models import WebhookEvent
from synthos.webhooks.tests.factories import make_endpoint
from validations.models import Validation
from validations.tests.helpers import balance, start

pytestmark = pytest.mark.django_db


def test_a_passing_gate_is_stored_and_returned(owner_client, dataset):
    response = start(owner_client, dataset.pk, "quick", fail_if={"quality_score_lt": 1})
    assert response.status_code == 202, response.content
    detail = owner_client.get(f"/api/v1/validations/{response.json()['id']}").json()
    assert detail["status"] == "succeeded"
    assert detail["gate"] == {"passed": True, "failed_rules": []}
    listed = owner_client.get("/api/v1/validations").json()["data"][0]
    assert listed["gate"]["passed"] is True


def test_a_failing_gate_names_the_rule_and_the_actual_value(owner_client, dataset):
    response = start(owner_client, dataset.pk, "standard", fail_if={"collapse_score_gte": 0})
    validation_id = response.json()["id"]
    gate = owner_client.get(f"/api/v1/validations/{validation_id}").json()["gate"]
    assert gate["passed"] is False
    (rule,) = gate["failed_rules"]
    assert rule["rule"] == "collapse_score_gte" and rule["threshold"] == 0
    assert rule["actual"] == Validation.objects.get(pk=validation_id).collapse_score


def test_a_rule_the_tier_cannot_answer_fails_the_gate_with_the_reason(owner_client, dataset):
    validation_id = start(owner_client, dataset.pk, "quick", fail_if={"collapse_level_gte": "high"}).json()["id"]
    (rule,) = owner_client.get(f"/api/v1/validations/{validation_id}").json()["gate"]["failed_rules"]
    assert rule["actual"] is None and "quick scans do not measure it" in rule["message"]


def test_no_rules_means_no_gate(owner_client, dataset):
    validation_id = start(owner_client, dataset.pk, "quick").json()["id"]
    assert owner_client.get(f"/api/v1/validations/{validation_id}").json()["gate"] is None


def test_an_unknown_rule_is_a_422_before_any_charge(owner_client, owner, dataset):
    error = assert_envelope(start(owner_client, dataset.pk, "quick", fail_if={"vibes_lt": 3}), 422)
    assert "vibes_lt" in error["message"] and "quality_score_lt" in error["message"]
    assert balance(owner) == 100 and not Validation.objects.exists()


def test_the_dashboard_shows_the_gate_badge_and_the_failed_rules(client, owner, owner_client, dataset):
    validation_id = start(owner_client, dataset.pk, "quick", fail_if={"collapse_level_gte": "high"}).json()["id"]
    client.force_login(owner)
    page = client.get(f"/validations/{validation_id}/").content.decode()
    assert 'data-testid="gate-badge"' in page and "Gate failed" in page
    assert 'data-testid="gate-failures"' in page
    assert "Gate failed" in client.get("/validations/").content.decode()


def test_a_finished_run_emits_a_validation_event_to_subscribed_endpoints(owner_client, owner, dataset, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    make_endpoint(owner=owner, url="http://127.0.0.1:9/hook", events=["validation.succeeded", "validation.failed"])
    validation_id = start(owner_client, dataset.pk, "quick").json()["id"]
    event = WebhookEvent.objects.get(owner=owner, type="validation.succeeded")
    assert event.data["id"] == validation_id and event.data["status"] == "succeeded"
    assert "report" not in event.data and event.deliveries.count() == 1


def test_a_failed_run_emits_validation_failed(owner_client, owner, dataset, settings, monkeypatch):
    from validations import jobs

    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    make_endpoint(owner=owner, url="http://127.0.0.1:9/hook", events=["validation.failed"])

    def crash(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(jobs, "run_validation", crash, raising=False)
    monkeypatch.setattr("validations.engine.runner.run_validation", crash)
    validation_id = start(owner_client, dataset.pk, "quick").json()["id"]
    assert Validation.objects.get(pk=validation_id).status == "failed"
    assert WebhookEvent.objects.filter(owner=owner, type="validation.failed", data__id=validation_id).exists()


def test_the_dashboard_list_runs_the_same_queries_for_few_or_many_gated_runs(client, owner, owner_client, dataset):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(owner)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/validations/").status_code == 200
        return len(captured)

    start(owner_client, dataset.pk, "quick", fail_if={"collapse_level_gte": "high"})
    few = queries_for_list()
    for _ in range(4):
        start(owner_client, dataset.pk, "quick", fail_if={"collapse_level_gte": "high"})
    assert queries_for_list() == few
