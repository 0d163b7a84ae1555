"""The API's fast read paths keep the contract: the validation list's database-written JSON equals
the Python summary and the detail, hand-written dataset bodies equal their serializers, orjson
writes what DRF's renderer wrote, and remembered identities are refused within their bound."""

import datetime
import decimal
import json
import uuid

import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from accounts.models import ApiKey, User
from accounts.services import api_key_create
from billing.services import tier_change
from datasets.api import DatasetListOutput, DatasetOutput, dataset_output
from datasets.tests.factories import DatasetFactory
from synthos.api import authentication
from synthos.api.renderers import FastJSONRenderer
from validations.models import Validation
from validations.summaries import SUMMARY_COLUMNS, summary_from_row, validation_detail

pytestmark = pytest.mark.django_db

PREDICTION = {
    "metric": "accuracy",
    "model": "logistic regression",
    "expected": 0.8123456789,
    "interval": [0.71, 0.9],
    "confidence": 0.9,
    "learning_curve": [{"n": 100, "score": 0.5}, {"n": 1000, "score": 1e-05}],
}


def _validations(owner, dataset) -> list[Validation]:
    moment = timezone.now().replace(microsecond=0)
    common = {"owner": owner, "dataset": dataset, "dataset_name": dataset.name, "credits_charged": 50}
    return [
        Validation.objects.create(**common, tier="quick", created_at=moment),
        Validation.objects.create(
            **common,
            tier="comprehensive",
            target_column="label",
            text_column="text",
            status="succeeded",
            progress=100,
            stage="done",
            quality_score=87,
            collapse_score=0.1 + 0.2,
            collapse_level="medium",
            prediction=PREDICTION,
            gate={"passed": False, "failed_rules": [{"rule": "quality_score_lt", "threshold": 90, "actual": 87}]},
            report={"schema_version": 1, "quality_score": 87},
            started_at=moment + datetime.timedelta(microseconds=7),
            finished_at=moment + datetime.timedelta(seconds=3, microseconds=123456),
            created_at=moment + datetime.timedelta(microseconds=1),
        ),
        Validation.objects.create(
            **{**common, "dataset_name": 'Ünïcode "quoted" \\ name\n\t€ 😀'},
            tier="standard",
            status="failed",
            stage="outliers",
            error='The file could not be read: "bad byte" at row 3\nRefunded.',
            credits_refunded=50,
            created_at=moment + datetime.timedelta(microseconds=2),
        ),
        Validation.objects.create(
            **common,
            tier="quick",
            status="canceled",
            canceled_at=moment + datetime.timedelta(days=1),
            created_at=moment + datetime.timedelta(microseconds=3),
        ),
    ]


def test_list_rows_written_by_the_database_equal_the_summary_and_the_detail(owner, owner_client):
    dataset = DatasetFactory(owner=owner, name="train")
    validations = _validations(owner, dataset)
    page = owner_client.get("/api/v1/validations?limit=50").json()
    rows = {row["id"]: row for row in page["data"]}
    assert set(rows) == {validation.pk for validation in validations}
    for validation in validations:
        values = Validation.objects.filter(pk=validation.pk).values(*SUMMARY_COLUMNS).get()
        assert rows[validation.pk] == summary_from_row(values)
        detail = owner_client.get(f"/api/v1/validations/{validation.pk}").json()
        assert {key: value for key, value in detail.items() if key != "report"} == rows[validation.pk]
        assert detail == json.loads(json.dumps(validation_detail(Validation.objects.get(pk=validation.pk))))
    assert "learning_curve" in rows[validations[1].pk]["prediction"]
    assert all("report" not in row for row in page["data"])


@pytest.mark.postgres
def test_on_postgresql_the_list_splices_json_the_database_wrote(owner, owner_client, monkeypatch):
    from validations import summaries

    DatasetFactory(owner=owner)
    _validations(owner, DatasetFactory(owner=owner))
    monkeypatch.setattr(summaries, "summary_from_row", lambda row: pytest.fail("the Python path ran"))
    assert len(owner_client.get("/api/v1/validations").json()["data"]) == 4


