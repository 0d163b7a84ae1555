"""Shared test fixtures: owner, outsider and staff users, API clients, service gates, the browser.

Tests marked `postgres`, `redis` or `browser` need that real part. Where it is missing they skip
with the reason, unless SYNTHOS_REQUIRE_ALL_SERVICES=1 (CI), where a missing part fails them.
"""

import os
import shutil
import socket

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in the test thread; Django's ORM is safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_url() -> str | None:
    url = settings.CACHES["default"].get("LOCATION", "")
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache") and url:
        return url
    return None


def _missing_part(item) -> str | None:
    if item.get_closest_marker("postgres") and settings.DATABASES["default"]["ENGINE"] != (
        "django.db.backends.postgresql"
    ):
        return "needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)"
    if item.get_closest_marker("redis") and not redis_url():
        return "needs Redis: set CACHE_URL=redis://127.0.0.1:6379/0 (CI does)"
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        return f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium; CI installs it)"
    return None


def _flushes_the_database(item) -> bool:
    marker = item.get_closest_marker("django_db")
    marked = bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
    fixtures = getattr(item, "fixturenames", ())
    return marked or "transactional_db" in fixtures or "live_server" in fixtures


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    # A transactional test (live_server, browser) flushes the database when it ends, emptying what
    # data migrations put there (credit packages, schedules). pytest-django runs them last, but
    # pytest then groups tests by the browser parameter and moves them back in between: put them
    # last again (a stable sort keeps every other order).
    items.sort(key=_flushes_the_database)


def pytest_runtest_setup(item):
    reason = _missing_part(item)
    if reason:
        if os.environ.get("SYNTHOS_REQUIRE_ALL_SERVICES") == "1":
            pytest.fail(f"required part missing in CI: {reason}", pytrace=False)
        pytest.skip(reason)


# --- Browser (pytest-playwright with Debian's chromium) -------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


# --- People and clients ----------------------------------------------------------------------

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def make_user(db):
    from accounts.tests.factories import make_verified_user

    return make_verified_user


@pytest.fixture
def owner(make_user):
    return make_user(email="owner@example.com", password=PASSWORD)


@pytest.fixture
def outsider(make_user):
    return make_user(email="outsider@example.com", password=PASSWORD)


@pytest.fixture
def staff(make_user):
    return make_user(email="staff@synthos.dev", password=PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture
def anon_client():
    from rest_framework.test import APIClient

    return APIClient()


def _jwt_client(user):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def owner_client(owner):
    return _jwt_client(owner)


@pytest.fixture
def outsider_client(outsider):
    return _jwt_client(outsider)


@pytest.fixture
def client_for():
    return _jwt_client


def _only_test_atomics(connection) -> bool:
    return all(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


@pytest.fixture(autouse=True)
def _on_commit_runs_as_in_production(monkeypatch):
    """Run on_commit callbacks when the code's own outermost transaction ends, as in production.

    pytest-django wraps each test in a transaction that never commits, so by default nothing
    queued with transaction.on_commit (emails, jobs) would ever run in a test.
    """
    from django.db import connections
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.transaction import Atomic

    original_exit = Atomic.__exit__
    original_on_commit = BaseDatabaseWrapper.on_commit

    def exit_then_commit(self, exc_type, exc_value, traceback):
        result = original_exit(self, exc_type, exc_value, traceback)
        connection = connections[self.using or "default"]
        if connection.in_atomic_block and _only_test_atomics(connection) and connection.run_on_commit:
            pending, connection.run_on_commit = connection.run_on_commit, []
            for _, callback, _ in pending:
                callback()
        return result

    def on_commit(self, func, robust=False):
        if self.in_atomic_block and _only_test_atomics(self):
            return func()
        return original_on_commit(self, func, robust)

    monkeypatch.setattr(Atomic, "__exit__", exit_then_commit)
    monkeypatch.setattr(BaseDatabaseWrapper, "on_commit", on_commit)
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit windows and login counters must not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield


# --- S3-compatible server (moto's standalone server, a real HTTP endpoint) --------------------


@pytest.fixture(scope="session")
def moto_server():
    """Start `python -m moto.server` on a free 127.0.0.1 port for the session; yield its endpoint URL.

    moto is a pip package (moto[server] in requirements-dev.txt), so this runs on any laptop. It
    does not check presigned signatures or expiry: tests check those on the URL itself.
    """
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"moto server did not start on {endpoint}")
            time.sleep(0.1)
    yield endpoint
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
