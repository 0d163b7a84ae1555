from django.contrib import admin
from django.shortcuts import render
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerView

from synthos.api.errors import error_json_response

urlpatterns = [
    path("api/v1/", include(("synthos.api_urls", "api"), namespace="api")),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("accounts/settings/webhooks/", include("synthos.webhooks.urls")),
    path("", include("accounts.urls")),
    path("credits/", include("billing.urls")),
    path("help/", include("support.urls")),
    path("datasets/", include("datasets.urls")),
    path("validations/", include("validations.urls")),
    path("warranties/", include("warranties.urls")),
]

admin.site.site_header = "Synthos staff"
admin.site.site_title = "Synthos staff"


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def handler404(request, exception=None):
    if _is_api(request):
        return error_json_response(request, 404, "Not found.")
    return render(request, "404.html", status=404)


def handler500(request):
    if _is_api(request):
        return error_json_response(
            request, 500, "An unexpected error occurred on our end. Quote the request_id to support."
        )
    return render(request, "500.html", status=500)
