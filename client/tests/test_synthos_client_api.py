"""synthos_client.api against a real local HTTP server: envelope errors, retries, headers, streaming PUT."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from synthos_client.api import ApiError, Client, normalise_base_url


class Server:
    def __init__(self):
        self.answers: list[tuple[int, dict, bytes]] = []
        self.requests: list[tuple] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                server.requests.append((self.command, self.path, self.headers, body))
                status, headers, answer = server.answers.pop(0) if server.answers else (200, {}, b"{}")
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = _handle  # noqa: N815

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"

    def answer(self, status: int, body, headers: dict | None = None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.answers.append((status, headers or {}, raw))


@pytest.fixture
def server():
    server = Server()
    yield server
    server.http.shutdown()
    server.http.server_close()


def envelope(code: int, message: str, request_id: str = "req_abc") -> dict:
    return {"error": {"code": code, "message": message, "request_id": request_id}}


def test_it_sends_the_api_key_and_decodes_json(server):
    server.answer(200, {"balance": 5})
    client = Client(server.url + "/api/v1/", api_key="sk_live_x")
    assert client.get("credits/balance") == {"balance": 5}
    method, path, headers, _ = server.requests[0]
    assert (method, path) == ("GET", "/api/v1/credits/balance")
    assert headers["X-API-Key"] == "sk_live_x" and headers["User-Agent"].startswith("synthos-cli/")


def test_an_error_envelope_becomes_an_api_error_with_the_request_id(server):
    server.answer(402, envelope(402, "Not enough credits."))
    with pytest.raises(ApiError) as raised:
        Client(server.url, api_key="k").post("validations", {"tier": "quick"})
    assert str(raised.value) == "Not enough credits. (request_id req_abc)"
    assert raised.value.status == 402 and not raised.value.is_auth


def test_401_and_403_are_auth_errors(server):
    server.answer(401, envelope(401, "Invalid or revoked API key."))
    with pytest.raises(ApiError) as raised:
        Client(server.url, api_key="bad").get("auth/me")
    assert raised.value.is_auth


def test_an_answer_that_is_not_the_envelope_still_reads_well(server):
    server.answer(400, b"<html>bad gateway thing</html>", {"X-Request-ID": "req_h"})
    with pytest.raises(ApiError) as raised:
        Client(server.url).post("x", {})
    assert str(raised.value) == "HTTP 400: <html>bad gateway thing</html> (request_id req_h)"


def test_a_429_is_retried_after_retry_after(server):
    slept = []
    server.answer(429, envelope(429, "Rate limit exceeded."), {"Retry-After": "3"})
    server.answer(200, {"ok": True})
    assert Client(server.url, sleep=slept.append).post("datasets", {}) == {"ok": True}
    assert slept == [3.0] and len(server.requests) == 2


def test_a_503_is_retried_only_when_the_call_is_safe_to_repeat(server):
    server.answer(503, envelope(503, "down"))
    with pytest.raises(ApiError):
        Client(server.url, sleep=lambda s: None).post("validations", {})
    server.answer(503, envelope(503, "down"))
    server.answer(202, {"id": "val_1"})
    result = Client(server.url, sleep=lambda s: None).post("validations", {}, headers={"Idempotency-Key": "k1"})
    assert result == {"id": "val_1"} and server.requests[-1][2]["Idempotency-Key"] == "k1"


def test_an_unreachable_server_is_an_api_error():
    with pytest.raises(ApiError, match="could not reach"):
        Client("http://127.0.0.1:9", sleep=lambda s: None).get("health")


def test_put_file_streams_the_body_without_api_credentials(server, tmp_path):
    from io import BytesIO

    server.answer(201, b"")
    Client(server.url, api_key="sk_live_secret").put_file(
        server.url + "/upload/ds_1?sig=1", BytesIO(b"a,b\n1,2\n"), size=8, headers={"Content-Length": "8"}
    )
    method, path, headers, body = server.requests[0]
    assert (method, path, body) == ("PUT", "/upload/ds_1?sig=1", b"a,b\n1,2\n")
    assert "X-API-Key" not in headers


def test_base_urls_are_normalised():
    assert normalise_base_url("https://api.synthos.dev/api/v1/") == "https://api.synthos.dev"
    assert normalise_base_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
