"""Dashboard pages for warranties: the list, a warranty with its terms, timeline and claim form,
and the request page (price and proposed terms shown before anything is charged)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from billing.pricing import WARRANTY_REQUEST
from billing.selectors import credit_account_get
from datasets.models import Dataset
from datasets.selectors import dataset_list_for_user
from synthos.dashboard import application_error_message, form_add_application_error
from synthos.errors import ApplicationError, NotFound
from validations.selectors import validation_get_for_user
from warranties import selectors, services
from warranties.forms import ClaimCreateForm

PAGE_SIZE = 25


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "404.html", status=404)


@login_required
def warranty_list(request: HttpRequest) -> HttpResponse:
    warranties = selectors.warranty_list_for_user(user=request.user).select_related("validation")
    page = Paginator(warranties, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "warranties/list.html", {"page_obj": page})


def _holdout_choices(request: HttpRequest, warranty):
    ready = dataset_list_for_user(user=request.user, status=Dataset.Status.READY)
    return ready.exclude(pk=warranty.validation.dataset_id) if warranty.validation.dataset_id else ready


@login_required
def warranty_detail(request: HttpRequest, warranty_id: str) -> HttpResponse:
    try:
        warranty = selectors.warranty_get_for_user(user=request.user, warranty_id=warranty_id)
    except NotFound:
        return _not_found(request)
    datasets = list(_holdout_choices(request, warranty)) if warranty.is_claimable else []
    form = ClaimCreateForm(request.POST or None, datasets=datasets)
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.claim_submit(warranty=warranty, **form.cleaned_data)
        except ApplicationError as error:
            form_add_application_error(form, error)
        else:
            messages.success(request, f"Claim {claim.pk} filed. We are measuring the baseline on your holdout.")
            return redirect("warranties:detail", warranty_id=warranty.pk)
    claims = list(warranty.claims.all())
    context = {
        "warranty": warranty,
        "claims": claims,
        "has_open_claim": any(claim.is_open for claim in claims),
        "form": form,
        "datasets": datasets,
    }
    return render(request, "warranties/detail.html", context)


@login_required
def warranty_request(request: HttpRequest, validation_id: str) -> HttpResponse:
    try:
        validation = validation_get_for_user(user=request.user, validation_id=validation_id)
    except NotFound:
        return _not_found(request)
    existing = selectors.warranty_for_validation(validation_id=validation.pk)
    if existing is not None:
        return redirect("warranties:detail", warranty_id=existing.pk)
    reason = services.warranty_ineligibility_reason(validation=validation)
    context = {
        "validation": validation,
        "reason": reason,
        "terms": None if reason else services.warranty_terms_propose(validation=validation),
        "price": WARRANTY_REQUEST,
        "account": credit_account_get(user=request.user),
    }
    return render(request, "warranties/request.html", context)


@login_required
@require_POST
def warranty_request_confirm(request: HttpRequest, validation_id: str) -> HttpResponse:
    try:
        warranty = services.warranty_request(owner=request.user, validation_id=validation_id)
    except ApplicationError as error:
        if error.status_code == 404:
            return _not_found(request)
        messages.error(request, application_error_message(error))
        return redirect("warranties:request", validation_id=validation_id)
    messages.success(
        request, f"Warranty requested; {warranty.credits_charged} credits charged. We email you once staff review it."
    )
    return redirect("warranties:detail", warranty_id=warranty.pk)