@pytest.mark.postgres
def test_the_stored_summaries_follow_every_kind_of_write(owner, owner_client):
    """The trigger keeps `summary_json` equal to SUMMARY_JSON_SQL (today's shape: a migration that
    forgot to recreate the trigger fails here) through save(), update() and ON DELETE SET NULL."""
    from django.db import connection

    from validations.summaries import SUMMARY_JSON_COLUMN, SUMMARY_JSON_SQL

    dataset, other = DatasetFactory(owner=owner), DatasetFactory(owner=owner)
    validations = _validations(owner, dataset)
    Validation.objects.filter(pk=validations[0].pk).update(status="running", progress=40, stage="outliers")
    moved = Validation.objects.get(pk=validations[1].pk)
    moved.dataset, moved.dataset_name = other, "other"
    moved.save()
    dataset.delete()

    table = Validation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT id, "{SUMMARY_JSON_COLUMN}", {SUMMARY_JSON_SQL} FROM "{table}"')
        rows = cursor.fetchall()
    assert len(rows) == 4
    for pk, stored, fresh in rows:
        assert json.loads(stored) == json.loads(fresh), pk
    listed = {row["id"]: row for row in owner_client.get("/api/v1/validations").json()["data"]}
    assert listed[validations[0].pk]["status"] == "running" and listed[validations[0].pk]["progress"] == 40
    assert listed[validations[1].pk]["dataset_id"] == other.pk
    assert listed[validations[2].pk]["dataset_id"] is None


def test_the_list_pages_the_database_written_rows_by_cursor(owner, owner_client):
    _validations(owner, DatasetFactory(owner=owner))
    first = owner_client.get("/api/v1/validations?limit=3").json()
    second = owner_client.get(first["next"]).json()
    newest_first = list(Validation.objects.order_by("-created_at", "-pk").values_list("pk", flat=True))
    assert [row["id"] for row in first["data"] + second["data"]] == newest_first
    assert second["next"] is None
    back = owner_client.get(second["previous"]).json()
    assert [row["id"] for row in back["data"]] == newest_first[:3]


@pytest.mark.parametrize("position", ["yesterday", "", "2026-13-40T00:00:00+00:00"])
def test_a_cursor_whose_position_is_not_a_time_is_refused_as_invalid(owner, owner_client, position):
    import base64

    _validations(owner, DatasetFactory(owner=owner))
    cursor = base64.b64encode(f"p={position}".encode()).decode()
    response = owner_client.get(f"/api/v1/validations?cursor={cursor}")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Invalid cursor"


def test_a_cursor_without_a_zone_reads_as_utc(owner, owner_client):
    import base64

    validations = _validations(owner, DatasetFactory(owner=owner))
    newest = max(validations, key=lambda validation: (validation.created_at, validation.pk))
    position = newest.created_at.astimezone(datetime.UTC).replace(tzinfo=None).isoformat()
    cursor = base64.b64encode(f"p={position}".encode()).decode()
    page = owner_client.get(f"/api/v1/validations?cursor={cursor}").json()
    assert [row["id"] for row in page["data"]] == [
        v.pk
        for v in sorted(validations, key=lambda v: (v.created_at, v.pk), reverse=True)
        if v.created_at < newest.created_at
    ]


def test_rows_created_in_the_same_microsecond_page_without_loss_or_repeat(owner, owner_client):
    dataset, moment = DatasetFactory(owner=owner), timezone.now()
    for _ in range(5):
        Validation.objects.create(owner=owner, dataset=dataset, dataset_name="d", tier="quick", created_at=moment)
    seen, url = [], "/api/v1/validations?limit=2"
    while url:
        page = owner_client.get(url).json()
        seen += [row["id"] for row in page["data"]]
        url = page["next"]
    assert seen == list(Validation.objects.order_by("-pk").values_list("pk", flat=True))


def test_rows_created_in_the_same_microsecond_page_back_without_loss_or_repeat(owner, owner_client):
    dataset, moment = DatasetFactory(owner=owner), timezone.now()
    for _ in range(5):
        Validation.objects.create(owner=owner, dataset=dataset, dataset_name="d", tier="quick", created_at=moment)
    newest_first = list(Validation.objects.order_by("-pk").values_list("pk", flat=True))
    pages, url = [], "/api/v1/validations?limit=2"
    while url:
        pages.append(owner_client.get(url).json())
        url = pages[-1]["next"]
    assert [[row["id"] for row in page["data"]] for page in pages] == [
        newest_first[:2],
        newest_first[2:4],
        [newest_first[4]],
    ]
    assert pages[0]["previous"] is None
    for number in (2, 1):  # back from the last page, then from the second
        back = owner_client.get(pages[number]["previous"]).json()
        assert [row["id"] for row in back["data"]] == newest_first[2 * (number - 1) : 2 * number]
    first_again = owner_client.get(pages[1]["previous"]).json()
    assert first_again["previous"] is None  # reached going back, the first page still has no previous
    assert [row["id"] for row in owner_client.get(first_again["next"]).json()["data"]] == newest_first[2:4]


