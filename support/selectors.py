"""Reads of support tickets: a customer sees only their own; staff see the queue."""

from django.db.models import Count, F, Max, Prefetch, QuerySet
from django.http import Http404

from support.models import Ticket, TicketMessage
from synthos.errors import NotFound, choice_check


def ticket_get_for_user(*, user, ticket_id: str) -> Ticket:
    """The user's ticket with its thread; another account's (or no) ticket raises NotFound (404)."""
    thread = Prefetch("messages", queryset=TicketMessage.objects.select_related("author").order_by("created_at", "id"))
    ticket = Ticket.objects.filter(owner=user, pk=ticket_id).prefetch_related(thread).first()
    if ticket is None:
        raise NotFound("Ticket not found.")
    return ticket


def ticket_list_for_user(*, user) -> QuerySet[Ticket]:
    """The user's tickets, newest first, each with `message_count` and `last_message_at`."""
    return (
        Ticket.objects.filter(owner=user)
        .annotate(message_count=Count("messages"), last_message_at=Max("messages__created_at"))
        .order_by("-created_at", "-pk")
    )


def ticket_queue_for_staff(*, status: str | None = None, priority: str | None = None) -> QuerySet[Ticket]:
    """Every customer's tickets for staff, the longest-waiting first; tickets nobody waits on last.

    Raises InvalidInput (422) for an unknown status or priority.
    """
    tickets = Ticket.objects.select_related("owner")
    if status:
        choice_check("status", status, Ticket.Status.values)
        tickets = tickets.filter(status=status)
    if priority:
        choice_check("priority", priority, Ticket.Priority.values)
        tickets = tickets.filter(priority=priority)
    return tickets.order_by(F("waiting_since").asc(nulls_last=True), "created_at", "pk")


def linked_objects_check(*, user, dataset_id: str = "", validation_id: str = "") -> None:
    """Checks that each given id names an object of the user's own.

    Unknown ids and other accounts' ids both raise NotFound (404) naming the field, so a ticket
    cannot reveal that someone else's object exists.
    """
    from datasets.selectors import dataset_get_for_user
    from validations.selectors import validation_get_for_user

    checks = (
        ("dataset_id", dataset_id, "Dataset", lambda: dataset_get_for_user(user=user, dataset_id=dataset_id)),
        (
            "validation_id",
            validation_id,
            "Validation",
            lambda: validation_get_for_user(user=user, validation_id=validation_id),
        ),
    )
    for field, object_id, noun, fetch in checks:
        if not object_id:
            continue
        try:
            fetch()
        except (Http404, NotFound):
            raise NotFound(
                f"Not found: {field} {object_id!r} is not a {noun.lower()} in your account.",
                details={field: [f"{noun} not found."]},
            ) from None
