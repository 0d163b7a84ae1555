"""Staff side of support: the queue (oldest wait first, against the 4-business-hour promise),
the thread on the ticket page and a reply box that answers through ticket_reply_by_staff."""

from django.contrib import admin, messages
from django.db.models import F
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from support import selectors, services
from support.business_hours import RESPONSE_PROMISE, business_hours_between, format_business_time, is_overdue
from support.forms import StaffReplyForm
from support.models import Ticket, TicketMessage
from synthos.errors import ApplicationError


class TicketMessageInline(admin.TabularInline):
    """The thread, read-only: staff add to it with the reply box, never by editing rows."""

    model = TicketMessage
    fields = ["created_at", "sender", "body"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    extra = 0
    can_delete = False
    verbose_name = "message"
    verbose_name_plural = "Thread"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="from")
    def sender(self, message):
        author = message.author.email if message.author else "deleted account"
        return f"Staff ({author})" if message.is_staff else f"Customer ({author})"


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["subject", "owner", "priority", "status", "waiting", "is_overdue", "created_at", "id"]
    list_filter = ["status", "priority"]
    search_fields = ["id", "subject", "owner__email", "related_dataset_id", "related_validation_id"]
    list_select_related = ["owner"]
    # The queue: whoever has waited longest first; tickets nobody waits on sink to the bottom.
    ordering = [F("waiting_since").asc(nulls_last=True), "created_at"]
    fields = [
        "id",
        "owner",
        "subject",
        "priority",
        "status",
        "related_dataset_id",
        "related_validation_id",
        "created_at",
        "updated_at",
        "waiting_since",
        "waiting",
        "closed_at",
    ]
    readonly_fields = [name for name in fields if name != "priority"]
    inlines = [TicketMessageInline]
    actions = ["close_tickets"]
    change_form_template = "admin/support/ticket/change_form.html"

    def get_queryset(self, request):
        return selectors.ticket_queue_for_staff()

    def has_add_permission(self, request):
        return False

    @admin.display(description=f"waiting (business hours, promise {RESPONSE_PROMISE.seconds // 3600}h)")
    def waiting(self, ticket):
        if ticket.waiting_since is None:
            return "—"
        return format_business_time(business_hours_between(ticket.waiting_since, timezone.now()))

    @admin.display(boolean=True, description="overdue")
    def is_overdue(self, ticket):
        return is_overdue(waiting_since=ticket.waiting_since, now=timezone.now())

    def get_urls(self):
        own = [
            path("<str:ticket_id>/reply/", self.admin_site.admin_view(self.reply_view), name="support_ticket_reply"),
            path("<str:ticket_id>/close/", self.admin_site.admin_view(self.close_view), name="support_ticket_close"),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "reply_form": StaffReplyForm()}
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    def _ticket_for_action(self, request, ticket_id: str) -> Ticket | None:
        ticket = self.get_object(request, ticket_id)
        if ticket is None or not self.has_change_permission(request, ticket):
            return None
        return ticket

    def reply_view(self, request, ticket_id: str):
        return require_POST(self._reply)(request, ticket_id)

    def _reply(self, request, ticket_id: str):
        ticket = self._ticket_for_action(request, ticket_id)
        if ticket is None:
            return redirect("admin:support_ticket_changelist")
        form = StaffReplyForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Write a reply before sending it.")
        else:
            try:
                services.ticket_reply_by_staff(ticket=ticket, staff_user=request.user, body=form.cleaned_data["body"])
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"Reply sent; {ticket.owner.email} has been emailed.")
        return redirect(reverse("admin:support_ticket_change", args=[ticket.pk]))

    def close_view(self, request, ticket_id: str):
        return require_POST(self._close)(request, ticket_id)

    def _close(self, request, ticket_id: str):
        ticket = self._ticket_for_action(request, ticket_id)
        if ticket is None:
            return redirect("admin:support_ticket_changelist")
        try:
            services.ticket_close(ticket=ticket)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Ticket closed.")
        return redirect(reverse("admin:support_ticket_change", args=[ticket.pk]))

    @admin.action(description="Close selected tickets")
    def close_tickets(self, request, queryset):
        closed = 0
        for ticket in queryset.exclude(status=Ticket.Status.CLOSED):
            services.ticket_close(ticket=ticket)
            closed += 1
        self.message_user(request, f"Closed {closed} ticket(s).", messages.SUCCESS)
