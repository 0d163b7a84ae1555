from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.sites import site
from freezegun import freeze_time

from support import services
from support.admin import TicketAdmin
from support.models import Ticket
from support.tests.factories import TicketFactory, waiting_ticket

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/support/ticket/"
# Wednesday 25 November 2026, 15:00 UTC.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def change_url(ticket) -> str:
    return f"{CHANGELIST}{ticket.pk}/change/"


def test_the_ticket_page_shows_the_thread_and_a_reply_box(staff_client, ticket, staff):
    services.ticket_reply_by_staff(ticket=ticket, staff_user=staff, body="First answer")
    services.ticket_reply_by_customer(ticket=ticket, body="Thanks, one more thing")
    response = staff_client.get(change_url(ticket))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("It stopped at stage 3.") < page.index("First answer") < page.index("Thanks, one more thing")
    assert 'id="staff-reply-form"' in page and f"/admin/support/ticket/{ticket.pk}/reply/" in page


def test_a_staff_reply_from_the_admin_flips_the_status_and_emails_the_customer(staff_client, ticket, owner, mailoutbox):
    response = staff_client.post(f"{CHANGELIST}{ticket.pk}/reply/", {"body": "Re-run it with the standard tier."})
    assert response.status_code == 302 and response["Location"] == change_url(ticket)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AWAITING_CUSTOMER
    reply = ticket.messages.order_by("created_at").last()
    assert reply.is_staff and reply.body == "Re-run it with the standard tier."
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [owner.email]
    assert "Re-run it with the standard tier." in mailoutbox[0].alternatives[0][0]


def test_a_blank_staff_reply_sends_nothing(staff_client, ticket, mailoutbox):
    staff_client.post(f"{CHANGELIST}{ticket.pk}/reply/", {"body": "  "})
    assert ticket.messages.count() == 1 and mailoutbox == []


def test_a_staff_reply_to_a_closed_ticket_is_refused(staff_client, ticket, mailoutbox):
    services.ticket_close(ticket=ticket)
    response = staff_client.post(f"{CHANGELIST}{ticket.pk}/reply/", {"body": "Late answer"}, follow=True)
    assert "closed" in response.content.decode()
    assert ticket.messages.count() == 1 and mailoutbox == []


def test_the_reply_page_does_not_answer_a_get(staff_client, ticket):
    assert staff_client.get(f"{CHANGELIST}{ticket.pk}/reply/").status_code == 405


def test_staff_can_close_a_ticket_from_its_page(staff_client, ticket):
    response = staff_client.post(f"{CHANGELIST}{ticket.pk}/close/")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


def test_the_close_action_closes_the_selected_open_tickets(staff_client, owner, make_ticket):
    first, second = make_ticket(owner=owner), make_ticket(owner=owner)
    services.ticket_close(ticket=second)
    staff_client.post(CHANGELIST, {"action": "close_tickets", "_selected_action": [first.pk, second.pk]})
    assert set(Ticket.objects.values_list("status", flat=True)) == {"closed"}


def test_customers_cannot_open_the_admin(client, owner, ticket):
    client.force_login(owner)
    response = client.post(f"{CHANGELIST}{ticket.pk}/reply/", {"body": "I am staff"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert ticket.messages.count() == 1


def test_the_queue_puts_the_longest_wait_first_and_answered_tickets_last(staff_client, owner, outsider):
    answered = TicketFactory(owner=owner, status="awaiting_customer", waiting_since=None)
    recent = waiting_ticket(owner=owner, waiting_since=NOW - timedelta(hours=1))
    oldest = waiting_ticket(owner=outsider, waiting_since=NOW - timedelta(days=2), status="awaiting_staff")
    with freeze_time(NOW):
        response = staff_client.get(CHANGELIST)
    assert [t.pk for t in response.context["cl"].result_list] == [oldest.pk, recent.pk, answered.pk]


def test_the_queue_filters_by_status_and_priority(staff_client, owner):
    urgent = waiting_ticket(owner=owner, waiting_since=NOW, priority="urgent", status="awaiting_staff")
    waiting_ticket(owner=owner, waiting_since=NOW, priority="low", status="awaiting_staff")
    waiting_ticket(owner=owner, waiting_since=NOW, priority="urgent")
    response = staff_client.get(CHANGELIST, {"status__exact": "awaiting_staff", "priority__exact": "urgent"})
    assert [t.pk for t in response.context["cl"].result_list] == [urgent.pk]


def test_the_queue_shows_business_hours_waited_and_flags_overdue_tickets(staff_client, owner):
    # Waiting since Tuesday 16:00: 1h on Tuesday + 6h on Wednesday = 7 business hours: overdue.
    overdue = waiting_ticket(owner=owner, waiting_since=datetime(2026, 11, 24, 16, 0, tzinfo=UTC), subject="Late")
    # Waiting since Wednesday 13:00: 2 business hours: within the promise.
    on_time = waiting_ticket(owner=owner, waiting_since=datetime(2026, 11, 25, 13, 0, tzinfo=UTC), subject="Fresh")
    ticket_admin = TicketAdmin(Ticket, site)
    with freeze_time(NOW):
        assert ticket_admin.waiting(overdue) == "7h 00m" and ticket_admin.is_overdue(overdue) is True
        assert ticket_admin.waiting(on_time) == "2h 00m" and ticket_admin.is_overdue(on_time) is False
        page = staff_client.get(CHANGELIST).content.decode()
    assert "7h 00m" in page and "2h 00m" in page
    late_row = page[page.index(">Late<") : page.index("</tr>", page.index(">Late<"))]
    fresh_row = page[page.index(">Fresh<") : page.index("</tr>", page.index(">Fresh<"))]
    assert "icon-yes" in late_row and "icon-no" in fresh_row


def test_a_ticket_nobody_waits_on_shows_no_wait(owner):
    answered = TicketFactory(owner=owner, status="awaiting_customer", waiting_since=None)
    ticket_admin = TicketAdmin(Ticket, site)
    assert ticket_admin.waiting(answered) == "—" and ticket_admin.is_overdue(answered) is False
