"""Test-only routes that fail on purpose, to check the 500 envelope."""

from django.urls import include, path
from rest_framework.views import APIView


class ExplodingView(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        raise RuntimeError("secret-internal-detail")


def exploding_django_view(request):
    raise RuntimeError("secret-internal-detail")


urlpatterns = [
    path("api/v1/boom", ExplodingView.as_view()),
    path("api/v1/django-boom", exploding_django_view),
    path("", include("synthos.urls")),
]
handler404 = "synthos.urls.handler404"
handler500 = "synthos.urls.handler500"
