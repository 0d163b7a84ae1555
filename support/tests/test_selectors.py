from datetime import UTC, datetime, timedelta

import pytest

from support import selectors
from support.tests.factories import TicketFactory, waiting_ticket
from synthos.errors import InvalidInput, NotFound

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_the_staff_queue_is_oldest_wait_first_with_filters(owner, outsider):
    answered = TicketFactory(owner=owner, status="awaiting_customer", waiting_since=None, priority="urgent")
    newer = waiting_ticket(owner=owner, waiting_since=MONDAY + timedelta(hours=2), priority="urgent")
    older = waiting_ticket(owner=outsider, waiting_since=MONDAY, status="awaiting_staff", priority="low")
    assert list(selectors.ticket_queue_for_staff()) == [older, newer, answered]
    assert list(selectors.ticket_queue_for_staff(priority="urgent")) == [newer, answered]
    assert list(selectors.ticket_queue_for_staff(status="awaiting_staff")) == [older]


@pytest.mark.parametrize(("field", "value"), [("status", "lost"), ("priority", "asap")])
def test_the_staff_queue_refuses_unknown_filters(field, value):
    with pytest.raises(InvalidInput) as caught:
        selectors.ticket_queue_for_staff(**{field: value})
    assert field in caught.value.details


def test_a_user_cannot_get_another_accounts_ticket(outsider, ticket):
    with pytest.raises(NotFound):
        selectors.ticket_get_for_user(user=outsider, ticket_id=ticket.id)


def test_the_list_counts_messages(owner, ticket):
    assert selectors.ticket_list_for_user(user=owner).get().message_count == 1