def test_going_back_past_the_newest_row_leads_to_the_first_page(owner, owner_client):
    import base64
    from urllib.parse import urlencode

    validations = _validations(owner, DatasetFactory(owner=owner))
    newest = max(validations, key=lambda validation: (validation.created_at, validation.pk))
    position = f"{newest.created_at.isoformat()}|{newest.pk}"
    cursor = base64.b64encode(urlencode({"r": 1, "p": position}).encode()).decode()
    page = owner_client.get(f"/api/v1/validations?cursor={cursor}").json()
    assert page["data"] == [] and page["previous"] is None
    assert [row["id"] for row in owner_client.get(page["next"]).json()["data"]][0] == newest.pk


def test_a_remembered_identity_runs_one_query_per_list_whatever_the_page_size(
    owner, owner_client, django_assert_num_queries, remembering
):
    dataset = DatasetFactory(owner=owner)
    for _ in range(7):
        Validation.objects.create(owner=owner, dataset=dataset, dataset_name="d", tier="quick")
    owner_client.get("/api/v1/validations?limit=1")  # the first request looks the user up
    for limit in (2, 50):
        with django_assert_num_queries(1):  # only the page
            response = owner_client.get(f"/api/v1/validations?limit={limit}")
        assert response.status_code == 200 and len(response.json()["data"]) == min(limit, 7)
        assert response["X-RateLimit-Limit"] == "60"  # the throttle ran, with the remembered tier


# --- datasets ---------------------------------------------------------------------------------


def test_hand_written_dataset_bodies_equal_the_serializers(owner, owner_client):
    ready = DatasetFactory(
        owner=owner,
        status="ready",
        compression="gzip",
        row_count=3,
        expected_rows=3,
        sha256="a" * 64,
        columns=[
            {"name": "id", "dtype": "integer", "null_fraction": 0, "distinct": 3},
            {"name": "text", "dtype": "string", "null_fraction": 0.25, "distinct": None},
        ],
        preview=[{"id": 1, "text": "ä"}, {"id": 2, "text": None}],
        warnings=["3 rows have an encoding problem"],
        uploaded_at=timezone.now(),
        inspected_at=timezone.now().replace(microsecond=0),
    )
    waiting = DatasetFactory(owner=owner, description="no file yet")
    for dataset in (ready, waiting):
        dataset.refresh_from_db()
        assert dataset_output(dataset) == DatasetOutput(dataset).data
        assert dataset_output(dataset, with_preview=False) == DatasetListOutput(dataset).data
        assert owner_client.get(f"/api/v1/datasets/{dataset.pk}").json() == json.loads(
            JSONRenderer().render(DatasetOutput(dataset).data)
        )
    listed = owner_client.get("/api/v1/datasets").json()["data"]
    assert listed == [json.loads(JSONRenderer().render(DatasetListOutput(d).data)) for d in (waiting, ready)]


# --- the renderer -----------------------------------------------------------------------------


def test_orjson_writes_what_drfs_renderer_wrote():
    utc = datetime.datetime(2026, 11, 28, 22, 13, 57, 937240, tzinfo=datetime.UTC)
    data = {
        "aware": utc,
        "whole_second": utc.replace(microsecond=0),
        "naive": datetime.datetime(2026, 1, 2, 3, 4, 5),
        "offset": utc.astimezone(datetime.timezone(datetime.timedelta(hours=2))),
        "date": datetime.date(2026, 1, 2),
        "time": datetime.time(3, 4, 5, 6),
        "duration": datetime.timedelta(seconds=90),
        "price": decimal.Decimal("49.00"),
        "uuid": uuid.UUID(int=7),
        "lazy": gettext_lazy("Not found."),
        "nested": [{"a": (1, 2.5, None, True)}, "é \u2028 \u2029 😀"],
        "big": 2**62,
    }
    fast, stock = FastJSONRenderer().render(data), JSONRenderer().render(data)
    assert json.loads(fast) == json.loads(stock)
    assert b"\\u2028" in fast and b"\\u2029" in fast
    assert FastJSONRenderer().render({"a": 1}, "application/json; indent=2") == JSONRenderer().render(
        {"a": 1}, "application/json; indent=2"
    )
    assert json.loads(FastJSONRenderer().render({"huge": 2**70})) == {"huge": 2**70}  # falls back to DRF
    assert FastJSONRenderer().render({"nan": float("nan")}) == b'{"nan":null}'


# --- remembered identities: the revocation bound ------------------------------------------------


@pytest.fixture
def remembering(settings):
    settings.API_AUTH_CACHE_SECONDS = 3
    authentication.recent_identities.clear()
    yield
    authentication.recent_identities.clear()


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = 1000.0

        def advance(self, seconds: float) -> None:
            self.now += seconds

    clock = Clock()
    monkeypatch.setattr(authentication, "_clock", lambda: clock.now)
    return clock


def _key_client(user) -> tuple[APIClient, ApiKey]:
    api_key, raw_key = api_key_create(user=user, name="pipeline")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw_key)
    return client, api_key


