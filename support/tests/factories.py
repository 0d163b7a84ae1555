from datetime import datetime

import factory
from django.utils import timezone

from support.models import Ticket, TicketMessage


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket in any state, for queue and admin tests; flows go through the services."""

    class Meta:
        model = Ticket

    subject = factory.Sequence(lambda n: f"Question {n}")
    priority = Ticket.Priority.NORMAL
    status = Ticket.Status.OPEN
    waiting_since = factory.LazyFunction(timezone.now)


class TicketMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketMessage

    ticket = factory.SubFactory(TicketFactory)
    author = factory.SelfAttribute("ticket.owner")
    body = "Why did my validation fail?"


def waiting_ticket(*, owner, waiting_since: datetime, **extra) -> Ticket:
    ticket = TicketFactory(owner=owner, waiting_since=waiting_since, created_at=waiting_since, **extra)
    TicketMessageFactory(ticket=ticket, created_at=waiting_since)
    return ticket
