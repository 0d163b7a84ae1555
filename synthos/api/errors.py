"""The one error envelope: {"error": {"code", "message", "request_id", "details"?}} for every status."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

from synthos.api.request_id import request_id_for
from synthos.errors import ApplicationError, RateLimited

logger = logging.getLogger("synthos.api")


def error_body(*, request, code: int, message: str, details: dict | None = None) -> dict:
    error = {"code": code, "message": message, "request_id": request_id_for(request)}
    if details:
        error["details"] = details
    return {"error": error}


def error_json_response(request, code: int, message: str, details: dict | None = None) -> JsonResponse:
    """For plain Django views and handlers outside DRF (404/500 under /api/, upload endpoints)."""
    return JsonResponse(error_body(request=request, code=code, message=message, details=details), status=code)


def _field_message(field: str, messages) -> str:
    first = messages[0] if isinstance(messages, list) and messages else messages
    if isinstance(first, dict):  # nested serializer: name the inner field
        inner_field, inner_messages = next(iter(first.items()))
        return _field_message(f"{field}.{inner_field}", inner_messages)
    text = str(first)
    if field in ("non_field_errors", "detail"):
        return text
    if text == "This field is required.":
        return f"{field} is required."
    return f"{field}: {text}"


def validation_message(detail) -> tuple[str, dict | None]:
    if isinstance(detail, dict) and detail:
        field, messages = next(iter(detail.items()))
        return f"Validation failed: {_field_message(field, messages)}", _plain(detail)
    if isinstance(detail, list) and detail:
        return f"Validation failed: {detail[0]}", None
    return f"Validation failed: {detail}", None


def _plain(detail):
    if isinstance(detail, dict):
        return {key: _plain(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_plain(value) for value in detail]
    return str(detail)


def _plain_message(detail) -> str:
    """simplejwt puts a dict (detail, code, messages) where DRF puts a string."""
    if isinstance(detail, dict):
        return _plain_message(detail.get("detail") or next(iter(detail.values()), ""))
    if isinstance(detail, list):
        return _plain_message(detail[0]) if detail else ""
    return str(detail)


def api_exception_handler(exc, context):
    request = context.get("request")
    headers: dict[str, str] = {}
    details = None
    if isinstance(exc, ApplicationError):
        code, message, details = exc.status_code, exc.message, exc.details
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, Http404):
        code, message = 404, "Not found."
    elif isinstance(exc, DjangoPermissionDenied):
        code, message = 403, "You do not have permission to perform this action."
    elif isinstance(exc, exceptions.ValidationError):
        code = 422
        message, details = validation_message(exc.detail)
    elif isinstance(exc, exceptions.APIException):
        code, message = exc.status_code, _plain_message(exc.detail)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
            message = f"Rate limit exceeded. Retry after {headers['Retry-After']} seconds."
    else:
        logger.exception("Unhandled error in API view")
        code, message = 500, "An unexpected error occurred on our end. Quote the request_id to support."
    body = error_body(request=request, code=code, message=message, details=details)
    return Response(body, status=code, headers=headers)
