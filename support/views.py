"""Dashboard Help pages: open a ticket, list mine, read a thread, reply and close."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from billing.selectors import credit_account_get
from support import selectors, services
from support.forms import TicketCreateForm, TicketReplyForm
from synthos.dashboard import application_error_message, form_add_application_error
from synthos.errors import ApplicationError, NotFound

TICKETS_PAGE_SIZE = 20


def _ticket_or_404(request: HttpRequest, ticket_id: str):
    try:
        return selectors.ticket_get_for_user(user=request.user, ticket_id=ticket_id)
    except NotFound:
        raise Http404("Ticket not found.")


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    tickets = selectors.ticket_list_for_user(user=request.user)
    context = {
        "account": credit_account_get(user=request.user),
        "page_obj": Paginator(tickets, TICKETS_PAGE_SIZE).get_page(request.GET.get("page")),
    }
    return render(request, "support/ticket_list.html", context)


@login_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    # Opened from a dataset or validation page: ?dataset=ds_… / ?validation=val_… fill the link in.
    initial = {"dataset_id": request.GET.get("dataset", ""), "validation_id": request.GET.get("validation", "")}
    form = TicketCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create(owner=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form_add_application_error(form, error)
        else:
            messages.success(request, "Ticket opened. We answer within 4 business hours and email you when we do.")
            return redirect("support:ticket", ticket_id=ticket.id)
    context = {"account": credit_account_get(user=request.user), "form": form}
    return render(request, "support/ticket_new.html", context)


@login_required
def ticket_detail(request: HttpRequest, ticket_id: str) -> HttpResponse:
    ticket = _ticket_or_404(request, ticket_id)
    form = TicketReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ticket_reply_by_customer(ticket=ticket, body=form.cleaned_data["body"])
        except ApplicationError as error:
            # Closed meanwhile (in another tab): the page no longer has a reply box to show it on.
            messages.error(request, application_error_message(error))
        else:
            messages.success(request, "Reply sent.")
        return redirect("support:ticket", ticket_id=ticket.id)
    context = {"account": credit_account_get(user=request.user), "ticket": ticket, "form": form}
    return render(request, "support/ticket_detail.html", context)


@login_required
@require_POST
def ticket_close(request: HttpRequest, ticket_id: str) -> HttpResponse:
    ticket = _ticket_or_404(request, ticket_id)
    try:
        services.ticket_close(ticket=ticket)
    except ApplicationError as error:
        messages.error(request, application_error_message(error))
    else:
        messages.success(request, "Ticket closed. Open a new one any time.")
    return redirect("support:ticket", ticket_id=ticket.id)
