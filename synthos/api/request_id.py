"""Give every request an id, echo it in `X-Request-ID`, and expose it to logs and error bodies."""

import re
import secrets

from synthos.logging import current_request_id

_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def new_request_id() -> str:
    return f"req_{secrets.token_hex(12)}"


def request_id_for(request) -> str:
    return getattr(request, "request_id", None) or current_request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _CLIENT_ID.match(incoming) else new_request_id()
        token = current_request_id.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request.request_id
        return response
