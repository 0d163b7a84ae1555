"""Timestamps as the API writes them, for payloads built without a serializer (lists, webhooks)."""

from datetime import datetime

# The same format as REST_FRAMEWORK["DATETIME_FORMAT"]: ISO-8601 UTC with microseconds and a Z.
API_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def api_datetime(moment: datetime | None) -> str | None:
    return moment.strftime(API_DATETIME_FORMAT) if moment else None
