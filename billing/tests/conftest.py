"""Stripe in billing tests: localstripe (a real server process) for what it serves — customers —
and a recording HTTP client at the stripe library's boundary for Checkout Sessions, which
localstripe lacks. Webhooks are signed with the stripe library's own helper."""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs

import pytest
import stripe
from django.db.models import Sum

from conftest import free_port

WEBHOOK_SECRET = "whsec_test_synthos"


@pytest.fixture(scope="session")
def stripe_server():
    port = free_port()
    # localstripe saves its whole store to one fixed file (/tmp/localstripe.pickle), which
    # parallel test workers would corrupt: run it in memory only.
    launcher = (
        "import sys; import localstripe.resources as r; "
        "r.Store.try_load_from_disk = lambda self: None; r.Store.dump_to_disk = lambda self: None; "
        "from localstripe.server import start; sys.argv = ['localstripe', '--port', sys.argv[1]]; start()"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", launcher, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(
                urllib.request.Request(f"{base}/v1/customers", headers={"Authorization": "Bearer sk_test_x"}), timeout=2
            )
            break
        except urllib.error.HTTPError:
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("localstripe did not start")
    yield base
    process.terminate()
    process.wait(timeout=10)


class RecordingStripeHTTPClient(stripe.HTTPClient):
    """Answers Checkout Session creation as Stripe documents it; passes the rest to localstripe."""

    name = "recording"

    def __init__(self):
        super().__init__()
        self.requests: list[dict] = []
        self._real = stripe.RequestsClient(timeout=10)

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        params = {key: values[0] for key, values in parse_qs(post_data or "").items()}
        self.requests.append({"method": method, "url": url, "headers": dict(headers or {}), "params": params})
        if method == "post" and url.endswith("/v1/checkout/sessions"):
            session_id = f"cs_test_{len(self.requests):04d}{params['client_reference_id'][-8:]}"
            session = {
                "id": session_id,
                "object": "checkout.session",
                "mode": "payment",
                "status": "open",
                "payment_status": "unpaid",
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                "customer": params.get("customer"),
                "client_reference_id": params.get("client_reference_id"),
                "metadata": {
                    "purchase_id": params.get("metadata[purchase_id]"),
                    "package_id": params.get("metadata[package_id]"),
                },
                "amount_total": int(params.get("line_items[0][price_data][unit_amount]", 0)),
                "currency": params.get("line_items[0][price_data][currency]"),
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
            }
            return json.dumps(session), 200, {"request-id": "req_recorded"}
        return self._real.request(method, url, headers, post_data)

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise NotImplementedError

    def close(self):
        self._real.close()

    def calls_to(self, suffix: str) -> list[dict]:
        return [request for request in self.requests if request["url"].endswith(suffix)]


@pytest.fixture
def stripe_api(settings, stripe_server, monkeypatch):
    from billing import stripe_gateway

    settings.STRIPE_SECRET_KEY = "sk_test_synthos"
    settings.STRIPE_API_BASE = stripe_server
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    recorder = RecordingStripeHTTPClient()
    monkeypatch.setattr(stripe_gateway, "http_client_factory", lambda: recorder)
    return recorder


def signed_headers(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> dict:
    return {"HTTP_STRIPE_SIGNATURE": stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)}


def event(event_type: str, obj: dict, *, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{abs(hash((event_type, json.dumps(obj, sort_keys=True)))) % 10**12}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": obj},
    }


@pytest.fixture(autouse=True)
def _ledger_invariant_holds_after_each_test(request):
    yield
    if not request.node.get_closest_marker("django_db"):
        return
    from billing.models import CreditAccount, CreditTransaction

    for account in CreditAccount.objects.all():
        total = CreditTransaction.objects.filter(account=account).aggregate(total=Sum("amount"))["total"] or 0
        assert account.balance == total, f"ledger of {account.user_id} sums to {total}, balance is {account.balance}"
