"""Dashboard pages for billing: credits (balance, packages, purchases, ledger), checkout return pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from billing import purchases, stripe_gateway
from billing.selectors import (
    credit_account_get,
    package_list_active,
    purchase_get_for_user,
    purchase_list_for_user,
    transaction_list_for_user,
)
from synthos.dashboard import application_error_message
from synthos.errors import ApplicationError

LEDGER_PAGE_SIZE = 25


@login_required
def credits_page(request: HttpRequest) -> HttpResponse:
    ledger = transaction_list_for_user(user=request.user).order_by("-created_at", "-id")
    context = {
        "account": credit_account_get(user=request.user),
        "packages": package_list_active(),
        "payments_enabled": stripe_gateway.is_configured(),
        "purchases": purchase_list_for_user(user=request.user).order_by("-created_at")[:10],
        "ledger_page": Paginator(ledger, LEDGER_PAGE_SIZE).get_page(request.GET.get("page")),
    }
    return render(request, "billing/credits.html", context)


@login_required
@require_POST
def buy(request: HttpRequest) -> HttpResponse:
    try:
        purchase = purchases.purchase_start(user=request.user, package_id=request.POST.get("package_id", ""))
    except ApplicationError as error:
        messages.error(request, application_error_message(error))
        return redirect("billing:credits")
    return redirect(purchase.checkout_url)


@login_required
def purchase_success(request: HttpRequest) -> HttpResponse:
    """Stripe sends the buyer here; the credits come with the webhook, which this page waits for."""
    purchase = purchase_get_for_user(user=request.user, purchase_id=request.GET.get("purchase", ""))
    context = {"purchase": purchase, "account": credit_account_get(user=request.user)}
    if request.headers.get("HX-Request") or request.GET.get("partial"):
        return render(request, "billing/_purchase_status.html", context)
    return render(request, "billing/purchase_success.html", context)


@login_required
def purchase_cancel(request: HttpRequest) -> HttpResponse:
    purchase = purchase_get_for_user(user=request.user, purchase_id=request.GET.get("purchase", ""))
    return render(request, "billing/purchase_cancel.html", {"purchase": purchase})
