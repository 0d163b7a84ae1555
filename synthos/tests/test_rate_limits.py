from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from accounts.services import api_key_create
from accounts.tests.test_api_auth import assert_envelope
from billing.services import tier_change
from synthos.api import throttles

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _windows_outlive_frozen_time(monkeypatch):
    # Redis expires keys in real time while these tests freeze the clock: a frozen "second"
    # can last longer than the real TTL of its window key.
    monkeypatch.setattr(throttles, "SECOND_WINDOW_TTL", 120)


def minute_start(plus_seconds: float = 0.0) -> datetime:
    """A whole minute shortly after now (tokens issued now are not valid before now)."""
    return (timezone.now() + timedelta(minutes=2)).replace(second=0, microsecond=0) + timedelta(seconds=plus_seconds)


def key_client(user, name="ci"):
    from rest_framework.test import APIClient

    _, raw_key = api_key_create(user=user, name=name)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw_key)
    return client


def test_free_tier_allows_a_burst_of_ten_per_second(owner_client):
    with freeze_time(minute_start(5.1)):
        statuses = [owner_client.get("/api/v1/credits/balance").status_code for _ in range(11)]
        limited = owner_client.get("/api/v1/credits/balance")
    assert statuses == [200] * 10 + [429]
    error = assert_envelope(limited, 429)
    assert limited["Retry-After"] == "1" and "Retry after 1 seconds" in error["message"]
    # Refused bursts do not eat the minute's budget: 10 of 60 used.
    assert limited["X-RateLimit-Remaining"] == "50"


def test_free_tier_allows_sixty_a_minute_and_says_when_the_window_resets(owner_client):
    statuses = []
    with freeze_time(minute_start()) as clock:
        for _ in range(61):
            statuses.append(owner_client.get("/api/v1/credits/balance").status_code)
            clock.tick(0.5)  # two a second: under the burst limit
        limited = owner_client.get("/api/v1/credits/balance")
    assert statuses == [200] * 60 + [429]
    assert int(limited["Retry-After"]) == 60 - 30 and limited["X-RateLimit-Remaining"] == "0"


def test_responses_carry_the_minute_window_headers(owner_client):
    with freeze_time(minute_start(20)):
        first = owner_client.get("/api/v1/credits/balance")
        second = owner_client.get("/api/v1/auth/me")
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"], first["X-RateLimit-Reset"]) == (
        "60",
        "59",
        "40",
    )
    assert second["X-RateLimit-Remaining"] == "58"


def test_pro_and_enterprise_tiers_get_their_limits(owner, outsider, client_for):
    tier_change(user=owner, to_tier="pro", reason="bought a package")
    tier_change(user=outsider, to_tier="enterprise", reason="contract")
    with freeze_time(minute_start(0.1)):
        pro = [client_for(owner).get("/api/v1/credits/balance") for _ in range(31)]
        enterprise = [client_for(outsider).get("/api/v1/credits/balance") for _ in range(101)]
    assert [r.status_code for r in pro].count(200) == 30 and pro[0]["X-RateLimit-Limit"] == "300"
    assert [r.status_code for r in enterprise].count(200) == 100 and enterprise[0]["X-RateLimit-Limit"] == "1000"


def test_each_api_key_has_its_own_budget(owner):
    first, second = key_client(owner, "a"), key_client(owner, "b")
    with freeze_time(minute_start(0.1)):
        assert [first.get("/api/v1/credits/balance").status_code for _ in range(11)][-1] == 429
        assert second.get("/api/v1/credits/balance").status_code == 200


def test_a_tier_change_keeps_an_audit_record(owner, staff):
    change = tier_change(user=owner, to_tier="enterprise", reason="signed contract", changed_by=staff)
    assert (change.from_tier, change.to_tier, change.changed_by, change.reason) == (
        "free",
        "enterprise",
        staff,
        "signed contract",
    )
    assert tier_change(user=owner, to_tier="enterprise", reason="again") is None
