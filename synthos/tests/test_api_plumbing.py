import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from accounts.tests.test_api_auth import assert_envelope

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_an_unknown_api_path_is_a_404_envelope(owner_client):
    assert assert_envelope(owner_client.get("/api/v1/no-such-thing"), 404)["message"] == "Not found."


def test_a_wrong_method_is_a_405_envelope(anon_client):
    assert_envelope(anon_client.get("/api/v1/auth/login"), 405)


@pytest.mark.urls("synthos.tests.urls_failing")
def test_a_crash_in_an_api_view_is_a_500_envelope_without_internals():
    response = APIClient().get("/api/v1/boom")
    error = assert_envelope(response, 500)
    assert "secret-internal-detail" not in response.content.decode()
    assert "request_id" in error and "Traceback" not in response.content.decode()


@pytest.mark.urls("synthos.tests.urls_failing")
def test_a_crash_outside_drf_under_api_is_still_the_envelope():
    client = APIClient(raise_request_exception=False)
    response = client.get("/api/v1/django-boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == 500
    assert "secret-internal-detail" not in response.content.decode()


def test_every_response_carries_a_request_id_and_echoes_a_well_formed_one(anon_client):
    fresh = anon_client.get("/api/v1/health")
    assert fresh["X-Request-ID"].startswith("req_")
    echoed = anon_client.get("/api/v1/health", HTTP_X_REQUEST_ID="pipeline-run:42.a")
    assert echoed["X-Request-ID"] == "pipeline-run:42.a"
    replaced = anon_client.get("/api/v1/health", HTTP_X_REQUEST_ID="bad id with spaces")
    assert replaced["X-Request-ID"].startswith("req_")
    error = anon_client.get("/api/v1/auth/me", HTTP_X_REQUEST_ID="trace-7")
    assert error.json()["error"]["request_id"] == "trace-7"


def test_health_reports_database_cache_and_queue(anon_client):
    response = anon_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "queue": {"oldest_queued_seconds": None},
    }


def test_health_reports_the_age_of_the_oldest_queued_task(anon_client, settings):
    from datetime import timedelta

    from django.utils import timezone
    from django_q.brokers import get_broker
    from django_q.signing import SignedPackage

    task = {
        "id": "t1",
        "name": "t1",
        "func": "math.floor",
        "args": (1,),
        "kwargs": {},
        "started": timezone.now() - timedelta(seconds=90),
    }
    get_broker().enqueue(SignedPackage.dumps(task))
    seconds = anon_client.get("/api/v1/health").json()["queue"]["oldest_queued_seconds"]
    assert 89 <= seconds <= 120


def test_health_is_a_503_when_the_cache_is_down(anon_client, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "set", broken)
    response = anon_client.get("/api/v1/health")
    assert response.status_code == 503 and response.json()["cache"] == "error"


def test_the_openapi_schema_documents_every_endpoint(anon_client):
    response = anon_client.get("/api/v1/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    import json

    schema = json.loads(response.content)
    paths = set(schema["paths"])
    for expected in [
        "/api/v1/auth/register",
        "/api/v1/auth/verify-email",
        "/api/v1/auth/resend-verification",
        "/api/v1/auth/login",
        "/api/v1/auth/token/refresh",
        "/api/v1/auth/me",
        "/api/v1/auth/api-keys",
        "/api/v1/auth/api-keys/{key_id}",
        "/api/v1/credits/balance",
        "/api/v1/credits/packages",
        "/api/v1/credits/transactions",
        "/api/v1/health",
    ]:
        assert expected in paths, expected
    register = schema["paths"]["/api/v1/auth/register"]["post"]
    assert "requestBody" in register and "201" in register["responses"]
    assert "ApiKeyAuth" in schema["components"]["securitySchemes"]


def test_the_docs_page_serves_its_assets_locally(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower() and "http://" not in html.replace("http://testserver", "")


def test_base_settings_hash_passwords_with_argon2():
    from synthos.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_base_settings_refuse_to_boot_without_a_secret_key_when_debug_is_off():
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "", "DJANGO_SETTINGS_MODULE": "synthos.settings.base"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **{key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "synthos.settings.base",
        "DEBUG": "0",
        "SECRET_KEY": "x" * 20 + "-production-like-secret-key-for-the-deploy-check-0123456789",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
        "SECURE_HSTS_PRELOAD": "1",
        "SESSION_COOKIE_SECURE": "1",
        "CSRF_COOKIE_SECURE": "1",
        "SECURE_PROXY_SSL_HEADER": "1",
        "ALLOWED_HOSTS": "api.synthos.dev",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_off_alone_still_serves_plain_http_without_redirects():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "synthos.settings.base", "DEBUG": "0", "SECRET_KEY": "k" * 60}
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.stdout.split() == ["False", "0", "False"], result.stderr


def test_the_sqlite_default_is_set_up_for_a_web_process_and_a_worker_at_once():
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "synthos.settings.base"
    code = (
        "import django; django.setup(); from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE']); print(d['OPTIONS']['transaction_mode']); print(d['OPTIONS']['init_command'])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    engine, mode, init = result.stdout.splitlines()
    assert engine == "django.db.backends.sqlite3" and mode == "IMMEDIATE"
    assert "journal_mode=WAL" in init and "busy_timeout" in init
