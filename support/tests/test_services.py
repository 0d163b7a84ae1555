from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from freezegun import freeze_time

from support import services
from support.models import Ticket, TicketMessage
from synthos.errors import Conflict, PermissionDeniedError

pytestmark = pytest.mark.django_db


def test_a_new_ticket_is_open_and_the_customer_waits_from_now(owner, make_ticket):
    with freeze_time("2026-11-23 10:00:00"):
        ticket = make_ticket(owner=owner)
        assert ticket.status == Ticket.Status.OPEN
        assert ticket.waiting_since == ticket.created_at == timezone.now()


def test_a_staff_reply_awaits_the_customer_and_emails_them_text_and_html(owner, ticket, staff, mailoutbox):
    message = services.ticket_reply_by_staff(ticket=ticket, staff_user=staff, body="Fixed: try again <now>.")
    ticket.refresh_from_db()
    assert message.is_staff and message.author == staff
    assert ticket.status == Ticket.Status.AWAITING_CUSTOMER and ticket.waiting_since is None
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [owner.email]
    assert ticket.id in mail.subject and ticket.subject in mail.subject
    assert "Fixed: try again <now>." in mail.body and f"/help/tickets/{ticket.id}/" in mail.body
    html, mimetype = mail.alternatives[0]
    assert mimetype == "text/html"
    assert "Fixed: try again &lt;now&gt;." in html and f"/help/tickets/{ticket.id}/" in html


def test_a_customer_message_does_not_email_anyone(ticket, mailoutbox):
    services.ticket_reply_by_customer(ticket=ticket, body="More detail")
    assert mailoutbox == []


def test_only_staff_can_reply_as_staff(ticket, owner, mailoutbox):
    with pytest.raises(PermissionDeniedError):
        services.ticket_reply_by_staff(ticket=ticket, staff_user=owner, body="I am staff, honest")
    assert ticket.messages.count() == 1 and mailoutbox == []


def test_a_follow_up_does_not_reset_the_customers_wait(owner, make_ticket):
    start = timezone.now() - timedelta(hours=3)
    with freeze_time(start):
        ticket = make_ticket(owner=owner)
    services.ticket_reply_by_customer(ticket=ticket, body="Still stuck")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AWAITING_STAFF and ticket.waiting_since == start


@pytest.mark.parametrize(
    "move",
    [
        lambda ticket, staff: services.ticket_reply_by_customer(ticket=ticket, body="again"),
        lambda ticket, staff: services.ticket_reply_by_staff(ticket=ticket, staff_user=staff, body="again"),
        lambda ticket, staff: services.ticket_close(ticket=ticket),
    ],
    ids=["customer-message", "staff-reply", "close"],
)
def test_a_closed_ticket_refuses_every_move(ticket, staff, move, mailoutbox):
    services.ticket_close(ticket=ticket)
    with pytest.raises(Conflict):
        move(ticket, staff)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED and ticket.messages.count() == 1 and mailoutbox == []


def test_either_side_can_close_while_waiting_on_the_other(ticket, staff):
    services.ticket_reply_by_staff(ticket=ticket, staff_user=staff, body="Done?")
    closed = services.ticket_close(ticket=ticket)
    assert closed.status == Ticket.Status.CLOSED and closed.closed_at and closed.waiting_since is None


def test_the_database_refuses_a_closed_ticket_without_a_close_time(owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.create(owner=owner, subject="x", status=Ticket.Status.CLOSED)


def test_the_database_refuses_a_waiting_ticket_without_a_wait_start(owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.create(owner=owner, subject="x", status=Ticket.Status.OPEN, waiting_since=None)


def test_the_database_refuses_an_unknown_status(owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.create(owner=owner, subject="x", status="lost", waiting_since=timezone.now())


def test_the_database_refuses_an_empty_message(ticket, owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketMessage.objects.create(ticket=ticket, author=owner, body="")
