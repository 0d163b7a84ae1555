from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from accounts.tests.test_api_auth import assert_envelope
from support import services
from support.models import Ticket, TicketMessage

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/support/tickets"
NEW_TICKET = {"subject": "Upload stuck", "body": "My dataset stays in processing.", "priority": "high"}


def url(ticket, suffix: str = "") -> str:
    return f"{TICKETS}/{ticket.id}{suffix}"


# --- create ---------------------------------------------------------------------------------


def test_create_opens_a_ticket_with_its_first_message(owner_client, owner):
    response = owner_client.post(TICKETS, NEW_TICKET, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"].startswith("tkt_") and len(body["id"]) == 24
    assert body["subject"] == "Upload stuck" and body["priority"] == "high" and body["status"] == "open"
    assert body["dataset_id"] is None and body["validation_id"] is None and body["closed_at"] is None
    assert [(m["author"], m["body"]) for m in body["messages"]] == [("customer", "My dataset stays in processing.")]
    assert body["messages"][0]["id"].startswith("msg_")
    ticket = Ticket.objects.get(pk=body["id"])
    assert ticket.owner == owner and ticket.waiting_since is not None


def test_create_names_a_missing_field(owner_client):
    error = assert_envelope(owner_client.post(TICKETS, {"body": "hi", "priority": "low"}, format="json"), 422)
    assert error["message"] == "Validation failed: subject is required."
    assert error["details"] == {"subject": ["This field is required."]}
    assert not Ticket.objects.exists()


def test_create_refuses_an_unknown_priority(owner_client):
    error = assert_envelope(owner_client.post(TICKETS, {**NEW_TICKET, "priority": "asap"}, format="json"), 422)
    assert "priority" in error["details"]


def test_create_refuses_a_blank_body(owner_client):
    error = assert_envelope(owner_client.post(TICKETS, {**NEW_TICKET, "body": "   "}, format="json"), 422)
    assert "body" in error["details"]


def test_create_refuses_a_body_that_is_not_an_object(owner_client):
    assert_envelope(owner_client.post(TICKETS, "[1]", content_type="application/json"), 400)


def test_create_links_a_dataset_of_the_callers_own(owner_client, owner, make_dataset):
    dataset = make_dataset(owner=owner)
    response = owner_client.post(TICKETS, {**NEW_TICKET, "dataset_id": dataset.id}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["dataset_id"] == dataset.id


def test_create_treats_another_accounts_dataset_as_not_found(owner_client, outsider, make_dataset):
    dataset = make_dataset(owner=outsider)
    error = assert_envelope(owner_client.post(TICKETS, {**NEW_TICKET, "dataset_id": dataset.id}, format="json"), 404)
    assert "dataset_id" in error["message"] and error["details"] == {"dataset_id": ["Dataset not found."]}
    assert not Ticket.objects.exists()


def test_create_treats_an_unknown_dataset_as_not_found(owner_client, make_dataset):
    error = assert_envelope(owner_client.post(TICKETS, {**NEW_TICKET, "dataset_id": "ds_nope"}, format="json"), 404)
    assert "dataset_id" in error["details"]


def test_create_checks_a_validation_link_belongs_to_the_caller(owner_client, outsider, make_dataset):
    from validations.models import Validation

    foreign = Validation.objects.create(owner=outsider, dataset=make_dataset(owner=outsider), tier="quick")
    for validation_id in ["val_nope", foreign.id]:
        error = assert_envelope(
            owner_client.post(TICKETS, {**NEW_TICKET, "validation_id": validation_id}, format="json"), 404
        )
        assert error["details"] == {"validation_id": ["Validation not found."]}
    assert not Ticket.objects.exists()


def test_create_links_the_callers_own_validation(owner_client, owner, make_dataset):
    from validations.models import Validation

    own = Validation.objects.create(owner=owner, dataset=make_dataset(owner=owner), tier="quick")
    response = owner_client.post(TICKETS, {**NEW_TICKET, "validation_id": own.id}, format="json")
    assert response.status_code == 201 and response.json()["validation_id"] == own.id


# --- list -----------------------------------------------------------------------------------


def test_list_shows_only_the_callers_tickets_newest_first(owner_client, owner, outsider, make_ticket):
    with freeze_time(timezone.now() - timedelta(hours=1)):
        older = make_ticket(owner=owner, subject="older")
    newer = make_ticket(owner=owner, subject="newer")
    make_ticket(owner=outsider, subject="not yours")
    response = owner_client.get(TICKETS)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data", "next", "previous"}
    assert [t["id"] for t in body["data"]] == [newer.id, older.id]
    assert "messages" not in body["data"][0]


def test_list_is_cursor_paginated(owner_client, owner, make_ticket):
    for n in range(3):
        make_ticket(owner=owner, subject=f"t{n}")
    first = owner_client.get(TICKETS, {"limit": 2}).json()
    assert len(first["data"]) == 2 and first["next"] and first["previous"] is None
    second = owner_client.get(first["next"]).json()
    assert len(second["data"]) == 1 and second["next"] is None


# --- detail ---------------------------------------------------------------------------------


def test_detail_returns_the_thread_in_order(owner_client, ticket, staff):
    services.ticket_reply_by_staff(ticket=ticket, staff_user=staff, body="Try again now.")
    response = owner_client.get(url(ticket))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "awaiting_customer"
    assert [m["author"] for m in body["messages"]] == ["customer", "staff"]
    assert "staff@synthos.dev" not in response.content.decode()


def test_detail_tolerates_a_trailing_slash(owner_client, ticket):
    assert owner_client.get(url(ticket, "/")).status_code == 200


def test_detail_of_an_unknown_ticket_is_404(owner_client):
    assert_envelope(owner_client.get(f"{TICKETS}/tkt_nope"), 404)


# --- messages -------------------------------------------------------------------------------


def test_a_customer_message_sets_awaiting_staff(owner_client, ticket):
    response = owner_client.post(url(ticket, "/messages"), {"body": "Any news?"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["author"] == "customer" and response.json()["body"] == "Any news?"
    ticket.refresh_from_db()
    assert ticket.status == "awaiting_staff" and ticket.messages.count() == 2


def test_a_customer_answer_after_a_staff_reply_restarts_the_wait(owner_client, ticket, staff):
    services.ticket_reply_by_staff(ticket=ticket, staff_user=staff, body="Which file?")
    ticket.refresh_from_db()
    assert ticket.waiting_since is None
    owner_client.post(url(ticket, "/messages"), {"body": "train.csv"}, format="json")
    ticket.refresh_from_db()
    assert ticket.status == "awaiting_staff" and ticket.waiting_since is not None


def test_a_message_needs_a_body(owner_client, ticket):
    error = assert_envelope(owner_client.post(url(ticket, "/messages"), {}, format="json"), 422)
    assert error["message"] == "Validation failed: body is required."


def test_a_message_on_a_closed_ticket_is_409(owner_client, ticket):
    services.ticket_close(ticket=ticket)
    error = assert_envelope(owner_client.post(url(ticket, "/messages"), {"body": "one more"}, format="json"), 409)
    assert "closed" in error["message"]
    assert ticket.messages.count() == 1


# --- close ----------------------------------------------------------------------------------


def test_close_closes_the_ticket(owner_client, ticket):
    response = owner_client.post(url(ticket, "/close"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "closed" and body["closed_at"] and len(body["messages"]) == 1
    ticket.refresh_from_db()
    assert ticket.waiting_since is None


def test_closing_twice_is_409(owner_client, ticket):
    owner_client.post(url(ticket, "/close"))
    assert_envelope(owner_client.post(url(ticket, "/close")), 409)


# --- tenant isolation and authentication -----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [("get", "", None), ("post", "/messages", {"body": "hello"}), ("post", "/close", None)],
)
def test_another_accounts_ticket_is_404_on_every_endpoint(outsider_client, ticket, method, suffix, data):
    response = getattr(outsider_client, method)(url(ticket, suffix), data, format="json")
    assert_envelope(response, 404)
    ticket.refresh_from_db()
    assert ticket.status == "open" and TicketMessage.objects.filter(ticket=ticket).count() == 1


def test_another_accounts_tickets_are_not_listed(outsider_client, ticket):
    assert outsider_client.get(TICKETS).json()["data"] == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", TICKETS),
        ("post", TICKETS),
        ("get", f"{TICKETS}/tkt_any"),
        ("post", f"{TICKETS}/tkt_any/messages"),
        ("post", f"{TICKETS}/tkt_any/close"),
    ],
)
def test_anonymous_callers_get_401_everywhere(anon_client, method, path):
    response = getattr(anon_client, method)(path, {}, format="json")
    assert_envelope(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_every_support_endpoint_is_in_the_schema(owner_client):
    schema = owner_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/v1/support/tickets",
        "/api/v1/support/tickets/{ticket_id}",
        "/api/v1/support/tickets/{ticket_id}/messages",
        "/api/v1/support/tickets/{ticket_id}/close",
    ):
        assert f"{path}:" in schema or f'"{path}"' in schema, path
