"""GET /api/v1/health: can this process reach its database, cache and queue?"""

import logging

from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger(__name__)

HealthOutput = inline_serializer(
    "Health",
    {
        "status": serializers.CharField(),
        "database": serializers.CharField(),
        "cache": serializers.CharField(),
        "queue": inline_serializer("QueueHealth", {"oldest_queued_seconds": serializers.FloatField(allow_null=True)}),
    },
)


def _oldest_queued_seconds() -> float | None:
    # The ORM broker keeps no enqueue column; the signed payload carries the enqueue time.
    oldest = None
    for queued in OrmQ.objects.order_by("id")[:20]:
        started = queued.task.get("started") if isinstance(queued.task, dict) else None
        if started and (oldest is None or started < oldest):
            oldest = started
    return round((timezone.now() - oldest).total_seconds(), 1) if oldest else None


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(responses={200: HealthOutput, 503: HealthOutput}, tags=["health"], auth=[])
    def get(self, request):
        body = {"status": "ok", "database": "ok", "cache": "ok", "queue": {"oldest_queued_seconds": None}}
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            body["queue"]["oldest_queued_seconds"] = _oldest_queued_seconds()
        except Exception:
            logger.exception("health: database unreachable")
            body["database"] = body["status"] = "error"
        try:
            cache.set("health:probe", "1", timeout=10)
            if cache.get("health:probe") != "1":
                raise RuntimeError("cache did not return what was written")
        except Exception:
            logger.exception("health: cache unreachable")
            body["cache"] = body["status"] = "error"
        return Response(body, status=200 if body["status"] == "ok" else 503)
