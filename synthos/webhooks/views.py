"""Dashboard pages: Settings → Webhooks (list + create, detail + edit with the delivery log, delete)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from billing.selectors import credit_account_get
from synthos.dashboard import application_error_message, form_add_application_error
from synthos.errors import ApplicationError, NotFound
from synthos.webhooks import selectors, services
from synthos.webhooks.forms import WebhookEndpointEditForm, WebhookEndpointForm
from synthos.webhooks.models import EventType

# A just-created endpoint's signing secret, shown on the next page view and then gone.
NEW_SECRET_SESSION_KEY = "new_webhook_secret"
RECENT_DELIVERIES = 25


def _endpoint_or_404(request: HttpRequest, endpoint_id: str):
    try:
        return selectors.endpoint_get_for_user(user=request.user, endpoint_id=endpoint_id)
    except NotFound:
        raise Http404("No such webhook endpoint.") from None


@login_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(owner=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form_add_application_error(form, error)
        else:
            # Kept in the session only until the redirect is followed: a reload shows it no more.
            request.session[NEW_SECRET_SESSION_KEY] = {"url": endpoint.url, "secret": endpoint.secret}
            return redirect("webhooks:list")
    context = {
        "account": credit_account_get(user=request.user),
        "endpoints": selectors.endpoint_list_for_user(user=request.user),
        "event_type_count": len(EventType.values),
        "form": form,
        "new_secret": request.session.pop(NEW_SECRET_SESSION_KEY, None) if request.method == "GET" else None,
    }
    return render(request, "webhooks/list.html", context)


@login_required
def endpoint_detail(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    endpoint = _endpoint_or_404(request, endpoint_id)
    initial = {
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "is_active": endpoint.is_active,
    }
    form = WebhookEndpointEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(endpoint=endpoint, **form.cleaned_data)
        except ApplicationError as error:
            form_add_application_error(form, error)
        else:
            messages.success(request, "Endpoint saved.")
            return redirect("webhooks:detail", endpoint_id=endpoint.pk)
    context = {
        "account": credit_account_get(user=request.user),
        "endpoint": endpoint,
        "form": form,
        "deliveries": selectors.delivery_list_for_endpoint(endpoint=endpoint)[:RECENT_DELIVERIES],
    }
    return render(request, "webhooks/detail.html", context)


@login_required
@require_POST
def endpoint_test(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    endpoint = _endpoint_or_404(request, endpoint_id)
    try:
        services.endpoint_send_test(endpoint=endpoint)
    except ApplicationError as error:
        messages.error(request, application_error_message(error))
    else:
        messages.success(request, "Test event sent; its attempt is in the log below.")
    return redirect("webhooks:detail", endpoint_id=endpoint.pk)


@login_required
@require_POST
def delivery_resend(request: HttpRequest, endpoint_id: str, delivery_id: str) -> HttpResponse:
    try:
        delivery = selectors.delivery_get_for_user(user=request.user, endpoint_id=endpoint_id, delivery_id=delivery_id)
    except NotFound:
        raise Http404("No such delivery.") from None
    try:
        services.delivery_resend(delivery=delivery)
    except ApplicationError as error:
        messages.error(request, application_error_message(error))
    else:
        messages.success(request, f"Event {delivery.event_id} resent.")
    return redirect("webhooks:detail", endpoint_id=endpoint_id)


@login_required
def endpoint_delete(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    endpoint = _endpoint_or_404(request, endpoint_id)
    if request.method == "POST":
        services.endpoint_delete(endpoint=endpoint)
        messages.success(request, f"Endpoint {endpoint.url} deleted.")
        return redirect("webhooks:list")
    context = {"account": credit_account_get(user=request.user), "endpoint": endpoint}
    return render(request, "webhooks/delete.html", context)
