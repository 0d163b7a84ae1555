"""Dashboard pages for validations: start from the dataset page, the live validation page and
its report, the list, cancel and the JSON download."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from synthos.errors import ApplicationError
from validations import selectors, services
from validations.forms import ValidationFilterForm, ValidationStartForm
from validations.models import Validation
from validations.presentation import report_context

PAGE_SIZE = 25


def _own_validation(request: HttpRequest, validation_id: str) -> Validation | None:
    try:
        return selectors.validation_get_for_user(user=request.user, validation_id=validation_id)
    except ApplicationError:
        return None


@login_required
def validation_list(request: HttpRequest) -> HttpResponse:
    form = ValidationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    validations = selectors.validation_list_for_user(
        user=request.user,
        dataset_id=filters.get("dataset") or None,
        status=filters.get("status") or None,
        tier=filters.get("tier") or None,
    )
    page = Paginator(validations, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "validations/list.html", {"form": form, "page_obj": page})


@login_required
@require_POST
def validation_start(request: HttpRequest, dataset_id: str) -> HttpResponse:
    form = ValidationStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a tier to run.")
        return redirect("datasets:detail", dataset_id=dataset_id)
    try:
        validation = services.validation_start(owner=request.user, dataset_id=dataset_id, **form.cleaned_data)
    except ApplicationError as error:
        if error.status_code == 404:
            return render(request, "404.html", status=404)
        messages.error(request, error.message.removeprefix("Validation failed: "))
        return redirect("datasets:detail", dataset_id=dataset_id)
    return redirect("validations:detail", validation_id=validation.pk)


@login_required
def validation_detail(request: HttpRequest, validation_id: str) -> HttpResponse:
    validation = _own_validation(request, validation_id)
    if validation is None:
        return render(request, "404.html", status=404)
    context = {"validation": validation}
    if request.GET.get("partial") or request.headers.get("HX-Request"):
        return render(request, "validations/_progress.html", context)
    if validation.status == Validation.Status.SUCCEEDED:
        context.update(report_context(validation.report))
    return render(request, "validations/detail.html", context)


@login_required
@require_POST
def validation_cancel(request: HttpRequest, validation_id: str) -> HttpResponse:
    validation = _own_validation(request, validation_id)
    if validation is None:
        return render(request, "404.html", status=404)
    try:
        validation = services.validation_cancel(validation=validation)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        refunded = validation.credits_refunded
        messages.success(
            request,
            f"Validation canceled; {refunded} credits refunded." if refunded else "Validation canceled.",
        )
    return redirect("validations:detail", validation_id=validation_id)


@login_required
def validation_report_download(request: HttpRequest, validation_id: str) -> HttpResponse:
    validation = _own_validation(request, validation_id)
    if validation is None or validation.status != Validation.Status.SUCCEEDED:
        return render(request, "404.html", status=404)
    response = HttpResponse(json.dumps(validation.report, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{validation.pk}-report.json"'
    return response
