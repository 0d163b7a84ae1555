"""Support tickets: a customer's question, its thread of messages and where it stands."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from synthos.ids import make_id


def new_ticket_id() -> str:
    return make_id("tkt")


def new_ticket_message_id() -> str:
    return make_id("msg")


class TicketPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"
    AWAITING_STAFF = "awaiting_staff", "Awaiting staff"
    AWAITING_CUSTOMER = "awaiting_customer", "Awaiting customer"
    CLOSED = "closed", "Closed"


class Ticket(models.Model):
    Priority = TicketPriority
    Status = TicketStatus

    # The customer is waiting on us in these states; `waiting_since` is set exactly then.
    WAITING_ON_STAFF = (Status.OPEN, Status.AWAITING_STAFF)

    id = models.CharField(primary_key=True, max_length=32, default=new_ticket_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_tickets")
    subject = models.CharField(max_length=200)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    # Plain ids rather than foreign keys: a ticket outlives the dataset or validation it mentions.
    related_dataset_id = models.CharField(max_length=32, blank=True, default="")
    related_validation_id = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    waiting_since = models.DateTimeField(null=True, blank=True, help_text="When the customer started waiting on us.")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="ticket_owner_created_idx"),
            models.Index(fields=["status", "waiting_since"], name="ticket_queue_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=TicketStatus.values), name="ticket_status_valid"),
            models.CheckConstraint(condition=Q(priority__in=TicketPriority.values), name="ticket_priority_valid"),
            models.CheckConstraint(condition=~Q(subject=""), name="ticket_subject_not_empty"),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False)
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
                name="ticket_closed_at_iff_closed",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "awaiting_staff"], waiting_since__isnull=False)
                | Q(status__in=["awaiting_customer", "closed"], waiting_since__isnull=True),
                name="ticket_waiting_since_iff_waiting_on_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.id})"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class TicketMessage(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_ticket_message_id, editable=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    # A staff member's account may go; what they wrote stays in the thread.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="support_messages"
    )
    is_staff = models.BooleanField(default=False)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_message_thread_idx")]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="ticket_message_body_not_empty")]

    def __str__(self) -> str:
        return f"{'Staff' if self.is_staff else 'Customer'} message on {self.ticket_id}"

    @property
    def author_role(self) -> str:
        return "staff" if self.is_staff else "customer"
