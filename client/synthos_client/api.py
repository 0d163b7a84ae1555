"""A small HTTP client for the Synthos API on urllib: JSON in and out, the error envelope as ApiError."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any, BinaryIO

USER_AGENT = "synthos-cli/0.1"
RETRY_STATUSES = (429, 502, 503, 504)
MAX_RETRIES = 4


class ApiError(Exception):
    """An error answer (or no answer) from the API, with the envelope's message and request id."""

    def __init__(self, message: str, *, status: int = 0, request_id: str | None = None, details: Any = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.details = details

    @property
    def is_auth(self) -> bool:
        return self.status in (401, 403)

    def __str__(self) -> str:
        return f"{self.message} (request_id {self.request_id})" if self.request_id else self.message


def _error_from(status: int, body: bytes, headers) -> ApiError:
    request_id = headers.get("X-Request-ID") if headers is not None else None
    try:
        error = json.loads(body)["error"]
        return ApiError(
            str(error.get("message") or f"HTTP {status}"),
            status=status,
            request_id=error.get("request_id") or request_id,
            details=error.get("details"),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        text = body[:200].decode("utf-8", errors="replace").strip()
        return ApiError(f"HTTP {status}{': ' + text if text else ''}", status=status, request_id=request_id)


def normalise_base_url(base_url: str) -> str:
    base = base_url.strip().rstrip("/")
    for suffix in ("/api/v1", "/api"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base


class Client:
    """Calls `<base_url>/api/v1/<path>` with an API key (X-API-Key) or a JWT (Bearer)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        token: str | None = None,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = normalise_base_url(base_url)
        self.api_key = api_key
        self.token = token
        self.timeout = timeout
        self._sleep = sleep

    def url(self, path: str, query: dict | None = None) -> str:
        url = f"{self.base_url}/api/v1/{path.lstrip('/')}"
        if query:
            url += "?" + urllib.parse.urlencode({key: value for key, value in query.items() if value is not None})
        return url

    def _headers(self, extra: dict | None) -> dict:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.api_key:
            headers["X-API-Key"] = self.api_key
        elif self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return {**headers, **(extra or {})}

    def request(
        self,
        method: str,
        path: str,
        *,
        body: dict | None = None,
        query: dict | None = None,
        headers: dict | None = None,
    ) -> Any:
        """One API call; returns the decoded JSON (None for 204). Raises ApiError.

        Retries a 429 (after Retry-After) and, for calls that are safe to repeat (GET, or a POST
        carrying an Idempotency-Key), a 502/503/504 or a dropped connection.
        """
        url = path if path.startswith(("http://", "https://")) else self.url(path, query)
        data = json.dumps(body).encode() if body is not None else None
        extra = {"Content-Type": "application/json", **(headers or {})} if data is not None else headers
        repeatable = method == "GET" or "Idempotency-Key" in (headers or {})
        for attempt in range(MAX_RETRIES + 1):
            request = urllib.request.Request(url, data=data, method=method, headers=self._headers(extra))
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                    return json.loads(raw) if raw else None
            except urllib.error.HTTPError as error:
                raw = error.read()
                retry = error.code == 429 or (repeatable and error.code in RETRY_STATUSES)
                if not retry or attempt == MAX_RETRIES:
                    raise _error_from(error.code, raw, error.headers) from None
                self._sleep(min(30.0, float(error.headers.get("Retry-After") or 2**attempt)))
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                if not repeatable or attempt == MAX_RETRIES:
                    reason = getattr(error, "reason", error)
                    raise ApiError(f"could not reach {self.base_url}: {reason}") from None
                self._sleep(float(2**attempt))
        raise AssertionError("unreachable")

    def get(self, path: str, **query) -> Any:
        return self.request("GET", path, query=query or None)

    def post(self, path: str, body: dict | None = None, *, headers: dict | None = None) -> Any:
        return self.request("POST", path, body=body if body is not None else {}, headers=headers)

    def put_file(self, url: str, stream: BinaryIO, *, size: int, headers: dict | None = None) -> None:
        """PUT a file to a signed upload URL, streamed (read in blocks by http.client). Raises ApiError."""
        put_headers = {"Content-Length": str(size), "Content-Type": "application/octet-stream", **(headers or {})}
        # The signed URL carries its own authority: our credentials are not sent to storage.
        request = urllib.request.Request(url, data=stream, method="PUT", headers=put_headers)
        try:
            with urllib.request.urlopen(request, timeout=max(self.timeout, 300)) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise _error_from(error.code, error.read(), error.headers) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise ApiError(f"upload failed: {getattr(error, 'reason', error)}") from None
