"""Where a webhook may go (SSRF guard) and the one HTTP POST that delivers it.

In production (WEBHOOKS_ALLOW_PRIVATE_TARGETS off) a receiver must resolve only to public
addresses: every address the hostname resolves to is checked, and the POST then connects to the
checked address itself (keeping the hostname for Host and TLS), so a DNS answer that changes
between the check and the connection (DNS rebinding) cannot reach an internal service. Redirects
are never followed. The standard library does this in a few lines; no HTTP library pins an IP.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

RESPONSE_EXCERPT_BYTES = 1024
USER_AGENT = "Synthos-Webhooks/1"


class TargetRefused(Exception):
    """The URL may not receive webhooks (bad form, unresolvable, or a private address)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP the connection goes to


@dataclass(frozen=True)
class PostResult:
    status_code: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for private, loopback, link-local, shared (CGNAT), reserved and unspecified.
    return ip.is_global and not ip.is_multicast


def parse_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an http(s) URL; raises TargetRefused otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("The URL is not valid.") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("The URL must start with https:// (or http://).")
    if not parts.hostname:
        raise TargetRefused("The URL has no host.")
    if parts.username or parts.password:
        raise TargetRefused("The URL must not contain a user name or password.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def resolve_target(url: str, *, allow_private: bool | None = None) -> Target:
    """Resolve a receiver URL and check every address it resolves to.

    Raises TargetRefused for a malformed URL, a host that does not resolve, or (unless private
    targets are allowed) any private, loopback, link-local or reserved address among its answers.
    """
    if allow_private is None:
        allow_private = settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS
    scheme, host, port, path = parse_url(url)
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise TargetRefused(f"The host {host!r} does not resolve.") from None
    addresses = list(dict.fromkeys(answer[4][0] for answer in answers))
    if not addresses:
        raise TargetRefused(f"The host {host!r} does not resolve.")
    if not allow_private:
        for address in addresses:
            if not _is_public(address):
                raise TargetRefused(
                    f"The host {host!r} resolves to {address}, a private, loopback or reserved address; "
                    "webhooks can only be sent to public addresses."
                )
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> PostResult:
    """POST `body` to `url` (checked again now); never raises: failures come back in `error`."""
    started = time.monotonic()

    def result(status_code=None, excerpt="", error="") -> PostResult:
        return PostResult(status_code, excerpt, error[:500], int((time.monotonic() - started) * 1000))

    try:
        target = resolve_target(url)
    except TargetRefused as refused:
        return result(error=f"Refused: {refused}")
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
        )
        response = connection.getresponse()
        raw = response.read(RESPONSE_EXCERPT_BYTES)
        excerpt = raw.decode("utf-8", errors="replace")
        return result(status_code=response.status, excerpt=excerpt)
    except TimeoutError:
        return result(error=f"Timed out after {timeout:g} s.")
    except (OSError, http.client.HTTPException) as error:
        return result(error=f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)
    finally:
        connection.close()
