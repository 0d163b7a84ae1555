"""Dashboard pages for datasets, plus the two plain endpoints of local storage (signed PUT and GET).

The upload page's script asks `upload_start` for a signed URL, PUTs the file straight to it with
a progress bar, then posts to `upload_complete`; the file never passes through these views except
for the local backend's own PUT endpoint, which streams it to disk in chunks.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from datasets import selectors, services
from datasets.forms import DatasetFilterForm, DatasetUploadForm
from datasets.models import Dataset
from datasets.storage import LocalStorage, download_token_read, get_storage, upload_token_read
from synthos.api.errors import error_json_response
from synthos.errors import ApplicationError

PAGE_SIZE = 25


@login_required
def dataset_list(request: HttpRequest) -> HttpResponse:
    form = DatasetFilterForm(request.GET or None)
    status = search = None
    if form.is_valid():
        status, search = form.cleaned_data["status"] or None, form.cleaned_data["search"] or None
    datasets = selectors.dataset_list_for_user(user=request.user, status=status, search=search).defer("preview")
    page = Paginator(datasets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "datasets/list.html", {"form": form, "page_obj": page})


@login_required
def dataset_upload(request: HttpRequest) -> HttpResponse:
    return render(request, "datasets/upload.html", {"form": DatasetUploadForm()})


@login_required
@require_POST
def upload_start(request: HttpRequest) -> HttpResponse:
    """JSON for the upload script: the new dataset's id, the signed PUT, and where to go next."""
    form = DatasetUploadForm(request.POST)
    if not form.is_valid():
        field, problems = next(iter(form.errors.items()))
        details = {name: list(errors) for name, errors in form.errors.items()}
        return error_json_response(request, 422, f"Validation failed: {field}: {problems[0]}", details)
    data = form.cleaned_data
    try:
        dataset, upload = services.dataset_create(
            owner=request.user,
            name=data["name"],
            filename=data["filename"],
            format=data["format"],
            size_bytes=data["size_bytes"],
            description=data["description"],
            compression=data["compression"] or None,
            expected_rows=data["expected_rows"],
        )
    except ApplicationError as error:
        return error_json_response(request, error.status_code, error.message, error.details)
    return JsonResponse(
        {
            "dataset": {"id": dataset.pk},
            "upload": {"url": request.build_absolute_uri(upload.url), "method": upload.method},
            "complete_url": reverse("datasets:upload_complete", kwargs={"dataset_id": dataset.pk}),
            "detail_url": reverse("datasets:detail", kwargs={"dataset_id": dataset.pk}),
        },
        status=201,
    )


@login_required
@require_POST
def upload_complete(request: HttpRequest, dataset_id: str) -> HttpResponse:
    try:
        dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
        dataset = services.dataset_complete(dataset=dataset)
    except ApplicationError as error:
        return error_json_response(request, error.status_code, error.message, error.details)
    return JsonResponse({"status": dataset.status}, status=202)


@login_required
def dataset_detail(request: HttpRequest, dataset_id: str) -> HttpResponse:
    try:
        dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    except ApplicationError:
        return render(request, "404.html", status=404)
    # jsonb does not keep key order: lay the preview out in the column order.
    names = [column["name"] for column in dataset.columns]
    context = {"dataset": dataset, "preview_rows": [[row.get(name) for name in names] for row in dataset.preview]}
    if request.GET.get("partial") or request.headers.get("HX-Request"):
        return render(request, "datasets/_dataset_body.html", context)
    return render(request, "datasets/detail.html", context)


@login_required
def dataset_download(request: HttpRequest, dataset_id: str) -> HttpResponse:
    try:
        dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    except ApplicationError:
        return render(request, "404.html", status=404)
    if dataset.status == Dataset.Status.AWAITING_UPLOAD:
        messages.error(request, "This dataset has no file yet.")
        return redirect("datasets:detail", dataset_id=dataset.pk)
    return redirect(get_storage().download_instructions(dataset=dataset).url)


@login_required
def dataset_delete(request: HttpRequest, dataset_id: str) -> HttpResponse:
    try:
        dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    except ApplicationError:
        return render(request, "404.html", status=404)
    if request.method == "POST":
        try:
            services.dataset_delete(dataset=dataset)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("datasets:detail", dataset_id=dataset.pk)
        messages.success(request, f"Deleted {dataset.name} and its file.")
        return redirect("datasets:list")
    return render(request, "datasets/delete.html", {"dataset": dataset})


# --- Local storage endpoints (no session: the signed token is the credential) -----------------


@csrf_exempt
@require_http_methods(["PUT"])
def upload_put(request: HttpRequest, token: str) -> HttpResponse:
    """Receive a dataset's bytes for the local backend, streamed to disk 1 MB at a time.

    Every refusal happens before a byte is stored and leaves the URL usable until it expires.
    """
    if settings.DATASET_STORAGE != "local":
        return error_json_response(request, 404, "Not found.")
    try:
        dataset_id, size_bytes = upload_token_read(token)
    except signing.SignatureExpired:
        return error_json_response(request, 403, "This upload URL has expired; create the dataset again.")
    except signing.BadSignature:
        return error_json_response(request, 403, "This upload URL is not valid (its signature does not match).")
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is None or dataset.size_bytes != size_bytes:
        return error_json_response(request, 404, "Dataset not found.")
    if dataset.status != Dataset.Status.AWAITING_UPLOAD:
        return error_json_response(request, 409, f"This dataset is already {dataset.status}; it takes no more uploads.")
    declared = request.META.get("CONTENT_LENGTH") or ""
    if not declared.isdigit():
        return error_json_response(request, 411, f"Send a Content-Length header of {size_bytes} bytes.")
    if int(declared) != size_bytes:
        return error_json_response(
            request, 400, f"The body is {int(declared):,} bytes but the dataset was declared as {size_bytes:,} bytes."
        )
    try:
        LocalStorage().receive(key=dataset.storage_key, stream=request, size_bytes=size_bytes)
    except FileExistsError:
        return error_json_response(request, 409, "A file has already been uploaded for this dataset.")
    except ValueError:
        return error_json_response(
            request, 400, f"The upload ended before all {size_bytes:,} declared bytes arrived; nothing was stored."
        )
    return HttpResponse(status=200)


@require_http_methods(["GET"])
def download_file(request: HttpRequest, token: str) -> HttpResponse:
    try:
        dataset_id = download_token_read(token)
    except signing.SignatureExpired:
        return error_json_response(request, 403, "This download URL has expired; ask the API for a new one.")
    except signing.BadSignature:
        return error_json_response(request, 403, "This download URL is not valid (its signature does not match).")
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    storage = LocalStorage()
    if settings.DATASET_STORAGE != "local":
        dataset = None
    if dataset is None or storage.stored_size(key=dataset.storage_key) is None:
        return error_json_response(request, 404, "Not found.")
    return FileResponse(
        open(storage.path_for(dataset.storage_key), "rb"), as_attachment=True, filename=dataset.filename
    )
