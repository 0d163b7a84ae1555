from django.conf import settings

from support.models import Ticket, TicketMessage
from synthos.email import send_templated_email


def send_ticket_reply(*, ticket: Ticket, message: TicketMessage) -> None:
    """Tells the customer that staff answered, with the answer and a link to the thread."""
    send_templated_email(
        to=ticket.owner.email,
        subject=f"Re: {ticket.subject} [{ticket.id}]",
        template="support_ticket_reply",
        context={
            "user": ticket.owner,
            "ticket": ticket,
            "message": message,
            "thread_url": f"{settings.SITE_URL}/help/tickets/{ticket.id}/",
        },
    )