def test_a_key_revoked_through_the_api_is_refused_at_once(owner, owner_client, remembering, clock):
    key_client, api_key = _key_client(owner)
    assert key_client.get("/api/v1/validations").status_code == 200
    assert owner_client.delete(f"/api/v1/auth/api-keys/{api_key.pk}").status_code == 204
    assert key_client.get("/api/v1/validations").status_code == 401


def test_a_key_revoked_by_another_process_is_refused_once_the_bound_has_passed(owner, remembering, clock):
    key_client, api_key = _key_client(owner)
    assert key_client.get("/api/v1/validations").status_code == 200
    # Another web process revoked it: this one does not know until its memory expires.
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=timezone.now())
    clock.advance(2.9)
    assert key_client.get("/api/v1/validations").status_code == 200
    clock.advance(0.2)
    response = key_client.get("/api/v1/validations")
    assert response.status_code == 401 and response.json()["error"]["message"] == "Invalid or revoked API key."


def test_a_password_changed_elsewhere_revokes_tokens_within_the_bound(owner, owner_client, remembering, clock):
    assert owner_client.get("/api/v1/validations").status_code == 200
    user = User.objects.get(pk=owner.pk)
    user.set_password("another-long-passphrase-42")
    user.save(update_fields=["password"])
    clock.advance(3.1)
    assert owner_client.get("/api/v1/validations").status_code == 401


def test_a_password_changed_through_the_api_revokes_tokens_at_once(owner, owner_client, password, remembering, clock):
    assert owner_client.get("/api/v1/validations").status_code == 200
    changed = owner_client.patch(
        "/api/v1/auth/me", {"current_password": password, "new_password": "another-long-passphrase-42"}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert owner_client.get("/api/v1/validations").status_code == 401


def test_a_closed_account_is_refused_within_the_bound(owner, owner_client, remembering, clock):
    key_client, _ = _key_client(owner)
    assert owner_client.get("/api/v1/validations").status_code == 200
    assert key_client.get("/api/v1/validations").status_code == 200
    User.objects.filter(pk=owner.pk).update(is_active=False)
    clock.advance(3.1)
    assert owner_client.get("/api/v1/validations").status_code == 401
    assert key_client.get("/api/v1/validations").status_code == 401


def test_the_profile_shows_a_change_made_elsewhere_at_once(owner, owner_client, remembering, clock):
    assert owner_client.get("/api/v1/auth/me").json()["full_name"] == owner.full_name
    User.objects.filter(pk=owner.pk).update(full_name="Changed Elsewhere")
    assert owner_client.get("/api/v1/auth/me").json()["full_name"] == "Changed Elsewhere"


def test_a_tier_change_reaches_the_throttle_within_the_bound(owner, owner_client, remembering, clock):
    assert owner_client.get("/api/v1/validations")["X-RateLimit-Limit"] == "60"
    tier_change(user=owner, to_tier="pro", reason="purchase")
    clock.advance(3.1)
    assert owner_client.get("/api/v1/validations")["X-RateLimit-Limit"] == "300"


def test_each_request_gets_its_own_user_object(owner, owner_client, remembering, clock):
    from synthos.api.authentication import BearerJWTAuthentication

    seen = []
    original = BearerJWTAuthentication.get_user

    def record(self, token):
        seen.append(original(self, token))
        return seen[-1]

    import unittest.mock

    with unittest.mock.patch.object(BearerJWTAuthentication, "get_user", record):
        owner_client.get("/api/v1/validations")
        seen[0].full_name = "changed by a view"
        owner_client.get("/api/v1/validations")
    assert seen[1] is not seen[0] and seen[1].full_name == owner.full_name
    assert seen[1].email == owner.email and seen[1].pk == owner.pk


def test_a_remembered_token_is_refused_once_it_has_expired(owner, owner_client, remembering, clock):
    from freezegun import freeze_time

    with freeze_time(timezone.now()) as frozen:
        assert owner_client.get("/api/v1/validations").status_code == 200
        frozen.tick(datetime.timedelta(hours=24, seconds=1))
        response = owner_client.get("/api/v1/validations")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")


def test_the_list_filters_are_the_query_serializers_fields():
    from validations.api import LIST_FILTERS, ValidationListQuery

    assert LIST_FILTERS == tuple(ValidationListQuery().fields)


def test_memory_off_asks_the_database_every_time(owner, owner_client, settings, clock):
    settings.API_AUTH_CACHE_SECONDS = 0
    authentication.recent_identities.clear()
    assert owner_client.get("/api/v1/validations").status_code == 200
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert owner_client.get("/api/v1/validations").status_code == 401
