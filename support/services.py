"""Writes of support tickets: open, answer (either side), close.

The state machine: a new ticket is `open`; a customer message makes it `awaiting_staff`, a staff
reply `awaiting_customer`; either side may close it; nothing moves a `closed` ticket (409).
`waiting_since` is when the customer started waiting on us, cleared when staff answer.
"""

from django.db import transaction
from django.utils import timezone

from support import emails
from support.models import Ticket, TicketMessage
from support.selectors import linked_objects_check
from synthos.errors import Conflict, PermissionDeniedError

CLOSED_MESSAGE = "This ticket is closed. Open a new ticket to continue the conversation."


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().select_related("owner").get(pk=ticket.pk)


def _refuse_if_closed(ticket: Ticket) -> None:
    if ticket.status == Ticket.Status.CLOSED:
        raise Conflict(CLOSED_MESSAGE)


@transaction.atomic
def ticket_create(
    *,
    owner,
    subject: str,
    body: str,
    priority: str = Ticket.Priority.NORMAL,
    dataset_id: str = "",
    validation_id: str = "",
) -> Ticket:
    """Opens a ticket with its first message; the customer waits on us from now.

    Raises NotFound (404, naming the field) when dataset_id or validation_id is not the owner's.
    """
    linked_objects_check(user=owner, dataset_id=dataset_id, validation_id=validation_id)
    now = timezone.now()
    ticket = Ticket.objects.create(
        owner=owner,
        subject=subject,
        priority=priority,
        related_dataset_id=dataset_id or "",
        related_validation_id=validation_id or "",
        status=Ticket.Status.OPEN,
        waiting_since=now,
        created_at=now,
        updated_at=now,
    )
    TicketMessage.objects.create(ticket=ticket, author=owner, is_staff=False, body=body, created_at=now)
    return ticket


@transaction.atomic
def ticket_reply_by_customer(*, ticket: Ticket, body: str) -> TicketMessage:
    """Adds the owner's message; the ticket is then awaiting staff.

    The customer's wait starts now unless they were already waiting (a follow-up does not
    reset the clock). Raises Conflict (409) on a closed ticket.
    """
    ticket = _locked(ticket)
    _refuse_if_closed(ticket)
    now = timezone.now()
    message = TicketMessage.objects.create(
        ticket=ticket, author=ticket.owner, is_staff=False, body=body, created_at=now
    )
    ticket.status = Ticket.Status.AWAITING_STAFF
    ticket.waiting_since = ticket.waiting_since or now
    ticket.updated_at = now
    ticket.save(update_fields=["status", "waiting_since", "updated_at"])
    return message


@transaction.atomic
def ticket_reply_by_staff(*, ticket: Ticket, staff_user, body: str) -> TicketMessage:
    """Adds a staff answer; the ticket is then awaiting the customer, who is emailed on commit.

    Raises PermissionDeniedError (403) for a non-staff author, Conflict (409) on a closed ticket.
    """
    if not staff_user.is_staff:
        raise PermissionDeniedError("Only staff can answer tickets as Synthos support.")
    ticket = _locked(ticket)
    _refuse_if_closed(ticket)
    now = timezone.now()
    message = TicketMessage.objects.create(ticket=ticket, author=staff_user, is_staff=True, body=body, created_at=now)
    ticket.status = Ticket.Status.AWAITING_CUSTOMER
    ticket.waiting_since = None
    ticket.updated_at = now
    ticket.save(update_fields=["status", "waiting_since", "updated_at"])
    # robust: the answer is saved and shown in the dashboard even if the mail server is down.
    transaction.on_commit(lambda: emails.send_ticket_reply(ticket=ticket, message=message), robust=True)
    return message


@transaction.atomic
def ticket_close(*, ticket: Ticket) -> Ticket:
    """Closes the ticket (by the customer or staff). Raises Conflict (409) if already closed."""
    ticket = _locked(ticket)
    _refuse_if_closed(ticket)
    now = timezone.now()
    ticket.status = Ticket.Status.CLOSED
    ticket.closed_at = now
    ticket.waiting_since = None
    ticket.updated_at = now
    ticket.save(update_fields=["status", "closed_at", "waiting_since", "updated_at"])
    return ticket
